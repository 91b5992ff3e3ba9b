import { describe, expect, it } from 'vitest';
import {
  availabilityRecheckMs, calculateStatus, deleteBefore, podChangeMatters, podDeletionCost, podsToDelete, replicaDiff, slowStartBatch, statusUnchanged,
  type ReplicaSetLike,
} from '../../../src/control/controllers/replicaset-decide.js';
import type { Pod } from '../../../src/control/controllers/shared/pod-util.js';

const NOW = Date.parse('2024-06-01T12:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

function pod(name: string, o: { node?: string; phase?: string; ready?: boolean; readySince?: number; created?: number; restarts?: number; cost?: string; labels?: Record<string, string>; uid?: string } = {}): Pod {
  return {
    metadata: {
      name, namespace: 'ns', uid: o.uid ?? `uid-${name}`, labels: o.labels ?? { app: 'web' },
      creationTimestamp: o.created === undefined ? undefined : iso(o.created),
      annotations: o.cost === undefined ? undefined : { 'controller.kubernetes.io/pod-deletion-cost': o.cost },
    },
    spec: { nodeName: o.node },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.ready === undefined ? [] : [{ type: 'Ready', status: o.ready ? 'True' : 'False', lastTransitionTime: o.readySince === undefined ? undefined : iso(o.readySince) }],
      containerStatuses: [{ name: 'c', restartCount: o.restarts ?? 0 }],
    },
  };
}
const first = (a: Pod, b: Pod, ra = 0, rb = 0): boolean => deleteBefore({ pod: a, rank: ra }, { pod: b, rank: rb }, NOW);

describe('replicaDiff', () => {
  it('creates or deletes the difference, bounded by the burst', () => {
    expect(replicaDiff(0, 3)).toEqual({ create: 3, delete: 0 });
    expect(replicaDiff(5, 3)).toEqual({ create: 0, delete: 2 });
    expect(replicaDiff(3, 3)).toEqual({ create: 0, delete: 0 });
    expect(replicaDiff(0, 10_000)).toEqual({ create: 500, delete: 0 });
    expect(replicaDiff(2000, 0, 100)).toEqual({ create: 0, delete: 100 });
  });
});

describe('slowStartBatch', () => {
  it('runs batches of 1, 2, 4, … and all calls on success', async () => {
    let inFlight = 0;
    const batches: number[] = [];
    let calls = 0;
    const r = await slowStartBatch(10, 1, async () => {
      calls++;
      inFlight++;
      await Promise.resolve();
      batches.push(inFlight);
      inFlight--;
    });
    expect(r).toEqual({ successes: 10 });
    expect(calls).toBe(10);
    // Peak concurrency per batch: 1, 2, 4, then the remaining 3.
    expect(Math.max(...batches)).toBe(4);
  });
  it('stops after the first batch with a failure', async () => {
    let calls = 0;
    const r = await slowStartBatch(20, 1, async () => {
      calls++;
      if (calls >= 3) throw new Error('quota');
    });
    // Batch 1 (1 ok), batch 2 (1 ok + 1 fail) → stop: 3 calls made, 2 successes.
    expect(calls).toBe(3);
    expect(r.successes).toBe(2);
    expect((r.error as Error).message).toBe('quota');
  });
});

