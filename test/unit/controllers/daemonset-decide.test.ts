import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/client/clock.js';
import { FailedPodBackoff } from '../../../src/control/controllers/daemonset/backoff.js';
import {
  calculateStatus, daemonPodTemplate, desiredNodeCounts, nodeShouldRunDaemonPod, planNode, planNodes, podsByNode, rollingUpdatePlan,
  targetNodeName, withDaemonTolerations, type DaemonSetLike, type NodeLike,
} from '../../../src/control/controllers/daemonset/decide.js';
import type { Pod } from '../../../src/control/controllers/shared/pod-util.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function ds(spec: Record<string, unknown> = {}, strategy: Record<string, unknown> = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, extra: Partial<DaemonSetLike> = {}): DaemonSetLike {
  return {
    metadata: { name: 'ds', namespace: 'ns', uid: 'u1', generation: 3 },
    spec: {
      selector: { matchLabels: { app: 'd' } },
      template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'i' }], ...spec } },
      updateStrategy: strategy as DaemonSetLike['spec'] extends infer S ? S extends { updateStrategy?: infer U } ? U : never : never,
    },
    ...extra,
  };
}

function node(name: string, labels: Record<string, string> = {}, taints: NodeLike['spec'] extends infer S ? S extends { taints?: infer T } ? T : never : never = []): NodeLike {
  return { metadata: { name, labels }, spec: { taints } };
}

let seq = 0;
function pod(nodeName: string, hash: string, opts: { phase?: string; ready?: boolean; readySince?: number; created?: number; deleting?: boolean; name?: string } = {}): Pod {
  const { phase = 'Running', ready = true, readySince = T0 - 60_000, created = T0 - 120_000 + seq } = opts;
  seq++;
  return {
    metadata: {
      name: opts.name ?? `ds-${seq}`, namespace: 'ns', creationTimestamp: iso(created), labels: { app: 'd', 'controller-revision-hash': hash },
      ...(opts.deleting ? { deletionTimestamp: iso(T0) } : {}),
    },
    spec: { nodeName },
    status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: iso(readySince) }] },
  };
}

const never = () => false;

describe('daemon tolerations and pod template', () => {
  it('adds upstream\'s daemon tolerations, network-unavailable only for host-network pods, without duplicates', () => {
    const keys = (ts: { key?: string; effect?: string }[]) => ts.map((t) => `${t.key}:${t.effect}`);
    expect(keys(withDaemonTolerations([], false))).toEqual([
      'node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule', 'node.kubernetes.io/pid-pressure:NoSchedule', 'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    expect(keys(withDaemonTolerations([], true))).toContain('node.kubernetes.io/network-unavailable:NoSchedule');
    const own = [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }, { key: 'x', operator: 'Exists' }];
    const out = withDaemonTolerations(own, false);
    expect(out).toHaveLength(7);
    expect(out.filter((t) => t.key === 'node.kubernetes.io/not-ready')).toHaveLength(1);
    expect(out.find((t) => t.key === 'node.kubernetes.io/not-ready')?.tolerationSeconds).toBeUndefined();
  });

  it('pins the pod to its node by matchFields, replacing the template\'s required affinity, and labels the hash', () => {
    const d = ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }] } } } });
    d.metadata!.annotations = { 'deprecated.daemonset.template.generation': '4' };
    const t = daemonPodTemplate(d, 'n1', 'abc');
    expect(t.metadata?.labels).toEqual({ app: 'd', 'controller-revision-hash': 'abc', 'pod-template-generation': '4' });
    expect((t.spec as { affinity?: unknown }).affinity).toEqual({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } },
    });
    expect(targetNodeName({ spec: t.spec } as Pod)).toBe('n1');
    expect(d.spec?.template?.metadata?.labels).toEqual({ app: 'd' }); // the set itself is untouched
  });
});

