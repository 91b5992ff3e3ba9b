import { describe, expect, test } from 'vitest';
import { computeHash } from '../../../src/control/controllers/deployment/hash.js';
import { fnv32a } from '../../../src/client/fnv.js';
import { safeEncodeString } from '../../../src/client/safe-alphabet.js';
import { replicaSetsToCleanUp } from '../../../src/control/controllers/deployment/history.js';
import { calculateStatus, pausedConditionStatus, rolloutStatus, stuckRecheckAfterMs } from '../../../src/control/controllers/deployment/progress.js';
import { oldPodsRunning } from '../../../src/control/controllers/deployment/recreate.js';
import { planNewReplicaSet, planOldReplicaSets } from '../../../src/control/controllers/deployment/rolling.js';
import { isScalingEvent, planScale } from '../../../src/control/controllers/deployment/scale.js';
import type { Deployment, ReplicaSet } from '../../../src/control/controllers/deployment/types.js';
import {
  byRevision, findNewReplicaSet, findOldReplicaSets, maxRevision, maxUnavailable, resolveFenceposts, setNewReplicaSetAnnotations,
} from '../../../src/control/controllers/deployment/util.js';

const template = (image: string) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } });

function deploy(replicas: number, extra: Partial<Deployment['spec']> = {}, status: Deployment['status'] = {}): Deployment {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 1, annotations: {} },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: template('nginx:1'),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      ...extra,
    },
    status,
  };
}

let seq = 0;
function rs(name: string, replicas: number, available: number, opts: { image?: string; created?: string; revision?: number; maxReplicas?: number; desired?: number; actual?: number } = {}): ReplicaSet {
  const annotations: Record<string, string> = {};
  if (opts.revision !== undefined) annotations['deployment.kubernetes.io/revision'] = String(opts.revision);
  if (opts.maxReplicas !== undefined) annotations['deployment.kubernetes.io/max-replicas'] = String(opts.maxReplicas);
  if (opts.desired !== undefined) annotations['deployment.kubernetes.io/desired-replicas'] = String(opts.desired);
  return {
    metadata: { name, namespace: 'default', uid: `${name}-uid`, creationTimestamp: opts.created ?? `2024-01-01T00:00:${String(seq++ % 60).padStart(2, '0')}Z`, annotations, generation: 1 },
    spec: { replicas, template: template(opts.image ?? 'nginx:0') },
    status: { replicas: opts.actual ?? replicas, availableReplicas: available, readyReplicas: available, observedGeneration: 1 },
  };
}

describe('pod-template-hash', () => {
  test('fnv-1a 32 and SafeEncodeString match their reference values', () => {
    expect(fnv32a(new TextEncoder().encode(''))).toBe(0x811c9dc5);
    expect(fnv32a(new TextEncoder().encode('a'))).toBe(0xe40c292c);
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
  });

  test('stable across key order, different per template and per collision count, only safe characters', () => {
    const a = computeHash({ metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    const b = computeHash({ spec: { containers: [{ image: 'x', name: 'c' }] }, metadata: { labels: { tier: 'fe', app: 'web' } } });
    expect(a).toBe(b);
    expect(a).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(computeHash(template('nginx:2'))).not.toBe(computeHash(template('nginx:1')));
    expect(computeHash(template('nginx:1'), 1)).not.toBe(computeHash(template('nginx:1')));
    expect(computeHash(template('nginx:1'), 0)).not.toBe(computeHash(template('nginx:1')));
  });
});

describe('fenceposts (ResolveFenceposts)', () => {
  test('surge rounds up, unavailable rounds down, both zero gives unavailable 1', () => {
    expect(resolveFenceposts('25%', '25%', 10)).toEqual({ surge: 3, unavailable: 2 });
    expect(resolveFenceposts(0, '1%', 2)).toEqual({ surge: 0, unavailable: 1 });
    expect(resolveFenceposts('1%', '25%', 2)).toEqual({ surge: 1, unavailable: 0 });
    expect(resolveFenceposts(2, 0, 5)).toEqual({ surge: 2, unavailable: 0 });
    expect(() => resolveFenceposts('abc', 0, 5)).toThrow(/spec.strategy.rollingUpdate.maxSurge/);
  });

  test('maxUnavailable is never more than the replicas, and 0 for Recreate or 0 replicas', () => {
    expect(maxUnavailable(deploy(1, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 5 } } }))).toBe(1);
    expect(maxUnavailable(deploy(4, { strategy: { type: 'Recreate' } }))).toBe(0);
    expect(maxUnavailable(deploy(0))).toBe(0);
  });
});

