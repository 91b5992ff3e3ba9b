import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BrokerLauncher, DirectLauncher, LaunchError, type Launcher } from '../../../../src/dataplane/kubelet/runtime/runc/launcher.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-t-launcher-'));
const launchers: BrokerLauncher[] = [];
afterAll(() => {
  for (const l of launchers) l.close();
  rmSync(dir, { recursive: true, force: true });
});

function broker(opts: ConstructorParameters<typeof BrokerLauncher>[0] = {}): BrokerLauncher {
  const l = new BrokerLauncher(opts);
  launchers.push(l);
  return l;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, fn: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (fn()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each([
  ['broker', () => broker() as Launcher],
  ['direct', () => new DirectLauncher() as Launcher],
])('%s launcher', (_name, make) => {
  const l = make();

  it('runs a program with input and collects stdout, stderr and the exit code', async () => {
    const r = await l.run(['sh', '-c', 'cat; echo err >&2; exit 3'], { input: 'héllo\n' });
    expect(r).toEqual({ code: 3, stdout: 'héllo\n', stderr: 'err\n', timedOut: false });
  });

  it('runs in cwd and reports a missing program as code -1 with the reason', async () => {
    expect((await l.run(['pwd'], { cwd: dir })).stdout.trim()).toBe(dir);
    const r = await l.run(['skiff-no-such-program-x']);
    expect(r.code).toBe(-1);
    expect(r.stderr).toMatch(/ENOENT/);
  });

  it('kills a program past its timeout (128+SIGKILL)', async () => {
    const r = await l.run(['sleep', '5'], { timeoutMs: 50 });
    expect(r.timedOut).toBe(true);
    expect(r.code).toBe(137);
  });

  it('caps each stream at maxOutputBytes', async () => {
    const r = await l.run(['sh', '-c', 'printf 0123456789'], { maxOutputBytes: 4 });
    expect(r.stdout).toBe('0123');
  });

  it('starts a detached child in its own session with files opened by path', async () => {
    const out = join(dir, `${_name}-detached.txt`);
    const pid = await l.spawnDetached(['sh', '-c', 'echo "$$ $(ps -o sid= -p $$ 2>/dev/null || cat /proc/$$/stat | cut -d" " -f6)"'], { stdio: ['ignore', { path: out, flags: 'w' }, 'ignore'], cwd: dir });
    expect(pid).toBeGreaterThan(0);
    await until('the detached child to write', () => readFileSync(out, 'utf8').includes('\n'));
    const [p, sid] = readFileSync(out, 'utf8').trim().split(/\s+/).map(Number);
    expect(p).toBe(pid);
    expect(sid).toBe(pid); // setsid: it leads its own session
  });

  it('rejects a bad argv with a clear error', async () => {
    await expect(l.run([])).rejects.toThrow(/argv must be a non-empty array/);
  });
});

describe('BrokerLauncher', () => {
  it('launches from the broker, not from this process', async () => {
    const l = broker();
    const r = await l.run(['sh', '-c', 'echo $PPID']);
    expect(Number(r.stdout.trim())).toBe(l.pid);
    expect(l.pid).not.toBe(process.pid);
  });

  it('fails a request in flight when the broker dies, then starts a new broker', async () => {
    const l = broker();
    await l.run(['true']);
    const first = l.pid!;
    const inFlight = l.run(['sleep', '5']);
    await new Promise((r) => setTimeout(r, 50));
    process.kill(first, 'SIGKILL');
    await expect(inFlight).rejects.toBeInstanceOf(LaunchError);
    const r = await l.run(['sh', '-c', 'echo $PPID']);
    expect(r.code).toBe(0);
    expect(l.starts).toBe(2);
    expect(l.pid).not.toBe(first);
    expect(Number(r.stdout.trim())).toBe(l.pid);
    expect(alive(first)).toBe(false);
  });

  it('launches directly after too many broker deaths within a minute', async () => {
    let t = 1_000_000;
    const l = broker({ maxRestartsPerMinute: 1, now: () => t });
    await l.run(['true']);
    const pid = l.pid!;
    process.kill(pid, 'SIGKILL');
    await until('the broker exit to be seen', () => l.pid === undefined);
    const r = await l.run(['sh', '-c', 'echo $PPID']);
    expect(Number(r.stdout.trim())).toBe(process.pid); // direct
    expect(l.starts).toBe(1);
    t += 61_000; // a minute later the broker is tried again
    const r2 = await l.run(['sh', '-c', 'echo $PPID']);
    expect(l.starts).toBe(2);
    expect(Number(r2.stdout.trim())).toBe(l.pid);
  });

  it('runs many programs at once', async () => {
    const l = broker();
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => l.run(['sh', '-c', `echo ${i}`])));
    expect(rs.map((r) => Number(r.stdout))).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('the broker exits with its parent channel (no orphan)', async () => {
    const l = broker();
    await l.run(['true']);
    const pid = l.pid!;
    l.close();
    await until('the broker to exit', () => !alive(pid));
  });
});
