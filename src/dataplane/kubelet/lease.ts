/**
 * Node leases (kube-node-lease/<node>): the kubelet's cheap heartbeat. Pure decisions and builders; the agent
 * does the I/O. Upstream: leaseDurationSeconds 40, renewed every quarter of that (10 s) with a 4% jitter.
 */
import type { KubeObject } from '../../client/types.js';
import { rfc3339Micro } from './node-object.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const DEFAULT_LEASE_DURATION_SECONDS = 40;
/** The lease controller renews at this fraction of the duration. */
export const RENEW_INTERVAL_FRACTION = 0.25;
export const RENEW_JITTER = 0.04;

export interface LeaseState {
  /** False while the lease-stop fault holds: the node goes silent on its lease. */
  running: boolean;
  /** The last lease this agent read or wrote (carries resourceVersion for the next update), if any. */
  lease?: KubeObject;
}

export type RenewAction = { action: 'skip' } | { action: 'create'; lease: KubeObject } | { action: 'update'; lease: KubeObject };

export interface LeaseOwner {
  nodeName: string;
  /** The Node's uid, for the ownerReference (the garbage collector deletes a deleted node's lease). */
  nodeUid?: string;
  durationSeconds: number;
}

function ownerRefs(o: LeaseOwner) {
  return o.nodeUid ? [{ apiVersion: 'v1', kind: 'Node', name: o.nodeName, uid: o.nodeUid }] : undefined;
}

export function buildLease(o: LeaseOwner, now: number): KubeObject {
  const refs = ownerRefs(o);
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: o.nodeName, namespace: NODE_LEASE_NAMESPACE, ...(refs ? { ownerReferences: refs } : {}) },
    spec: { holderIdentity: o.nodeName, leaseDurationSeconds: o.durationSeconds, renewTime: rfc3339Micro(now) },
  };
}

/** What to do when a renewal is due: nothing (stopped), create the lease, or update the one we hold. */
export function renewDecision(state: LeaseState, owner: LeaseOwner, now: number): RenewAction {
  if (!state.running) return { action: 'skip' };
  if (!state.lease) return { action: 'create', lease: buildLease(owner, now) };
  const cur = state.lease;
  const spec = (cur.spec ?? {}) as Record<string, unknown>;
  const meta = { ...(cur.metadata ?? {}) };
  delete meta.managedFields;
  // The kubelet sets the owner once the Node exists (a lease made before registration has none).
  const refs = ownerRefs(owner);
  if (refs && !(meta.ownerReferences ?? []).some((r) => r.uid === owner.nodeUid)) meta.ownerReferences = refs;
  return {
    action: 'update',
    lease: { ...cur, metadata: meta, spec: { ...spec, holderIdentity: owner.nodeName, leaseDurationSeconds: owner.durationSeconds, renewTime: rfc3339Micro(now) } },
  };
}

/** The next renewal: one interval later, stretched by up to `jitter` of it (wait.JitterUntil). */
export function nextRenewAt(now: number, intervalMs: number, random: () => number, jitter = RENEW_JITTER): number {
  return now + intervalMs * (1 + jitter * random());
}

/** The first renewal after registration, anywhere in the first period, so many nodes do not renew in step. */
export function firstRenewAt(now: number, intervalMs: number, random: () => number): number {
  return now + intervalMs * random();
}

/** After a failed renewal: retry sooner than a full interval (200 ms doubling, capped at the interval). */
export function retryRenewAt(now: number, failures: number, intervalMs: number): number {
  return now + Math.min(intervalMs, 200 * 2 ** Math.min(failures - 1, 10));
}
