/**
 * ContainerRuntime over Debian's `runc`, through child_process (argv arrays, no shell interpolation).
 *
 * Layout under the data dir: `runc/` is runc's own --root (so it sees only this runtime's containers) and
 * `shim/<id>/` holds what this runtime keeps per container: meta.json, the stdout/stderr FIFOs, runc's pid
 * file, runc's own log (json) and the exit status.
 *
 * Supervision (why containers survive an agent restart, and how exit codes are known): each container runs as
 * `runc run --keep` in the foreground under a tiny detached `/bin/sh` (its own session, so the agent's death
 * sends it nothing). runc reaps the container and exits with its status (128+signal when killed); the shell
 * writes that number to `shim/<id>/exit`. `--keep` leaves the stopped container and its cgroup in place, so the
 * OOM counter can still be read, until remove() runs `runc delete -f`. The shell's script is a constant; every
 * value reaches it as a positional parameter. Cost: one sh and one runc per running container, outside the
 * agent: ~12 MiB RSS but ~3 MiB proportional set size (PSS) measured here, as their code pages are shared.
 * A supervisor killed before recording (a node reboot) leaves a stopped container whose status is lost: it
 * reads as exit code 255 with exitReason Unknown, as containerd reports such a container.
 *
 * Logs: runc's stdout/stderr (which it copies from the container) are FIFOs opened read-write by the
 * supervisor, so a write never fails for want of a reader; the agent reads them and appends CRI records to the
 * container's log file. Trade-off: while the agent is down, output waits in the pipe (64 KiB), then the
 * container blocks on write until the agent comes back and list() re-attaches; output still unread when a
 * container exits during the agent's absence is lost. Lines read after a restart carry the time they were read.
 *
 * stdin (container.stdin): a FIFO the container reads, kept open by a detached `sleep infinity` holding a
 * writer, so sessions and agent restarts do not end the input; stdinOnce kills the holder when the first
 * attach session closes. tty (process.terminal): runc needs a controlling terminal, so the supervisor runs it
 * under tty.ts's pty helper (python3), whose window size comes through a `resize` FIFO.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as fsc, openSync, closeSync, mkdirSync, readlinkSync, writeSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { readOomKills, readUsage, pruneParents, type CgroupPaths } from './cgroups.js';
import { wallNanos, type LogStream } from './cri-log.js';
import { LogPump } from './log-pump.js';
import { DEFAULT_ROTATION, type LogRotation } from './log-writer.js';
import { sharedLauncher, type Launcher, type StdioPath } from './launcher.js';
import { PTY_HELPER, resizeMessage } from './tty.js';
import type { AttachSession, ContainerInfo, ContainerRuntime, ContainerState, ContainerStats, ExecResult, ExecStream, OciSpec, RunOptions, TtyExec } from './types.js';

export type { AttachSession, ExecStream, RunOptions, TtyExec } from './types.js';




/** A runc failure, with runc's own message (e.g. `exec: "x": executable file not found in $PATH`). */
export class RuncError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuncError';
  }
}

export interface RuncRuntimeOptions {
  /** Root of this runtime's files (runc/ and shim/ go under it). */
  dataDir: string;
  /** The runc binary (default: `runc` on PATH). */
  runcPath?: string;
  /** How long run() waits for the container's process to start (default 30 s). */
  startTimeoutMs?: number;
  /** Log record timestamps in ns since the epoch (injected in tests). */
  now?: () => bigint;
  /** Log rotation (the kubelet's containerLogMaxSize / containerLogMaxFiles; default 10 MiB, 5 files). */
  logRotation?: LogRotation;
  /** python3 for execTty's pseudo-terminal (default: `python3` on PATH). */
  pythonPath?: string;
  /** How short programs and supervisors are started (default: the node's launch broker, see launcher.ts). */
  launcher?: Launcher;
}

// runc's own rule for ids (libcontainer validateID).
const ID = /^[\w+.-]+$/;

const SHIM_SCRIPT = [
  'exitfile=$1; shift',
  '"$@"',
  'code=$?',
  'echo "$code" > "$exitfile.tmp" && mv "$exitfile.tmp" "$exitfile"',
].join('\n');