describe('nodeShouldRunDaemonPod', () => {
  it('honours nodeSelector, node affinity and the template\'s nodeName', () => {
    expect(nodeShouldRunDaemonPod(node('n', { disk: 'ssd' }), ds({ nodeSelector: { disk: 'ssd' } }))).toEqual({ shouldRun: true, shouldContinueRunning: true });
    expect(nodeShouldRunDaemonPod(node('n', { disk: 'hdd' }), ds({ nodeSelector: { disk: 'ssd' } }))).toEqual({ shouldRun: false, shouldContinueRunning: false });
    const aff = { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['special'] }] },
    ] } } } };
    expect(nodeShouldRunDaemonPod(node('x', { zone: 'a' }), ds(aff)).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(node('special'), ds(aff)).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(node('x', { zone: 'b' }), ds(aff)).shouldRun).toBe(false);
    expect(nodeShouldRunDaemonPod(node('x'), ds({ nodeName: 'y' })).shouldRun).toBe(false);
  });

  it('an untolerated NoSchedule taint stops new pods but keeps running ones; NoExecute evicts them', () => {
    expect(nodeShouldRunDaemonPod(node('n', {}, [{ key: 'k', value: 'v', effect: 'NoSchedule' }]), ds())).toEqual({ shouldRun: false, shouldContinueRunning: true });
    expect(nodeShouldRunDaemonPod(node('n', {}, [{ key: 'k', effect: 'NoExecute' }]), ds())).toEqual({ shouldRun: false, shouldContinueRunning: false });
    expect(nodeShouldRunDaemonPod(node('n', {}, [{ key: 'k', value: 'v', effect: 'NoSchedule' }]), ds({ tolerations: [{ key: 'k', operator: 'Equal', value: 'v' }] })).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(node('n', {}, [{ key: 'k', effect: 'PreferNoSchedule' }]), ds()).shouldRun).toBe(true);
    // Cordoned and not-ready nodes still run daemons.
    expect(nodeShouldRunDaemonPod(node('n', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]), ds()).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(node('n', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]), ds()).shouldRun).toBe(false);
    expect(nodeShouldRunDaemonPod(node('n', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]), ds({ hostNetwork: true })).shouldRun).toBe(true);
  });
});

describe('per-node plan (podsShouldBeOnNode)', () => {
  it('creates where missing, deletes failed (with an event) and succeeded pods, respects the failed-pod back-off', () => {
    expect(planNode(node('n1'), undefined, ds(), 'h', T0, never).createOn).toEqual(['n1']);
    const failed = pod('n1', 'h', { phase: 'Failed', name: 'f' });
    const p = planNode(node('n1'), [failed], ds(), 'h', T0, never);
    expect(p.deletePods).toEqual(['f']);
    expect(p.failedPods.map((x) => x.pod.metadata?.name)).toEqual(['f']);
    expect(planNode(node('n1'), [failed], ds(), 'h', T0, () => true)).toEqual({ createOn: [], deletePods: [], failedPods: [] });
    expect(planNode(node('n1'), [pod('n1', 'h', { phase: 'Succeeded', name: 's' })], ds(), 'h', T0, never).deletePods).toEqual(['s']);
    // A pod being deleted still occupies the node: no replacement until it is gone.
    expect(planNode(node('n1'), [pod('n1', 'h', { deleting: true })], ds(), 'h', T0, never)).toEqual({ createOn: [], deletePods: [], failedPods: [] });
  });

  it('without surge keeps only the oldest of several pods; with surge keeps a new pod beside a ready old one until it is available', () => {
    const old = pod('n1', 'old', { name: 'old', created: T0 - 500_000 });
    const young = pod('n1', 'new', { name: 'new', created: T0 - 1000, ready: false });
    expect(planNode(node('n1'), [young, old], ds(), 'new', T0, never).deletePods).toEqual(['new']);
    const surge = ds({}, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    expect(planNode(node('n1'), [young, old], surge, 'new', T0, never).deletePods).toEqual([]);
    const readyNew = pod('n1', 'new', { name: 'new2', created: T0 - 1000 });
    expect(planNode(node('n1'), [readyNew, old], surge, 'new', T0, never).deletePods).toEqual(['old']);
    const oldNotReady = pod('n1', 'old', { name: 'old2', ready: false, created: T0 - 500_000 });
    expect(planNode(node('n1'), [young, oldNotReady], surge, 'new', T0, never).deletePods).toEqual(['old2']);
  });

  it('deletes every pod on a node that may no longer run it, and pods whose node is gone', () => {
    const tainted = node('n1', {}, [{ key: 'k', effect: 'NoExecute' }]);
    const p = pod('n1', 'h', { name: 'a' });
    expect(planNode(tainted, [p], ds(), 'h', T0, never).deletePods).toEqual(['a']);
    const pinned: Pod = { metadata: { name: 'ghost', namespace: 'ns' }, spec: daemonPodTemplate(ds(), 'gone', 'h').spec as Pod['spec'] };
    const out = planNodes([node('n1')], podsByNode([pod('n1', 'h', { name: 'b' }), pinned]), ds(), 'h', T0, never);
    expect(out.deletePods).toEqual(['ghost']);
  });
});

describe('rolling update', () => {
  const nodes = [node('a'), node('b'), node('c')];
  const byNode = (...pods: Pod[]) => podsByNode(pods);

  it('deletes up to maxUnavailable old available pods, counting nodes already down', () => {
    const all = byNode(pod('a', 'old', { name: 'pa' }), pod('b', 'old', { name: 'pb' }), pod('c', 'old', { name: 'pc' }));
    expect(rollingUpdatePlan(ds(), nodes, all, 'new', T0)).toEqual({ deletePods: ['pa'], createOn: [] });
    const two = ds({}, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } });
    expect(rollingUpdatePlan(two, nodes, all, 'new', T0).deletePods).toEqual(['pa', 'pb']);
    const oneNewPending = byNode(pod('a', 'new', { ready: false }), pod('b', 'old', { name: 'pb' }), pod('c', 'old', { name: 'pc' }));
    expect(rollingUpdatePlan(ds(), nodes, oneNewPending, 'new', T0).deletePods).toEqual([]);
    // Old pods that are not available anyway are replaced beyond the budget.
    const broken = byNode(pod('a', 'new', { ready: false }), pod('b', 'old', { name: 'pb', ready: false }), pod('c', 'old', { name: 'pc' }));
    expect(rollingUpdatePlan(ds(), nodes, broken, 'new', T0).deletePods).toEqual(['pb']);
  });

  it('minReadySeconds: a ready new pod is not yet available', () => {
    const d = ds();
    d.spec!.minReadySeconds = 30;
    const fresh = byNode(pod('a', 'new', { readySince: T0 - 10_000 }), pod('b', 'old', { name: 'pb' }), pod('c', 'old', { name: 'pc' }));
    expect(rollingUpdatePlan(d, nodes, fresh, 'new', T0).deletePods).toEqual([]);
    expect(rollingUpdatePlan(d, nodes, fresh, 'new', T0 + 25_000).deletePods).toEqual(['pb']);
  });

  it('with maxSurge creates new pods beside old ones, then deletes old ones whose new pod is available', () => {
    const surge = ds({}, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const all = byNode(pod('a', 'old', { name: 'pa' }), pod('b', 'old', { name: 'pb' }), pod('c', 'old', { name: 'pc' }));
    expect(rollingUpdatePlan(surge, nodes, all, 'new', T0)).toEqual({ deletePods: [], createOn: ['a'] });
    const surging = byNode(pod('a', 'old', { name: 'pa' }), pod('a', 'new', { ready: false }), pod('b', 'old', { name: 'pb' }), pod('c', 'old', { name: 'pc' }));
    expect(rollingUpdatePlan(surge, nodes, surging, 'new', T0)).toEqual({ deletePods: [], createOn: [] });
    const surged = byNode(pod('a', 'old', { name: 'pa' }), pod('a', 'new'), pod('b', 'old', { name: 'pb' }), pod('c', 'old', { name: 'pc' }));
    expect(rollingUpdatePlan(surge, nodes, surged, 'new', T0)).toEqual({ deletePods: ['pa'], createOn: ['b'] });
  });

  it('scales percentages against the nodes that should run the pod, rounding up; 0/0 means one unavailable', () => {
    const many = Array.from({ length: 10 }, (_, i) => node(`n${i}`));
    expect(desiredNodeCounts(ds({}, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%' } }), many)).toEqual({ maxSurge: 0, maxUnavailable: 3, desired: 10 });
    expect(desiredNodeCounts(ds({}, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '15%' } }), many)).toEqual({ maxSurge: 2, maxUnavailable: 0, desired: 10 });
    expect(desiredNodeCounts(ds({}, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '0%', maxSurge: 0 } }), many).maxUnavailable).toBe(1);
  });
});

