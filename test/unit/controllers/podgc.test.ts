import { describe, expect, it } from 'vitest';
import {
  advanceQuarantine,
  compareForDeletion,
  isOutOfService,
  isPodTerminated,
  missingNodes,
  orphanCondition,
  terminatedPodsToDelete,
  terminatingOnOutOfServiceNodes,
  unscheduledTerminatingPods,
} from '../../../src/control/controllers/podgc.js';
import type { Pod } from '../../../src/control/controllers/shared/pod-util.js';

const pod = (name: string, o: { phase?: string; reason?: string; created?: string; node?: string; deleting?: boolean } = {}): Pod => ({
  metadata: {
    name,
    namespace: 'default',
    creationTimestamp: o.created ?? '2024-01-01T00:00:00Z',
    ...(o.deleting ? { deletionTimestamp: '2024-01-02T00:00:00Z' } : {}),
  },
  spec: { ...(o.node ? { nodeName: o.node } : {}), containers: [{ name: 'c' }] },
  status: { phase: o.phase ?? 'Running', ...(o.reason ? { reason: o.reason } : {}) },
});
const names = (ps: Pod[]): string[] => ps.map((p) => p.metadata!.name!);

describe('terminated pods', () => {
  it('counts every phase but Pending, Running and Unknown as terminated', () => {
    expect(['Succeeded', 'Failed'].map((phase) => isPodTerminated(pod('x', { phase })))).toEqual([true, true]);
    expect(['Pending', 'Running', 'Unknown'].map((phase) => isPodTerminated(pod('x', { phase })))).toEqual([false, false, false]);
  });

  it('deletes only the excess over the threshold: evicted first, then oldest, names breaking ties', () => {
    const pods = [
      pod('running', { created: '2020-01-01T00:00:00Z' }),
      pod('new', { phase: 'Succeeded', created: '2024-03-01T00:00:00Z' }),
      pod('old-b', { phase: 'Failed', created: '2024-01-01T00:00:00Z' }),
      pod('old-a', { phase: 'Succeeded', created: '2024-01-01T00:00:00Z' }),
      pod('evicted', { phase: 'Failed', reason: 'Evicted', created: '2024-06-01T00:00:00Z' }),
      pod('mid', { phase: 'Succeeded', created: '2024-02-01T00:00:00Z' }),
    ];
    expect(names(terminatedPodsToDelete(pods, 2))).toEqual(['evicted', 'old-a', 'old-b']);
    expect(names(terminatedPodsToDelete(pods, 5))).toEqual([]);
    expect(names(terminatedPodsToDelete(pods, 4))).toEqual(['evicted']);
    // 0 disables this part (upstream: only when the threshold is > 0).
    expect(terminatedPodsToDelete(pods, 0)).toEqual([]);
  });

  it('orders a reason other than Evicted by age alone', () => {
    const a = pod('a', { phase: 'Failed', reason: 'DeadlineExceeded', created: '2024-01-01T00:00:00Z' });
    const b = pod('b', { phase: 'Failed', reason: 'Evicted', created: '2024-05-01T00:00:00Z' });
    const c = pod('c', { phase: 'Failed', created: '2023-01-01T00:00:00Z' });
    expect(names([a, b, c].sort(compareForDeletion))).toEqual(['b', 'c', 'a']);
  });
});

describe('out-of-service nodes', () => {
  const taint = { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' };
  const notReady = { conditions: [{ type: 'Ready', status: 'False' }] };
  const nodes: Record<string, object> = {
    down: { metadata: { name: 'down' }, spec: { taints: [taint] }, status: notReady },
    'ready-tainted': { metadata: { name: 'ready-tainted' }, spec: { taints: [taint] }, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    'down-untainted': { metadata: { name: 'down-untainted' }, spec: {}, status: notReady },
    'no-conditions': { metadata: { name: 'no-conditions' }, spec: { taints: [taint] } },
  };
  it('is NotReady (or no Ready condition at all) and tainted out-of-service', () => {
    expect(Object.keys(nodes).filter((n) => isOutOfService(nodes[n]!))).toEqual(['down', 'no-conditions']);
  });
  it('selects terminating pods on such nodes only', () => {
    const pods = [
      pod('t-down', { node: 'down', deleting: true, created: '2024-02-01T00:00:00Z' }),
      pod('t-down-older', { node: 'down', deleting: true, created: '2024-01-01T00:00:00Z' }),
      pod('live-down', { node: 'down' }),
      pod('t-ready', { node: 'ready-tainted', deleting: true }),
      pod('t-untainted', { node: 'down-untainted', deleting: true }),
      pod('t-gone', { node: 'gone', deleting: true }),
    ];
    expect(names(terminatingOnOutOfServiceNodes(pods, (n) => nodes[n]))).toEqual(['t-down-older', 't-down']);
  });
});

describe('unscheduled terminating pods', () => {
  it('are terminating and have no node', () => {
    const pods = [pod('a', { deleting: true }), pod('b'), pod('c', { deleting: true, node: 'n1' })];
    expect(names(unscheduledTerminatingPods(pods))).toEqual(['a']);
  });
});

describe('orphaned pods', () => {
  it('finds the nodes pods are bound to that the cache lacks', () => {
    const pods = [pod('a', { node: 'n1' }), pod('b', { node: 'gone' }), pod('c'), pod('d', { node: 'gone' }), pod('e', { node: 'gone2', phase: 'Succeeded' })];
    expect([...missingNodes(pods, (n) => n === 'n1')]).toEqual(['gone', 'gone2']);
  });

  it('quarantines a missing node for the whole period from when it was first seen missing', () => {
    let q = new Map<string, number>();
    let r = advanceQuarantine(q, new Set(['gone']), 1_000, 40_000);
    expect(r.due).toEqual([]);
    q = r.next;
    expect(q.get('gone')).toBe(1_000);
    r = advanceQuarantine(q, new Set(['gone']), 21_000, 40_000);
    expect(r.due).toEqual([]);
    expect(r.next.get('gone')).toBe(1_000);
    r = advanceQuarantine(r.next, new Set(['gone', 'later']), 41_000, 40_000);
    expect(r.due).toEqual(['gone']);
    // Checked: it leaves the quarantine (a second sighting starts over); the newcomer starts its own.
    expect([...r.next]).toEqual([['later', 41_000]]);
  });

  it('forgets a node that came back into the cache', () => {
    const r = advanceQuarantine(new Map([['back', 0]]), new Set(), 100_000, 40_000);
    expect(r.due).toEqual([]);
    expect(r.next.size).toBe(0);
  });

  it("marks the pod with upstream's DisruptionTarget reason and message", () => {
    expect(orphanCondition(Date.parse('2024-01-01T00:00:00Z'))).toEqual({
      type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists', lastTransitionTime: '2024-01-01T00:00:00Z',
    });
  });
});
