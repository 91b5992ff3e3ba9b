/**
 * The few mount operations volumes need (tmpfs for memory-backed emptyDirs, secrets and projected volumes), behind
 * an interface as the kubelet's mount.Interface is, so unit tests can record instead of mount. The real one runs
 * mount(8)/umount(8) through child_process and reads /proc/self/mountinfo.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Mounter {
  /** Mount a fresh tmpfs on dir; sizeBytes undefined/0 = the kernel's default size. */
  mountTmpfs(dir: string, sizeBytes?: number): Promise<void>;
  unmount(dir: string): Promise<void>;
  /** Mount points at or below dir (deepest first). */
  mountsUnder(dir: string): Promise<string[]>;
}

/** Unescape mountinfo's octal escapes (\040 for space, …). */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points listed in a mountinfo text that are at or below dir, deepest first. */
export function mountPointsUnder(mountinfo: string, dir: string): string[] {
  const base = dir.endsWith('/') ? dir.slice(0, -1) : dir;
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 5) continue;
    const mp = unescapeMountPath(fields[4]!);
    if (mp === base || mp.startsWith(base + '/')) out.push(mp);
  }
  return [...new Set(out)].sort((a, b) => b.length - a.length);
}

export class SystemMounter implements Mounter {
  async mountTmpfs(dir: string, sizeBytes?: number): Promise<void> {
    const args = ['-t', 'tmpfs'];
    if (sizeBytes && sizeBytes > 0) args.push('-o', `size=${sizeBytes}`);
    args.push('tmpfs', dir);
    await runOrExplain('mount', args);
  }

  async unmount(dir: string): Promise<void> {
    await runOrExplain('umount', [dir]);
  }

  async mountsUnder(dir: string): Promise<string[]> {
    return mountPointsUnder(await fs.readFile('/proc/self/mountinfo', 'utf8'), dir);
  }
}

async function runOrExplain(cmd: string, args: string[]): Promise<void> {
  try {
    await run(cmd, args, { timeout: 30_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e.stderr || e.message).trim()}`);
  }
}
