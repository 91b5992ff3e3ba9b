import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/client/clock.js';
import { ApiError, type RestClient } from '../../../src/client/rest.js';
import { PodStatusWriter } from '../../../src/dataplane/kubelet/status-writer.js';

/** A client whose requests wait until the test releases them. */
function fakeClient() {
  const calls: { verb: string; name: string; body: unknown; release: (err?: Error) => void }[] = [];
  let active = 0;
  let maxActive = 0;
  const req = (verb: string, name: string, body: unknown) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      active++;
      maxActive = Math.max(maxActive, active);
      calls.push({ verb, name, body, release: (err) => { active--; if (err) reject(err); else resolve({}); } });
    });
  const client = {
    patch: (_r: unknown, _ns: string, name: string, body: unknown) => req('patch', name, body),
    delete: (_r: unknown, _ns: string, name: string, opts: unknown) => req('delete', name, opts),
  } as unknown as RestClient;
  return { client, calls, maxActive: () => maxActive };
}

const flush = () => new Promise((r) => setImmediate(r));
const ref = (i: number) => ({ namespace: 'default', name: `p${i}`, uid: `u${i}` });

describe('pod status writer', () => {
  it('bounds requests in flight and sends only the latest status per pod', async () => {
    const f = fakeClient();
    const w = new PodStatusWriter({ client: f.client, concurrency: 2, clock: new FakeClock() });
    for (let i = 0; i < 5; i++) w.enqueue(ref(i), { phase: 'Pending' });
    await flush();
    expect(f.calls).toHaveLength(2);
    // p0 is in flight: two newer statuses coalesce into one, sent after the first returns.
    w.enqueue(ref(0), { phase: 'Running', n: 1 });
    w.enqueue(ref(0), { phase: 'Running', n: 2 });
    while (f.calls.some((c) => c.release)) {
      const open = f.calls.filter((c) => c.release);
      for (const c of open) {
        const r = c.release;
        (c as { release?: unknown }).release = undefined;
        r();
      }
      await flush();
      await flush();
    }
    await w.idle();
    expect(f.maxActive()).toBe(2);
    const p0 = f.calls.filter((c) => c.name === 'p0').map((c) => (c.body as { status: unknown }).status);
    expect(p0).toEqual([{ phase: 'Pending' }, { phase: 'Running', n: 2 }]);
    expect((f.calls[0]!.body as { metadata: unknown }).metadata).toEqual({ uid: 'u0' });
    expect(f.calls).toHaveLength(6);
    expect(w.stats.coalesced).toBe(1);
  });

  it("writes one node's pods one at a time (as a kubelet's status manager), other nodes side by side, coalescing what waits", async () => {
    const f = fakeClient();
    const w = new PodStatusWriter({ client: f.client, concurrency: 8, clock: new FakeClock() });
    const on = (i: number, node: string) => ({ ...ref(i), node });
    for (let i = 0; i < 3; i++) w.enqueue(on(i, 'a'), { phase: 'Pending' });
    w.enqueue(on(3, 'b'), { phase: 'Pending' });
    await flush();
    expect(f.calls.map((c) => c.name)).toEqual(['p0', 'p3']);
    // While node a's first write is out, p1's status is replaced by a newer one: only the newest goes.
    w.enqueue(on(1, 'a'), { phase: 'Running' });
    const releaseAll = async () => {
      for (;;) {
        const open = f.calls.filter((c) => c.release);
        if (!open.length) return;
        for (const c of open) {
          const r = c.release;
          (c as { release?: unknown }).release = undefined;
          r();
        }
        await flush();
        await flush();
      }
    };
    await releaseAll();
    await w.idle();
    expect(f.maxActive()).toBe(2);
    expect(f.calls.map((c) => c.name)).toEqual(['p0', 'p3', 'p1', 'p2']);
    expect((f.calls[2]!.body as { status: unknown }).status).toEqual({ phase: 'Running' });
    expect(w.stats.coalesced).toBe(1);
  });

  it('busy(uid) is true while a write of the pod waits or runs, false once it is done', async () => {
    const f = fakeClient();
    const w = new PodStatusWriter({ client: f.client, concurrency: 1, clock: new FakeClock() });
    expect(w.busy('u0')).toBe(false);
    w.enqueue(ref(0), { phase: 'Running' });
    w.enqueue(ref(1), { phase: 'Running' });
    await flush();
    expect(f.calls).toHaveLength(1);
    expect([w.busy('u0'), w.busy('u1')]).toEqual([true, true]); // one in flight, one waiting
    f.calls[0]!.release();
    await flush();
    await flush();
    expect(w.busy('u0')).toBe(false);
    f.calls[1]!.release();
    await w.idle();
    expect(w.busy('u1')).toBe(false);
  });

  it('retries with backoff, sending the newest status; drops a pod that is gone', async () => {
    const f = fakeClient();
    const clock = new FakeClock();
    const w = new PodStatusWriter({ client: f.client, clock, baseBackoffMs: 100 });
    w.enqueue(ref(1), { phase: 'Pending' });
    await flush();
    f.calls[0]!.release(new ApiError(500, 'InternalError', undefined, 'PATCH', '/x'));
    await flush();
    w.enqueue(ref(1), { phase: 'Running' });
    await flush();
    expect(f.calls).toHaveLength(1); // waiting out the backoff
    clock.step(100);
    await flush();
    expect(f.calls).toHaveLength(2);
    expect((f.calls[1]!.body as { status: unknown }).status).toEqual({ phase: 'Running' });
    f.calls[1]!.release(new ApiError(404, 'NotFound', undefined, 'PATCH', '/x'));
    await w.idle();
    clock.step(60_000);
    await flush();
    expect(f.calls).toHaveLength(2);
  });

  it('deletes with grace 0 and the uid precondition after the last status', async () => {
    const f = fakeClient();
    const w = new PodStatusWriter({ client: f.client, clock: new FakeClock() });
    w.enqueue(ref(2), { phase: 'Succeeded' });
    w.remove(ref(2));
    await flush();
    f.calls[0]!.release();
    await flush();
    await flush();
    expect(f.calls[1]).toMatchObject({ verb: 'delete', name: 'p2', body: { gracePeriodSeconds: 0, preconditions: { uid: 'u2' } } });
    f.calls[1]!.release();
    await w.idle();
    expect(w.stats).toMatchObject({ patches: 1, deletes: 1 });
  });
});
