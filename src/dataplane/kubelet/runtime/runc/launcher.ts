/**
 * How a real node starts programs (runc, ip, mount, mkfifo, the per-container supervisors).
 *
 * Why not child_process in the agent: libuv forks the whole agent for every program, and the fork blocks its
 * event loop for a time that grows with the agent's resident set (measured 3.4 ms at 48 MiB, 9.1 ms at 196 MiB),
 * ~16 times per pod start. BrokerLauncher instead asks a small long-lived child (a bare node script, no
 * application code loaded) over its IPC channel; the broker forks from its own small heap and the agent only
 * exchanges two messages per program. If the broker dies it is started again on the next request; while it
 * cannot be started (or has just died repeatedly), programs start directly from the agent (DirectLauncher).
 * A request in flight when the broker dies fails (the program may or may not have run): callers' retries
 * decide, as they do for any failed program.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';

export interface RunOptions {
  /** Written to the program's stdin (then closed); default: empty stdin. */
  input?: string;
  /** SIGKILL after this long (default: no limit); the result then has timedOut. */
  timeoutMs?: number;
  cwd?: string;
  /** Each of stdout and stderr keeps at most this many bytes (default 64 MiB); the rest is drained. */
  maxOutputBytes?: number;
}

export interface RunResult {
  /** The exit status; 128+n when killed by signal n; -1 when the program could not be started (stderr says why). */
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** One fd of a detached child: a file opened by path ('r', 'r+', 'w', 'a'…) or nothing. */
export type StdioPath = { path: string; flags: string } | 'ignore';

export interface SpawnDetachedOptions {
  /** fds 0, 1, 2 (and 3… when given). */
  stdio: StdioPath[];
  cwd?: string;
}

export interface Launcher {
  /** Runs argv[0] (looked up on PATH) with argv[1..] and collects its output; never rejects for a non-zero exit. */
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /** Starts a long-lived program in its own session (it outlives the agent) and resolves with its pid. */
  spawnDetached(argv: string[], opts: SpawnDetachedOptions): Promise<number>;
  /** Stops the broker (if any); later calls start it again. */
  close(): void;
}

/** Thrown when the broker died with the request in flight. */
export class LaunchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LaunchError';
  }
}

const DEFAULT_MAX_OUTPUT = 64 << 20;

// --- shared by the direct path and the broker (the broker's copy is BROKER_SCRIPT below; keep them alike) ---

function runDirect(argv: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const cap = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    let child: ChildProcess;
    try {
      child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], ...(opts.cwd ? { cwd: opts.cwd } : {}) });
    } catch (e) {
      resolve({ code: -1, stdout: '', stderr: (e as Error).message, timedOut: false });
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const collect = (into: Buffer[]) => {
      let n = 0;
      return (b: Buffer) => {
        if (n < cap) into.push(n + b.length > cap ? b.subarray(0, cap - n) : b);
        n += b.length;
      };
    };
    child.stdout!.on('data', collect(out));
    child.stderr!.on('data', collect(err));
    let timedOut = false;
    const timer = opts.timeoutMs ? setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), opts.timeoutMs) : undefined;
    let spawnError = '';
    child.on('error', (e) => (spawnError = e.message));
    child.on('close', (code, sig) => {
      if (timer) clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8') + spawnError;
      resolve({ code: spawnError ? -1 : code ?? (sig ? 128 + signalNumber(sig) : -1), stdout: Buffer.concat(out).toString('utf8'), stderr, timedOut });
    });
    child.stdin!.on('error', () => undefined); // a program that exits early: its exit code tells the story
    child.stdin!.end(opts.input ?? '');
  });
}