describe('new and old replica sets', () => {
  test('the new replica set is the one whose template equals the deployment\'s, ignoring pod-template-hash', () => {
    const d = deploy(3);
    const cur = rs('web-a', 3, 3, { image: 'nginx:1' });
    cur.spec.template!.metadata!.labels!['pod-template-hash'] = 'a';
    const old = rs('web-b', 0, 0, { image: 'nginx:0' });
    expect(findNewReplicaSet(d, [old, cur])?.metadata.name).toBe('web-a');
    const { old: active, allOld } = findOldReplicaSets(d, [old, cur]);
    expect(allOld.map((r) => r.metadata.name)).toEqual(['web-b']);
    expect(active).toEqual([]);
  });

  test('a reused replica set gets the next revision and keeps its old ones in revision-history', () => {
    const d = deploy(3);
    d.metadata.annotations = { 'kubernetes.io/change-cause': 'kubectl set image', 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'deployment.kubernetes.io/revision': '2' };
    const r = rs('web-a', 0, 0, { revision: 1 });
    expect(setNewReplicaSetAnnotations(d, r, 3, true)).toBe(true);
    expect(r.metadata.annotations).toEqual({ 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1', 'kubernetes.io/change-cause': 'kubectl set image' });
    setNewReplicaSetAnnotations(d, r, 5, true);
    expect(r.metadata.annotations!['deployment.kubernetes.io/revision-history']).toBe('1,3');
    // Never lowered; nothing changes when already current.
    expect(setNewReplicaSetAnnotations(d, r, 4, true)).toBe(false);
    expect(r.metadata.annotations!['deployment.kubernetes.io/revision']).toBe('5');
  });

  test('revisions are int64: an adopted replica set at 3546343826724305832 makes the next one ...833, not a rounded float', () => {
    const adopted = rs('web-a', 1, 1);
    adopted.metadata.annotations = { 'deployment.kubernetes.io/revision': '3546343826724305832' };
    const next = maxRevision([adopted, rs('web-b', 0, 0, { revision: 7 })]) + 1n;
    expect(String(next)).toBe('3546343826724305833');
    const r = rs('web-c', 0, 0);
    r.metadata.annotations = {};
    setNewReplicaSetAnnotations(deploy(1), r, next, false);
    expect(r.metadata.annotations!['deployment.kubernetes.io/revision']).toBe('3546343826724305833');
    // Ordered by the exact value: ...832 before ...833 although both round to the same double.
    const newer = rs('web-d', 0, 0);
    newer.metadata.annotations = { 'deployment.kubernetes.io/revision': '3546343826724305833' };
    newer.metadata.creationTimestamp = '2020-01-01T00:00:00Z';
    expect([newer, adopted].sort(byRevision).map((x) => x.metadata.name)).toEqual(['web-a', 'web-d']);
  });

  test('a replica set about to be created gets desired-replicas and max-replicas', () => {
    const r = rs('web-a', 0, 0);
    r.metadata.annotations = {};
    setNewReplicaSetAnnotations(deploy(10), r, 1, false);
    expect(r.metadata.annotations).toEqual({ 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '10', 'deployment.kubernetes.io/max-replicas': '13' });
  });
});

describe('rolling update arithmetic', () => {
  test('reconcileNewReplicaSet grows the new replica set up to replicas + maxSurge, never beyond replicas', () => {
    const d = deploy(10);
    const old = rs('old', 10, 10);
    expect(planNewReplicaSet(d, [old, rs('new', 0, 0)], rs('new', 0, 0))).toBe(3);
    expect(planNewReplicaSet(d, [old, rs('new', 3, 0)], rs('new', 3, 0))).toBeUndefined();
    expect(planNewReplicaSet(d, [rs('old', 2, 2), rs('new', 8, 8)], rs('new', 8, 8))).toBe(10);
    expect(planNewReplicaSet(d, [rs('new', 12, 12)], rs('new', 12, 12))).toBe(10);
  });

  test('reconcileOldReplicaSets keeps replicas − maxUnavailable available', () => {
    const d = deploy(10);
    const old = rs('old', 10, 10);
    const steps = planOldReplicaSets(d, [old, rs('new', 3, 0)], [old], rs('new', 3, 0));
    expect(steps.map((s) => [s.rs.metadata.name, s.replicas])).toEqual([['old', 8]]);
  });

  test('unhealthy old pods go first, then available ones down to the minimum', () => {
    const d = deploy(10);
    const old = rs('old', 10, 7);
    const newRS = rs('new', 3, 3);
    expect(planOldReplicaSets(d, [old, newRS], [old], newRS).map((s) => s.replicas)).toEqual([5]);
  });

  test('nothing is scaled down while the new pods are not available and availability is at the minimum', () => {
    const d = deploy(10);
    const old = rs('old', 8, 8);
    const newRS = rs('new', 5, 0);
    expect(planOldReplicaSets(d, [old, newRS], [old], newRS)).toEqual([]);
  });

  test('older replica sets are scaled down first', () => {
    const d = deploy(4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 2 } } });
    const a = rs('a', 2, 2, { created: '2024-01-01T00:00:00Z' });
    const b = rs('b', 2, 2, { created: '2024-01-02T00:00:00Z' });
    const newRS = rs('new', 0, 0, { created: '2024-01-03T00:00:00Z' });
    expect(planOldReplicaSets(d, [b, a, newRS], [b, a], newRS).map((s) => [s.rs.metadata.name, s.replicas])).toEqual([['a', 0]]);
  });
});

