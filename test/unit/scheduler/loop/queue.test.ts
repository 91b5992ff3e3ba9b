import { describe, expect, test } from 'vitest';
import { FakeClock } from '../../../../src/client/clock.js';
import { activeLess, backoffDuration, SchedulingQueue } from '../../../../src/control/scheduler/queue.js';
import type { KubeObject } from '../../../../src/control/api/resource.js';

const pod = (name: string, priority?: number, extra: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name, namespace: 'ns', labels: {} },
  spec: { ...(priority === undefined ? {} : { priority }), containers: [] },
  ...extra,
});

const popAll = (q: SchedulingQueue): string[] => {
  const out: string[] = [];
  for (let i = q.popNow(); i; i = q.popNow()) out.push(i.key);
  return out;
};

describe('ordering and backoff as values', () => {
  test('higher priority first, then earlier enqueue time', () => {
    expect(activeLess({ priority: 10, timestamp: 5 }, { priority: 1, timestamp: 1 })).toBe(true);
    expect(activeLess({ priority: 1, timestamp: 1 }, { priority: 1, timestamp: 2 })).toBe(true);
    expect(activeLess({ priority: 1, timestamp: 2 }, { priority: 1, timestamp: 2 })).toBe(false);
  });

  test('backoff doubles from 1 s per attempt and stops at 10 s', () => {
    expect([1, 2, 3, 4, 5, 6, 20].map((a) => backoffDuration(a))).toEqual([1000, 2000, 4000, 8000, 10000, 10000, 10000]);
  });
});

describe('SchedulingQueue', () => {
  test('activeQ pops by priority, then by time; a priority update re-sorts', () => {
    const clock = new FakeClock(0);
    const q = new SchedulingQueue({ clock });
    q.add('ns/a', pod('a'));
    clock.step(1);
    q.add('ns/b', pod('b', 100));
    clock.step(1);
    q.add('ns/c', pod('c'));
    clock.step(1);
    q.add('ns/d', pod('d', 100));
    q.update('ns/c', pod('c', 1000));
    expect(popAll(q)).toEqual(['ns/c', 'ns/b', 'ns/d', 'ns/a']);
  });

  test('an unschedulable pod is parked, moved by an event that may help, and waits out its backoff', () => {
    const clock = new FakeClock(0);
    const q = new SchedulingQueue({ clock });
    q.run();
    q.add('ns/a', pod('a'));
    const info = q.popNow()!;
    expect(info.attempts).toBe(1);
    q.addUnschedulable(info, new Set(['NodeResourcesFit']), q.schedulingCycle);
    expect(q.stats()).toEqual({ active: 0, backoff: 0, unschedulable: 1 });
    // Another pod being bound cannot fix "Insufficient cpu": NodeResourcesFit did not register for it.
    expect(q.moveAllToActiveOrBackoff('AssignedPodAdd')).toBe(0);
    expect(q.moveAllToActiveOrBackoff('NodeAdd')).toBe(1);
    // Failed at t=0 after 1 attempt: backing off until t=1000.
    expect(q.stats()).toEqual({ active: 0, backoff: 1, unschedulable: 0 });
    clock.step(999);
    expect(q.popNow()).toBeUndefined();
    clock.step(1);
    expect(q.popNow()?.key).toBe('ns/a');
    q.close();
  });

  test('a pod whose backoff already expired moves straight to activeQ', () => {
    const clock = new FakeClock(0);
    const q = new SchedulingQueue({ clock });
    q.add('ns/a', pod('a'));
    q.addUnschedulable(q.popNow()!, new Set(['NodeAffinity']), q.schedulingCycle);
    clock.step(5000);
    q.moveAllToActiveOrBackoff('NodeUpdate');
    expect(q.stats().active).toBe(1);
  });

  test('a move request during the attempt sends the failed pod to backoffQ instead of parking it', () => {
    const clock = new FakeClock(0);
    const q = new SchedulingQueue({ clock });
    q.add('ns/a', pod('a'));
    const info = q.popNow()!;
    const cycle = q.schedulingCycle;
    q.moveAllToActiveOrBackoff('NodeAdd'); // a node arrived while "a" was being scheduled
    q.addUnschedulable(info, new Set(['NodeResourcesFit']), cycle);
    expect(q.stats()).toEqual({ active: 0, backoff: 1, unschedulable: 0 });
  });

  test('pods parked for 5 minutes are flushed back; shorter stays stay', () => {
    const clock = new FakeClock(0);
    const q = new SchedulingQueue({ clock });
    q.run();
    q.add('ns/old', pod('old'));
    q.addUnschedulable(q.popNow()!, new Set(['NodeAffinity']), q.schedulingCycle);
    clock.step(120_000);
    q.add('ns/new', pod('new'));
    q.addUnschedulable(q.popNow()!, new Set(['NodeAffinity']), q.schedulingCycle);
    clock.step(180_000);
    expect(q.stats().unschedulable).toBe(1);
    expect(q.where('ns/old')).toBe('active');
    expect(q.where('ns/new')).toBe('unschedulable');
    q.close();
  });

  test('a spec change of a parked pod retries it; a status-only change does not', () => {
    const clock = new FakeClock(0);
    const q = new SchedulingQueue({ clock });
    q.add('ns/a', pod('a'));
    q.addUnschedulable(q.popNow()!, new Set(['NodeAffinity']), q.schedulingCycle);
    clock.step(2000);
    q.update('ns/a', pod('a', undefined, { status: { conditions: [{ type: 'PodScheduled', status: 'False' }] } }));
    expect(q.where('ns/a')).toBe('unschedulable');
    q.update('ns/a', { ...pod('a'), spec: { containers: [], nodeSelector: { zone: 'b' } } });
    expect(q.where('ns/a')).toBe('active');
  });

  test('deleted pods leave every sub-queue; a deleted in-flight pod is not requeued', async () => {
    const q = new SchedulingQueue({ clock: new FakeClock(0) });
    q.add('ns/a', pod('a'));
    q.add('ns/b', pod('b'));
    const a = q.popNow()!;
    q.delete('ns/a');
    q.delete('ns/b');
    q.addUnschedulable(a, new Set(), q.schedulingCycle);
    expect(q.stats()).toEqual({ active: 0, backoff: 0, unschedulable: 0 });
    // A waiting pop is served by the next add.
    const next = q.pop();
    q.add('ns/c', pod('c'));
    expect((await next)?.key).toBe('ns/c');
  });
});
