/** The runc driver's attach (streaming/runc-streams.ts) over a fake runtime: output, stdin, detach and the end. */
import { PassThrough, type Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { withRuncStreaming } from '../../../../src/dataplane/kubelet/streaming/runc-streams.js';
import { StreamingError } from '../../../../src/dataplane/kubelet/streaming/types.js';
import type { PodDriver, PodDriverFactory, Pod } from '../../../../src/dataplane/kubelet/types.js';

type Tap = (stream: 'stdout' | 'stderr', chunk: Buffer) => void;

function fixture(opts: { stdin?: boolean; running?: boolean } = {}) {
  const calls = { closed: 0, waitAborted: false, wantStdin: undefined as boolean | undefined };
  let tap: Tap | undefined;
  let stopped!: () => void;
  const stdin = new PassThrough();
  const runtime = {
    async attach(_id: string, o: { wantStdin?: boolean; onOutput?: Tap }) {
      tap = o.onOutput;
      calls.wantStdin = o.wantStdin;
      return { stdin: opts.stdin === false ? undefined : stdin, resize: () => undefined, close: () => void calls.closed++ };
    },
    wait(_id: string, signal?: AbortSignal) {
      return new Promise<undefined>((resolve) => {
        stopped = () => resolve(undefined);
        signal?.addEventListener('abort', () => {
          calls.waitAborted = true;
          resolve(undefined);
        });
      });
    },
  };
  const driver = {
    deps: { runtime },
    worker: () => ({ runningContainers: () => (opts.running === false ? [] : [{ name: 'c', id: 'skiff-t-x_c_0' }]) }),
  };
  const factory: PodDriverFactory = () => driver as unknown as PodDriver;
  const d = withRuncStreaming(factory, { dataDir: '/nonexistent', idPrefix: 'skiff-t-' })({} as never, {} as never);
  const pod = { metadata: { uid: 'x', name: 'p', namespace: 'default' } } as Pod;
  return { d, pod, calls, stdin, emit: (s: 'stdout' | 'stderr', t: string) => tap?.(s, Buffer.from(t)), stop: () => stopped() };
}

const collect = (r: Readable | null): Promise<string> =>
  new Promise((resolve) => {
    let t = '';
    r!.on('data', (b: Buffer) => (t += b.toString()));
    r!.on('end', () => resolve(t));
  });

describe('runc attach', () => {
  it("passes the container's output and stdin; the container's stop ends the streams with exit 0", async () => {
    const f = fixture();
    const p = await f.d.attach!(f.pod, 'c', { stdin: true, stdout: true, stderr: true, tty: false });
    expect(f.calls.wantStdin).toBe(true);
    expect(p.stdin).toBe(f.stdin);
    const out = collect(p.stdout);
    const err = collect(p.stderr);
    f.emit('stdout', 'one\n');
    f.emit('stderr', 'oops\n');
    f.stop();
    expect(await p.exit).toBe(0);
    expect(await out).toBe('one\n');
    expect(await err).toBe('oops\n');
    expect(f.calls.closed).toBe(1);
  });

  it('with a terminal, stderr output goes to stdout; a detach stops waiting and closes the session', async () => {
    const f = fixture();
    const p = await f.d.attach!(f.pod, 'c', { stdin: false, stdout: true, stderr: false, tty: true });
    expect(p.stdin).toBeNull();
    expect(p.stderr).toBeNull();
    const out = collect(p.stdout);
    f.emit('stderr', 'screen\n');
    p.kill();
    expect(await p.exit).toBe(0);
    expect(await out).toBe('screen\n');
    expect(f.calls.waitAborted).toBe(true);
    expect(f.calls.closed).toBeGreaterThanOrEqual(1);
  });

  it('refuses stdin for a container without one, and a container that is not running', async () => {
    const f = fixture({ stdin: false });
    await expect(f.d.attach!(f.pod, 'c', { stdin: true, stdout: true, stderr: false, tty: false })).rejects.toThrow(/has no stdin to attach to/);
    expect(f.calls.closed).toBe(1);
    const g = fixture({ running: false });
    await expect(g.d.attach!(g.pod, 'c', { stdin: false, stdout: true, stderr: false, tty: false })).rejects.toBeInstanceOf(StreamingError);
  });
});
