/**
 * For runc tests: a busybox root filesystem built from the host's /bin/busybox (no downloads), a skip reason
 * when runc cannot run here, and a minimal OCI spec. Everything a test creates is named `skiff-t-<run>…`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { commandPath } from '../setup/commands.js';

export const BUSYBOX = '/bin/busybox';
const APPLETS = ['sh', 'echo', 'cat', 'sleep', 'tail', 'head', 'ls', 'id', 'env', 'readlink', 'true', 'false', 'ip', 'hostname', 'pwd', 'yes', 'dd', 'wc', 'grep', 'tr', 'touch', 'tty', 'stty'];

/** Why runc tests cannot run here, or null when they can. */
export function runcSkipReason(): string | null {
  if (process.platform !== 'linux') return 'runc tests need Linux';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'runc tests need root';
  if (!commandPath('runc')) return "runc tests need the 'runc' command (Debian package runc)";
  if (!existsSync(BUSYBOX)) return 'runc tests need /bin/busybox (Debian package busybox-static)';
  if (!commandPath('ip')) return "runc tests need the 'ip' command (iproute2)";
  return null;
}

/** A run-unique prefix: `skiff-t-<pid><random>`. */
export function runPrefix(): string {
  return `skiff-t-${process.pid.toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
}

/** bin/busybox plus applet symlinks, /etc/passwd and /etc/group, and empty mount points. */
export async function busyboxRootfs(dir: string): Promise<string> {
  await mkdir(join(dir, 'bin'), { recursive: true });
  await copyFile(BUSYBOX, join(dir, 'bin', 'busybox'));
  for (const a of APPLETS) await symlink('busybox', join(dir, 'bin', a));
  for (const d of ['proc', 'sys', 'dev', 'etc', 'tmp']) await mkdir(join(dir, d), { recursive: true });
  await writeFile(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  await writeFile(join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  return dir;
}

export function sh(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