interface Meta {
  id: string;
  logPath: string;
  bundleDir: string;
  cgroupsPath: string;
  supervisorPid?: number;
  tty?: boolean;
  stdin?: boolean;
  stdinOnce?: boolean;
  /** The process holding stdin open (see run()). */
  stdinHolderPid?: number;
  /** stdinOnce and its one session ended. */
  stdinClosed?: boolean;
}


interface RuncState {
  id: string;
  pid: number;
  status: string;
  created: string;
  annotations?: Record<string, string>;
}

export class RuncRuntime implements ContainerRuntime {
  private readonly root: string;
  private readonly shimRoot: string;
  private readonly execDir: string;
  private readonly runc: string;
  private readonly startTimeoutMs: number;
  private readonly now: () => bigint;
  private readonly pumps = new Map<string, LogPump>();
  private readonly rotation: LogRotation;
  private readonly python: string;
  private readonly launcher: Launcher;
  private closed = false;

  constructor(opts: RuncRuntimeOptions) {
    this.root = join(opts.dataDir, 'runc');
    this.shimRoot = join(opts.dataDir, 'shim');
    this.execDir = join(opts.dataDir, 'exec');
    this.runc = opts.runcPath ?? 'runc';
    this.startTimeoutMs = opts.startTimeoutMs ?? 30_000;
    this.now = opts.now ?? wallNanos;
    this.rotation = opts.logRotation ?? DEFAULT_ROTATION;
    this.python = opts.pythonPath ?? 'python3';
    this.launcher = opts.launcher ?? sharedLauncher();
  }

  private shim(id: string, file = ''): string {
    return join(this.shimRoot, id, file);
  }

  private check(id: string): void {
    if (!ID.test(id)) throw new RuncError(`invalid container id ${JSON.stringify(id)}: letters, digits, '_', '+', '-' and '.' only`);
  }

  private async runcCmd(args: string[], timeoutMs = 30_000): Promise<string> {
    const r = await this.launcher.run([this.runc, '--root', this.root, ...args], { timeoutMs });
    if (r.code === 0) return r.stdout;
    throw new RuncError(runcMessage(r.stderr) || (r.timedOut ? `runc ${args[0]} timed out after ${timeoutMs} ms` : `runc ${args[0]} exited with ${r.code}`));
  }

