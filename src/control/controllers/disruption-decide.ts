/**
 * The disruption controller's arithmetic (upstream's pkg/controller/disruption), as pure functions: the expected
 * pod count (the selected pods, or with maxUnavailable / a percentage minAvailable the summed scale of their
 * controllers), the desired healthy count (percentages rounded up), the pods recently evicted that still count
 * as gone (status.disruptedPods within the 2-minute deletion timeout), healthy pods, the disruptions allowed,
 * and the DisruptionAllowed condition.
 */
import type { KubeObject } from '../../client/types.js';
import { isPodReady, type Pod } from './shared/pod-util.js';

/** How long an eviction may take to become a deletion before the pod counts again (upstream's DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

export interface PDBCondition {
  type: string;
  status: 'True' | 'False' | string;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface PDBStatus {
  observedGeneration?: number;
  disruptedPods?: Record<string, string>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  conditions?: PDBCondition[];
}

export interface PodDisruptionBudget extends KubeObject {
  spec?: {
    minAvailable?: number | string;
    maxUnavailable?: number | string;
    selector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | null;
    unhealthyPodEvictionPolicy?: string;
  };
  status?: PDBStatus;
}

/** intstr.GetScaledValueFromIntOrPercent: an integer, or a percentage of `total` (rounded up or down). */
export function scaledValue(v: number | string, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw new Error(`invalid value for IntOrString: invalid value "${v}": must be an integer or percentage (e.g "5%")`);
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** Whether the budget needs its pods' controllers' scale (maxUnavailable, or minAvailable as a percentage). */
export function needsScale(pdb: PodDisruptionBudget): boolean {
  const s = pdb.spec ?? {};
  return (s.maxUnavailable !== undefined && s.maxUnavailable !== null) || typeof s.minAvailable === 'string';
}

/**
 * getExpectedPodCount: (expectedCount, desiredHealthy). `expectedScale` is the summed scale of the pods'
 * controllers, needed only when needsScale(); with an integer minAvailable the expected count is the pods seen.
 */
export function expectedPodCount(pdb: PodDisruptionBudget, podCount: number, expectedScale: number): { expectedCount: number; desiredHealthy: number } {
  const s = pdb.spec ?? {};
  if (s.maxUnavailable !== undefined && s.maxUnavailable !== null) {
    const maxUnavailable = scaledValue(s.maxUnavailable, expectedScale, true);
    return { expectedCount: expectedScale, desiredHealthy: Math.max(0, expectedScale - maxUnavailable) };
  }
  if (typeof s.minAvailable === 'string') {
    return { expectedCount: expectedScale, desiredHealthy: scaledValue(s.minAvailable, expectedScale, true) };
  }
  if (typeof s.minAvailable === 'number') return { expectedCount: podCount, desiredHealthy: s.minAvailable };
  // Neither set: upstream's validation refuses this; nothing is required.
  return { expectedCount: podCount, desiredHealthy: 0 };
}

/**
 * buildDisruptedPodMap: recorded evictions of pods not yet being deleted and within the timeout; also the
 * earliest time one of them expires (to look again then) and the pods whose deletion never came.
 */
export function disruptedPodMap(
  pods: Pod[], pdb: PodDisruptionBudget, nowMs: number,
): { disrupted: Record<string, string>; recheckAtMs?: number; notDeleted: Pod[] } {
  const recorded = pdb.status?.disruptedPods ?? {};
  const disrupted: Record<string, string> = {};
  const notDeleted: Pod[] = [];
  let recheckAtMs: number | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const name = pod.metadata?.name ?? '';
    const at = recorded[name];
    if (at === undefined) continue;
    const expected = (Date.parse(at) || 0) + DELETION_TIMEOUT_MS;
    if (expected < nowMs) {
      notDeleted.push(pod);
    } else {
      if (recheckAtMs === undefined || expected < recheckAtMs) recheckAtMs = expected;
      disrupted[name] = at;
    }
  }
  return { disrupted, recheckAtMs, notDeleted };
}

/** countHealthyPods: ready pods that are neither being deleted nor recently evicted. */
export function countHealthyPods(pods: Pod[], disrupted: Record<string, string>, nowMs: number): number {
  let healthy = 0;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const at = disrupted[pod.metadata?.name ?? ''];
    if (at !== undefined && (Date.parse(at) || 0) + DELETION_TIMEOUT_MS > nowMs) continue;
    if (isPodReady(pod)) healthy++;
  }
  return healthy;
}

/** pdbhelper.UpdateDisruptionAllowedCondition, keeping the transition time while the status holds. */
export function disruptionAllowedCondition(conditions: PDBCondition[] | undefined, allowed: number, observedGeneration: number, nowIso: string): PDBCondition[] {
  const next: PDBCondition = allowed > 0
    ? { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration }
    : { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration };
  return setPDBCondition(conditions, next, nowIso);
}

/** apimeta.SetStatusCondition. */
export function setPDBCondition(conditions: PDBCondition[] | undefined, next: PDBCondition, nowIso: string): PDBCondition[] {
  const out = (conditions ?? []).map((c) => ({ ...c }));
  const i = out.findIndex((c) => c.type === next.type);
  if (i < 0) out.push({ ...next, lastTransitionTime: nowIso });
  else out[i] = { ...next, lastTransitionTime: out[i]!.status === next.status && out[i]!.lastTransitionTime ? out[i]!.lastTransitionTime : nowIso };
  return out;
}

/** pdbhelper.ConditionsAreUpToDate. */
export function conditionsAreUpToDate(pdb: PodDisruptionBudget): boolean {
  const c = pdb.status?.conditions?.find((x) => x.type === 'DisruptionAllowed');
  if (!c || c.observedGeneration !== (pdb.status?.observedGeneration ?? 0)) return false;
  return (pdb.status?.disruptionsAllowed ?? 0) > 0 ? c.status === 'True' && c.reason === 'SufficientPods' : c.status === 'False' && c.reason === 'InsufficientPods';
}

/** The status the controller writes, or undefined when the current one already says it (updatePdbStatus). */
export function nextStatus(
  pdb: PodDisruptionBudget, currentHealthy: number, desiredHealthy: number, expectedCount: number, disrupted: Record<string, string>, nowIso: string,
): PDBStatus | undefined {
  // Only a budget that expects pods can allow disruptions: its first pods must not race an unwritten status.
  let allowed = currentHealthy - desiredHealthy;
  if (expectedCount <= 0 || allowed <= 0) allowed = 0;
  const s = pdb.status;
  const generation = pdb.metadata?.generation ?? 0;
  const samePods = JSON.stringify(Object.entries(s?.disruptedPods ?? {}).sort()) === JSON.stringify(Object.entries(disrupted).sort());
  if (s && s.currentHealthy === currentHealthy && s.desiredHealthy === desiredHealthy && s.expectedPods === expectedCount
    && s.disruptionsAllowed === allowed && samePods && s.observedGeneration === generation && conditionsAreUpToDate(pdb)) {
    return undefined;
  }
  const status: PDBStatus = {
    observedGeneration: generation,
    disruptionsAllowed: allowed,
    currentHealthy,
    desiredHealthy,
    expectedPods: expectedCount,
    conditions: disruptionAllowedCondition(s?.conditions, allowed, generation, nowIso),
  };
  if (Object.keys(disrupted).length) status.disruptedPods = disrupted;
  return status;
}
