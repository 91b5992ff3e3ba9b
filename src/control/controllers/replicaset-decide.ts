/**
 * The ReplicaSet controller's decisions as pure functions (upstream's pkg/controller/replicaset and the ranking
 * in controller_utils): how many pods to create or delete, which pods go first on scale-down, the status a sync
 * writes, and slow-start batching of creates.
 */
import { rfc3339 } from '../../client/time.js';
import type { KubeObject, ObjectMeta } from '../../client/types.js';
import { controllerOf, isPodActive, isPodAvailable, isPodReady, podReadyCondition, podReadyTime, type Pod, type PodTemplateSpec } from './shared/pod-util.js';

/** --concurrent burst: at most this many creates or deletes per sync (upstream's BurstReplicas). */
export const BURST_REPLICAS = 500;
/** The first slow-start batch (upstream's SlowStartInitialBatchSize). */
export const SLOW_START_INITIAL_BATCH_SIZE = 1;
export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';
export const REPLICA_FAILURE = 'ReplicaFailure';

export interface ReplicaSetCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ReplicaSetStatus {
  replicas?: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaSetCondition[];
  [field: string]: unknown;
}

/** A ReplicaSet or a ReplicationController: the fields the sync reads are the same in both kinds. */
export interface ReplicaSetLike extends KubeObject {
  metadata?: ObjectMeta;
  spec?: { replicas?: number; minReadySeconds?: number; selector?: unknown; template?: PodTemplateSpec; [field: string]: unknown };
  status?: ReplicaSetStatus;
}

/** spec.replicas, which the API server defaults to 1. */
export const specReplicas = (rs: ReplicaSetLike): number => rs.spec?.replicas ?? 1;

/** The change one sync makes: a positive `create`, a positive `delete`, or neither; bounded by the burst. */
export function replicaDiff(activePods: number, desired: number, burst = BURST_REPLICAS): { create: number; delete: number } {
  const diff = activePods - desired;
  if (diff < 0) return { create: Math.min(-diff, burst), delete: 0 };
  if (diff > 0) return { create: 0, delete: Math.min(diff, burst) };
  return { create: 0, delete: 0 };
}

/**
 * slowStartBatch: calls `fn` `count` times in batches of 1, 2, 4, … run concurrently; stops after the first batch
 * with a failure. Returns how many calls succeeded and the first error. A quota or admission failure thus costs
 * one call, not hundreds.
 */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length) return { successes, error: failed[0]!.reason };
    remaining -= batch;
  }
  return { successes };
}

// ------------------------------------------------------------------------------------------------ events

/**
 * Whether a pod update (labels aside, which the caller compares) can change what a sync of its owner decides or
 * writes: its controller, the start of its deletion, its phase (active or terminal), its Ready condition (status
 * and transition time, for availability). A binding or a terminating pod's further updates change none of them.
 */
export function podChangeMatters(old: Pod, cur: Pod): boolean {
  if (controllerOf(old)?.uid !== controllerOf(cur)?.uid) return true;
  const oldDeleting = !!old.metadata?.deletionTimestamp;
  const curDeleting = !!cur.metadata?.deletionTimestamp;
  if (curDeleting) return !oldDeleting;
  if (oldDeleting) return true; // cannot happen upstream; be safe
  if (old.status?.phase !== cur.status?.phase) return true;
  const a = podReadyCondition(old);
  const b = podReadyCondition(cur);
  return a?.status !== b?.status || a?.lastTransitionTime !== b?.lastTransitionTime;
}

// ------------------------------------------------------------------------------------------------ ranking

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const phaseOrdinal = (p: Pod): number => PHASE_ORDINAL[p.status?.phase ?? ''] ?? 0;

/** GetDeletionCostFromPodAnnotations: an int32 in the annotation, 0 when absent or invalid. */
export function podDeletionCost(pod: Pod): number {
  const v = pod.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (v === undefined || !/^[+-]?\d+$/.test(v.trim()) || v !== v.trim()) return 0;
  const n = Number(v);
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}

/** The highest restart count among regular containers, then among restartable (sidecar) init containers. */
function maxContainerRestarts(pod: Pod): [number, number] {
  let regular = 0;
  for (const c of pod.status?.containerStatuses ?? []) regular = Math.max(regular, c.restartCount ?? 0);
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  let sidecar = 0;
  for (const c of pod.status?.initContainerStatuses ?? []) if (sidecars.has(c.name)) sidecar = Math.max(sidecar, c.restartCount ?? 0);
  return [regular, sidecar];
}

const time = (t: string | undefined): number | undefined => {
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
};