  /**
   * opts.stdin (container.stdin) gives the container a stdin that attach() writes to; opts.stdinOnce closes it
   * after the first attach session. A spec with process.terminal (container.tty) runs under a pseudo-terminal
   * (tty.ts): its output is one stream (stdout) and attach() can resize it.
   */
  async run(id: string, bundleDir: string, spec: OciSpec, logPath: string, opts: RunOptions = {}): Promise<ContainerInfo> {
    this.check(id);
    // runc keeps <root>/<id> for every container it knows (and refuses such an id itself): a stat, not a `runc state`.
    if (await exists(join(this.root, id))) throw new RuncError(`container with id exists: ${id}`);
    const dir = this.shim(id);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await mkdir(this.root, { recursive: true });
    await mkdir(bundleDir, { recursive: true });
    await writeFile(join(bundleDir, 'config.json'), JSON.stringify(spec));
    const tty = (spec.process as { terminal?: boolean } | undefined)?.terminal === true;
    const fifos = { stdout: this.shim(id, 'stdout'), stderr: this.shim(id, 'stderr') };
    const extra = [...(opts.stdin ? [this.shim(id, 'stdin')] : []), ...(tty ? [this.shim(id, 'resize')] : [])];
    const mk = await this.launcher.run(['mkfifo', '-m', '0600', fifos.stdout, fifos.stderr, ...extra]);
    if (mk.code !== 0) throw new RuncError(`mkfifo in ${dir}: ${mk.stderr.trim() || `exit ${mk.code}`}`);

    const linux = (spec.linux ?? {}) as { cgroupsPath?: string };
    const meta: Meta = { id, logPath, bundleDir, cgroupsPath: linux.cgroupsPath ?? '', tty, stdin: opts.stdin === true, stdinOnce: opts.stdinOnce === true };
    // Write ends first (read-write, so they never lack a reader), then the pump's read ends. The agent holds a
    // writer on each FIFO until the supervisor (started by the launcher, which opens the same paths) has its own.
    const fds: number[] = [];
    const hold = (path: string): void => void fds.push(openSync(path, 'r+'));
    hold(fifos.stdout);
    hold(fifos.stderr);
    try {
      let rIn: StdioPath = 'ignore';
      if (opts.stdin) {
        // A detached holder keeps a writer on stdin, so the container sees no end of input between attach
        // sessions nor across agent restarts; stdinOnce ends it after the first session.
        hold(this.shim(id, 'stdin'));
        meta.stdinHolderPid = await this.launcher.spawnDetached(['sleep', 'infinity'], { stdio: ['ignore', 'ignore', 'ignore', { path: this.shim(id, 'stdin'), flags: 'r+' }] });
        rIn = { path: this.shim(id, 'stdin'), flags: 'r' }; // does not block: the holder (and the agent) are writers
      }
      const pump = new LogPump(logPath, this.now, this.rotation);
      await pump.start(fifos);
      this.pumps.set(id, pump);
      void pump.done.then(() => this.pumps.get(id) === pump && this.pumps.delete(id));
      const runcArgv = [
        this.runc, '--root', this.root, '--log', this.shim(id, 'runc.log'), '--log-format', 'json',
        'run', '--keep', '--pid-file', this.shim(id, 'pid'), '--bundle', bundleDir, id,
      ];
      // With a terminal, runc runs under the pty helper, which takes window sizes on fd 3 (the resize FIFO).
      const argv = ['/bin/sh', '-c', SHIM_SCRIPT, 'skiff-shim', this.shim(id, 'exit'), ...(tty ? [this.python, '-c', PTY_HELPER] : []), ...runcArgv];
      const stdio: StdioPath[] = [rIn, { path: fifos.stdout, flags: 'r+' }, { path: fifos.stderr, flags: 'r+' }];
      if (tty) stdio.push({ path: this.shim(id, 'resize'), flags: 'r+' });
      meta.supervisorPid = await this.launcher.spawnDetached(argv, { stdio, cwd: bundleDir });
    } catch (e) {
      // Nothing of a half-made container stays behind.
      if (meta.stdinHolderPid) killQuietly(meta.stdinHolderPid);
      this.pumps.get(id)?.stop();
      this.pumps.delete(id);
      await rm(dir, { recursive: true, force: true });
      throw e;
    } finally {
      for (const f of fds) closeSync(f);
    }
    await writeFile(this.shim(id, 'meta.json'), JSON.stringify(meta));

    // Started once runc wrote the pid file; failed if the supervisor wrote an exit status without one.
    const deadline = Date.now() + this.startTimeoutMs;
    for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
      // The exit status first: runc writes the pid file before the supervisor can write it, so a container that
      // ran and exited between the two checks is still seen as started (the other order failed it under load).
      const exited = await exists(this.shim(id, 'exit'));
      if (await exists(this.shim(id, 'pid'))) break;
      if (exited) {
        const msg = await this.runcLogError(id);
        await this.remove(id);
        throw new RuncError(msg || `runc run ${id} failed`);
      }
      if (Date.now() > deadline) {
        await this.remove(id);
        throw new RuncError(`container ${id} did not start within ${this.startTimeoutMs} ms`);
      }
      await delay(wait);
    }
    const info = await this.state(id);
    if (!info) throw new RuncError(`container ${id} vanished after start`);
    return info;
  }

  private async runcLogError(id: string): Promise<string> {
    const text = (await readFile(this.shim(id, 'runc.log'), 'utf8').catch(() => '')).trim();
    const msgs: string[] = [];
    for (const line of text.split('\n')) {
      try {
        const rec = JSON.parse(line) as { level?: string; msg?: string };
        if ((rec.level === 'error' || rec.level === 'fatal') && rec.msg) msgs.push(rec.msg);
      } catch {
        if (line) msgs.push(line);
      }
    }
    return msgs.join('; ');
  }

  /**
   * A container's state as `runc state` reports it, read from runc's own files: no process per call (the pod
   * workers ask on every sync). runc's rule (libcontainer refreshState): the init process alive with the start
   * time runc recorded → `created` while its exec.fifo exists, else `running`; otherwise `stopped`. Paused is
   * not told apart (this runtime never pauses). Anything unexpected (no state.json yet: runc is creating it)
   * asks runc itself.
   */
  private async runcState(id: string): Promise<RuncState | undefined> {
    const dir = join(this.root, id);
    let raw: string;
    try {
      raw = await readFile(join(dir, 'state.json'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !(await exists(dir))) return undefined;
      return this.runcStateCmd(id);
    }
    try {
      const file = JSON.parse(raw) as RuncStateFile;
      const pid = file.init_process_pid;
      const [start, fifo] = await Promise.all([typeof pid === 'number' && pid > 0 ? procStartTime(pid) : undefined, exists(join(dir, 'exec.fifo'))]);
      return stateFromFiles(id, file, start, fifo);
    } catch {
      return this.runcStateCmd(id);
    }
  }

  private async runcStateCmd(id: string): Promise<RuncState | undefined> {
    try {
      return JSON.parse(await this.runcCmd(['state', id])) as RuncState;
    } catch (e) {
      if (/does not exist|not exist/.test((e as Error).message)) return undefined;
      throw e;
    }
  }

  private async meta(id: string): Promise<Meta | undefined> {
    try {
      return JSON.parse(await readFile(this.shim(id, 'meta.json'), 'utf8')) as Meta;
    } catch {
      return undefined;
    }
  }

  private async cgroupPaths(id: string): Promise<CgroupPaths | undefined> {
    try {
      const st = JSON.parse(await readFile(join(this.root, id, 'state.json'), 'utf8')) as { cgroup_paths?: CgroupPaths };
      return st.cgroup_paths;
    } catch {
      return undefined;
    }
  }

  /** The exit status the supervisor wrote; waits briefly while the supervisor is still finishing. */
  private async exitStatus(id: string, meta: Meta | undefined): Promise<{ code: number; at: number } | undefined> {
    const path = this.shim(id, 'exit');
    for (let i = 0; i < 100; i++) {
      try {
        const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
        const code = Number(text.trim());
        if (Number.isInteger(code)) return { code, at: st.mtimeMs };
      } catch {
        /* not written yet */
      }
      if (!meta?.supervisorPid || !alive(meta.supervisorPid)) {
        if (i > 0) return undefined; // one re-read after the supervisor is seen gone
      }
      await delay(20);
    }
    return undefined;
  }

  private async info(st: RuncState): Promise<ContainerInfo> {
    const id = st.id;
    const info: ContainerInfo = { id, state: toState(st.status) };
    if (st.pid > 0 && info.state !== 'stopped') info.pid = st.pid;
    const created = Date.parse(st.created);
    if (Number.isFinite(created)) info.createdAt = created;
    const pidStat = await stat(this.shim(id, 'pid')).catch(() => undefined);
    if (pidStat) info.startedAt = pidStat.mtimeMs;
    if (info.state === 'stopped') {
      const meta = await this.meta(id);
      const exit = await this.exitStatus(id, meta);
      // Its last output is in the log (and with attach sessions) before anyone hears of the exit:
      // FallbackToLogsOnError reads that log. The streams end as the supervisor exits, right after the status.
      const pump = this.pumps.get(id);
      if (pump) await Promise.race([pump.done, delay(500)]);
      // Nothing will read a stopped container's stdin again.
      if (meta?.stdinHolderPid) this.endStdinHolder(id, meta.stdinHolderPid);
      if (exit) {
        info.exitCode = exit.code;
        info.finishedAt = exit.at;
      } else {
        // The status is lost (supervisor gone); containerd's unknown exit: 255, reason Unknown.
        info.exitCode = 255;
        info.exitReason = 'Unknown';
      }
      const paths = await this.cgroupPaths(id);
      const ooms = paths ? await readOomKills(paths) : undefined;
      if (ooms !== undefined && ooms > 0) info.oomKilled = true;
    }
    return info;
  }

  async state(id: string): Promise<ContainerInfo | undefined> {
    this.check(id);
    const st = await this.runcState(id);
    if (!st) return undefined;
    await this.resume(id, st);
    return this.info(st);
  }

  /** After an agent restart: resume copying a live container's output into its log. */
  private async resume(id: string, st: RuncState): Promise<void> {
    if (this.closed || this.pumps.has(id) || st.status === 'stopped') return;
    const meta = await this.meta(id);
    if (!meta) return;
    const pump = new LogPump(meta.logPath, this.now, this.rotation);
    this.pumps.set(id, pump);
    try {
      await pump.start({ stdout: this.shim(id, 'stdout'), stderr: this.shim(id, 'stderr') });
      void pump.done.then(() => this.pumps.get(id) === pump && this.pumps.delete(id));
    } catch {
      this.pumps.delete(id);
    }
  }

  async kill(id: string, signal: string): Promise<void> {
    this.check(id);
    try {
      await this.runcCmd(['kill', id, signal]);
    } catch (e) {
      // Already stopped or gone: nothing to signal.
      if (/not running|does not exist|process already finished|container not running/.test((e as Error).message)) return;
      throw e;
    }
  }

  async remove(id: string): Promise<void> {
    this.check(id);
    const meta = await this.meta(id);
    const paths = await this.cgroupPaths(id);
    try {
      await this.runcCmd(['delete', '-f', id]);
    } catch (e) {
      if (!/does not exist/.test((e as Error).message)) throw e;
    }
    if (paths && meta?.cgroupsPath) await pruneParents(paths, meta.cgroupsPath);
    if (meta?.stdinHolderPid) this.endStdinHolder(id, meta.stdinHolderPid);
    // Let the supervisor finish (its runc exits once the container is gone) so the log gets the last lines.
    for (let i = 0; i < 100 && meta?.supervisorPid && alive(meta.supervisorPid); i++) await delay(20);
    const pump = this.pumps.get(id);
    if (pump) {
      await Promise.race([pump.done, delay(500)]);
      pump.stop();
      this.pumps.delete(id);
    }
    await rm(this.shim(id), { recursive: true, force: true, maxRetries: 3 });
  }

  async exec(id: string, argv: string[], opts: { timeoutMs: number; env?: string[]; stdin?: Buffer; maxOutputBytes?: number }): Promise<ExecResult> {
    this.check(id);
    if (argv.length === 0) throw new RuncError('exec: no command given');
    const pidFile = await this.execPidFile(id);
    const args = ['--root', this.root, 'exec', '--pid-file', pidFile];
    for (const e of opts.env ?? []) args.push('--env', e);
    args.push(id, ...argv);
    if (!opts.stdin?.length) return this.execLaunched(id, args, pidFile, opts);
    const child = spawn(this.runc, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    // Each stream keeps at most maxOutputBytes (the kubelet's exec probe reads 10 KiB); the rest is drained.
    const cap = opts.maxOutputBytes ?? 16 << 20;
    const collect = (into: Buffer[]): ((b: Buffer) => void) => {
      let n = 0;
      return (b) => {
        if (n >= cap) return;
        into.push(n + b.length > cap ? b.subarray(0, cap - n) : b);
        n += b.length;
      };
    };
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.stdin ?? Buffer.alloc(0));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void killExec(pidFile, child);
    }, Math.max(1, opts.timeoutMs));
    const code = await new Promise<number>((resolve) => {
      child.on('error', () => resolve(-1));
      child.on('close', (c, sig) => resolve(c ?? 128 + (sig ? (signalNumber(sig) ?? 9) : 9)));
    });
    clearTimeout(timer);
    const started = await exists(pidFile);
    await rm(pidFile, { force: true });
    const stderr = Buffer.concat(err).toString();
    if (!started && !timedOut) throw new RuncError(runcMessage(stderr) || `runc exec in ${id} failed (exit ${code})`);
    return { exitCode: code, stdout: Buffer.concat(out).toString(), stderr, timedOut };
  }

  /**
   * exec() without input (exec probes, hooks: the steady state's programs) through the launcher. On timeout the
   * process inside the container is killed by its pid file, as killExec does, and runc then exits; the
   * launcher's own limit, a little later, is the backstop for a runc that does not.
   */
  private async execLaunched(id: string, args: string[], pidFile: string, opts: { timeoutMs: number; maxOutputBytes?: number }): Promise<ExecResult> {
    let timedOut = false;
    let done = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void killByPidFile(pidFile, () => !done);
    }, Math.max(1, opts.timeoutMs));
    const r = await this.launcher.run([this.runc, ...args], { timeoutMs: Math.max(1, opts.timeoutMs) + 2000, maxOutputBytes: opts.maxOutputBytes ?? 16 << 20 });
    done = true;
    clearTimeout(timer);
    const started = await exists(pidFile);
    await rm(pidFile, { force: true });
    if (!started && !timedOut) throw new RuncError(runcMessage(r.stderr) || `runc exec in ${id} failed (exit ${r.code})`);
    return { exitCode: r.code, stdout: r.stdout, stderr: r.stderr, timedOut: timedOut || r.timedOut };
  }

  /**
   * An interactive exec without a TTY (kubectl exec without -t, cp): the process's stdio as streams. exit
   * resolves with its exit code (128+signal when killed) or rejects with runc's message when it never started;
   * kill() ends the process inside the container, then runc.
   */
  execStream(id: string, argv: string[], opts: { env?: string[] } = {}): ExecStream {
    const s = this.spawnExec(id, argv, opts.env, false);
    return { stdin: s.child.stdin!, stdout: s.child.stdout!, stderr: s.child.stderr!, exit: s.exit, kill: s.kill };
  }

  /**
   * An exec with a terminal (kubectl exec -t): output and errors come merged on stdout as a terminal writes
   * them; resize() sets the window size (SIGWINCH inside). Needs python3 (see tty.ts).
   */
  execTty(id: string, argv: string[], opts: { env?: string[]; cols?: number; rows?: number } = {}): TtyExec {
    const s = this.spawnExec(id, argv, opts.env, true);
    const ctl = s.child.stdio[3] as Writable;
    ctl.on('error', () => undefined);
    const resize = (cols: number, rows: number): void => {
      if (!ctl.destroyed) ctl.write(resizeMessage(cols, rows));
    };
    if (opts.cols && opts.rows) resize(opts.cols, opts.rows);
    return { stdin: s.child.stdin!, stdout: s.child.stdout!, resize, exit: s.exit, kill: s.kill };
  }

  private spawnExec(id: string, argv: string[], env: string[] | undefined, tty: boolean): { child: ChildProcess; exit: Promise<number>; kill: () => void } {
    this.check(id);
    if (argv.length === 0) throw new RuncError('exec: no command given');
    const pidFile = join(this.execDir, `${id}-${process.pid}-${Math.random().toString(36).slice(2)}.pid`);
    mkdirSync(this.execDir, { recursive: true });
    const args = ['--root', this.root, 'exec', ...(tty ? ['-t'] : []), '--pid-file', pidFile];
    for (const e of env ?? []) args.push('--env', e);
    args.push(id, ...argv);
    const child = tty
      ? spawn(this.python, ['-c', PTY_HELPER, this.runc, ...args], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] })
      : spawn(this.runc, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.on('error', () => undefined);
    // The last output, for runc's message when the process never started (a terminal merges it into stdout).
    const tail: Buffer[] = [];
    const keep = (b: Buffer): void => {
      tail.push(b);
      if (tail.length > 8) tail.shift();
    };
    child.stderr!.on('data', keep);
    if (tty) child.stdout!.on('data', keep);
    const exit = new Promise<number>((resolve, reject) => {
      child.on('error', (e) => reject(new RuncError(`exec in ${id}: ${e.message}`)));
      child.on('close', (c, sig) => {
        void exists(pidFile).then(async (started) => {
          await rm(pidFile, { force: true });
          if (!started) reject(new RuncError(runcMessage(Buffer.concat(tail).toString()) || `runc exec in ${id} failed (exit ${c})`));
          else resolve(c ?? 128 + (sig ? (signalNumber(sig) ?? 9) : 9));
        });
      });
    });
    exit.catch(() => undefined); // callers may only look at the streams
    return { child, exit, kill: () => void killExec(pidFile, child) };
  }

  /**
   * Attaches to a running container: its output from now on goes to onOutput (stream 'stdout' only for a
   * terminal), and with wantStdin its stdin is writable. Works again after an agent restart (list() first).
   */
  async attach(id: string, opts: { wantStdin?: boolean; onOutput?: (stream: LogStream, chunk: Buffer) => void }): Promise<AttachSession> {
    this.check(id);
    const st = await this.runcState(id);
    if (!st || st.status === 'stopped') throw new RuncError(`cannot attach to container ${id}: it is not running`);
    await this.resume(id, st);
    const meta = await this.meta(id);
    if (!meta) throw new RuncError(`cannot attach to container ${id}: not started by this runtime`);
    const pump = this.pumps.get(id);
    const tap = opts.onOutput;
    if (tap && pump) pump.taps.add(tap);
    let stdin: Socket | undefined;
    if (opts.wantStdin && meta.stdin && !(meta.stdinOnce && meta.stdinClosed)) {
      try {
        stdin = new Socket({ fd: openSync(this.shim(id, 'stdin'), fsc.O_WRONLY | fsc.O_NONBLOCK), readable: false, writable: true });
        stdin.on('error', () => undefined);
      } catch (e) {
        throw new RuncError(`cannot attach to the stdin of container ${id}: ${(e as Error).message}`);
      }
    }
    let closed = false;
    return {
      stdin,
      resize: (cols, rows) => {
        if (!meta.tty || closed) return;
        try {
          const f = openSync(this.shim(id, 'resize'), fsc.O_WRONLY | fsc.O_NONBLOCK);
          try {
            writeSync(f, resizeMessage(cols, rows));
          } finally {
            closeSync(f);
          }
        } catch {
          /* the container is gone */
        }
      },
      close: () => {
        if (closed) return;
        closed = true;
        if (tap && pump) pump.taps.delete(tap);
        if (stdin) {
          const s2 = stdin;
          // Written data first, then our writer goes; with stdinOnce the holder goes too: end of input.
          s2.end(() => {
            s2.destroy();
            if (meta.stdinOnce && meta.stdinHolderPid) {
              this.endStdinHolder(id, meta.stdinHolderPid);
              void writeFile(this.shim(id, 'meta.json'), JSON.stringify({ ...meta, stdinClosed: true })).catch(() => undefined);
            }
          });
        }
      },
    };
  }

  async list(prefix: string): Promise<ContainerInfo[]> {
    let all: RuncState[];
    try {
      all = (JSON.parse((await this.runcCmd(['list', '--format', 'json'])) || 'null') as RuncState[] | null) ?? [];
    } catch (e) {
      if (!(await exists(this.root))) return [];
      throw e;
    }
    const mine = all.filter((s) => s.id.startsWith(prefix));
    return Promise.all(
      mine.map(async (s) => {
        await this.resume(s.id, s);
        return this.info(s);
      }),
    );
  }

  async stats(id: string): Promise<ContainerStats | undefined> {
    this.check(id);
    const paths = await this.cgroupPaths(id);
    return paths ? readUsage(paths) : undefined;
  }

  /** Where an exec's pid file goes (not the container's shim dir, which a gone container must not regain). */
  private async execPidFile(id: string): Promise<string> {
    await mkdir(this.execDir, { recursive: true });
    return join(this.execDir, `${id}-${process.pid}-${Math.random().toString(36).slice(2)}.pid`);
  }

  /** Kills the stdin holder, but only if that pid still is it (it holds this container's stdin FIFO): pids get reused. */
  private endStdinHolder(id: string, pid: number): void {
    try {
      if (readlinkSync(`/proc/${pid}/fd/3`) !== this.shim(id, 'stdin')) return;
    } catch {
      return; // gone
    }
    killQuietly(pid);
  }

  /** The agent is stopping: stop reading logs; containers keep running (a later list() re-attaches). */
  close(): void {
    this.closed = true;
    for (const p of this.pumps.values()) p.stop();
    this.pumps.clear();
  }

  /**
   * Resolves once the container has stopped (with its exit status), is gone (undefined), or the signal aborts
   * (its current state). No polling while this runtime reads the container's output: the end of the output
   * streams is the supervisor's exit, which comes right after it recorded the status.
   */
  async wait(id: string, signal?: AbortSignal): Promise<ContainerInfo | undefined> {
    const aborted = new Promise<void>((r) => (signal?.aborted ? r() : signal?.addEventListener('abort', () => r(), { once: true })));
    for (;;) {
      const info = await this.state(id);
      if (!info || info.state === 'stopped' || signal?.aborted || this.closed) return info;
      const pump = this.pumps.get(id);
      await Promise.race([pump ? pump.done : delay(1000), aborted]);
    }
  }

  /** Annotations runc keeps for a container (pod and container names, see oci-spec containerAnnotations). */
  async annotations(id: string): Promise<Record<string, string> | undefined> {
    this.check(id);
    return (await this.runcState(id))?.annotations;
  }
}

