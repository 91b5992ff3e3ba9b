/**
 * Processes under measurement: `skiff server` and `skiff nodes` started from the built CLI on 127.0.0.1, and
 * their CPU (per process, and the server's main thread, which is the API server: the scheduler and controllers
 * have threads of their own) and memory read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../../bin/skiff.js');
const TICKS_PER_SECOND = 100;

export interface Proc {
  child: ChildProcess;
  pid: number;
  /** What the process printed when ready (`ready` is matched on stdout and stderr). */
  readyMatch: RegExpMatchArray;
  stop(): Promise<void>;
}

/**
 * `nodeArgs` go to node before the CLI (e.g. `--cpu-prof --cpu-prof-dir DIR`: written when the process exits on SIGTERM).
 * `bin`: another build's bin/skiff.js (a base to compare against); this build's by default.
 */
export async function startSkiff(args: string[], ready: RegExp, timeoutMs = 600_000, nodeArgs: string[] = [], bin = BIN): Promise<Proc> {
  const child = spawn(process.execPath, ['--max-old-space-size=8192', ...nodeArgs, bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const readyMatch = await new Promise<RegExpMatchArray>((res, rej) => {
    let out = '';
    let matched = false;
    const t = setTimeout(() => rej(new Error(`skiff ${args[0]} not ready in ${timeoutMs / 1000} s: ${err}`)), timeoutMs);
    const look = (text: string): void => {
      const m = matched ? null : text.match(ready);
      if (m) {
        matched = true;
        clearTimeout(t);
        res(m);
      }
    };
    child.stdout!.on('data', (d: Buffer) => look((out = (out + d.toString()).slice(-4000))));
    child.stderr!.on('data', (d: Buffer) => look((err = (err + d.toString()).slice(-4000))));
    child.once('exit', (code) => rej(new Error(`skiff ${args[0]} exited (${code}): ${err}`)));
  });
  return {
    child,
    pid: child.pid!,
    readyMatch,
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

/** CPU seconds (user + system) of a process, or of one of its threads. */
export function cpuSeconds(pid: number, tid?: number): number {
  const stat = readFileSync(tid ? `/proc/${pid}/task/${tid}/stat` : `/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
}

/** CPU nanoseconds a thread has run (schedstat): finer than stat's 10 ms ticks, for short measured phases. */
export function threadCpuNs(pid: number, tid = pid): number {
  return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
}

/** Threads of a process by name (Node names worker threads after their entry; the main thread is `node`). */
export function threads(pid: number): { tid: number; name: string }[] {
  return readdirSync(`/proc/${pid}/task`).map((t) => ({ tid: Number(t), name: readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim() }));
}

export function memMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) / 1024 : NaN;
}
