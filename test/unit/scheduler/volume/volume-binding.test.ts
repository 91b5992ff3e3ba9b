import { describe, expect, it } from 'vitest';
import {
  checkBindings, findPodVolumes, hostnameCandidates, isVolumeBindingReason, nodeIndependentResult, preFilterVolumes, VOLUME_REASON,
  type NodeLike, type PersistentVolume, type PersistentVolumeClaim, type PodVolumeClaims, type StorageClass, type VolumeListers,
} from '../../../../src/control/scheduler/volume-binding.js';
import { failedSchedulingMessage } from '../../../../src/control/scheduler/events.js';
import { unschedulablePlugins } from '../../../../src/control/scheduler/cluster-events.js';

const A: NodeLike = { name: 'a', labels: { 'kubernetes.io/hostname': 'a', zone: 'z1' } };
const B: NodeLike = { name: 'b', labels: { 'kubernetes.io/hostname': 'b', zone: 'z2' } };

function listers(claims: PersistentVolumeClaim[], volumes: PersistentVolume[], classes: StorageClass[]): VolumeListers {
  return {
    claim: (ns, name) => claims.find((c) => c.metadata?.namespace === ns && c.metadata?.name === name),
    volume: (name) => volumes.find((v) => v.metadata?.name === name),
    volumesOfClass: (cls) => volumes.filter((v) => (v.spec?.storageClassName ?? '') === cls),
    storageClass: (name) => classes.find((c) => c.metadata?.name === name),
  };
}

const pod = (claims: string[], extra: Record<string, unknown> = {}) => ({
  metadata: { namespace: 'ns', name: 'p', uid: 'pod-uid' },
  spec: { containers: [{ name: 'c' }], volumes: claims.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })), ...extra },
});

const claim = (name: string, cls: string, o: { volumeName?: string; bound?: boolean; size?: string; ann?: Record<string, string>; phase?: string } = {}): PersistentVolumeClaim => ({
  metadata: {
    namespace: 'ns', name, uid: `uid-${name}`, resourceVersion: '5',
    annotations: { ...(o.bound ? { 'pv.kubernetes.io/bind-completed': 'yes' } : {}), ...(o.ann ?? {}) },
  },
  spec: { storageClassName: cls, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: o.size ?? '1Gi' } }, volumeName: o.volumeName },
  status: { phase: o.phase ?? (o.bound ? 'Bound' : 'Pending') },
});

