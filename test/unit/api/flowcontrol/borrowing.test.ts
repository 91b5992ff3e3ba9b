import { describe, expect, it } from 'vitest';
import { allocateConcurrency, DemandIntegrator, smoothDemand } from '../../../../src/control/api/flowcontrol/borrowing.js';
import { FlowControl } from '../../../../src/control/api/flowcontrol/index.js';
import { requestInfo } from '../../../../src/control/api/authz/request-info.js';
import { mandatoryFlowControlObjects, suggestedFlowControlObjects } from '../../../../src/control/api/kinds/flowcontrol.js';
import type { QueueSetClock } from '../../../../src/control/api/flowcontrol/queue-set.js';

describe('borrowing between priority levels', () => {
  it('allocates in proportion to targets within each level\'s bounds, adding up to the total', () => {
    // Two idle levels at their lower bounds and one busy one that may borrow without limit.
    expect(allocateConcurrency([{ lower: 10, upper: 20, target: 10 }, { lower: 10, upper: Infinity, target: 10 }], 40)).toEqual([20, 20]);
    expect(allocateConcurrency([{ lower: 10, upper: 12, target: 10 }, { lower: 10, upper: Infinity, target: 50 }], 100)).toEqual([12, 88]);
    // Lower bounds above the total: the lower bounds.
    expect(allocateConcurrency([{ lower: 3, upper: 5, target: 3 }, { lower: 3, upper: 5, target: 3 }], 4)).toEqual([3, 3]);
    // Every upper bound below the total: the upper bounds.
    expect(allocateConcurrency([{ lower: 1, upper: 5, target: 2 }, { lower: 1, upper: 5, target: 3 }], 100)).toEqual([5, 5]);
  });

  it('smooths demand: up at once, down slowly', () => {
    expect(smoothDemand(0, { avg: 10, stdDev: 2, high: 15 })).toBe(12);
    const decayed = smoothDemand(12, { avg: 0, stdDev: 0, high: 0 });
    expect(decayed).toBeCloseTo(12 * 0.977);
  });

  it('integrates seat demand over time: average, standard deviation, peak', () => {
    const d = new DemandIntegrator(0);
    d.set(4, 0);
    d.set(0, 500); // 4 seats for half the period, none for the other half
    const s = d.take(1000);
    expect(s.avg).toBe(2);
    expect(s.stdDev).toBe(2);
    expect(s.high).toBe(4);
    expect(d.take(2000)).toEqual({ avg: 0, stdDev: 0, high: 0 });
  });

  it('a busy level borrows the seats idle levels lend, at the next adjustment', () => {
    let now = 0;
    const clock: QueueSetClock = { now: () => now, setTimer: () => null, clearTimer: () => {} };
    const fc = new FlowControl({ serverConcurrencyLimit: 600, clock, borrowing: true });
    const m = mandatoryFlowControlObjects();
    const s = suggestedFlowControlObjects();
    fc.update([...m.flowSchemas, ...s.flowSchemas], [...m.priorityLevels, ...s.priorityLevels]);
    const idle = fc.currentLimit('global-default');
    // Idle: every level's target is its lower bound, scaled up to fill the server's 600 seats.
    expect(idle).toBeGreaterThanOrEqual(fc.config.levels.get('global-default')!.minCL);
    // 200 requests of one user held for a whole period, in global-default (nominal 49).
    const user = { name: 'alice', groups: ['system:authenticated'] };
    const c = fc.classify(user, requestInfo('GET', '/api/v1/namespaces/a/pods'));
    expect(c.level.name).toBe('global-default');
    const held: unknown[] = [];
    for (let i = 0; i < 200; i++) held.push(fc.start(c, 1, 60_000));
    now += 10_000;
    fc.adjustLimits();
    const busy = fc.currentLimit('global-default');
    expect(busy).toBeGreaterThan(150);
    const total = [...fc.config.levels.keys()].reduce((sum, l) => sum + fc.currentLimit(l), 0);
    expect(Math.abs(total - 600)).toBeLessThanOrEqual(fc.config.levels.size);
    // Levels lend at most their lendable part.
    for (const l of fc.config.levels.values()) expect(fc.currentLimit(l.name)).toBeGreaterThanOrEqual(l.minCL);
    fc.stop();
  });
});