/** floor(log2(now - t)) in nanoseconds as Go's Duration, -1 when t is not in the past. */
function logRank(t: number, nowMs: number): number {
  const dNs = (nowMs - t) * 1e6;
  return dNs > 0 ? Math.floor(Math.log2(dNs)) : -1;
}

export interface RankedPod {
  pod: Pod;
  /** Active pods related to this one (same controller's ReplicaSets) on its node. */
  rank: number;
}

/** What the ranking reads of one pod, computed once per pod instead of once per comparison of a sort. */
interface RankKeys {
  assigned: boolean;
  phase: number;
  ready: boolean;
  cost: number;
  rank: number;
  uid: string;
  /** When it became ready (only read when ready), and its age bucket. */
  readyAt: number | undefined;
  readyLog: number;
  restarts: number;
  sidecarRestarts: number;
  createdAt: number | undefined;
  createdLog: number;
}

function rankKeys(r: RankedPod, nowMs: number): RankKeys {
  const p = r.pod;
  const ready = isPodReady(p);
  const readyAt = ready ? podReadyTime(p) : undefined;
  const createdAt = time(p.metadata?.creationTimestamp);
  const [restarts, sidecarRestarts] = maxContainerRestarts(p);
  return {
    assigned: (p.spec?.nodeName ?? '') !== '',
    phase: phaseOrdinal(p),
    ready,
    cost: podDeletionCost(p),
    rank: r.rank,
    uid: p.metadata?.uid ?? '',
    readyAt,
    readyLog: readyAt === undefined ? 0 : logRank(readyAt, nowMs),
    restarts,
    sidecarRestarts,
    createdAt,
    createdLog: createdAt === undefined ? 0 : logRank(createdAt, nowMs),
  };
}

/**
 * "Less" for two timestamps where newer (or unset) goes first, as a sign. With LogarithmicScaleDown (on by
 * default upstream), times in the same power-of-two age bucket tie and the UID decides, so scale-down does not
 * always pick the single youngest pod.
 */
function newerFirst(ti: number | undefined, tj: number | undefined, logI: number, logJ: number, uidI: string, uidJ: string): number {
  if (ti === undefined || tj === undefined) return ti === undefined ? -1 : 1; // afterOrZero: unset goes first
  if (logI === logJ) return uidI < uidJ ? -1 : uidJ < uidI ? 1 : 0;
  return logI < logJ ? -1 : 1;
}

/**
 * ActivePodsWithRanks.Less as a comparison: negative when pod i should be deleted before pod j.
 * 1. unassigned < assigned; 2. Pending < Unknown < Running; 3. not ready < ready; 4. lower pod-deletion-cost
 * first; 5. more related pods on the same node first; 6. ready for less time first; 7. more container restarts
 * first; 8. newer (or no) creation time first.
 */
function compareRankKeys(i: RankKeys, j: RankKeys): number {
  if (i.assigned !== j.assigned) return i.assigned ? 1 : -1;
  if (i.phase !== j.phase) return i.phase < j.phase ? -1 : 1;
  if (i.ready !== j.ready) return i.ready ? 1 : -1;
  if (i.cost !== j.cost) return i.cost < j.cost ? -1 : 1;
  if (i.rank !== j.rank) return i.rank > j.rank ? -1 : 1;
  if (i.ready && j.ready && i.readyAt !== j.readyAt) return newerFirst(i.readyAt, j.readyAt, i.readyLog, j.readyLog, i.uid, j.uid);
  if (i.restarts !== j.restarts) return i.restarts > j.restarts ? -1 : 1;
  if (i.sidecarRestarts !== j.sidecarRestarts) return i.sidecarRestarts > j.sidecarRestarts ? -1 : 1;
  if (i.createdAt !== j.createdAt) return newerFirst(i.createdAt, j.createdAt, i.createdLog, j.createdLog, i.uid, j.uid);
  return 0;
}

/** ActivePodsWithRanks.Less: true when pod i should be deleted before pod j. */
export function deleteBefore(i: RankedPod, j: RankedPod, nowMs: number): boolean {
  return compareRankKeys(rankKeys(i, nowMs), rankKeys(j, nowMs)) < 0;
}

/**
 * getPodsToDelete: the `diff` pods to delete first. Ranks count the active related pods (the pods of every
 * ReplicaSet under the same controller) on each pod's node, so a node doubled up by a rollout sheds first.
 */
export function podsToDelete<P extends Pod>(pods: P[], relatedPods: Pod[], diff: number, nowMs: number): P[] {
  if (diff >= pods.length) return pods.slice();
  const onNode = new Map<string, number>();
  for (const p of relatedPods) {
    if (!isPodActive(p)) continue;
    const n = p.spec?.nodeName ?? '';
    onNode.set(n, (onNode.get(n) ?? 0) + 1);
  }
  // Keys once per pod: a sort of a 10,000-pod ReplicaSet compares ~130,000 times.
  const ranked = pods.map((pod) => ({ pod, keys: rankKeys({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }, nowMs) }));
  ranked.sort((a, b) => compareRankKeys(a.keys, b.keys));
  return ranked.slice(0, diff).map((r) => r.pod);
}

