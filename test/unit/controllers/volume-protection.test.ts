/** pvc-protection, pv-protection and ephemeral-volume decisions (pvc_protection_controller_test.go / pv_protection_controller_test.go in spirit). */
import { describe, expect, it } from 'vitest';
import { ephemeralClaims, verifyClaimOwner } from '../../../src/control/controllers/persistentvolume/ephemeral.js';
import { claimProtection, volumeProtection } from '../../../src/control/controllers/persistentvolume/protection.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../../../src/control/controllers/persistentvolume/types.js';
import type { Pod } from '../../../src/control/controllers/shared/pod-util.js';

const F = 'kubernetes.io/pvc-protection';
const claim = (finalizers?: string[], deleting = false): PersistentVolumeClaim => ({
  metadata: { name: 'data', namespace: 'ns', ...(finalizers ? { finalizers } : {}), ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
});
const pod = (nodeName?: string, claimName = 'data', ns = 'ns'): Pod => ({
  metadata: { name: 'p', namespace: ns }, spec: { containers: [], ...(nodeName ? { nodeName } : {}), volumes: [{ name: 'v', persistentVolumeClaim: { claimName } }] },
} as Pod);

describe('pvc-protection', () => {
  it('adds the finalizer to a live claim that lacks it', () => {
    expect(claimProtection(claim(), [])).toBe('add');
    expect(claimProtection(claim([F]), [])).toBe('none');
  });
  it('a deleted claim keeps it while a scheduled pod uses the claim', () => {
    expect(claimProtection(claim([F], true), [pod('node-1')])).toBe('none');
    // Unscheduled pods and pods of other claims do not hold it.
    expect(claimProtection(claim([F], true), [pod(), pod('node-1', 'other'), pod('node-1', 'data', 'elsewhere')])).toBe('remove');
    expect(claimProtection(claim(undefined, true), [])).toBe('none');
  });
});

describe('pv-protection', () => {
  const pv = (phase: string, finalizers?: string[], deleting = false): PersistentVolume => ({
    metadata: { name: 'v', ...(finalizers ? { finalizers } : {}), ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) }, status: { phase },
  });
  it('adds the finalizer; removes it from a deleted volume once it is not Bound', () => {
    expect(volumeProtection(pv('Available'))).toBe('add');
    expect(volumeProtection(pv('Bound', ['kubernetes.io/pv-protection'], true))).toBe('none');
    expect(volumeProtection(pv('Released', ['kubernetes.io/pv-protection'], true))).toBe('remove');
  });
});

describe('ephemeral-volume', () => {
  const p = {
    metadata: { name: 'web', namespace: 'ns', uid: 'pod-uid' },
    spec: { containers: [], volumes: [{ name: 'cfg', configMap: { name: 'c' } }, { name: 'scratch', ephemeral: { volumeClaimTemplate: {
      metadata: { labels: { type: 'scratch' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } }] },
  } as unknown as Pod;
  it('a claim <pod>-<volume> per ephemeral volume, controlled by the pod; none for a pod being deleted', () => {
    expect(ephemeralClaims(p)).toEqual([{
      apiVersion: 'v1', kind: 'PersistentVolumeClaim',
      metadata: { name: 'web-scratch', namespace: 'ns', labels: { type: 'scratch' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'pod-uid', controller: true, blockOwnerDeletion: true }] },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    }]);
    expect(ephemeralClaims({ ...p, metadata: { ...p.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } })).toEqual([]);
  });
  it('never adopts a claim the pod does not control', () => {
    const mine = ephemeralClaims(p)[0]!;
    expect(verifyClaimOwner(mine, p)).toBeUndefined();
    expect(verifyClaimOwner({ metadata: { name: 'web-scratch', namespace: 'ns' } }, p)).toBe('PVC ns/web-scratch was not created for pod ns/web (pod is not owner)');
  });
});
