import { describe, expect, it } from 'vitest';
import { backoffDelayMs, nextBackoffRecord, remainingBackoffMs, NO_BACKOFF } from '../../../src/control/controllers/job/backoff.js';
import { firstPendingIndexes, formatIndexes, hasIndex, parseIndexes, withIndexes } from '../../../src/control/controllers/job/indexes.js';
import { matchPodFailurePolicy } from '../../../src/control/controllers/job/pod-failure-policy.js';
import { matchSuccessPolicy } from '../../../src/control/controllers/job/success-policy.js';
import { activePodsForRemoval, ensureCondition, isComplete, pastBackoffLimitOnFailure, wantActive } from '../../../src/control/controllers/job/status.js';
import { cleanUncounted } from '../../../src/control/controllers/job/controller.js';
import type { Job, Pod } from '../../../src/control/controllers/job/types.js';

const failedPod = (name: string, exitCode: number, finishedAt = '2024-01-01T00:00:00Z', conditions: { type: string; status: string }[] = []): Pod => ({
  metadata: { name, namespace: 'ns', uid: name },
  status: { phase: 'Failed', conditions, containerStatuses: [{ name: 'main', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, finishedAt } } }] },
});

describe('indexes', () => {
  it('formats ranges as upstream ("0-2,5", a pair as "3,4")', () => {
    expect(formatIndexes(withIndexes([], [5, 0, 1, 2]))).toBe('0-2,5');
    expect(formatIndexes(withIndexes([], [3, 4]))).toBe('3,4');
    expect(formatIndexes(withIndexes(parseIndexes('0-2,5', 10), [3, 4]))).toBe('0-5');
  });
  it('parses, clamps to completions and skips corrupt pieces', () => {
    expect(parseIndexes('0-2,x,5-9', 7)).toEqual([{ first: 0, last: 2 }, { first: 5, last: 6 }]);
    expect(parseIndexes('8', 7)).toEqual([]);
    expect(hasIndex(parseIndexes('0-2,5', 10), 5)).toBe(true);
    expect(hasIndex(parseIndexes('0-2,5', 10), 4)).toBe(false);
  });
  it('picks the first pending indexes', () => {
    expect(firstPendingIndexes(parseIndexes('0,2-3', 10), 3, 10)).toEqual([1, 4, 5]);
    expect(firstPendingIndexes([], 5, 3)).toEqual([0, 1, 2]);
  });
});

describe('backoff', () => {
  it('doubles from 10 s and caps at 10 minutes', () => {
    expect([1, 2, 3, 4, 7, 20].map((n) => backoffDelayMs(n))).toEqual([10_000, 20_000, 40_000, 80_000, 600_000, 600_000]);
    expect(backoffDelayMs(0)).toBe(0);
  });
  it('counts failures since the last success from pod finish times', () => {
    const t = Date.parse('2024-01-01T00:00:00Z');
    const r1 = nextBackoffRecord(NO_BACKOFF, [], [failedPod('a', 1, '2024-01-01T00:00:00Z'), failedPod('b', 1, '2024-01-01T00:00:05Z')]);
    expect(r1).toEqual({ failuresAfterLastSuccess: 2, lastFailureTime: t + 5000 });
    expect(remainingBackoffMs(r1.failuresAfterLastSuccess, r1.lastFailureTime, t + 10_000)).toBe(15_000);
    expect(remainingBackoffMs(r1.failuresAfterLastSuccess, r1.lastFailureTime, t + 30_000)).toBe(0);
    const ok: Pod = { metadata: { name: 'ok' }, status: { phase: 'Succeeded', containerStatuses: [{ name: 'main', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, finishedAt: '2024-01-01T00:00:03Z' } } }] } };
    expect(nextBackoffRecord(r1, [ok], [failedPod('c', 1, '2024-01-01T00:00:01Z'), failedPod('d', 1, '2024-01-01T00:00:09Z')])).toEqual({ failuresAfterLastSuccess: 1, lastFailureTime: t + 9000 });
  });
});

describe('podFailurePolicy', () => {
  const policy = {
    rules: [
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
      { action: 'Count', onExitCodes: { operator: 'NotIn', values: [1, 2] } },
    ],
  };
  it('matches rules in order', () => {
    expect(matchPodFailurePolicy(policy, failedPod('p', 42, undefined, [{ type: 'DisruptionTarget', status: 'True' }]))).toEqual({ countFailed: false, action: 'Ignore' });
    expect(matchPodFailurePolicy(policy, failedPod('p', 42))).toEqual({
      countFailed: true, action: 'FailJob', failJobMessage: 'Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 1',
    });
    expect(matchPodFailurePolicy(policy, failedPod('p', 7))).toEqual({ countFailed: true, action: 'Count' });
    expect(matchPodFailurePolicy(policy, failedPod('p', 1))).toEqual({ countFailed: true });
    expect(matchPodFailurePolicy(undefined, failedPod('p', 1))).toEqual({ countFailed: true });
  });
  it('words a FailJob on a pod condition as upstream', () => {
    const p = { rules: [{ action: 'FailJob', onPodConditions: [{ type: 'ConfigIssue', status: 'True' }] }] };
    expect(matchPodFailurePolicy(p, failedPod('q', 1, undefined, [{ type: 'ConfigIssue', status: 'True' }])).failJobMessage).toBe('Pod ns/q has condition ConfigIssue matching FailJob rule at index 0');
  });
});