const localPV = (name: string, node: string, cls: string, o: { size?: string; claimRef?: PersistentVolume['spec'] extends infer S ? S extends { claimRef?: infer R } ? R : never : never; phase?: string } = {}): PersistentVolume => ({
  metadata: { name, resourceVersion: '3' },
  spec: {
    capacity: { storage: o.size ?? '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: cls, claimRef: o.claimRef,
    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
    local: { path: '/mnt/x' },
  },
  status: { phase: o.phase ?? 'Available' },
});

const wffc = (name: string, provisioner: string, allowedTopologies?: unknown): StorageClass =>
  ({ metadata: { name }, provisioner, volumeBindingMode: 'WaitForFirstConsumer', ...(allowedTopologies ? { allowedTopologies } : {}) } as StorageClass);
const immediate = (name: string): StorageClass => ({ metadata: { name }, provisioner: 'skiff.dev/local-path', volumeBindingMode: 'Immediate' });

function claimsOf(p: ReturnType<typeof pod>, l: VolumeListers): PodVolumeClaims {
  const pre = preFilterVolumes(p, l);
  if (pre.kind !== 'claims') throw new Error(`expected claims, got ${JSON.stringify(pre)}`);
  return pre.claims;
}

describe('VolumeBinding PreFilter', () => {
  it('skips pods without claims', () => {
    expect(preFilterVolumes(pod([]), listers([], [], []))).toEqual({ kind: 'skip' });
  });

  it('rejects a missing claim, a claim being deleted, a lost claim and a missing ephemeral claim with upstream texts', () => {
    expect(preFilterVolumes(pod(['x']), listers([], [], []))).toEqual({ kind: 'reject', message: 'persistentvolumeclaim "x" not found' });
    const deleting = { ...claim('d', 'local'), metadata: { ...claim('d', 'local').metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
    expect(preFilterVolumes(pod(['d']), listers([deleting], [], []))).toEqual({ kind: 'reject', message: 'persistentvolumeclaim "d" is being deleted' });
    const lost = claim('l', 'local', { volumeName: 'gone', phase: 'Lost' });
    expect(preFilterVolumes(pod(['l']), listers([lost], [], []))).toEqual({ kind: 'reject', message: 'persistentvolumeclaim "l" bound to non-existent persistentvolume "gone"' });
    const eph = { metadata: { namespace: 'ns', name: 'p', uid: 'pod-uid' }, spec: { volumes: [{ name: 'scratch', ephemeral: { volumeClaimTemplate: {} } }] } };
    expect(preFilterVolumes(eph, listers([], [], []))).toEqual({ kind: 'reject', message: 'waiting for ephemeral volume controller to create the persistentvolumeclaim "p-scratch"' });
    const notOwned = claim('p-scratch', 'local');
    expect(preFilterVolumes(eph, listers([notOwned], [], []))).toEqual({ kind: 'reject', message: 'PVC ns/p-scratch was not created for pod ns/p (pod is not owner)' });
  });

  it('rejects unbound immediate claims (and claims naming a volume not bound yet), keeps WaitForFirstConsumer ones', () => {
    const l = listers([claim('imm', 'fast'), claim('pre', 'local', { volumeName: 'pv1' }), claim('w', 'local')], [], [immediate('fast'), wffc('local', 'skiff.dev/local-path')]);
    expect(preFilterVolumes(pod(['imm']), l)).toEqual({ kind: 'reject', message: VOLUME_REASON.unboundImmediate });
    expect(preFilterVolumes(pod(['pre']), l)).toEqual({ kind: 'reject', message: VOLUME_REASON.unboundImmediate });
    // A class that does not exist counts as immediate, as upstream's IsDelayBindingMode.
    expect(preFilterVolumes(pod(['w']), listers([claim('w', 'nope')], [], []))).toEqual({ kind: 'reject', message: VOLUME_REASON.unboundImmediate });
    const pre = preFilterVolumes(pod(['w']), l);
    expect(pre.kind === 'claims' && pre.claims.delayed.map((c) => c.metadata?.name)).toEqual(['w']);
  });

  it('prints the PreFilter rejection as upstream, without preemption help, and requeues on VolumeBinding events', () => {
    const reasons = [{ reason: 'persistentvolumeclaim "x" not found', count: 2 }];
    expect(failedSchedulingMessage(pod(['x']), 2, reasons, reasons[0]!.reason)).toBe(
      '0/2 nodes are available: persistentvolumeclaim "x" not found. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
    expect([...unschedulablePlugins(reasons)]).toEqual(['VolumeBinding']);
    expect(isVolumeBindingReason(VOLUME_REASON.nodeConflict)).toBe(true);
    expect(isVolumeBindingReason('Insufficient cpu')).toBe(false);
  });
});

describe('VolumeBinding Filter', () => {
  it('a bound claim fits only the node its volume affinity names; a missing volume fits none', () => {
    const c = claim('data', 'local', { volumeName: 'pv-b', bound: true });
    const l = listers([c], [localPV('pv-b', 'b', 'local', { phase: 'Bound' })], [wffc('local', 'kubernetes.io/no-provisioner')]);
    const claims = claimsOf(pod(['data']), l);
    expect(findPodVolumes(claims, A, l)).toEqual({ ok: false, reasons: [VOLUME_REASON.nodeConflict] });
    expect(findPodVolumes(claims, B, l)).toEqual({ ok: true, plan: { staticBindings: [], provisions: [] } });
    const gone = listers([c], [], []);
    expect(findPodVolumes(claimsOf(pod(['data']), gone), B, gone)).toEqual({ ok: false, reasons: [VOLUME_REASON.pvNotExist] });
  });

  it('an unbound WaitForFirstConsumer claim picks the node with a matching local volume (two nodes, one volume)', () => {
    const c = claim('data', 'local', { size: '2Gi' });
    const small = localPV('pv-a-small', 'a', 'local', { size: '1Gi' });
    const taken = localPV('pv-a-taken', 'a', 'local', { size: '5Gi', claimRef: { namespace: 'ns', name: 'other', uid: 'u' } });
    const onB = localPV('pv-b', 'b', 'local', { size: '3Gi' });
    const biggerOnB = localPV('pv-b-big', 'b', 'local', { size: '10Gi' });
    const l = listers([c], [small, taken, onB, biggerOnB], [wffc('local', 'kubernetes.io/no-provisioner')]);
    const claims = claimsOf(pod(['data']), l);
    expect(findPodVolumes(claims, A, l)).toEqual({ ok: false, reasons: [VOLUME_REASON.bindConflict] });
    const onNodeB = findPodVolumes(claims, B, l);
    // The smallest volume that fits.
    expect(onNodeB.ok === true && onNodeB.plan.staticBindings.map((s) => s.volume.metadata?.name)).toEqual(['pv-b']);
  });

  it('two claims need two volumes on the node; access modes and class must match', () => {
    const l = listers(
      [claim('one', 'local'), claim('two', 'local')],
      [localPV('pv-b1', 'b', 'local'), { ...localPV('pv-b2', 'b', 'local'), spec: { ...localPV('pv-b2', 'b', 'local').spec, accessModes: ['ReadOnlyMany'] } }, localPV('pv-b3', 'b', 'other')],
      [wffc('local', 'kubernetes.io/no-provisioner')],
    );
    expect(findPodVolumes(claimsOf(pod(['one', 'two']), l), B, l)).toEqual({ ok: false, reasons: [VOLUME_REASON.bindConflict] });
    const l2 = listers([claim('one', 'local'), claim('two', 'local')], [localPV('pv-b1', 'b', 'local'), localPV('pv-b4', 'b', 'local')], [wffc('local', 'kubernetes.io/no-provisioner')]);
    const r = findPodVolumes(claimsOf(pod(['one', 'two']), l2), B, l2);
    expect(r.ok === true && r.plan.staticBindings.map((s) => s.volume.metadata?.name).sort()).toEqual(['pv-b1', 'pv-b4']);
  });

  it('a provisioning class fits every node its allowedTopologies allow; selected-node pins the claim', () => {
    const c = claim('data', 'local-path');
    const l = listers([c], [], [wffc('local-path', 'skiff.dev/local-path')]);
    const claims = claimsOf(pod(['data']), l);
    for (const n of [A, B]) {
      const r = findPodVolumes(claims, n, l);
      expect(r.ok === true && r.plan.provisions.map((x) => x.metadata?.name)).toEqual(['data']);
    }
    const zoned = listers([c], [], [wffc('local-path', 'skiff.dev/local-path', [{ matchLabelExpressions: [{ key: 'zone', values: ['z2'] }] }])]);
    expect(findPodVolumes(claims, A, zoned)).toEqual({ ok: false, reasons: [VOLUME_REASON.bindConflict] });
    expect(findPodVolumes(claims, B, zoned).ok).toBe(true);
    const pinned = claim('data', 'local-path', { ann: { 'volume.kubernetes.io/selected-node': 'b' } });
    const lp = listers([pinned], [], [wffc('local-path', 'skiff.dev/local-path')]);
    const pc = claimsOf(pod(['data']), lp);
    expect(findPodVolumes(pc, A, lp)).toEqual({ ok: false, reasons: [VOLUME_REASON.bindConflict] });
    expect(findPodVolumes(pc, B, lp).ok).toBe(true);
  });

  it('reports a bound volume conflict and a bind conflict together, in upstream order', () => {
    const l = listers(
      [claim('bound', 'local', { volumeName: 'pv-b', bound: true }), claim('free', 'local')],
      [localPV('pv-b', 'b', 'local', { phase: 'Bound' })],
      [wffc('local', 'kubernetes.io/no-provisioner')],
    );
    expect(findPodVolumes(claimsOf(pod(['bound', 'free']), l), A, l)).toEqual({ ok: false, reasons: [VOLUME_REASON.nodeConflict, VOLUME_REASON.bindConflict] });
  });
});

describe('VolumeBinding node-independent shortcut', () => {
  it('gives every node the per-node answer when nothing depends on the node, and declines otherwise', () => {
    const lp = wffc('local-path', 'skiff.dev/local-path');
    const free = listers([claim('data', 'local-path')], [], [lp]);
    const claims = claimsOf(pod(['data']), free);
    const same = nodeIndependentResult(claims, free);
    expect(same).toEqual(findPodVolumes(claims, A, free));
    expect(same).toEqual(findPodVolumes(claims, B, free));
    // A volume of the class that someone else holds changes nothing.
    const held = listers([claim('data', 'local-path')], [localPV('x', 'b', 'local-path', { claimRef: { namespace: 'ns', name: 'other', uid: 'u' } })], [lp]);
    expect(nodeIndependentResult(claimsOf(pod(['data']), held), held)).toEqual(same);
    for (const l of [
      listers([claim('data', 'local-path')], [localPV('x', 'b', 'local-path')], [lp]),
      listers([claim('data', 'local-path')], [], [wffc('local-path', 'skiff.dev/local-path', [{ matchLabelExpressions: [{ key: 'zone', values: ['z1'] }] }])]),
      listers([claim('data', 'local-path', { ann: { 'volume.kubernetes.io/selected-node': 'a' } })], [], [lp]),
      listers([claim('data', 'local', { volumeName: 'pv-b', bound: true })], [localPV('pv-b', 'b', 'local', { phase: 'Bound' })], [lp]),
      listers([claim('data', 'local')], [], [wffc('local', 'kubernetes.io/no-provisioner')]),
    ]) expect(nodeIndependentResult(claimsOf(pod(['data']), l), l)).toBeUndefined();
  });
});

describe('VolumeBinding hostname candidates', () => {
  it('are the hostnames every bound volume allows; none known when a term has no hostname requirement', () => {
    const two = { ...localPV('pv-ab', 'a', 'local', { phase: 'Bound' }) };
    two.spec!.nodeAffinity = { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['a', 'b'] }] }] } };
    const l = listers(
      [claim('x', 'local', { volumeName: 'pv-ab', bound: true }), claim('y', 'local', { volumeName: 'pv-b', bound: true }), claim('z', 'local', { volumeName: 'pv-zone', bound: true })],
      [two, localPV('pv-b', 'b', 'local', { phase: 'Bound' }), { ...localPV('pv-zone', 'b', 'local'), spec: { ...localPV('pv-zone', 'b', 'local').spec, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] }] } } } }],
      [],
    );
    expect(hostnameCandidates(claimsOf(pod(['x']), l), l)).toEqual(new Set(['a', 'b']));
    expect(hostnameCandidates(claimsOf(pod(['x', 'y']), l), l)).toEqual(new Set(['b']));
    expect(hostnameCandidates(claimsOf(pod(['x', 'z']), l), l)).toBeUndefined();
  });
});

