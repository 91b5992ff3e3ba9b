/**
 * Runs a dataplane tool (iptables-restore, iptables-save, nft, ip) inside a named network namespace via
 * `ip netns exec`, or in the current namespace only when the caller said hostNetwork explicitly. Nothing here
 * ever picks the host's namespace by default.
 */
import { spawn } from 'node:child_process';

export interface NetnsTarget {
  /** Named network namespace (as in `ip netns list`). */
  netns?: string;
  /** Apply in this process's own namespace. Must be asked for explicitly (`--host-network`). */
  hostNetwork?: boolean;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class ExecError extends Error {
  constructor(
    readonly command: string,
    readonly result: ExecResult,
  ) {
    super(`${command} exited with ${result.code}: ${result.stderr.trim().split('\n').slice(0, 5).join(' | ')}`);
  }
}

const NETNS_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export function describeTarget(t: NetnsTarget): string {
  return t.netns ? `netns ${t.netns}` : t.hostNetwork ? 'host network' : 'no target';
}

/** argv for running `cmd args` in the target. Throws when no target was chosen. */
export function commandFor(t: NetnsTarget, cmd: string, args: string[]): string[] {
  if (t.netns) {
    if (!NETNS_NAME.test(t.netns)) throw new Error(`invalid network namespace name ${JSON.stringify(t.netns)}`);
    return ['ip', 'netns', 'exec', t.netns, cmd, ...args];
  }
  if (t.hostNetwork) return [cmd, ...args];
  throw new Error('refusing to touch the host network: pass a network namespace (--netns) or --host-network');
}

/** Run and collect output; never throws for a non-zero exit (see `execChecked`). */
export function exec(t: NetnsTarget, cmd: string, args: string[], input?: string): Promise<ExecResult> {
  const argv = commandFor(t, cmd, args);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    // A tool that exits early closes stdin; the error then is EPIPE, and the exit code tells the real story.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

export async function execChecked(t: NetnsTarget, cmd: string, args: string[], input?: string): Promise<ExecResult> {
  const r = await exec(t, cmd, args, input);
  if (r.code !== 0) throw new ExecError(`${cmd} ${args.join(' ')} (${describeTarget(t)})`, r);
  return r;
}