/**
 * Ends an exec: SIGKILL to the process inside the container (its pid file may still be on its way while runc
 * starts it), so nothing lingers there; then runc itself if it has not gone by then.
 */
async function killExec(pidFile: string, child: ChildProcess): Promise<void> {
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  for (let i = 0; i < 150 && running(); i++) {
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      break;
    }
    await delay(20);
  }
  setTimeout(() => running() && child.kill('SIGKILL'), 1000).unref();
}

/** The fields of runc's <root>/<id>/state.json (libcontainer's State) that `runc state` reports from. */
export interface RuncStateFile {
  id?: string;
  init_process_pid?: number;
  init_process_start?: number | string;
  created?: string;
  config?: { labels?: string[] };
}

/**
 * `runc state`'s answer from its state file: `startTime` is /proc/<init pid>/stat's start time (undefined when
 * that process is gone), `execFifo` whether <root>/<id>/exec.fifo exists (created, not yet started). Throws on
 * a file it does not understand (the caller then asks runc).
 */
export function stateFromFiles(id: string, file: RuncStateFile, startTime: number | undefined, execFifo: boolean): RuncState {
  const pid = file.init_process_pid;
  if (typeof pid !== 'number' || typeof file.created !== 'string') throw new Error(`state.json of ${id}: no init_process_pid or created`);
  const alive = pid > 0 && startTime !== undefined && String(startTime) === String(file.init_process_start);
  const status = !alive ? 'stopped' : execFifo ? 'created' : 'running';
  const annotations: Record<string, string> = {};
  // runc keeps annotations as `key=value` labels next to its own `bundle=<dir>`.
  for (const l of file.config?.labels ?? []) {
    const eq = l.indexOf('=');
    if (eq > 0 && l.slice(0, eq) !== 'bundle') annotations[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return { id, pid: alive ? pid : 0, status, created: file.created, annotations };
}

/** Field 22 (starttime, clock ticks since boot) of /proc/<pid>/stat; undefined when the process is gone or a zombie. */
async function procStartTime(pid: number): Promise<number | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') return undefined; // runc counts a zombie as stopped too
    const v = Number(rest[19]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** SIGKILL to the process a runc exec started (its pid file may still be on its way) while `running()`. */
async function killByPidFile(pidFile: string, running: () => boolean): Promise<void> {
  for (let i = 0; i < 150 && running(); i++) {
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (pid > 0) {
      killQuietly(pid);
      return;
    }
    await delay(20);
  }
}

function toState(s: string): ContainerState {
  return s === 'creating' || s === 'created' || s === 'running' || s === 'paused' ? s : 'stopped';
}

/** The message of runc's logrus line on stderr (`time=… level=error msg="…"`), or the text itself. */
function runcMessage(stderr: string | undefined): string {
  const text = (stderr ?? '').trim();
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(text);
  return m ? m[1]!.replace(/\\(.)/g, '$1') : text;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function signalNumber(sig: NodeJS.Signals): number | undefined {
  return (osConstants.signals as Record<string, number>)[sig];
}