describe('VolumeBinding PreBind check', () => {
  it('waits for newer objects and the bind, fails when the selected node is dropped, done when bound', () => {
    const written = { ...claim('data', 'local-path', { ann: { 'volume.kubernetes.io/selected-node': 'b' } }) };
    written.metadata!.resourceVersion = '9';
    const stale = listers([claim('data', 'local-path')], [], []);
    expect(checkBindings({ volumes: [], bindings: [], claims: [written] }, B, stale)).toEqual({ kind: 'wait' });
    const reset = listers([{ ...claim('data', 'local-path'), metadata: { ...claim('data', 'local-path').metadata, resourceVersion: '10' } }], [], []);
    expect(checkBindings({ volumes: [], bindings: [], claims: [written] }, B, reset)).toEqual({ kind: 'failed', message: 'selectedNode annotation reset for PVC "data"' });
    const bound = claim('data', 'local-path', { volumeName: 'pvc-x', bound: true, ann: { 'volume.kubernetes.io/selected-node': 'b' } });
    bound.metadata!.resourceVersion = '12';
    const done = listers([bound], [localPV('pvc-x', 'b', 'local-path', { phase: 'Bound' })], []);
    expect(checkBindings({ volumes: [], bindings: [], claims: [written] }, B, done)).toEqual({ kind: 'done' });
    const wrong = listers([bound], [localPV('pvc-x', 'a', 'local-path', { phase: 'Bound' })], []);
    expect(checkBindings({ volumes: [], bindings: [], claims: [written] }, B, wrong).kind).toBe('failed');
  });
});
