/**
 * Taints and tolerations as the node lifecycle and taint eviction controllers read them: which taints a node's
 * conditions call for (upstream's TaintNodesByCondition map and the NoExecute not-ready/unreachable taints), the
 * smallest change to a node's taint list, and when a pod on a NoExecute-tainted node must go.
 */
export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' | string;
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal' | string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

/** Upstream's nodeConditionToTaintKeyStatusMap: condition type and status → NoSchedule taint key. */
const CONDITION_TAINTS: { type: string; status: string; key: string }[] = [
  { type: 'Ready', status: 'False', key: TAINT_NOT_READY },
  { type: 'Ready', status: 'Unknown', key: TAINT_UNREACHABLE },
  { type: 'MemoryPressure', status: 'True', key: 'node.kubernetes.io/memory-pressure' },
  { type: 'DiskPressure', status: 'True', key: 'node.kubernetes.io/disk-pressure' },
  { type: 'NetworkUnavailable', status: 'True', key: 'node.kubernetes.io/network-unavailable' },
  { type: 'PIDPressure', status: 'True', key: 'node.kubernetes.io/pid-pressure' },
];

/** Keys of the taints this controller owns, per effect. */
const MANAGED_NO_SCHEDULE = new Set([...CONDITION_TAINTS.map((t) => t.key), TAINT_UNSCHEDULABLE]);
const MANAGED_NO_EXECUTE = new Set([TAINT_NOT_READY, TAINT_UNREACHABLE]);

const isManaged = (t: Taint): boolean =>
  (t.effect === 'NoSchedule' && MANAGED_NO_SCHEDULE.has(t.key)) || (t.effect === 'NoExecute' && MANAGED_NO_EXECUTE.has(t.key));

/** Whether the node carries one of the NoExecute taints this controller gives (not-ready, unreachable). */
export const hasNoExecuteTaint = (taints: readonly Taint[]): boolean => taints.some((t) => t.effect === 'NoExecute' && MANAGED_NO_EXECUTE.has(t.key));

/**
 * The taints a node's state calls for. `noExecute`: whether an unready node may have its NoExecute taint now
 * (its zone's rate let it, or it has one already; never while every zone is lost).
 */
export function desiredManagedTaints(conditions: readonly NodeCondition[], unschedulable: boolean, noExecute: boolean): Taint[] {
  const out: Taint[] = [];
  for (const m of CONDITION_TAINTS) {
    if (conditions.some((c) => c.type === m.type && c.status === m.status)) out.push({ key: m.key, effect: 'NoSchedule' });
  }
  if (unschedulable) out.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
  const ready = conditions.find((c) => c.type === 'Ready');
  if (noExecute && ready?.status === 'False') out.push({ key: TAINT_NOT_READY, effect: 'NoExecute' });
  if (noExecute && ready?.status === 'Unknown') out.push({ key: TAINT_UNREACHABLE, effect: 'NoExecute' });
  return out;
}

/**
 * The node's taint list with managed taints brought to `desired`: others' taints untouched, a taint already
 * present keeps its timeAdded, new NoExecute taints get `now`. Null when nothing changes.
 */
export function reconcileTaints(current: readonly Taint[], desired: readonly Taint[], now: string): Taint[] | null {
  const same = (a: Taint, b: Taint): boolean => a.key === b.key && a.effect === b.effect;
  const kept = current.filter((t) => !isManaged(t) || desired.some((d) => same(d, t)));
  const added = desired.filter((d) => !current.some((t) => same(d, t))).map((d) => (d.effect === 'NoExecute' ? { ...d, timeAdded: now } : d));
  if (kept.length === current.length && added.length === 0) return null;
  return [...kept, ...added];
}

/** v1 Toleration.ToleratesTaint. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  const op = t.operator || 'Equal';
  if (op === 'Exists') return true;
  if (op === 'Equal') return (t.value ?? '') === (taint.value ?? '');
  return false;
}

/**
 * When a pod on a node with these NoExecute taints must be evicted (ms since the epoch): `now` when a taint is
 * not tolerated, the earliest taint time plus the smallest tolerationSeconds among the tolerations used, or null
 * when it may stay (no NoExecute taint, or tolerated forever). Upstream's taint eviction controller.
 */
export function evictionTime(tolerations: readonly Toleration[], taints: readonly Taint[], now: number): number | null {
  const noExecute = taints.filter((t) => t.effect === 'NoExecute');
  if (noExecute.length === 0) return null;
  let minSeconds = Infinity;
  let since = now;
  for (const taint of noExecute) {
    const used = tolerations.filter((t) => tolerates(t, taint));
    if (used.length === 0) return now;
    for (const t of used) if (t.tolerationSeconds !== undefined) minSeconds = Math.min(minSeconds, Math.max(0, t.tolerationSeconds));
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : NaN;
    if (Number.isFinite(added)) since = Math.min(since, added);
  }
  if (minSeconds === Infinity) return null;
  return since + minSeconds * 1000;
}
