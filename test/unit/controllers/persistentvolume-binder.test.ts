/**
 * The binder's decisions, in the spirit of upstream's pv_controller tests (binder_test.go's unit test sets:
 * 1 unbound claims without volumeName, 2 with volumeName, 3 bound claims, 4 volumes) and index_test.go's
 * matching cases, over plain objects.
 */
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../src/control/controllers/shared/pod-util.js';
import {
  claimBoundTo, claimForProvisioner, claimStatus, decideClaim, defaultClass, decideVolume, findBestMatch, reclaimOf, volumeBoundTo, volumePhase, volumeUnbound,
  type ClaimContext,
} from '../../../src/control/controllers/persistentvolume/binder.js';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../../src/control/controllers/persistentvolume/types.js';

const pv = (name: string, size: string, extra: Partial<NonNullable<PersistentVolume['spec']>> = {}, meta: Partial<NonNullable<PersistentVolume['metadata']>> = {}, phase = 'Available'): PersistentVolume => ({
  apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name, uid: `uid-${name}`, resourceVersion: '1', ...meta },
  spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], storageClassName: 'standard', volumeMode: 'Filesystem',
    persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: `/data/${name}` }, ...extra },
  status: { phase },
});
const pvc = (name: string, size: string, extra: Partial<NonNullable<PersistentVolumeClaim['spec']>> = {}, annotations?: Record<string, string>): PersistentVolumeClaim => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '7', ...(annotations ? { annotations } : {}) },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, storageClassName: 'standard', volumeMode: 'Filesystem', ...extra },
  status: { phase: 'Pending' },
});
const ref = (c: PersistentVolumeClaim) => ({ kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'default', name: c.metadata!.name!, uid: c.metadata!.uid! });
const sc = (name: string, extra: Partial<StorageClass> = {}): StorageClass => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner: 'skiff.dev/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate', ...extra });
const pod = (name: string, claim: string, nodeName?: string): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
  spec: { containers: [], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }], ...(nodeName ? { nodeName } : {}) },
  status: { phase: 'Pending' },
} as Pod);

function ctxOf(volumes: PersistentVolume[], classes: StorageClass[] = [], pods: Pod[] = []): ClaimContext {
  return {
    volumes,
    volume: (n) => volumes.find((v) => v.metadata?.name === n),
    storageClass: (n) => classes.find((c) => c.metadata?.name === n),
    podsUsing: (c) => pods.filter((p) => (p.spec as { volumes?: { persistentVolumeClaim?: { claimName: string } }[] }).volumes?.some((v) => v.persistentVolumeClaim?.claimName === c.metadata?.name)),
  };
}

describe('findBestMatch (index_test.go in spirit)', () => {
  const vols = [pv('big', '10Gi'), pv('small', '2Gi'), pv('tiny', '500Mi'), pv('other-class', '2Gi', { storageClassName: 'fast' }),
    pv('block', '2Gi', { volumeMode: 'Block' }), pv('taken', '1Gi', { claimRef: { namespace: 'default', name: 'x', uid: 'u' } }),
    pv('pending', '1Gi', {}, {}, 'Pending')];
  it('the smallest Available volume of the class, mode and access modes that holds the request', () => {
    expect(findBestMatch(pvc('data', '1Gi'), vols, false)?.metadata?.name).toBe('small');
    expect(findBestMatch(pvc('data', '500Mi'), vols, false)?.metadata?.name).toBe('tiny');
    expect(findBestMatch(pvc('data', '20Gi'), vols, false)).toBeUndefined();
    expect(findBestMatch(pvc('data', '1Gi', { accessModes: ['ReadWriteMany'] }), vols, false)).toBeUndefined();
    expect(findBestMatch(pvc('data', '1Gi', { volumeMode: 'Block' }), vols, false)?.metadata?.name).toBe('block');
    expect(findBestMatch(pvc('data', '1Gi', { storageClassName: 'fast' }), vols, false)?.metadata?.name).toBe('other-class');
    // An unset class matches only volumes without one.
    expect(findBestMatch(pvc('data', '1Gi', { storageClassName: undefined }), [pv('none', '1Gi', { storageClassName: '' }), ...vols], false)?.metadata?.name).toBe('none');
  });
  it('fewer access modes win over a smaller size; the selector filters by labels', () => {
    const two = pv('rwo-rox', '1Gi', { accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] });
    const one = pv('rwo', '5Gi');
    expect(findBestMatch(pvc('data', '1Gi'), [two, one], false)?.metadata?.name).toBe('rwo');
    const gold = pv('gold', '5Gi', {}, { labels: { tier: 'gold' } });
    expect(findBestMatch(pvc('data', '1Gi', { selector: { matchLabels: { tier: 'gold' } } }), [pv('a', '1Gi'), gold], false)?.metadata?.name).toBe('gold');
  });
  it('a volume pre-bound to the claim wins, whatever its class; with delayed binding only it is taken', () => {
    const claim = pvc('data', '1Gi');
    const mine = pv('mine', '5Gi', { storageClassName: 'other', claimRef: { namespace: 'default', name: 'data' } });
    expect(findBestMatch(claim, [pv('free', '1Gi'), mine], false)?.metadata?.name).toBe('mine');
    expect(findBestMatch(claim, [pv('free', '1Gi')], true)).toBeUndefined();
    expect(findBestMatch(claim, [pv('free', '1Gi'), mine], true)?.metadata?.name).toBe('mine');
    // Pre-bound to another uid of the same name: not ours.
    expect(findBestMatch(claim, [pv('stale', '1Gi', { claimRef: { namespace: 'default', name: 'data', uid: 'old' } })], false)).toBeUndefined();
  });
});

