import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/client/clock.js';
import { TimerHeap } from '../../../src/dataplane/kubelet/timer-heap.js';

describe('TimerHeap', () => {
  it('fires keys in due order with one armed timer', () => {
    const clock = new FakeClock(1000);
    const fired: string[] = [];
    const heap = new TimerHeap(clock, (k) => fired.push(`${k}@${clock.now()}`));
    heap.schedule('c', 1300);
    heap.schedule('a', 1100);
    heap.schedule('b', 1200);
    expect(clock.pendingTimers()).toBe(1);
    clock.step(150);
    expect(fired).toEqual(['a@1100']);
    clock.step(1000);
    expect(fired).toEqual(['a@1100', 'b@1200', 'c@1300']);
    expect(heap.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('rescheduling a key moves it; cancel removes it; equal times keep scheduling order', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    const heap = new TimerHeap(clock, (k) => fired.push(k));
    heap.schedule('x', 100);
    heap.schedule('y', 50);
    heap.schedule('z', 50);
    heap.schedule('x', 10);
    heap.cancel('y');
    expect(heap.dueAt('x')).toBe(10);
    expect(heap.has('y')).toBe(false);
    heap.scheduleNoLater('z', 80); // later than queued: no change
    heap.schedule('w', 50);
    clock.step(100);
    expect(fired).toEqual(['x', 'z', 'w']);
  });

  it('handlers may schedule more work; a throwing handler does not stop the rest', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    const errors: unknown[] = [];
    const heap = new TimerHeap(
      clock,
      (k) => {
        fired.push(k);
        if (k === 'boom') throw new Error('boom');
        if (k === 'tick' && fired.length < 4) heap.schedule('tick', clock.now() + 10);
      },
      (e) => errors.push(e),
    );
    heap.schedule('tick', 10);
    heap.schedule('boom', 15);
    clock.step(100);
    expect(fired).toEqual(['tick', 'boom', 'tick', 'tick']);
    expect(errors).toHaveLength(1);
  });

  it('keeps order over many random keys (heap invariant)', () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    const heap = new TimerHeap(clock, () => fired.push(clock.now()));
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 2000; i++) heap.schedule(`k${i % 1500}`, Math.floor(rnd() * 10_000));
    for (let i = 0; i < 300; i++) heap.cancel(`k${Math.floor(rnd() * 1500)}`);
    const n = heap.size;
    clock.step(20_000);
    expect(fired).toHaveLength(n);
    expect([...fired].sort((a, b) => a - b)).toEqual(fired);
  });

  it('stop drops everything and ignores later schedules', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    const heap = new TimerHeap(clock, (k) => fired.push(k));
    heap.schedule('a', 10);
    heap.stop();
    heap.schedule('b', 20);
    clock.step(100);
    expect(fired).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });
});