function spawnDetachedDirect(argv: string[], opts: SpawnDetachedOptions): number {
  const fds: number[] = [];
  try {
    const stdio = opts.stdio.map((s) => {
      if (s === 'ignore') return 'ignore' as const;
      const fd = openSync(s.path, s.flags);
      fds.push(fd);
      return fd;
    });
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
    child.on('error', () => undefined);
    child.unref();
    if (child.pid === undefined) throw new Error(`cannot start ${argv[0]}`);
    return child.pid;
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

function signalNumber(sig: string): number {
  return (osConstants.signals as unknown as Record<string, number>)[sig] ?? 9;
}

/** Starts programs from the agent itself (the fallback; fine for tools and tests). */
export class DirectLauncher implements Launcher {
  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    checkArgv(argv);
    return runDirect(argv, opts);
  }

  async spawnDetached(argv: string[], opts: SpawnDetachedOptions): Promise<number> {
    checkArgv(argv);
    return spawnDetachedDirect(argv, opts);
  }

  close(): void {}
}

function checkArgv(argv: string[]): void {
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string')) throw new Error('launcher: argv must be a non-empty array of strings');
}

/**
 * The broker: CommonJS run with `node -e`, so it loads nothing but node's own child_process and fs (its RSS
 * stays near node's floor) and works the same from dist/ and from TypeScript sources under test. It exits
 * when the agent's end of the channel closes (the agent exited), leaving detached children running.
 */
export const BROKER_SCRIPT = String.raw`
const { spawn } = require('node:child_process');
const { openSync, closeSync } = require('node:fs');
const sigs = require('node:os').constants.signals;
function run(m) {
  const cap = m.max;
  let child;
  try {
    child = spawn(m.argv[0], m.argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], cwd: m.cwd || undefined });
  } catch (e) {
    process.send({ id: m.id, code: -1, stdout: '', stderr: String(e.message), timedOut: false });
    return;
  }
  const out = [], err = [];
  const collect = (into) => { let n = 0; return (b) => { if (n < cap) into.push(n + b.length > cap ? b.subarray(0, cap - n) : b); n += b.length; }; };
  child.stdout.on('data', collect(out));
  child.stderr.on('data', collect(err));
  let timedOut = false;
  const timer = m.timeoutMs ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, m.timeoutMs) : undefined;
  let spawnError = '';
  child.on('error', (e) => { spawnError = e.message; });
  child.on('close', (code, sig) => {
    if (timer) clearTimeout(timer);
    process.send({ id: m.id, code: spawnError ? -1 : code !== null ? code : sig ? 128 + (sigs[sig] || 9) : -1,
      stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') + spawnError, timedOut });
  });
  child.stdin.on('error', () => {});
  child.stdin.end(m.input || '');
}
function detached(m) {
  const fds = [];
  try {
    const stdio = m.stdio.map((s) => { if (s === 'ignore') return 'ignore'; const fd = openSync(s.path, s.flags); fds.push(fd); return fd; });
    const child = spawn(m.argv[0], m.argv.slice(1), { detached: true, stdio, cwd: m.cwd || undefined });
    child.on('error', () => {});
    child.unref();
    if (child.pid === undefined) throw new Error('cannot start ' + m.argv[0]);
    process.send({ id: m.id, pid: child.pid });
  } catch (e) {
    process.send({ id: m.id, error: String(e.message) });
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}
process.on('message', (m) => (m.op === 'spawn' ? detached(m) : run(m)));
process.on('disconnect', () => process.exit(0));
`;

/** The broker's argument (in its command line only): how ps, and bench/kubelet, tell it apart. */
export const BROKER_MARK = 'skiff-launch-broker';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export interface BrokerLauncherOptions {
  /** The node binary for the broker (default: this process's). */
  nodePath?: string;
  /** This many broker deaths within a minute switch to direct launches for a minute (default 5). */
  maxRestartsPerMinute?: number;
  now?: () => number;
}

export class BrokerLauncher implements Launcher {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private deaths: number[] = [];
  private readonly direct = new DirectLauncher();
  private readonly now: () => number;
  /** Broker starts so far (a test reads it to see a restart). */
  starts = 0;

  constructor(private readonly opts: BrokerLauncherOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  /** The broker's pid, if running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    checkArgv(argv);
    const broker = this.broker();
    if (!broker) return this.direct.run(argv, opts);
    const r = (await this.request(broker, { op: 'run', argv, input: opts.input ?? '', timeoutMs: opts.timeoutMs ?? 0, cwd: opts.cwd ?? '', max: opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT })) as RunResult;
    return { code: r.code, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut };
  }

  async spawnDetached(argv: string[], opts: SpawnDetachedOptions): Promise<number> {
    checkArgv(argv);
    const broker = this.broker();
    if (!broker) return this.direct.spawnDetached(argv, opts);
    const r = (await this.request(broker, { op: 'spawn', argv, stdio: opts.stdio, cwd: opts.cwd ?? '' })) as { pid?: number; error?: string };
    if (r.error !== undefined || r.pid === undefined) throw new Error(r.error ?? `cannot start ${argv[0]}`);
    return r.pid;
  }

  close(): void {
    const c = this.child;
    this.child = undefined;
    if (c) {
      c.disconnect?.();
      c.kill('SIGTERM');
    }
  }

  private request(broker: ChildProcess, msg: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) refChannel(broker, true);
      broker.send({ ...msg, id }, (err) => {
        if (err && this.pending.delete(id)) reject(new LaunchError(`launch broker: ${err.message}`));
      });
    });
  }

  /** The running broker, started if needed; undefined: launch directly for now. */
  private broker(): ChildProcess | undefined {
    if (this.child) return this.child;
    const t = this.now();
    this.deaths = this.deaths.filter((d) => t - d < 60_000);
    if (this.deaths.length >= (this.opts.maxRestartsPerMinute ?? 5)) return undefined;
    let child: ChildProcess;
    try {
      // A small heap: the broker holds nothing but in-flight output.
      child = spawn(this.opts.nodePath ?? process.execPath, ['--max-old-space-size=32', '-e', BROKER_SCRIPT, BROKER_MARK], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json' });
    } catch {
      this.deaths.push(t);
      return undefined;
    }
    this.starts++;
    this.child = child;
    child.on('message', (m: { id: number }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) refChannel(child, false);
      p.resolve(m);
    });
    const gone = (why: string) => {
      if (this.child === child) {
        this.child = undefined;
        this.deaths.push(this.now());
      }
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(new LaunchError(`launch broker ${why} with the request in flight`));
      }
    };
    child.on('error', () => gone('failed'));
    child.on('exit', (code, sig) => gone(`exited (${sig ?? code})`));
    child.unref();
    refChannel(child, false);
    return child;
  }
}

/** The channel keeps the agent alive only while requests are in flight. */
function refChannel(child: ChildProcess, on: boolean): void {
  const ch = (child as unknown as { channel?: { ref(): void; unref(): void } }).channel;
  if (on) ch?.ref();
  else ch?.unref();
}

let shared: Launcher | undefined;

/** The node's launcher (one broker per agent process). */
export function sharedLauncher(): Launcher {
  return (shared ??= new BrokerLauncher());
}

/** Replaces the node's launcher (tests; an embedder with its own). */
export function setSharedLauncher(l: Launcher): void {
  shared = l;
}
