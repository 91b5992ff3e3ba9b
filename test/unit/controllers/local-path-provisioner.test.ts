/** The local-path provisioner's decisions: which claims it provisions, the volume it makes, which volumes it deletes. */
import { describe, expect, it } from 'vitest';
import { decideProvision, localPathOf, shouldDelete } from '../../../src/control/controllers/persistentvolume/local-path-volume.js';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../../src/control/controllers/persistentvolume/types.js';

const ROOT = '/srv/skiff/local-path';
const sc = (extra: Partial<StorageClass> = {}): StorageClass => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local-path' }, provisioner: 'skiff.dev/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer', ...extra });
const claim = (annotations: Record<string, string>, spec: Partial<NonNullable<PersistentVolumeClaim['spec']>> = {}): PersistentVolumeClaim => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'apps', uid: 'u-1', resourceVersion: '9', annotations },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } }, storageClassName: 'local-path', volumeMode: 'Filesystem', ...spec },
});
const marked = { 'volume.kubernetes.io/storage-provisioner': 'skiff.dev/local-path', 'volume.beta.kubernetes.io/storage-provisioner': 'skiff.dev/local-path' };
const onNode = { ...marked, 'volume.kubernetes.io/selected-node': 'node-a' };

describe('local-path provisioning', () => {
  it('makes a hostPath volume pre-bound to the claim, pinned to the selected node, with the class policy', () => {
    const d = decideProvision(claim(onNode), sc(), undefined, ROOT);
    expect(d).toEqual({
      kind: 'create',
      volume: {
        apiVersion: 'v1', kind: 'PersistentVolume',
        metadata: { name: 'pvc-u-1', annotations: { 'pv.kubernetes.io/provisioned-by': 'skiff.dev/local-path' } },
        spec: {
          capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Delete', storageClassName: 'local-path', volumeMode: 'Filesystem',
          claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'apps', name: 'data', uid: 'u-1', resourceVersion: '9' },
          hostPath: { path: '/srv/skiff/local-path/pvc-u-1', type: 'DirectoryOrCreate' },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-a'] }] }] } },
        },
      },
    });
    // Immediate: no node yet, no affinity; Retain from the class; rancher's name is honoured too.
    const rancher = { 'volume.kubernetes.io/storage-provisioner': 'rancher.io/local-path' };
    const imm = decideProvision(claim(rancher), sc({ provisioner: 'rancher.io/local-path', volumeBindingMode: 'Immediate', reclaimPolicy: 'Retain' }), undefined, ROOT);
    expect(imm.kind === 'create' && imm.volume.spec?.nodeAffinity).toBeUndefined();
    expect(imm.kind === 'create' && imm.volume.spec?.persistentVolumeReclaimPolicy).toBe('Retain');
    expect(imm.kind === 'create' && imm.volume.metadata?.annotations).toEqual({ 'pv.kubernetes.io/provisioned-by': 'rancher.io/local-path' });
  });

  it('leaves alone what is not its own, already bound or provisioned, or still waiting for a node', () => {
    expect(decideProvision(claim({}), sc(), undefined, ROOT)).toEqual({ kind: 'skip' });
    expect(decideProvision(claim({ 'volume.kubernetes.io/storage-provisioner': 'ebs.csi.aws.com' }), sc(), undefined, ROOT)).toEqual({ kind: 'skip' });
    expect(decideProvision(claim(marked), sc(), undefined, ROOT)).toEqual({ kind: 'skip' });
    expect(decideProvision(claim(onNode, { volumeName: 'x' }), sc(), undefined, ROOT)).toEqual({ kind: 'skip' });
    expect(decideProvision(claim(onNode), sc(), { metadata: { name: 'pvc-u-1' } }, ROOT)).toEqual({ kind: 'skip' });
    expect(decideProvision(claim(onNode), undefined, undefined, ROOT)).toEqual({ kind: 'skip' });
  });

  it('refuses what a directory on one node cannot be', () => {
    expect(decideProvision(claim(onNode, { accessModes: ['ReadWriteMany'] }), sc(), undefined, ROOT)).toMatchObject({ kind: 'fail', message: expect.stringContaining('ReadWriteMany') });
    expect(decideProvision(claim(onNode, { volumeMode: 'Block' }), sc(), undefined, ROOT)).toMatchObject({ kind: 'fail' });
    expect(decideProvision(claim(onNode, { selector: { matchLabels: { a: 'b' } } }), sc(), undefined, ROOT)).toEqual({ kind: 'fail', message: 'claim.Spec.Selector is not supported' });
  });

  it('deletes only its own Released Delete volumes, and only the directory it made', () => {
    const made = (phase: string, policy = 'Delete', by = 'skiff.dev/local-path', path = `${ROOT}/pvc-u-1`): PersistentVolume => ({
      metadata: { name: 'pvc-u-1', annotations: { 'pv.kubernetes.io/provisioned-by': by } },
      spec: { persistentVolumeReclaimPolicy: policy, hostPath: { path } }, status: { phase },
    });
    expect(shouldDelete(made('Released'))).toBe(true);
    expect(shouldDelete(made('Bound'))).toBe(false);
    expect(shouldDelete(made('Released', 'Retain'))).toBe(false);
    expect(shouldDelete(made('Released', 'Delete', 'other.io/x'))).toBe(false);
    expect(localPathOf(made('Released'), ROOT)).toBe(`${ROOT}/pvc-u-1`);
    expect(localPathOf(made('Released', 'Delete', 'skiff.dev/local-path', '/etc'), ROOT)).toBeUndefined();
    expect(localPathOf(made('Released', 'Delete', 'skiff.dev/local-path', `${ROOT}/../pvc-u-1`), ROOT)).toBeUndefined();
  });
});
