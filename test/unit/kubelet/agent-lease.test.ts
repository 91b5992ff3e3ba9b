import { describe, expect, it } from 'vitest';
import { buildLease, firstRenewAt, nextRenewAt, renewDecision, retryRenewAt } from '../../../src/dataplane/kubelet/lease.js';

const owner = { nodeName: 'n1', nodeUid: 'u-1', durationSeconds: 40 };
const T0 = Date.parse('2025-01-02T03:04:05.000Z');

describe('lease renew decision', () => {
  it('creates a lease owned by the Node when none is held', () => {
    const d = renewDecision({ running: true }, owner, T0);
    expect(d.action).toBe('create');
    if (d.action !== 'create') return;
    expect(d.lease).toEqual({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'n1', namespace: 'kube-node-lease', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'u-1' }] },
      spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: '2025-01-02T03:04:05.000000Z' },
    });
  });

  it('updates the held lease (keeping its resourceVersion) with a new renewTime', () => {
    const held = { ...buildLease({ nodeName: 'n1', durationSeconds: 40 }, T0), metadata: { name: 'n1', namespace: 'kube-node-lease', resourceVersion: '42', managedFields: [{}] } };
    const d = renewDecision({ running: true, lease: held }, owner, T0 + 10_000);
    expect(d.action).toBe('update');
    if (d.action !== 'update') return;
    expect(d.lease.metadata).toEqual({ name: 'n1', namespace: 'kube-node-lease', resourceVersion: '42', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'u-1' }] });
    expect((d.lease.spec as { renewTime: string }).renewTime).toBe('2025-01-02T03:04:15.000000Z');
    // Held lease untouched.
    expect(held.metadata.resourceVersion).toBe('42');
    expect((held.spec as { renewTime: string }).renewTime).toBe('2025-01-02T03:04:05.000000Z');
  });

  it('skips while the lease-stop fault holds', () => {
    expect(renewDecision({ running: false, lease: buildLease(owner, T0) }, owner, T0 + 10_000)).toEqual({ action: 'skip' });
    expect(renewDecision({ running: false }, owner, T0)).toEqual({ action: 'skip' });
  });

  it('renews every interval plus up to 4% jitter; the first renewal spreads over one interval; retries back off to the interval', () => {
    expect(nextRenewAt(0, 10_000, () => 0)).toBe(10_000);
    expect(nextRenewAt(0, 10_000, () => 1)).toBe(10_400);
    expect(firstRenewAt(100, 10_000, () => 0.5)).toBe(5_100);
    expect(retryRenewAt(0, 1, 10_000)).toBe(200);
    expect(retryRenewAt(0, 3, 10_000)).toBe(800);
    expect(retryRenewAt(0, 20, 10_000)).toBe(10_000);
  });
});
