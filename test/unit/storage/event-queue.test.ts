/**
 * EventQueue's edges that the Store conformance suite reaches only by timing, if at all: events buffered before
 * a failure, a pause with nothing buffered, a resume that re-pauses, pushes after the end, and the array's
 * front being dropped on a long run.
 */
import { describe, expect, it } from 'vitest';
import { EventQueue, type EventQueueHooks } from '../../../src/control/storage/event-queue.js';
import { CompactedError, type WatchEvent } from '../../../src/control/storage/store.js';

function ev(revision: number, key = '/k'): WatchEvent {
  return { type: 'PUT', revision, kv: { key, value: new Uint8Array(0), createRevision: revision, modRevision: revision }, prev: null };
}

function queue(after: number, capacity: number, hooks: Partial<EventQueueHooks> = {}) {
  const calls = { resume: 0, close: 0 };
  const q: EventQueue = new EventQueue(after, capacity, {
    resume: () => {
      calls.resume++;
      hooks.resume?.();
    },
    close: () => {
      calls.close++;
      (hooks.close ?? (() => q.end()))();
    },
  });
  return { q, it: q[Symbol.asyncIterator](), calls };
}

const revisionOf = (r: IteratorResult<WatchEvent>) => (r.done ? null : r.value.revision);
/** Lets pending promise callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

describe('EventQueue', () => {
  it('delivers in push order and takes each revision once, none at or below `after`', async () => {
    const { q, it } = queue(5, 10);
    expect(q.push(ev(4))).toBe(false);
    expect(q.push(ev(5))).toBe(false);
    expect(q.push(ev(6))).toBe(true);
    expect(q.push(ev(8))).toBe(true);
    expect(q.push(ev(7))).toBe(false); // behind the last one taken
    expect(q.push(ev(8))).toBe(false);
    expect(q.last).toBe(8);
    expect(q.size).toBe(2);
    expect(revisionOf(await it.next())).toBe(6);
    expect(revisionOf(await it.next())).toBe(8);
    expect(q.size).toBe(0);
    expect(q.push(ev(8))).toBe(false); // delivered counts as taken too
  });

  it('wakes a waiting next() on push', async () => {
    const { q, it } = queue(0, 10);
    const pending = it.next();
    await settle();
    q.push(ev(1));
    expect(revisionOf(await pending)).toBe(1);
  });

  it('reports full at capacity without refusing a push', () => {
    const { q } = queue(0, 2);
    q.push(ev(1));
    expect(q.full).toBe(false);
    q.push(ev(2));
    expect(q.full).toBe(true);
    expect(q.push(ev(3))).toBe(true);
    expect(q.size).toBe(3);
  });

  it('fails after the buffered events: one rejection, then done, and a closed queue', async () => {
    const { q, it } = queue(0, 10);
    q.push(ev(1));
    q.push(ev(2));
    const err = new CompactedError(2, 3);
    q.fail(err);
    q.fail(new Error('second failure is ignored'));
    expect(q.closed).toBe(false);
    expect(revisionOf(await it.next())).toBe(1);
    expect(revisionOf(await it.next())).toBe(2);
    await expect(it.next()).rejects.toBe(err);
    expect(q.closed).toBe(true);
    expect((await it.next()).done).toBe(true);
  });

  it('rejects a waiting next() on fail', async () => {
    const { q, it } = queue(0, 10);
    const pending = it.next();
    await settle();
    const err = new Error('stream lost');
    q.fail(err);
    await expect(pending).rejects.toBe(err);
  });

  it('ends at once, also a waiting next(), dropping buffered events and a pending failure', async () => {
    const { q, it } = queue(0, 10);
    const pending = it.next();
    await settle();
    q.end();
    expect((await pending).done).toBe(true);

    const other = queue(0, 10);
    other.q.push(ev(1));
    other.q.fail(new Error('never seen'));
    other.q.end();
    expect(other.q.size).toBe(0);
    expect((await other.it.next()).done).toBe(true);
    expect(other.q.push(ev(2))).toBe(false);
    other.q.fail(new Error('after the end'));
    expect((await other.it.next()).done).toBe(true);
  });

  it('resumes a paused queue only once the consumer has taken everything buffered', async () => {
    let q!: EventQueue;
    const made = queue(0, 2, { resume: () => setTimeout(() => q.push(ev(3)), 1) });
    q = made.q;
    q.push(ev(1));
    q.push(ev(2));
    q.pause();
    expect(revisionOf(await made.it.next())).toBe(1);
    expect(revisionOf(await made.it.next())).toBe(2);
    expect(made.calls.resume).toBe(0);
    // Drained: next() lifts the pause, resumes the producer, and waits for what it pushes later.
    expect(revisionOf(await made.it.next())).toBe(3);
    expect(made.calls.resume).toBe(1);
    expect(q.paused).toBe(false);
  });

  it('wakes a waiting next() on pause, so a producer that paused with nothing buffered is resumed', async () => {
    let q!: EventQueue;
    const made = queue(0, 0, { resume: () => q.push(ev(1)) });
    q = made.q;
    const pending = made.it.next();
    await settle();
    expect(made.calls.resume).toBe(0);
    q.pause();
    expect(revisionOf(await pending)).toBe(1);
    expect(made.calls.resume).toBe(1);
  });

  it('keeps resuming while the producer catches up synchronously and pauses again', async () => {
    let q!: EventQueue;
    const history = [1, 2, 3, 4, 5];
    // Reads history two at a time, like a log watch's batches; a short batch means caught up.
    const made = queue(0, 100, {
      resume: () => {
        const batch = history.filter((r) => r > q.last).slice(0, 2);
        for (const r of batch) q.push(ev(r));
        if (batch.length === 2) q.pause();
      },
    });
    q = made.q;
    q.pause();
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) seen.push(revisionOf(await made.it.next())!);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    // 1-2, 3-4, then 5 alone (short batch): three resumes, and live afterwards.
    expect(made.calls.resume).toBe(3);
    expect(q.paused).toBe(false);
  });

  it('stops through the close hook when the consumer breaks out, with one cursor for every iteration', async () => {
    const { q, it, calls } = queue(0, 10);
    expect(q[Symbol.asyncIterator]()).toBe(it);
    q.push(ev(1));
    q.push(ev(2));
    for await (const e of q) {
      expect(e.revision).toBe(1);
      break;
    }
    expect(calls.close).toBe(1);
    expect(q.closed).toBe(true);
    expect((await it.next()).done).toBe(true);
  });

  it('delivers a long run in order while dropping the taken front of its array', async () => {
    const { q, it } = queue(0, 10_000);
    const n = 5000;
    const seen: number[] = [];
    for (let r = 1; r <= n; r++) {
      q.push(ev(r));
      // Take two of every three, so the buffer grows and its front is dropped more than once.
      if (r % 3 !== 0) seen.push(revisionOf(await it.next())!);
    }
    expect(q.size).toBe(n - seen.length);
    while (q.size > 0) seen.push(revisionOf(await it.next())!);
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  });
});
