import { describe, expect, test } from 'vitest';
import { FakeClock } from '../../../src/client/clock.js';
import { ExponentialFailureRateLimiter, WorkQueue } from '../../../src/client/workqueue.js';

describe('WorkQueue', () => {
  test('dedupes an item while it waits', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.len()).toBe(0);
  });

  test('never hands one key to two workers: re-added while processing, it returns only after done', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    const first = await q.get();
    q.add('a');
    expect(q.len()).toBe(0);
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await Promise.resolve();
    expect(second).toBeUndefined();
    q.done(first!);
    await Promise.resolve();
    expect(second).toBe('a');
  });

  test('addAfter waits on the clock; the earliest pending time wins', async () => {
    const clock = new FakeClock(1000);
    const q = new WorkQueue<string>({ clock });
    q.addAfter('a', 500);
    q.addAfter('a', 100);
    q.addAfter('a', 900);
    clock.step(99);
    expect(q.len()).toBe(0);
    clock.step(1);
    expect(q.len()).toBe(1);
    clock.step(1000);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
  });

  test('rate-limited requeue backs off exponentially per item until forgotten', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock, rateLimiter: new ExponentialFailureRateLimiter(5, 40) });
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = clock.now();
      q.addRateLimited('x');
      let waited = 0;
      while (q.len() === 0) {
        if (waited > 100) throw new Error('item never became ready');
        clock.step(1);
        waited++;
      }
      delays.push(waited);
      q.done((await q.get())!);
      expect(clock.now() - before).toBe(waited);
    }
    expect(delays).toEqual([5, 10, 20, 40, 40]);
    expect(q.numRequeues('x')).toBe(5);
    q.forget('x');
    expect(q.numRequeues('x')).toBe(0);
  });

  test('shutDown releases waiting workers with undefined', async () => {
    const q = new WorkQueue<string>();
    const p = q.get();
    q.shutDown();
    expect(await p).toBeUndefined();
    q.add('late');
    expect(q.len()).toBe(0);
  });
});
