/**
 * RuncRuntime against Debian's runc, as root: containers from a busybox rootfs built here, specs from
 * buildOciSpec, a network namespace this test creates. Ids, netns and cgroups are `skiff-t-<run>…` and are
 * removed in afterAll, also when a test fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, rmdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCriLine } from '../../src/dataplane/kubelet/runtime/runc/cri-log.js';
import { readCriLog } from '../../src/dataplane/kubelet/runtime/runc/log-reader.js';
import { buildOciSpec } from '../../src/dataplane/kubelet/runtime/runc/oci-spec.js';
import { RuncError, RuncRuntime } from '../../src/dataplane/kubelet/runtime/runc/runc.js';
import type { ContainerInfo, OciSpec } from '../../src/dataplane/kubelet/runtime/runc/types.js';
import { commandPath } from '../setup/commands.js';
import { busyboxRootfs, runcSkipReason, runPrefix, sh } from './runc-fixture.js';

const skip = runcSkipReason();
// Terminals come from python3's pty module (src/dataplane/kubelet/runtime/runc/tty.ts).
const python3 = commandPath('python3') !== null;
if (!skip && !python3) console.warn('skipping runc terminal tests: no python3');
if (skip) console.warn(`skipping runc runtime tests: ${skip}`);

describe.skipIf(skip !== null)('RuncRuntime (runc, root)', () => {
  const run = runPrefix();
  const netns = `${run}-net`;
  let dir = '';
  let rootfs = '';
  let rt: RuncRuntime;
  const ids: string[] = [];
  let n = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `${run}-`));
    rootfs = await busyboxRootfs(join(dir, 'rootfs'));
    sh(['ip', 'netns', 'add', netns]);
    rt = new RuncRuntime({ dataDir: join(dir, 'data') });
  });

  afterAll(async () => {
    const fresh = new RuncRuntime({ dataDir: join(dir, 'data') });
    for (const id of ids) await fresh.remove(id).catch(() => undefined);
    rt?.close();
    fresh.close();
    // Anything runc still knows under our root, then our cgroup parents, netns and files.
    if (dir) spawnSync('runc', ['--root', join(dir, 'data', 'runc'), 'delete', '-f', ...ids]);
    // Relative cgroupsPaths nest under this process's own cgroup in each hierarchy (memory:/process_api/… here).
    const own = (await readFile('/proc/self/cgroup', 'utf8')).split('\n').map((l) => l.split(':')[2] ?? '/');
    for (const base of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
      for (const path of new Set(['/', ...own])) await rmdir(join('/sys/fs/cgroup', base, path, run)).catch(() => undefined);
    }
    spawnSync('ip', ['netns', 'del', netns]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function spec(c: Partial<Container>, extra: { memoryLimit?: string } = {}): { id: string; spec: OciSpec; bundle: string; log: string } {
    const id = `${run}-c${n++}`;
    ids.push(id);
    const container: Container = {
      name: 'app',
      image: 'busybox',
      ...c,
      ...(extra.memoryLimit ? { resources: { limits: { memory: extra.memoryLimit } } } : {}),
    };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { containers: [container] } };
    const s = buildOciSpec({
      pod,
      container,
      image: { entrypoint: [], cmd: ['sh'], env: [], workingDir: '', user: '' },
      env: [{ name: 'GREETING', value: 'hello' }],
      mounts: [],
      rootfsPath: rootfs,
      netnsPath: `/run/netns/${netns}`,
      hostname: 'p',
      cgroupsPath: `${run}/${id}`,
      swapAccounting: existsMemsw(),
    });
    return { id, spec: s, bundle: join(dir, 'bundles', id), log: join(dir, 'logs', `${id}.log`) };
  }

  async function until(id: string, pred: (i: ContainerInfo) => boolean, ms = 10_000): Promise<ContainerInfo> {
    const end = Date.now() + ms;
    for (;;) {
      const info = await rt.state(id);
      if (info && pred(info)) return info;
      if (Date.now() > end) throw new Error(`container ${id} never matched; last ${JSON.stringify(info)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function logRecords(path: string): Promise<ReturnType<typeof parseCriLine>[]> {
    const text = await readFile(path, 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map(parseCriLine);
  }

  it('stdout and stderr land in the log file as CRI records; exit code 3 is reported', async () => {
    const c = spec({ command: ['sh', '-c', 'echo "$GREETING out"; echo err >&2; printf partial; exit 3'] });
    const started = await rt.run(c.id, c.bundle, c.spec, c.log);
    expect(['running', 'stopped']).toContain(started.state);
    const done = await until(c.id, (i) => i.state === 'stopped' && i.exitCode !== undefined);
    expect(done.exitCode).toBe(3);
    expect(done.oomKilled).toBeUndefined();
    expect(done.finishedAt).toBeGreaterThanOrEqual(done.startedAt ?? 0);
    // The pump may trail the exit by a moment.
    let recs = await logRecords(c.log);
    for (let i = 0; i < 40 && recs.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 25));
      recs = await logRecords(c.log);
    }
    const lines = recs.map((r) => `${r?.stream} ${r?.partial ? 'P' : 'F'} ${r?.content}`).sort();
    expect(lines).toEqual(['stderr F err', 'stdout F hello out', 'stdout F partial']);
    for (const r of recs) expect(r?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    await rt.remove(c.id);
    expect(await rt.state(c.id)).toBeUndefined();
    await rt.remove(c.id); // idempotent
  });

  it('a flood of output arrives whole, line by line, in order', async () => {
    const c = spec({ command: ['sh', '-c', 'i=0; while [ $i -lt 20 ]; do yes "line $i" | head -n 10000; i=$((i+1)); done'] });
    const t0 = process.cpuUsage();
    await rt.run(c.id, c.bundle, c.spec, c.log);
    expect((await rt.wait(c.id))?.exitCode).toBe(0);
    await rt.remove(c.id);
    const cpu = process.cpuUsage(t0);
    const text = await readFile(c.log, 'utf8');
    const lines = text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(200_000);
    expect(parseCriLine(lines[0]!)?.content).toBe('line 0');
    expect(parseCriLine(lines.at(-1)!)?.content).toBe('line 19');
    console.log(`200k lines: agent cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms`);
  });

  it('attach: stdinOnce feeds the container and ends its input when the session closes', async () => {
    const c = spec({ command: ['sh', '-c', 'cat; echo "cat done"'], stdin: true, stdinOnce: true });
    await rt.run(c.id, c.bundle, c.spec, c.log, { stdin: true, stdinOnce: true });
    let seen = '';
    const s = await rt.attach(c.id, { wantStdin: true, onOutput: (_stream, b) => (seen += b.toString()) });
    expect(s.stdin).toBeDefined();
    s.stdin!.write('hello\n');
    for (let i = 0; i < 100 && !seen.includes('hello'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(seen).toBe('hello\n');
    s.close();
    const done = await rt.wait(c.id, AbortSignal.timeout(5000));
    expect(done).toMatchObject({ state: 'stopped', exitCode: 0 });
    expect(seen).toBe('hello\n'); // a closed session hears nothing more
    await rt.remove(c.id);
    expect((await logRecords(c.log)).map((r) => r?.content)).toEqual(['hello', 'cat done']);
  });

  it('attach: stdin stays open between sessions and across an agent restart', async () => {
    const c = spec({ command: ['sh', '-c', 'while read l; do echo "got $l"; done; echo eof'], stdin: true });
    await rt.run(c.id, c.bundle, c.spec, c.log, { stdin: true });
    const a1 = await rt.attach(c.id, { wantStdin: true });
    a1.stdin!.write('one\n');
    a1.close();
    await new Promise((r) => setTimeout(r, 200));
    expect((await rt.state(c.id))?.state).toBe('running');
    rt.close();
    const again = new RuncRuntime({ dataDir: join(dir, 'data') });
    await again.list(run);
    let seen = '';
    const a2 = await again.attach(c.id, { wantStdin: true, onOutput: (_s, b) => (seen += b.toString()) });
    a2.stdin!.write('two\n');
    for (let i = 0; i < 100 && !seen.includes('got two'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(seen).toBe('got two\n');
    a2.close();
    await again.remove(c.id);
    again.close();
    rt = new RuncRuntime({ dataDir: join(dir, 'data') });
    expect((await logRecords(c.log)).map((r) => r?.content)).toEqual(['got one', 'got two']);
  });

  it.skipIf(!python3)('a tty container: a terminal, resizable, its output one stream; its exit code', async () => {
    const c = spec({ command: ['sh'], tty: true, stdin: true });
    expect((c.spec.process as { terminal: boolean }).terminal).toBe(true);
    await rt.run(c.id, c.bundle, c.spec, c.log, { stdin: true });
    let screen = '';
    const s = await rt.attach(c.id, { wantStdin: true, onOutput: (_st, b) => (screen += b.toString()) });
    s.resize(90, 33);
    await new Promise((r) => setTimeout(r, 150));
    const see = async (text: string): Promise<void> => {
      // Up to 20 s: a loaded machine starts python's pty and runc exec slowly; a broken terminal still fails.
      for (let i = 0; i < 1000 && !screen.includes(text); i++) await new Promise((r) => setTimeout(r, 20));
      expect(screen).toContain(text);
    };
    s.stdin!.write('echo "$TERM"; tty; stty size\n');
    await see('33 90');
    expect(screen).toContain('xterm');
    expect(screen).toMatch(/\/dev\/pts\/\d+/);
    s.stdin!.write('exit 5\n');
    const done = await rt.wait(c.id, AbortSignal.timeout(5000));
    expect(done).toMatchObject({ state: 'stopped', exitCode: 5 });
    const holder = (JSON.parse(await readFile(join(dir, 'data', 'shim', c.id, 'meta.json'), 'utf8')) as { stdinHolderPid: number }).stdinHolderPid;
    await new Promise((r) => setTimeout(r, 50));
    expect(() => process.kill(holder, 0)).toThrow(); // a stopped container's stdin holder is gone
    s.close();
    await rt.remove(c.id);
    const recs = await logRecords(c.log);
    expect(recs.length).toBeGreaterThan(0);
    expect(recs.every((r) => r?.stream === 'stdout')).toBe(true);
    expect(recs.map((r) => r?.content).join('\n')).toContain('33 90');
    await expect(rt.attach(c.id, {})).rejects.toBeInstanceOf(RuncError);
  });

  it('kubectl logs -f: readCriLog follows a running container until it exits', async () => {
    const c = spec({ command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo "n $i"; sleep 0.05; done; echo bye >&2'] });
    await rt.run(c.id, c.bundle, c.spec, c.log);
    const out: string[] = [];
    await readCriLog(c.log, { follow: true, pollMs: 20, timestamps: true, isRunning: async () => (await rt.state(c.id))?.state === 'running' }, (b) =>
      out.push(b.toString()),
    );
    const lines = out.join('').split('\n').filter(Boolean);
    expect(lines.map((l) => l.slice(31))).toEqual(['n 1', 'n 2', 'n 3', 'n 4', 'n 5', 'bye']);
    const times = lines.map((l) => l.slice(0, 30));
    expect([...times].sort()).toEqual(times);
    await rt.remove(c.id);
  });

  it('a missing executable fails run() with runc\'s message and leaves nothing behind', async () => {
    const c = spec({ command: ['/no/such/binary'] });
    const err = await rt.run(c.id, c.bundle, c.spec, c.log).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuncError);
    expect((err as Error).message).toMatch(/no such file or directory|not found/);
    expect(await rt.state(c.id)).toBeUndefined();
    // A log that cannot be written: run() fails before starting anything, and leaves no stdin holder.
    const bad = spec({ command: ['cat'], stdin: true });
    await expect(rt.run(bad.id, bad.bundle, bad.spec, join(rootfs, 'bin', 'busybox', 'x.log') /* a file as its directory */, { stdin: true })).rejects.toThrow();
    expect(await rt.state(bad.id)).toBeUndefined();
    const holders = spawnSync('sh', ['-c', `for p in /proc/[0-9]*; do readlink $p/fd/3; done 2>/dev/null | grep -c ${bad.id} || true`]).stdout.toString().trim();
    expect(holders).toBe('0');
  });

  it('SIGTERM ends a process that handles it (143); PID 1 ignoring it needs SIGKILL (137)', async () => {
    const handles = spec({ command: ['sh', '-c', 'trap "exit 143" TERM; while true; do sleep 0.1; done'] });
    const ignores = spec({ command: ['sleep', '1000'] });
    await rt.run(handles.id, handles.bundle, handles.spec, handles.log);
    await rt.run(ignores.id, ignores.bundle, ignores.spec, ignores.log);
    await rt.kill(handles.id, 'SIGTERM');
    await rt.kill(ignores.id, 'SIGTERM');
    expect((await until(handles.id, (i) => i.state === 'stopped' && i.exitCode !== undefined)).exitCode).toBe(143);
    await new Promise((r) => setTimeout(r, 300));
    expect((await rt.state(ignores.id))?.state).toBe('running'); // sleep as PID 1 has no TERM handler
    await rt.kill(ignores.id, 'SIGKILL');
    const killed = await until(ignores.id, (i) => i.state === 'stopped' && i.exitCode !== undefined);
    expect(killed.exitCode).toBe(137);
    expect(killed.oomKilled).toBeUndefined();
    await rt.kill(ignores.id, 'SIGKILL'); // stopped: no error
    await rt.remove(handles.id);
    await rt.remove(ignores.id);
  });

  it('exec returns output and exit code, honours env and stdin, and times out', async () => {
    const c = spec({ command: ['sleep', '1000'] });
    await rt.run(c.id, c.bundle, c.spec, c.log);
    const r = await rt.exec(c.id, ['sh', '-c', 'echo "$GREETING $X"; cat; echo e >&2; exit 5'], { timeoutMs: 5000, env: ['X=there'], stdin: Buffer.from('in\n') });
    expect(r).toEqual({ exitCode: 5, stdout: 'hello there\nin\n', stderr: 'e\n', timedOut: false });
    const capped = await rt.exec(c.id, ['sh', '-c', 'yes | head -c 100000; echo e >&2'], { timeoutMs: 5000, maxOutputBytes: 10 * 1024 });
    expect(capped.stdout).toHaveLength(10 * 1024);
    expect(capped).toMatchObject({ stderr: 'e\n', exitCode: 0 });
    const t0 = Date.now();
    const slow = await rt.exec(c.id, ['sleep', '30'], { timeoutMs: 300 });
    expect(slow.timedOut).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
    // the exec'd process is gone from the container
    const ps = await rt.exec(c.id, ['sh', '-c', 'for p in /proc/[0-9]*; do cat $p/cmdline; echo; done'], { timeoutMs: 5000 });
    expect(ps.stdout).not.toContain('sleep30');
    // interactive: a line in, a line out, then end of input ends it
    const cat = rt.execStream(c.id, ['sh', '-c', 'read l; echo "got $l"; cat; exit 9']);
    const chunks: Buffer[] = [];
    cat.stdout.on('data', (b: Buffer) => chunks.push(b));
    cat.stdin.write('one\n');
    for (let i = 0; i < 100 && !Buffer.concat(chunks).toString().includes('got one'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(Buffer.concat(chunks).toString()).toBe('got one\n');
    cat.stdin.end('two\n');
    expect(await cat.exit).toBe(9);
    expect(Buffer.concat(chunks).toString()).toBe('got one\ntwo\n');
    const forever = rt.execStream(c.id, ['sleep', '100']);
    forever.kill();
    expect(await forever.exit).toBe(137);
    const ps2 = await rt.exec(c.id, ['sh', '-c', 'for p in /proc/[0-9]*; do cat $p/cmdline; echo; done'], { timeoutMs: 5000 });
    expect(ps2.stdout).not.toContain('sleep100'); // killed inside the container, not just runc
    await rt.remove(c.id);
    await expect(rt.exec(c.id, ['true'], { timeoutMs: 1000 })).rejects.toBeInstanceOf(RuncError);
    await expect(rt.execStream(c.id, ['true']).exit).rejects.toBeInstanceOf(RuncError);
    expect(existsSync(join(dir, 'data', 'shim', c.id))).toBe(false); // an exec into a gone container leaves nothing
  });

  it.skipIf(!python3)('exec with a terminal: a pts, the size we set, resizes, and the shell\'s exit code', async () => {
    const c = spec({ command: ['sleep', '1000'] });
    await rt.run(c.id, c.bundle, c.spec, c.log);
    const tty = rt.execTty(c.id, ['sh'], { cols: 100, rows: 30 });
    let screen = '';
    tty.stdout.on('data', (b: Buffer) => (screen += b.toString()));
    const see = async (text: string): Promise<void> => {
      // Up to 20 s: a loaded machine starts python's pty and runc exec slowly; a broken terminal still fails.
      for (let i = 0; i < 1000 && !screen.includes(text); i++) await new Promise((r) => setTimeout(r, 20));
      expect(screen).toContain(text);
    };
    await see('# '); // type after the prompt, as a person would: earlier input may meet a terminal not yet set up
    tty.stdin.write('tty; stty size\n');
    await see('30 100');
    expect(screen).toMatch(/\/dev\/pts\/\d+/);
    tty.resize(120, 40);
    await new Promise((r) => setTimeout(r, 100));
    tty.stdin.write('stty size\n');
    await see('40 120');
    tty.stdin.write('exit 3\n');
    expect(await tty.exit).toBe(3);
    await rt.remove(c.id);
  });

  it('joins the network namespace it is given, and not the host\'s', async () => {
    const c = spec({ command: ['sh', '-c', 'readlink /proc/self/ns/net; ls /sys/class/net; hostname'] });
    await rt.run(c.id, c.bundle, c.spec, c.log);
    await until(c.id, (i) => i.state === 'stopped' && i.exitCode !== undefined);
    await new Promise((r) => setTimeout(r, 100));
    const out = (await logRecords(c.log)).map((r) => r?.content);
    const inode = (await stat(`/run/netns/${netns}`)).ino;
    expect(out).toEqual([`net:[${inode}]`, 'lo', 'p']);
    await rt.remove(c.id);
  });

  it('wait() resolves on exit with the status, and on abort with the current state', async () => {
    const quick = spec({ command: ['sh', '-c', 'sleep 0.3; exit 7'] });
    const long = spec({ command: ['sleep', '1000'] });
    await rt.run(quick.id, quick.bundle, quick.spec, quick.log);
    await rt.run(long.id, long.bundle, long.spec, long.log);
    const t0 = Date.now();
    const done = await rt.wait(quick.id);
    expect(done).toMatchObject({ state: 'stopped', exitCode: 7 });
    expect(Date.now() - t0).toBeLessThan(3000);
    const still = await rt.wait(long.id, AbortSignal.timeout(200));
    expect(still?.state).toBe('running');
    const killedLater = rt.wait(long.id);
    await rt.kill(long.id, 'SIGKILL');
    expect((await killedLater)?.exitCode).toBe(137);
    await rt.remove(quick.id);
    await rt.remove(long.id);
    expect(await rt.wait(quick.id)).toBeUndefined();
  });

  it('a memory hog over its limit is OOMKilled with exit 137', async () => {
    // tail on /dev/zero buffers an endless "line"; 16 MiB limit without swap.
    const c = spec({ command: ['tail', '/dev/zero'] }, { memoryLimit: '16Mi' });
    await rt.run(c.id, c.bundle, c.spec, c.log);
    const done = await until(c.id, (i) => i.state === 'stopped' && i.exitCode !== undefined, 20_000);
    expect(done.exitCode).toBe(137);
    expect(done.oomKilled).toBe(true);
    await rt.remove(c.id);
  });

  it('node reboot simulation: supervisor, runc and container killed; the container reads as stopped with containerd\'s unknown exit (255, Unknown), and is removable', async () => {
    const c = spec({ command: ['sleep', '1000'] });
    const started = await rt.run(c.id, c.bundle, c.spec, c.log);
    const meta = JSON.parse(await readFile(join(dir, 'data', 'shim', c.id, 'meta.json'), 'utf8')) as { supervisorPid: number };
    process.kill(-meta.supervisorPid, 'SIGKILL'); // the supervisor's process group: sh and runc
    process.kill(started.pid!, 'SIGKILL');
    const fresh = new RuncRuntime({ dataDir: join(dir, 'data') });
    let info: ContainerInfo | undefined;
    for (let i = 0; i < 100; i++) {
      info = (await fresh.list(run)).find((x) => x.id === c.id);
      if (info?.state === 'stopped') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(info?.state).toBe('stopped');
    expect(info).toMatchObject({ exitCode: 255, exitReason: 'Unknown' });
    await fresh.remove(c.id);
    expect(await fresh.state(c.id)).toBeUndefined();
    fresh.close();
  });

  it('a fresh runtime object (agent restart) lists running containers and resumes their logs; stats are numbers', async () => {
    const c = spec({ command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.05; done'] });
    await rt.run(c.id, c.bundle, c.spec, c.log);
    await new Promise((r) => setTimeout(r, 200));
    rt.close(); // the agent goes away: containers keep running
    const before = (await logRecords(c.log)).length;
    expect(before).toBeGreaterThan(0);
    const again = new RuncRuntime({ dataDir: join(dir, 'data') });
    const found = await again.list(run);
    expect(found.map((i) => [i.id, i.state])).toContainEqual([c.id, 'running']);
    expect(found.every((i) => i.id.startsWith(run))).toBe(true);
    expect(await again.list('skiff-t-nothing-')).toEqual([]);
    await new Promise((r) => setTimeout(r, 400));
    const recs = await logRecords(c.log);
    expect(recs.length).toBeGreaterThan(before + 2);
    const ticks = recs.map((r) => Number(r?.content.split(' ')[1]));
    expect(ticks).toEqual([...ticks].sort((a, b) => a - b)); // no line lost or reordered across the restart
    expect(ticks.at(-1)! - ticks[0]!).toBe(ticks.length - 1);
    const st = await again.stats(c.id);
    expect(st?.cpuUsageNanos).toBeGreaterThan(0);
    expect(st?.memoryWorkingSetBytes).toBeGreaterThan(0);
    expect(await again.annotations(c.id)).toMatchObject({ 'io.kubernetes.cri.container-name': 'app' });
    await again.remove(c.id);
    again.close();
    rt = new RuncRuntime({ dataDir: join(dir, 'data') });
    expect(await rt.stats(c.id)).toBeUndefined();
  });
});

function existsMemsw(): boolean {
  return spawnSync('sh', ['-c', 'ls /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes || ls /sys/fs/cgroup/memory.swap.max'], { stdio: 'ignore' }).status === 0;
}