describe('proportional scaling', () => {
  test('a deployment scaled mid-rollout spreads the new replicas by each replica set\'s share', () => {
    const d = deploy(12);
    const old = rs('old', 8, 8, { maxReplicas: 13, desired: 10, created: '2024-01-01T00:00:00Z' });
    const newRS = rs('new', 5, 0, { maxReplicas: 13, desired: 10, created: '2024-01-02T00:00:00Z' });
    expect(isScalingEvent(d, newRS, [old])).toBe(true);
    const steps = planScale(d, newRS, [old]);
    expect(Object.fromEntries(steps.map((s) => [s.rs.metadata.name, s.replicas]))).toEqual({ old: 9, new: 6 });
  });

  test('scaling down takes from the largest, leftovers to the first', () => {
    const d = deploy(5);
    const old = rs('old', 8, 8, { maxReplicas: 13, desired: 10, created: '2024-01-01T00:00:00Z' });
    const newRS = rs('new', 5, 0, { maxReplicas: 13, desired: 10, created: '2024-01-02T00:00:00Z' });
    const steps = planScale(d, newRS, [old]);
    const sizes = Object.fromEntries(steps.map((s) => [s.rs.metadata.name, s.replicas]));
    // 5 + surge 2 = 7 allowed: old 8*7/13 = 4.3 → 4, new 5*7/13 = 2.7 → 3.
    expect(sizes).toEqual({ old: 4, new: 3 });
  });

  test('one active replica set simply takes the new size; a saturated new one sends the old to zero', () => {
    const d = deploy(7);
    const only = rs('new', 5, 5, { desired: 5 });
    expect(planScale(d, only, [rs('old', 0, 0)]).map((s) => [s.rs.metadata.name, s.replicas])).toEqual([['new', 7]]);
    const sat = rs('new', 7, 7, { desired: 7 });
    expect(planScale(d, sat, [rs('old', 2, 2)]).map((s) => [s.rs.metadata.name, s.replicas])).toEqual([['old', 0]]);
  });
});

