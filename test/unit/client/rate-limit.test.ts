import { describe, expect, test } from 'vitest';
import { FakeClock } from '../../../src/client/clock.js';
import { BucketRateLimiter, defaultControllerRateLimiter, WorkQueue } from '../../../src/client/workqueue.js';
import { ControllerExpectations, UIDTrackingExpectations, EXPECTATIONS_TIMEOUT_MS } from '../../../src/client/expectations.js';

describe('BucketRateLimiter', () => {
  test('a burst passes at once, then items are spaced by 1/qps', () => {
    const clock = new FakeClock(0);
    const l = new BucketRateLimiter<string>(10, 3, clock);
    expect([l.when('a'), l.when('b'), l.when('c')]).toEqual([0, 0, 0]);
    expect(l.when('d')).toBe(100);
    expect(l.when('e')).toBe(200);
    clock.step(1000);
    // 10 tokens refilled, capped at the burst of 3, minus the 2 owed.
    expect(l.when('f')).toBe(0);
  });

  test('tryAccept takes a token only when one is there, and reserves nothing when refused', () => {
    const clock = new FakeClock(0);
    const l = new BucketRateLimiter<string>(0.1, 1, clock);
    expect([l.tryAccept(), l.tryAccept()]).toEqual([true, false]);
    clock.step(9_999);
    expect(l.tryAccept()).toBe(false);
    clock.step(1);
    // The refusals owed nothing: the token refilled on time.
    expect([l.tryAccept(), l.tryAccept()]).toEqual([true, false]);
  });
});

describe('defaultControllerRateLimiter', () => {
  test('per item: 5 ms doubling; forget resets; the overall bucket takes over past its burst', () => {
    const clock = new FakeClock(0);
    const l = defaultControllerRateLimiter<string>(clock);
    expect([l.when('a'), l.when('a'), l.when('a')]).toEqual([5, 10, 20]);
    expect(l.numRequeues('a')).toBe(3);
    l.forget('a');
    expect(l.numRequeues('a')).toBe(0);
    expect(l.when('a')).toBe(5);
    // 4 tokens used; 96 more fit the burst; the 101st waits for the bucket (100 ms at 10 qps).
    for (let i = 0; i < 96; i++) l.when(`k${i}`);
    expect(l.when('late')).toBe(100);
  });
});

describe('WorkQueue metrics', () => {
  test('count adds and retries, time in queue and in work on the clock', async () => {
    const clock = new FakeClock(0);
    const q = new WorkQueue<string>({ clock, name: 'q' });
    q.add('a');
    clock.step(2000);
    const k = await q.get();
    clock.step(500);
    q.done(k!);
    expect(q.metrics.adds).toBe(1);
    expect(q.metrics.queueSeconds).toEqual({ sum: 2, count: 1 });
    expect(q.metrics.workSeconds).toEqual({ sum: 0.5, count: 1 });
    q.addRateLimited('b');
    expect(q.metrics.retries).toBe(1);
  });
});

describe('ControllerExpectations', () => {
  test('unsatisfied until every expected create is observed; expire after the timeout', () => {
    const clock = new FakeClock(0);
    const e = new ControllerExpectations(clock);
    expect(e.satisfied('ns/rs')).toBe(true);
    e.expect('ns/rs', 2, 0);
    expect(e.satisfied('ns/rs')).toBe(false);
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs')).toBe(false);
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs')).toBe(true);
    e.expect('ns/rs', 1, 0);
    clock.step(EXPECTATIONS_TIMEOUT_MS + 1);
    expect(e.satisfied('ns/rs')).toBe(true);
  });

  test('UID tracking counts a terminating pod once however often it is seen', () => {
    const e = new UIDTrackingExpectations(new FakeClock(0));
    e.expectDeletions('ns/rs', ['u1', 'u2']);
    e.deletionObservedUID('ns/rs', 'u1');
    e.deletionObservedUID('ns/rs', 'u1');
    expect(e.satisfied('ns/rs')).toBe(false);
    e.deletionObservedUID('ns/rs', 'u2');
    expect(e.satisfied('ns/rs')).toBe(true);
  });
});