describe('successPolicy', () => {
  it('matches succeededIndexes and succeededCount', () => {
    const succeeded = parseIndexes('0-2,5', 10);
    expect(matchSuccessPolicy({ rules: [{ succeededIndexes: '0-3' }, { succeededIndexes: '0,1,5' }] }, 10, succeeded)).toBe('Matched rules at index 1');
    expect(matchSuccessPolicy({ rules: [{ succeededIndexes: '0-9', succeededCount: 4 }] }, 10, succeeded)).toBe('Matched rules at index 0');
    expect(matchSuccessPolicy({ rules: [{ succeededCount: 5 }] }, 10, succeeded)).toBeNull();
  });
});

describe('job status arithmetic', () => {
  const job = (spec: Job['spec']): Job => ({ spec: { template: {}, ...spec } });
  it('wants min(completions - succeeded, parallelism) active', () => {
    expect(wantActive(job({ completions: 5, parallelism: 2 }), 0, 4)).toBe(1);
    expect(wantActive(job({ completions: 5, parallelism: 2 }), 0, 0)).toBe(2);
    expect(wantActive(job({ parallelism: 3 }), 2, 0)).toBe(3);
    // Without completions, once one pod succeeded the rest just finish.
    expect(wantActive(job({ parallelism: 3 }), 2, 1)).toBe(2);
  });
  it('is complete when enough succeeded and none is active', () => {
    expect(isComplete(job({ completions: 3 }), 3, 0)).toBe(true);
    expect(isComplete(job({ completions: 3 }), 3, 1)).toBe(false);
    expect(isComplete(job({}), 1, 0)).toBe(true);
  });
  it('counts container restarts against backoffLimit for OnFailure', () => {
    const j = job({ backoffLimit: 2, template: { spec: { restartPolicy: 'OnFailure', containers: [] } } });
    const running = (restartCount: number): Pod => ({ status: { phase: 'Running', containerStatuses: [{ name: 'c', image: 'x', imageID: '', ready: true, restartCount }] } });
    expect(pastBackoffLimitOnFailure(j, [running(1)])).toBe(false);
    expect(pastBackoffLimitOnFailure(j, [running(1), running(1)])).toBe(true);
  });
  it('removes duplicate indexes first, then pending before running', () => {
    const j = job({ completionMode: 'Indexed', completions: 3 });
    const pod = (name: string, ix: string, phase: string): Pod => ({ metadata: { name, annotations: { 'batch.kubernetes.io/job-completion-index': ix } }, status: { phase } });
    const rm = activePodsForRemoval(j, [pod('a', '0', 'Running'), pod('b', '0', 'Pending'), pod('c', '1', 'Running'), pod('d', '7', 'Running')], 1);
    expect(rm.map((p) => p.metadata?.name).sort()).toEqual(['b', 'd']);
  });
  it('moves pods whose finalizer is gone from uncounted to the counters', () => {
    const j: Job = { status: { succeeded: 1, failed: 0, uncountedTerminatedPods: { succeeded: ['a', 'b'], failed: ['c'] } } };
    expect(cleanUncounted(j, new Set(['b']))).toBe(true);
    expect(j.status).toMatchObject({ succeeded: 2, failed: 1, uncountedTerminatedPods: { succeeded: ['b'], failed: [] } });
    expect(cleanUncounted(j, new Set(['b']))).toBe(false);
  });
  it('adds a condition once and replaces it when it changes', () => {
    const [a, c1] = ensureCondition([], 'Suspended', 'False', 'JobResumed', 'Job resumed', 0);
    expect([a, c1]).toEqual([[], false]);
    const [b, c2] = ensureCondition([], 'Suspended', 'True', 'JobSuspended', 'Job suspended', 0);
    expect(c2).toBe(true);
    const [c, c3] = ensureCondition(b, 'Suspended', 'False', 'JobResumed', 'Job resumed', 1000);
    expect(c3).toBe(true);
    expect(c).toEqual([{ type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed', lastProbeTime: '1970-01-01T00:00:01Z', lastTransitionTime: '1970-01-01T00:00:01Z' }]);
  });
});