// ------------------------------------------------------------------------------------------------ status

/** The counts a ReplicaSet's status takes from its claimed active pods. */
export interface PodCounts {
  replicas: number;
  fullyLabeled: number;
  ready: number;
  available: number;
}

/**
 * calculateStatus: counts over the claimed active pods, and the ReplicaFailure condition: set (reason
 * FailedCreate or FailedDelete, the error as message) when managing replicas failed and none is set yet,
 * removed once a sync manages replicas without error.
 */
export function calculateStatus(rs: ReplicaSetLike, pods: Pod[], manageError: string | undefined, nowMs: number): ReplicaSetStatus {
  return statusFromCounts(rs, countPods(rs, pods, nowMs), manageError, nowMs);
}

/** The status counts over the claimed active pods: all of them, those with the template's labels, ready, available. */
export function countPods(rs: ReplicaSetLike, pods: Pod[], nowMs: number): PodCounts {
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  const templateEntries = Object.entries(templateLabels);
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  // Runs over every pod of the ReplicaSet on each sync that walks them: plain loops, one lookup of the Ready
  // condition per pod.
  for (const pod of pods) {
    const labels = pod.metadata?.labels;
    let full = true;
    for (let i = 0; i < templateEntries.length; i++) {
      const e = templateEntries[i]!;
      if (labels?.[e[0]] !== e[1]) {
        full = false;
        break;
      }
    }
    if (full) fullyLabeled++;
    const conds = pod.status?.conditions;
    let readyCond: { status?: string } | undefined;
    if (conds) for (let i = 0; i < conds.length; i++) if (conds[i]!.type === 'Ready') {
      readyCond = conds[i];
      break;
    }
    if (readyCond?.status === 'True') {
      ready++;
      if (minReady === 0 || isPodAvailable(pod, minReady, nowMs)) available++;
    }
  }
  return { replicas: pods.length, fullyLabeled, ready, available };
}

/** calculateStatus from counts already made (countPods, or the owner's tally: replicaset-tally.ts). */
export function statusFromCounts(rs: ReplicaSetLike, counts: PodCounts, manageError: string | undefined, nowMs: number): ReplicaSetStatus {
  const status: ReplicaSetStatus = { ...(rs.status ?? {}) };
  const conditions = status.conditions ?? [];
  const failure = conditions.find((c) => c.type === REPLICA_FAILURE);
  if (manageError !== undefined && !failure) {
    const diff = counts.replicas - specReplicas(rs);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    status.conditions = [
      ...conditions,
      { type: REPLICA_FAILURE, status: 'True', lastTransitionTime: rfc3339(new Date(nowMs)), reason, message: manageError },
    ];
  } else if (manageError === undefined && failure) {
    const rest = conditions.filter((c) => c.type !== REPLICA_FAILURE);
    if (rest.length) status.conditions = rest;
    else delete status.conditions;
  }
  status.replicas = counts.replicas;
  status.fullyLabeledReplicas = counts.fullyLabeled;
  status.readyReplicas = counts.ready;
  status.availableReplicas = counts.available;
  return status;
}

/** updateReplicaSetStatus's early return: nothing to write when the counts, generation and conditions agree. */
export function statusUnchanged(rs: ReplicaSetLike, next: ReplicaSetStatus): boolean {
  const cur = rs.status ?? {};
  return (
    (cur.replicas ?? 0) === (next.replicas ?? 0) &&
    (cur.fullyLabeledReplicas ?? 0) === (next.fullyLabeledReplicas ?? 0) &&
    (cur.readyReplicas ?? 0) === (next.readyReplicas ?? 0) &&
    (cur.availableReplicas ?? 0) === (next.availableReplicas ?? 0) &&
    (rs.metadata?.generation ?? 0) === (cur.observedGeneration ?? 0) &&
    JSON.stringify(cur.conditions ?? []) === JSON.stringify(next.conditions ?? [])
  );
}

/** A ReplicaSet with minReadySeconds whose pods are all ready but not yet all available is synced again later. */
export function availabilityRecheckMs(rs: ReplicaSetLike): number | undefined {
  const min = rs.spec?.minReadySeconds ?? 0;
  const s = rs.status ?? {};
  const want = specReplicas(rs);
  return min > 0 && (s.readyReplicas ?? 0) === want && (s.availableReplicas ?? 0) !== want ? min * 1000 : undefined;
}