describe('deletion ranking (ActivePodsWithRanks)', () => {
  it('unassigned before assigned', () => {
    expect(first(pod('a'), pod('b', { node: 'n1' }))).toBe(true);
    expect(first(pod('b', { node: 'n1' }), pod('a'))).toBe(false);
  });
  it('Pending < Unknown < Running', () => {
    expect(first(pod('a', { node: 'n', phase: 'Pending' }), pod('b', { node: 'n', phase: 'Unknown' }))).toBe(true);
    expect(first(pod('a', { node: 'n', phase: 'Unknown' }), pod('b', { node: 'n', phase: 'Running' }))).toBe(true);
    expect(first(pod('a', { node: 'n', phase: 'Running' }), pod('b', { node: 'n', phase: 'Pending' }))).toBe(false);
  });
  it('not ready before ready', () => {
    expect(first(pod('a', { node: 'n', ready: false }), pod('b', { node: 'n', ready: true, readySince: NOW - 1000 }))).toBe(true);
  });
  it('lower deletion cost first, before node crowding', () => {
    expect(first(pod('a', { node: 'n', cost: '-5' }), pod('b', { node: 'n', cost: '10' }), 0, 9)).toBe(true);
    expect(podDeletionCost(pod('x', { cost: 'bad' }))).toBe(0);
    expect(podDeletionCost(pod('x', { cost: '99999999999' }))).toBe(0);
    expect(podDeletionCost(pod('x', { cost: '42' }))).toBe(42);
  });
  it('more related pods on the node first', () => {
    expect(first(pod('a', { node: 'n1' }), pod('b', { node: 'n2' }), 3, 1)).toBe(true);
    expect(first(pod('a', { node: 'n1' }), pod('b', { node: 'n2' }), 1, 3)).toBe(false);
  });
  it('ready for less time first, in log2 age buckets', () => {
    const young = pod('a', { node: 'n', ready: true, readySince: NOW - 1_000 });
    const old = pod('b', { node: 'n', ready: true, readySince: NOW - 3_600_000 });
    expect(first(young, old)).toBe(true);
    expect(first(old, young)).toBe(false);
    // Same bucket (1.1 s vs 1.2 s ago: both 2^30 ns): the UID decides.
    const y1 = pod('a', { node: 'n', ready: true, readySince: NOW - 1_100, uid: 'b-uid' });
    const y2 = pod('b', { node: 'n', ready: true, readySince: NOW - 1_200, uid: 'a-uid' });
    expect(first(y1, y2)).toBe(false);
    expect(first(y2, y1)).toBe(true);
  });
  it('more restarts first, then newer creation first', () => {
    expect(first(pod('a', { node: 'n', restarts: 5 }), pod('b', { node: 'n', restarts: 1 }))).toBe(true);
    expect(first(pod('a', { node: 'n', created: NOW - 1000 }), pod('b', { node: 'n', created: NOW - 86_400_000 }))).toBe(true);
    expect(first(pod('a', { node: 'n' }), pod('b', { node: 'n', created: NOW }))).toBe(true);
  });
  it('podsToDelete picks the lowest ranked, and all pods when deleting all', () => {
    const pods = [
      pod('ready-old', { node: 'n1', ready: true, readySince: NOW - 86_400_000 }),
      pod('unassigned'),
      pod('pending', { node: 'n2', phase: 'Pending' }),
      pod('notready', { node: 'n1', ready: false }),
    ];
    expect(podsToDelete(pods, pods, 2, NOW).map((p) => p.metadata?.name)).toEqual(['unassigned', 'pending']);
    expect(podsToDelete(pods, pods, 3, NOW).map((p) => p.metadata?.name)).toEqual(['unassigned', 'pending', 'notready']);
    expect(podsToDelete(pods, pods, 9, NOW)).toHaveLength(4);
  });
  it('ranks by related pods on the same node', () => {
    const a = pod('a', { node: 'crowded' });
    const b = pod('b', { node: 'quiet' });
    const others = [pod('x', { node: 'crowded' }), pod('y', { node: 'crowded' })];
    expect(podsToDelete([b, a], [a, b, ...others], 1, NOW)[0]!.metadata?.name).toBe('a');
  });
});