describe('status and conditions', () => {
  const T0 = Date.parse('2024-05-01T10:00:00Z');

  test('counts and the Available condition', () => {
    const d = deploy(4);
    const s = calculateStatus([rs('old', 1, 1), rs('new', 3, 2)], rs('new', 3, 2), d, '2024-05-01T10:00:00Z');
    expect(s).toMatchObject({ observedGeneration: 1, replicas: 4, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 1 });
    expect(s.conditions).toEqual([
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: '2024-05-01T10:00:00Z', lastTransitionTime: '2024-05-01T10:00:00Z' },
    ]);
    const low = calculateStatus([rs('new', 4, 1)], rs('new', 4, 1), d, '2024-05-01T10:00:00Z');
    expect(low.conditions![0]).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' });
  });

  test('Progressing: ReplicaSetUpdated on progress, NewReplicaSetAvailable when complete, ProgressDeadlineExceeded after the deadline', () => {
    const created = { type: 'Progressing', status: 'True' as const, reason: 'NewReplicaSetCreated', message: 'Created new replica set "web-abc"', lastUpdateTime: '2024-05-01T10:00:00Z', lastTransitionTime: '2024-05-01T10:00:00Z' };
    const d = deploy(3, {}, { replicas: 3, updatedReplicas: 0, availableReplicas: 3, conditions: [created] });
    const newRS = rs('web-abc', 3, 0, { actual: 3 });
    const old = rs('web-old', 0, 3, { actual: 0 });
    old.status!.availableReplicas = 0;

    const s1 = rolloutStatus([old, newRS], newRS, d, T0 + 5_000);
    expect(s1.conditions!.find((c) => c.type === 'Progressing')).toEqual({
      type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: 'ReplicaSet "web-abc" is progressing.',
      lastUpdateTime: '2024-05-01T10:00:05Z', lastTransitionTime: '2024-05-01T10:00:00Z',
    });

    const done = rs('web-abc', 3, 3);
    const s2 = rolloutStatus([done], done, { ...d, status: s1 }, T0 + 9_000);
    expect(s2.conditions!.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable', message: 'ReplicaSet "web-abc" has successfully progressed.' });

    // No progress for longer than progressDeadlineSeconds.
    const stuck = { ...d, status: { ...s1 } };
    const s3 = rolloutStatus([old, newRS], newRS, stuck, T0 + 5_000 + 601_000);
    expect(s3.conditions!.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-abc" has timed out progressing.' });
    // Before that, the controller knows when to look again.
    expect(stuckRecheckAfterMs(stuck, s1, T0 + 65_000)).toBe(5_000 + 600_000 - 65_000 + 1_000);
  });

  test('pausing and resuming mark Progressing Unknown, a timed-out condition stays', () => {
    const d = deploy(3, { paused: true }, { conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'x', lastUpdateTime: 'a', lastTransitionTime: 'a' }] });
    const paused = pausedConditionStatus(d, T0)!;
    expect(paused.conditions![0]).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused', lastTransitionTime: '2024-05-01T10:00:00Z' });
    expect(pausedConditionStatus({ ...d, status: paused }, T0)).toBeUndefined();
    const resumed = pausedConditionStatus({ ...d, spec: { ...d.spec, paused: false }, status: paused }, T0 + 1000)!;
    expect(resumed.conditions![0]).toMatchObject({ status: 'Unknown', reason: 'DeploymentResumed', message: 'Deployment is resumed' });
    const timedOut = deploy(3, { paused: true }, { conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] });
    expect(pausedConditionStatus(timedOut, T0)).toBeUndefined();
  });
});

describe('history and recreate', () => {
  test('only the oldest revisions beyond the limit, fully scaled down, are deleted', () => {
    const d = deploy(1, { revisionHistoryLimit: 1 });
    const r1 = rs('r1', 0, 0, { revision: 1 });
    const r2 = rs('r2', 0, 0, { revision: 2 });
    expect(replicaSetsToCleanUp(d, [r2, r1]).map((r) => r.metadata.name)).toEqual(['r1']);
    const r0 = rs('r0', 0, 0, { revision: 0, actual: 1 });
    expect(replicaSetsToCleanUp({ ...d, spec: { ...d.spec, revisionHistoryLimit: 0 } }, [r0, r1]).map((r) => r.metadata.name)).toEqual(['r1']);
  });

  test('Recreate waits while any old pod is not terminal', () => {
    const newRS = rs('new', 0, 0, { actual: 0 });
    const old = rs('old', 0, 0, { actual: 0 });
    const pods = new Map([['old-uid', [{ metadata: { name: 'p' }, status: { phase: 'Running' } }]]]);
    expect(oldPodsRunning(newRS, [old], pods)).toBe(true);
    pods.set('old-uid', [{ metadata: { name: 'p' }, status: { phase: 'Succeeded' } }]);
    expect(oldPodsRunning(newRS, [old], pods)).toBe(false);
    expect(oldPodsRunning(newRS, [rs('old', 0, 0, { actual: 1 })], new Map())).toBe(true);
  });
});

describe('templates as Go compares them', () => {
  test('null, empty and missing fields are the same template (kubectl sends creationTimestamp: null)', () => {
    const a = { metadata: { creationTimestamp: null, labels: { app: 'web' }, annotations: {} }, spec: { containers: [{ name: 'c', image: 'x', resources: {} }] } };
    const b = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };
    expect(computeHash(a)).toBe(computeHash(b));
    const d = deploy(1, { template: a as never });
    const r = rs('web-x', 1, 1);
    r.spec.template = { metadata: { labels: { app: 'web', 'pod-template-hash': 'x' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };
    expect(findNewReplicaSet(d, [r])?.metadata.name).toBe('web-x');
  });
});