describe('decideClaim (unit test sets 1-3)', () => {
  it('1: binds to a match; else provisions through the class, or reports no class', () => {
    const claim = pvc('data', '1Gi');
    expect(decideClaim(claim, ctxOf([pv('v', '1Gi')]))).toMatchObject({ kind: 'bind', volume: { metadata: { name: 'v' } } });
    expect(decideClaim(claim, ctxOf([], [sc('standard')]))).toEqual({
      kind: 'provision', provisioner: 'skiff.dev/local-path',
      event: { type: 'Normal', reason: 'ExternalProvisioning', message: "Waiting for a volume to be created either by the external provisioner 'skiff.dev/local-path' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered." },
    });
    expect(decideClaim(claim, ctxOf([]))).toMatchObject({ kind: 'status', phase: 'Pending', event: { type: 'Warning', reason: 'ProvisioningFailed', message: 'storageclass.storage.k8s.io "standard" not found' } });
    expect(decideClaim(claim, ctxOf([], [sc('standard', { provisioner: 'kubernetes.io/no-provisioner' })]))).toMatchObject({ kind: 'status', event: { reason: 'ProvisioningFailed', message: 'no provisionable volume plugin matched' } });
    expect(decideClaim(pvc('d', '1Gi', { storageClassName: '' }), ctxOf([]))).toMatchObject({ kind: 'status', phase: 'Pending', event: { reason: 'FailedBinding', message: 'no persistent volumes available for this claim and no storage class is set' } });
  });

  it('1: a claim with no class at all gets the default class first (retroactive assignment); "" stays classless', () => {
    const older = { ...sc('old', { metadata: { name: 'old', creationTimestamp: '2026-01-01T00:00:00Z', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } }) };
    const newer = { ...sc('new', { metadata: { name: 'new', creationTimestamp: '2026-02-01T00:00:00Z', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } }) };
    expect(defaultClass([older, newer, sc('plain')])?.metadata?.name).toBe('new');
    const ctx = { ...ctxOf([]), storageClasses: [older, newer] };
    expect(decideClaim(pvc('d', '1Gi', { storageClassName: undefined }), ctx)).toEqual({ kind: 'assignClass', className: 'new' });
    expect(decideClaim(pvc('d', '1Gi', { storageClassName: '' }), ctx)).toMatchObject({ kind: 'status', event: { reason: 'FailedBinding' } });
    expect(decideClaim(pvc('d', '1Gi', { storageClassName: undefined }, { 'volume.beta.kubernetes.io/storage-class': 'x' }), ctx)).not.toMatchObject({ kind: 'assignClass' });
    expect(decideClaim(pvc('d', '1Gi', { storageClassName: undefined }), { ...ctxOf([]), storageClasses: [sc('plain')] })).toMatchObject({ kind: 'status', event: { reason: 'FailedBinding' } });
  });

  it('1: WaitForFirstConsumer waits for a consumer, then for its scheduling, then selects its node', () => {
    const classes = [sc('standard', { volumeBindingMode: 'WaitForFirstConsumer' })];
    const claim = pvc('data', '1Gi');
    // An Available volume is not taken by the binder alone under delayed binding.
    expect(decideClaim(claim, ctxOf([pv('v', '1Gi')], classes))).toMatchObject({ kind: 'status', phase: 'Pending', event: { reason: 'WaitForFirstConsumer', message: 'waiting for first consumer to be created before binding' } });
    expect(decideClaim(claim, ctxOf([], classes, [pod('web-0', 'data')]))).toMatchObject({ event: { reason: 'WaitForPodScheduled', message: 'waiting for pod web-0 to be scheduled' } });
    expect(decideClaim(claim, ctxOf([], classes, [pod('b', 'data'), pod('a', 'data')]))).toMatchObject({ event: { message: 'waiting for pods a,b to be scheduled' } });
    expect(decideClaim(claim, ctxOf([], classes, [pod('a', 'data'), pod('b', 'data', 'node-2')]))).toEqual({ kind: 'selectNode', node: 'node-2' });
    // Once the node is selected, provisioning proceeds as for an Immediate class.
    const selected = pvc('data', '1Gi', {}, { 'volume.kubernetes.io/selected-node': 'node-2' });
    expect(decideClaim(selected, ctxOf([], classes))).toMatchObject({ kind: 'provision' });
    // Also then an Available volume is not taken unless the scheduler pre-bound it (it may be on another node).
    expect(decideClaim(selected, ctxOf([pv('v', '1Gi')], classes))).toMatchObject({ kind: 'provision' });
    expect(decideClaim(selected, ctxOf([pv('v', '1Gi', { claimRef: ref(selected) })], classes))).toMatchObject({ kind: 'bind', volume: { metadata: { name: 'v' } } });
  });

  it('2: a claim naming its volume binds to it if free and fitting, waits if it is missing or taken', () => {
    const claim = pvc('data', '1Gi', { volumeName: 'v' });
    expect(decideClaim(claim, ctxOf([pv('v', '1Gi')]))).toMatchObject({ kind: 'bind' });
    expect(decideClaim(claim, ctxOf([]))).toEqual({ kind: 'status', phase: 'Pending' });
    expect(decideClaim(claim, ctxOf([pv('v', '500Mi')]))).toMatchObject({ kind: 'status', event: { type: 'Warning', reason: 'VolumeMismatch', message: 'Cannot bind to requested volume "v": requested PV is too small' } });
    expect(decideClaim(claim, ctxOf([pv('v', '1Gi', { claimRef: ref(claim) })]))).toMatchObject({ kind: 'bind' });
    expect(decideClaim(claim, ctxOf([pv('v', '1Gi', { claimRef: { namespace: 'default', name: 'other', uid: 'x' } })]))).toMatchObject({ kind: 'status', event: { reason: 'FailedBinding', message: 'volume "v" already bound to a different claim.' } });
  });

  it('3: a bound claim is Lost when its volume or the reference to it goes, or when the volume names another claim', () => {
    const done = { 'pv.kubernetes.io/bind-completed': 'yes' };
    const claim = pvc('data', '1Gi', { volumeName: 'v' }, done);
    expect(decideClaim(claim, ctxOf([pv('v', '1Gi', { claimRef: ref(claim) })]))).toMatchObject({ kind: 'bind' });
    expect(decideClaim(claim, ctxOf([pv('v', '1Gi')]))).toMatchObject({ kind: 'bind' });
    expect(decideClaim(claim, ctxOf([]))).toMatchObject({ kind: 'status', phase: 'Lost', event: { reason: 'ClaimLost', message: 'Bound claim has lost its PersistentVolume. Data on the volume is lost!' } });
    expect(decideClaim(pvc('data', '1Gi', {}, done), ctxOf([]))).toMatchObject({ phase: 'Lost', event: { message: 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!' } });
    expect(decideClaim(claim, ctxOf([pv('v', '1Gi', { claimRef: { namespace: 'default', name: 'data', uid: 'other' } })]))).toMatchObject({ phase: 'Lost', event: { reason: 'ClaimMisbound' } });
  });
});

describe('decideVolume (unit test set 4) and reclaim', () => {
  const claim = pvc('data', '1Gi', { volumeName: 'v' });
  it('a volume follows its claim', () => {
    expect(decideVolume(pv('v', '1Gi', {}, {}, 'Pending'), undefined)).toEqual({ kind: 'phase', phase: 'Available' });
    expect(decideVolume(pv('v', '1Gi', { claimRef: { namespace: 'default', name: 'later' } }), undefined)).toEqual({ kind: 'phase', phase: 'Available' });
    expect(decideVolume(pv('v', '1Gi', { claimRef: ref(claim) }), claim)).toEqual({ kind: 'phase', phase: 'Bound' });
    // The claim has not taken it yet (a provisioned volume): the claim's sync binds.
    expect(decideVolume(pv('v', '1Gi', { claimRef: ref(claim) }), pvc('data', '1Gi'))).toEqual({ kind: 'syncClaim', key: 'default/data' });
  });
  it('a gone claim (or a new one of the same name) releases it; the policy decides what follows', () => {
    expect(decideVolume(pv('v', '1Gi', { claimRef: ref(claim) }), undefined)).toEqual({ kind: 'release', reclaim: { kind: 'retain' } });
    const renewed = { ...claim, metadata: { ...claim.metadata, uid: 'new' } };
    expect(decideVolume(pv('v', '1Gi', { claimRef: ref(claim) }), renewed)).toMatchObject({ kind: 'release' });
    expect(reclaimOf(pv('v', '1Gi', { persistentVolumeReclaimPolicy: 'Delete' }, { annotations: { 'pv.kubernetes.io/provisioned-by': 'skiff.dev/local-path' } }))).toEqual({ kind: 'external', provisioner: 'skiff.dev/local-path' });
    expect(reclaimOf(pv('v', '1Gi', { persistentVolumeReclaimPolicy: 'Delete' }))).toMatchObject({ kind: 'fail', event: { reason: 'VolumeFailedDelete', message: 'error getting deleter volume plugin for volume "v": no deletable volume plugin matched' } });
    expect(reclaimOf(pv('v', '1Gi', { persistentVolumeReclaimPolicy: 'Recycle' }))).toMatchObject({ kind: 'fail', event: { reason: 'VolumeFailedRecycle' } });
  });
  it('bound to a claim that is bound elsewhere: unbound if the controller bound it, deleted if provisioned for it', () => {
    const elsewhere = pvc('data', '1Gi', { volumeName: 'w' });
    expect(decideVolume(pv('v', '1Gi', { claimRef: ref(claim) }, { annotations: { 'pv.kubernetes.io/bound-by-controller': 'yes' } }), elsewhere)).toEqual({ kind: 'unbind' });
    expect(decideVolume(pv('v', '1Gi', { claimRef: ref(claim) }), elsewhere)).toEqual({ kind: 'none' });
    expect(decideVolume(pv('v', '1Gi', { claimRef: ref(claim), persistentVolumeReclaimPolicy: 'Delete' }, { annotations: { 'pv.kubernetes.io/provisioned-by': 'skiff.dev/local-path' } }), elsewhere)).toMatchObject({ kind: 'release', reclaim: { kind: 'external' } });
  });
});

describe('the edits of a bind', () => {
  it('volume: claimRef with uid and resourceVersion, bound-by-controller only when the controller chose it', () => {
    const claim = pvc('data', '1Gi');
    const v = volumeBoundTo(pv('v', '1Gi'), claim)!;
    expect(v.spec?.claimRef).toEqual({ kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data', uid: 'uid-data', apiVersion: 'v1', resourceVersion: '7' });
    expect(v.metadata?.annotations).toEqual({ 'pv.kubernetes.io/bound-by-controller': 'yes' });
    const pre = volumeBoundTo(pv('v', '1Gi', { claimRef: { namespace: 'default', name: 'data' } }), claim)!;
    expect(pre.spec?.claimRef?.uid).toBe('uid-data');
    expect(pre.metadata?.annotations).toBeUndefined();
    expect(volumeBoundTo(v, claim)).toBeUndefined();
    expect(volumeUnbound(v).spec?.claimRef).toBeUndefined();
  });
  it('claim: volumeName, bound-by-controller, bind-completed; status copies modes and capacity', () => {
    const volume = pv('v', '2Gi');
    const c = claimBoundTo(pvc('data', '1Gi'), volume)!;
    expect(c.spec?.volumeName).toBe('v');
    expect(c.metadata?.annotations).toEqual({ 'pv.kubernetes.io/bound-by-controller': 'yes', 'pv.kubernetes.io/bind-completed': 'yes' });
    // A claim that named its volume gets only bind-completed.
    expect(claimBoundTo(pvc('data', '1Gi', { volumeName: 'v' }), volume)!.metadata?.annotations).toEqual({ 'pv.kubernetes.io/bind-completed': 'yes' });
    expect(claimBoundTo(c, volume)).toBeUndefined();
    expect(claimStatus(c, 'Bound', volume)!.status).toEqual({ phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '2Gi' } });
    expect(claimStatus(pvc('x', '1Gi'), 'Pending')).toBeUndefined();
    expect(claimStatus({ ...c, status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '2Gi' } } }, 'Lost')!.status).toEqual({ phase: 'Lost' });
    expect(claimForProvisioner(pvc('x', '1Gi'), 'p')!.metadata?.annotations).toEqual({ 'volume.kubernetes.io/storage-provisioner': 'p', 'volume.beta.kubernetes.io/storage-provisioner': 'p' });
  });
  it('volume phase: a transition time when the phase moves, nothing when it does not', () => {
    const now = new Date('2026-01-02T03:04:05.678Z');
    expect(volumePhase(pv('v', '1Gi', {}, {}, 'Available'), 'Bound', '', now)!.status).toEqual({ phase: 'Bound', lastPhaseTransitionTime: '2026-01-02T03:04:05Z' });
    expect(volumePhase(pv('v', '1Gi', {}, {}, 'Bound'), 'Bound', '', now)).toBeUndefined();
    expect(volumePhase(pv('v', '1Gi', {}, {}, 'Released'), 'Failed', 'no', now)!.status).toMatchObject({ phase: 'Failed', message: 'no' });
  });
});
