/**
 * Node health as the node lifecycle controller judges it: a node is alive while its Lease (or its Ready
 * condition's heartbeat) moves. Times are this controller's own observations, never the node's clock: a change
 * seen at `now` resets the probe time; past the grace period the node's conditions turn Unknown.
 */
import type { NodeCondition } from './taints.js';

export interface NodeHealth {
  /** When this controller last saw the node prove it is alive (its clock). */
  probeTimestamp: number;
  /** What it saw: the Ready condition's heartbeat and status, and the Lease's renewTime. */
  readyHeartbeat: string;
  leaseRenewTime: string;
}

/** The conditions a kubelet posts and that go Unknown when it falls silent. */
export const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

export function observeHealth(prev: NodeHealth | undefined, conditions: readonly NodeCondition[], leaseRenewTime: string | undefined, now: number): NodeHealth {
  const ready = conditions.find((c) => c.type === 'Ready');
  const readyHeartbeat = ready ? `${ready.status}|${ready.lastHeartbeatTime ?? ''}` : '';
  const renew = leaseRenewTime ?? '';
  if (!prev) return { probeTimestamp: now, readyHeartbeat, leaseRenewTime: renew };
  if (prev.readyHeartbeat !== readyHeartbeat || prev.leaseRenewTime !== renew) return { probeTimestamp: now, readyHeartbeat, leaseRenewTime: renew };
  return prev;
}

/**
 * The node's conditions once it has been silent past its grace period (the startup grace period while it has
 * never posted Ready): each kubelet condition Unknown, with upstream's reasons. Null while alive or already
 * Unknown everywhere.
 */
export function silentNodeConditions(
  conditions: readonly NodeCondition[],
  health: NodeHealth,
  now: number,
  gracePeriodMs: number,
  startupGracePeriodMs: number,
  nowText: string,
): NodeCondition[] | null {
  const ready = conditions.find((c) => c.type === 'Ready');
  const grace = ready ? gracePeriodMs : startupGracePeriodMs;
  if (now <= health.probeTimestamp + grace) return null;
  let changed = false;
  const out = conditions.map((c) => ({ ...c }));
  for (const type of KUBELET_CONDITIONS) {
    const c = out.find((x) => x.type === type);
    if (!c) {
      out.push({ type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: nowText, lastTransitionTime: nowText });
      changed = true;
    } else if (c.status !== 'Unknown') {
      c.status = 'Unknown';
      c.reason = 'NodeStatusUnknown';
      c.message = 'Kubelet stopped posting node status.';
      c.lastTransitionTime = nowText;
      changed = true;
    }
  }
  return changed ? out : null;
}
