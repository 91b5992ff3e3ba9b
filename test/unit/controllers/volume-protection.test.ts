/** pvc-protection and pv-protection decisions (pvc_protection_controller_test.go / pv_protection_controller_test.go in spirit). */
import { describe, expect, it } from 'vitest';
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