describe('status', () => {
  it('counts desired, current, misscheduled, ready, available (minReadySeconds) and updated from the oldest pod per node', () => {
    const d = ds({ nodeSelector: { role: 'x' } });
    d.spec!.minReadySeconds = 30;
    const nodes = [node('a', { role: 'x' }), node('b', { role: 'x' }), node('c', { role: 'x' }), node('other')];
    const pods = podsByNode([
      pod('a', 'h', { readySince: T0 - 60_000 }),
      pod('b', 'old', { readySince: T0 - 5_000 }),
      pod('other', 'h'),
    ]);
    expect(calculateStatus(d, nodes, pods, 'h', T0)).toEqual({
      desiredNumberScheduled: 3, currentNumberScheduled: 2, numberMisscheduled: 1, numberReady: 2, numberAvailable: 1,
      updatedNumberScheduled: 1, numberUnavailable: 2, observedGeneration: 3,
    });
  });
});

describe('failed pod back-off', () => {
  it('starts at 1 s and doubles per deletion, up to 15 min', () => {
    const clock = new FakeClock(T0);
    const b = new FailedPodBackoff(clock);
    expect(b.inBackoff('k')).toBe(false);
    b.next('k');
    expect(b.inBackoff('k')).toBe(true);
    clock.step(1_000);
    expect(b.inBackoff('k')).toBe(false);
    b.next('k');
    expect(b.delay('k')).toBe(2_000);
    for (let i = 0; i < 20; i++) b.next('k');
    expect(b.delay('k')).toBe(15 * 60_000);
  });
});
