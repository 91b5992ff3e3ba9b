import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/client/types.js';
import { claimRefFor, findMatchingVolume, fits, volumeAction, waitsForConsumer } from '../../../src/control/controllers/persistentvolume/binder.js';

const pv = (name: string, size: string, extra: Record<string, unknown> = {}, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name, uid: `uid-${name}`, ...(labels ? { labels } : {}) },
  spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce', 'ReadOnlyMany'], storageClassName: 'standard', volumeMode: 'Filesystem',
    persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: `/data/${name}` }, ...extra },
});
const pvc = (name: string, size: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '7' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, storageClassName: 'standard', volumeMode: 'Filesystem', ...extra },
});

describe('persistent volume binding decisions', () => {
  it('a claim gets the smallest volume that fits its class, mode, access modes, selector and size', () => {
    const vols = [pv('big', '10Gi'), pv('small', '2Gi'), pv('tiny', '500Mi'), pv('other-class', '2Gi', { storageClassName: 'fast' }),
      pv('block', '2Gi', { volumeMode: 'Block' }), pv('taken', '1Gi', { claimRef: { namespace: 'default', name: 'x', uid: 'u' } })];
    expect(findMatchingVolume(pvc('data', '1Gi'), vols)?.metadata?.name).toBe('small');
    expect(findMatchingVolume(pvc('data', '20Gi'), vols)).toBeUndefined();
    expect(findMatchingVolume(pvc('data', '1Gi', { accessModes: ['ReadWriteMany'] }), vols)).toBeUndefined();
    expect(findMatchingVolume(pvc('data', '1Gi', { volumeMode: 'Block' }), vols)?.metadata?.name).toBe('block');
    const labelled = [pv('a', '1Gi'), pv('b', '5Gi', {}, { tier: 'gold' })];
    expect(findMatchingVolume(pvc('data', '1Gi', { selector: { matchLabels: { tier: 'gold' } } }), labelled)?.metadata?.name).toBe('b');
    // An unset class matches only volumes without one.
    expect(fits(pv('none', '1Gi', { storageClassName: '' }), pvc('d', '1Gi', { storageClassName: undefined }))).toBe(true);
  });

  it('a volume pre-bound to the claim wins over a smaller free one', () => {
    const vols = [pv('free', '1Gi'), pv('mine', '5Gi', { claimRef: { namespace: 'default', name: 'data' } })];
    expect(findMatchingVolume(pvc('data', '1Gi'), vols)?.metadata?.name).toBe('mine');
  });

  it('WaitForFirstConsumer classes wait for the selected-node annotation', () => {
    const classes: KubeObject[] = [{ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'standard' }, volumeBindingMode: 'WaitForFirstConsumer' }];
    expect(waitsForConsumer(pvc('data', '1Gi'), classes)).toBe(true);
    const picked = pvc('data', '1Gi');
    picked.metadata!.annotations = { 'volume.kubernetes.io/selected-node': 'node-1' };
    expect(waitsForConsumer(picked, classes)).toBe(false);
    expect(waitsForConsumer(pvc('data', '1Gi'), [])).toBe(false);
  });

  it('a volume\'s phase follows its claim; a lost claim releases or deletes it by policy', () => {
    const claim = pvc('data', '1Gi', { volumeName: 'v' });
    expect(volumeAction(pv('v', '1Gi'), undefined)).toEqual({ phase: 'Available' });
    expect(volumeAction(pv('v', '1Gi', { claimRef: { namespace: 'default', name: 'later' } }), undefined)).toEqual({ phase: 'Available' });
    expect(volumeAction(pv('v', '1Gi', { claimRef: claimRefFor(claim) }), claim)).toEqual({ phase: 'Bound' });
    expect(volumeAction(pv('v', '1Gi', { claimRef: claimRefFor(claim) }), undefined)).toEqual({ phase: 'Released' });
    expect(volumeAction(pv('v', '1Gi', { claimRef: claimRefFor(claim), persistentVolumeReclaimPolicy: 'Delete' }), undefined)).toEqual({ delete: true });
    // A new claim of the same name is not the one the volume was bound to.
    expect(volumeAction(pv('v', '1Gi', { claimRef: claimRefFor(claim) }), { ...claim, metadata: { ...claim.metadata, uid: 'other' } })).toEqual({ phase: 'Released' });
    expect(claimRefFor(claim)).toEqual({ kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data', uid: 'uid-data', apiVersion: 'v1', resourceVersion: '7' });
  });
});
