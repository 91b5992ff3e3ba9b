/**
 * PodDisruptionBudget arithmetic as values (expected and desired counts for ints and percentages, disrupted pods
 * within the deletion timeout, healthy pods, the DisruptionAllowed condition), and the eviction's decrement.
 */
import { describe, expect, test } from 'vitest';
import {
  countHealthyPods, DELETION_TIMEOUT_MS, disruptedPodMap, expectedPodCount, needsScale, nextStatus, scaledValue, type PodDisruptionBudget,
} from '../../../src/control/controllers/disruption-decide.js';
import { decrementBudget } from '../../../src/control/api/routes/eviction.js';
import { ApiError } from '../../../src/control/api/status.js';
import type { Pod } from '../../../src/control/controllers/shared/pod-util.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const pod = (name: string, ready = true, deleting = false): Pod => ({
  metadata: { name, ...(deleting ? { deletionTimestamp: iso(NOW) } : {}) },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const pdb = (spec: PodDisruptionBudget['spec'], status?: PodDisruptionBudget['status'], generation = 1): PodDisruptionBudget =>
  ({ metadata: { name: 'b', namespace: 'ns', generation }, spec, status });

describe('expected and desired counts', () => {
  test('integer minAvailable counts the pods seen; no scale needed', () => {
    expect(needsScale(pdb({ minAvailable: 2 }))).toBe(false);
    expect(expectedPodCount(pdb({ minAvailable: 2 }), 5, 0)).toEqual({ expectedCount: 5, desiredHealthy: 2 });
  });

  test('percentages and maxUnavailable go by the controllers\' scale, rounding up', () => {
    expect(needsScale(pdb({ minAvailable: '50%' }))).toBe(true);
    expect(expectedPodCount(pdb({ minAvailable: '50%' }), 2, 5)).toEqual({ expectedCount: 5, desiredHealthy: 3 });
    expect(expectedPodCount(pdb({ maxUnavailable: 1 }), 2, 5)).toEqual({ expectedCount: 5, desiredHealthy: 4 });
    // 34% of 3 rounds up to 2 unavailable.
    expect(expectedPodCount(pdb({ maxUnavailable: '34%' }), 3, 3)).toEqual({ expectedCount: 3, desiredHealthy: 1 });
    expect(expectedPodCount(pdb({ maxUnavailable: 10 }), 3, 3)).toEqual({ expectedCount: 3, desiredHealthy: 0 });
    expect(scaledValue('10%', 15, false)).toBe(1);
    expect(() => scaledValue('x', 1, true)).toThrow('invalid value for IntOrString');
  });
});

describe('disrupted and healthy pods', () => {
  test('recent evictions count as gone until the timeout; late ones are reported', () => {
    const b = pdb({ minAvailable: 1 }, {
      disruptedPods: { a: iso(NOW - 10_000), old: iso(NOW - DELETION_TIMEOUT_MS - 1000), gone: iso(NOW) },
      disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0,
    });
    const pods = [pod('a'), pod('old'), pod('gone', true, true), pod('c')];
    const m = disruptedPodMap(pods, b, NOW);
    expect(m.disrupted).toEqual({ a: iso(NOW - 10_000) });
    expect(m.recheckAtMs).toBe(NOW - 10_000 + DELETION_TIMEOUT_MS);
    expect(m.notDeleted.map((p) => p.metadata?.name)).toEqual(['old']);
    // Healthy: old and c (a is disrupted, gone is being deleted); unready pods never count.
    expect(countHealthyPods([...pods, pod('u', false)], m.disrupted, NOW)).toBe(2);
  });

  test('status: disruptions allowed, condition, and no write when nothing changed', () => {
    const b = pdb({ minAvailable: 2 });
    const s = nextStatus(b, 3, 2, 3, {}, iso(NOW))!;
    expect(s).toEqual({
      observedGeneration: 1, disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3,
      conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: 1, lastTransitionTime: iso(NOW) }],
    });
    expect(nextStatus({ ...b, status: s }, 3, 2, 3, {}, iso(NOW + 5000))).toBeUndefined();
    const short = nextStatus({ ...b, status: s }, 2, 2, 3, {}, iso(NOW + 5000))!;
    expect(short.disruptionsAllowed).toBe(0);
    expect(short.conditions).toEqual([{ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration: 1, lastTransitionTime: iso(NOW + 5000) }]);
    // No expected pods: never any disruption, whatever is healthy.
    expect(nextStatus(b, 3, 0, 0, {}, iso(NOW))!.disruptionsAllowed).toBe(0);
  });
});

describe('eviction decrement', () => {
  const ready = (allowed: number, generation = 1, observed = 1) => pdb({ minAvailable: 2 }, {
    observedGeneration: observed, disruptionsAllowed: allowed, currentHealthy: 2 + allowed, desiredHealthy: 2, expectedPods: 2 + allowed,
  }, generation);

  test('spends one disruption and records the pod', () => {
    const out = decrementBudget(ready(2), 'p', iso(NOW));
    expect(out.status).toMatchObject({ disruptionsAllowed: 1, disruptedPods: { p: iso(NOW) } });
    const last = decrementBudget(ready(1), 'p', iso(NOW));
    expect((last.status as { conditions?: unknown[] }).conditions).toEqual([
      { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration: 1, lastTransitionTime: iso(NOW) },
    ]);
  });

  test('refuses with 429 when none is left or the budget is not yet processed', () => {
    let err: unknown;
    try { decrementBudget(ready(0), 'p', iso(NOW)); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).toStatus()).toMatchObject({
      code: 429, reason: 'TooManyRequests', message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget b needs 2 healthy pods and has 2 currently' }] },
    });
    try { decrementBudget(ready(1, 2, 1), 'p', iso(NOW)); } catch (e) { err = e; }
    expect((err as ApiError).toStatus()).toMatchObject({
      code: 429, details: { retryAfterSeconds: 10, causes: [{ message: 'The disruption budget b is still being processed by the server.' }] },
    });
  });
});