describe('status', () => {
  const rs = (o: Partial<ReplicaSetLike['spec']> = {}, status: ReplicaSetLike['status'] = {}, generation = 2): ReplicaSetLike => ({
    metadata: { name: 'web', namespace: 'ns', generation },
    spec: { replicas: 3, template: { metadata: { labels: { app: 'web', tier: 'fe' } } }, ...o },
    status,
  });
  it('counts replicas, fully labelled, ready and available', () => {
    const pods = [
      pod('a', { labels: { app: 'web', tier: 'fe' }, ready: true, readySince: NOW - 5_000 }),
      pod('b', { labels: { app: 'web' }, ready: true, readySince: NOW - 20_000 }),
      pod('c', { labels: { app: 'web', tier: 'fe', extra: '1' }, ready: false }),
    ];
    const s = calculateStatus(rs({ minReadySeconds: 10 }), pods, undefined, NOW);
    expect(s).toMatchObject({ replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1 });
  });
  it('sets ReplicaFailure once with FailedCreate / FailedDelete and removes it on success', () => {
    const failed = calculateStatus(rs(), [], 'pods "web-" is forbidden: exceeded quota', NOW);
    expect(failed.conditions).toEqual([
      { type: 'ReplicaFailure', status: 'True', lastTransitionTime: '2024-06-01T12:00:00Z', reason: 'FailedCreate', message: 'pods "web-" is forbidden: exceeded quota' },
    ]);
    const del = calculateStatus(rs({ replicas: 0 }), [pod('a')], 'boom', NOW);
    expect(del.conditions?.[0]?.reason).toBe('FailedDelete');
    // Already set: kept as is (same transition time) on a later failure.
    const again = calculateStatus(rs({}, failed), [], 'other', NOW + 5000);
    expect(again.conditions).toEqual(failed.conditions);
    const ok = calculateStatus(rs({}, failed), [], undefined, NOW);
    expect(ok.conditions).toBeUndefined();
  });
  it('writes only on change, including observedGeneration', () => {
    const cur = { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 0, availableReplicas: 0, observedGeneration: 2 };
    expect(statusUnchanged(rs({}, cur), { ...cur })).toBe(true);
    expect(statusUnchanged(rs({}, cur, 3), { ...cur })).toBe(false);
    expect(statusUnchanged(rs({}, cur), { ...cur, readyReplicas: 1 })).toBe(false);
  });
  it('rechecks availability after minReadySeconds when all are ready but not all available', () => {
    expect(availabilityRecheckMs(rs({ minReadySeconds: 7 }, { readyReplicas: 3, availableReplicas: 1 }))).toBe(7000);
    expect(availabilityRecheckMs(rs({ minReadySeconds: 7 }, { readyReplicas: 2, availableReplicas: 1 }))).toBeUndefined();
    expect(availabilityRecheckMs(rs({ minReadySeconds: 0 }, { readyReplicas: 3, availableReplicas: 1 }))).toBeUndefined();
  });
});

describe('podsToDelete ordering', () => {
  it('puts no pod after one that deleteBefore ranks behind it, over a mixed population', () => {
    const pods: Pod[] = [];
    for (let i = 0; i < 60; i++) {
      pods.push(pod(`p${i}`, {
        node: i % 7 === 0 ? undefined : `n${i % 5}`, phase: i % 11 === 0 ? 'Pending' : 'Running', ready: i % 3 !== 0,
        readySince: NOW - (i % 4) * 3_600_000 - i, created: NOW - i * 1000, restarts: i % 13 === 0 ? 2 : 0,
        ...(i % 17 === 0 ? { cost: String(i) } : {}),
      }));
    }
    const order = podsToDelete(pods, pods, 59, NOW);
    const rankOf = (p: Pod): number => pods.filter((q) => q.spec?.nodeName === p.spec?.nodeName).length;
    for (let a = 0; a < order.length; a++) {
      for (let b = a + 1; b < order.length; b++) {
        expect(first(order[b]!, order[a]!, rankOf(order[b]!), rankOf(order[a]!))).toBe(false);
      }
    }
  });
});

describe('podChangeMatters', () => {
  const owned = (o: Parameters<typeof pod>[1] & { deleting?: boolean; owner?: string } = {}): Pod => {
    const p = pod('a', o);
    p.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: o.owner ?? 'rs-1', controller: true }];
    if (o.deleting) p.metadata!.deletionTimestamp = iso(NOW);
    return p;
  };
  it('ignores a binding and a terminating pod\'s later updates', () => {
    expect(podChangeMatters(owned({ phase: 'Pending' }), owned({ phase: 'Pending', node: 'n1' }))).toBe(false);
    expect(podChangeMatters(owned({ deleting: true, ready: true }), owned({ deleting: true, ready: false }))).toBe(false);
  });
  it('sees readiness, phase, the start of a deletion and a new controller', () => {
    expect(podChangeMatters(owned({ ready: false }), owned({ ready: true, readySince: NOW }))).toBe(true);
    expect(podChangeMatters(owned({ ready: true, readySince: NOW - 1 }), owned({ ready: true, readySince: NOW }))).toBe(true);
    expect(podChangeMatters(owned({ phase: 'Running' }), owned({ phase: 'Succeeded' }))).toBe(true);
    expect(podChangeMatters(owned({}), owned({ deleting: true }))).toBe(true);
    expect(podChangeMatters(owned({}), owned({ owner: 'rs-2' }))).toBe(true);
  });
});
