/** A StatefulSet's claims: names and labels, the pod's volumes, and the retention policy as owner references (stateful_set_utils_test.go in spirit). */
import { describe, expect, it } from 'vitest';
import { claimIsStale, claimOwnerUpToDate, claimsFor, retentionPolicy, withClaimOwnerRefs, withStorage } from '../../../src/control/controllers/statefulset/claims.js';
import type { StatefulSetLike } from '../../../src/control/controllers/statefulset/decide.js';
import type { Pod } from '../../../src/control/controllers/shared/pod-util.js';
import type { PersistentVolumeClaim } from '../../../src/control/controllers/persistentvolume/types.js';

const set = (replicas: number, policy?: { whenDeleted?: string; whenScaled?: string }): StatefulSetLike => ({
  apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', namespace: 'ns', uid: 'set-uid' },
  spec: {
    replicas, selector: { matchLabels: { app: 'web' } },
    volumeClaimTemplates: [{ metadata: { name: 'www', labels: { tier: 'data' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    ...(policy ? { persistentVolumeClaimRetentionPolicy: policy } : {}),
  },
});
const pod = (ordinal: number): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: `web-${ordinal}`, namespace: 'ns', uid: `pod-${ordinal}` },
  spec: { containers: [], volumes: [{ name: 'www', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c' } }] },
} as Pod);
const claim = (ordinal: number, owners: PersistentVolumeClaim['metadata'] = {}): PersistentVolumeClaim => ({
  ...claimsFor(set(3), ordinal)[0]!.claim, metadata: { ...claimsFor(set(3), ordinal)[0]!.claim.metadata, ...owners },
});
const setRef = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'set-uid', controller: true, blockOwnerDeletion: true };
const podRef = (o: number) => ({ apiVersion: 'v1', kind: 'Pod', name: `web-${o}`, uid: `pod-${o}`, controller: true, blockOwnerDeletion: true });

describe('volumeClaimTemplates', () => {
  it('names each claim <template>-<set>-<ordinal> with the template labels and the set\'s matchLabels', () => {
    const [c] = claimsFor(set(3), 2);
    expect(c!.template).toBe('www');
    expect(c!.claim).toEqual({
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'www-web-2', namespace: 'ns', labels: { tier: 'data', app: 'web' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
  });

  it('the pod mounts its claims in place of template volumes of the same name', () => {
    expect((withStorage(set(3), pod(1)).spec as { volumes: unknown[] }).volumes).toEqual([
      { name: 'www', persistentVolumeClaim: { claimName: 'www-web-1' } }, { name: 'cfg', configMap: { name: 'c' } }]);
  });

  it('retention: Retain everywhere by default; whenDeleted Delete → the set owns the claims', () => {
    expect(retentionPolicy(set(3))).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(claimOwnerUpToDate(claim(0), set(3), pod(0))).toBe(true);
    const s = set(3, { whenDeleted: 'Delete' });
    expect(claimOwnerUpToDate(claim(0), s, pod(0))).toBe(false);
    const owned = withClaimOwnerRefs(claim(0), s, pod(0));
    expect(owned.metadata?.ownerReferences).toEqual([setRef]);
    expect(claimOwnerUpToDate(owned, s, pod(0))).toBe(true);
    // Back to Retain: the reference goes.
    expect(withClaimOwnerRefs(owned, set(3), pod(0)).metadata?.ownerReferences).toBeUndefined();
  });

  it('whenScaled Delete: a scaled-down pod owns its claims, one in range does not', () => {
    const s = set(2, { whenScaled: 'Delete' });
    expect(claimOwnerUpToDate(claim(1), s, pod(1))).toBe(true);
    expect(claimOwnerUpToDate(claim(2), s, pod(2))).toBe(false);
    expect(withClaimOwnerRefs(claim(2), s, pod(2)).metadata?.ownerReferences).toEqual([podRef(2)]);
    const both = set(2, { whenScaled: 'Delete', whenDeleted: 'Delete' });
    expect(withClaimOwnerRefs(claim(1), both, pod(1)).metadata?.ownerReferences).toEqual([setRef]);
    expect(withClaimOwnerRefs(withClaimOwnerRefs(claim(2), both, pod(1)), both, pod(2)).metadata?.ownerReferences).toEqual([podRef(2)]);
  });

  it('leaves alone a claim another controller owns, and one owned by an earlier set of the same name', () => {
    const s = set(3, { whenDeleted: 'Delete' });
    const foreign = claim(0, { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'x', controller: true }] });
    expect(claimOwnerUpToDate(foreign, s, pod(0))).toBe(true);
    expect(withClaimOwnerRefs(foreign, s, pod(0)).metadata?.ownerReferences).toEqual(foreign.metadata?.ownerReferences);
    const stale = claim(0, { ownerReferences: [{ ...setRef, uid: 'old-set' }] });
    expect(claimOwnerUpToDate(stale, s, pod(0))).toBe(true);
    // A reference to the set without controller: true is fixed.
    expect(claimOwnerUpToDate(claim(0, { ownerReferences: [{ ...setRef, controller: false }] }), s, pod(0))).toBe(false);
  });

  it('a claim still owned by an earlier pod of the same name is stale, unless claims are retained on scale-down', () => {
    const s = set(3, { whenScaled: 'Delete' });
    const old = claim(2, { ownerReferences: [podRef(2)] });
    const fresh = { ...pod(2), metadata: { ...pod(2).metadata, uid: undefined } } as Pod;
    expect(claimIsStale(old, s, fresh)).toBe(true);
    expect(claimIsStale(old, s, pod(2))).toBe(false);
    expect(claimIsStale(claim(2), s, fresh)).toBe(false);
    expect(claimIsStale(old, set(3), fresh)).toBe(false);
  });
});
