/**
 * The StatefulSet controller's decisions (upstream's pkg/controller/statefulset), pure over lister state: pod
 * identity (`<set>-<ordinal>`, hostname, subdomain, the pod-name and pod-index labels), which revision a missing
 * pod is created at (partition), and one reconcile step as an ordered plan: replicas in ordinal order (create,
 * replace failed, fix identity), condemned pods highest ordinal first, then the rolling update. With
 * OrderedReady ("monotonic") the step stops at the first pod that is not yet Running, Ready and Available;
 * with Parallel every replica is handled at once.
 */
import type { KubeObject } from '../../../client/types.js';
import { CONTROLLER_REVISION_HASH_LABEL, type ControllerRevision } from '../shared/history.js';
import { podFromTemplate } from '../shared/pod-control.js';
import { isPodAvailable, isPodReady, newControllerRef, type Pod, type PodTemplateSpec } from '../shared/pod-util.js';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
export const GVK = { apiVersion: 'apps/v1', kind: 'StatefulSet' };

export interface StatefulSetSpec {
  replicas?: number;
  selector?: unknown;
  template?: PodTemplateSpec;
  serviceName?: string;
  podManagementPolicy?: 'OrderedReady' | 'Parallel' | string;
  updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete' | string; rollingUpdate?: { partition?: number; maxUnavailable?: number | string } };
  revisionHistoryLimit?: number;
  minReadySeconds?: number;
  ordinals?: { start?: number };
  volumeClaimTemplates?: unknown[];
  persistentVolumeClaimRetentionPolicy?: { whenDeleted?: string; whenScaled?: string };
}

export interface StatefulSetStatus {
  observedGeneration?: number;
  replicas: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount?: number;
  conditions?: unknown[];
}

export interface StatefulSetLike extends KubeObject {
  spec?: StatefulSetSpec;
  status?: StatefulSetStatus;
}

// ---------------------------------------------------------------------------------------- identity

const ORDINAL = /^(.*)-([0-9]+)$/;

/** getParentNameAndOrdinal: `web-2` → {parent: 'web', ordinal: 2}; ordinal -1 when the name has none. */
export function parentAndOrdinal(podName: string): { parent: string; ordinal: number } {
  const m = ORDINAL.exec(podName);
  if (!m) return { parent: '', ordinal: -1 };
  const n = Number(m[2]);
  return Number.isSafeInteger(n) && n <= 2 ** 31 - 1 ? { parent: m[1]!, ordinal: n } : { parent: '', ordinal: -1 };
}

export const ordinalOf = (pod: Pod): number => parentAndOrdinal(pod.metadata?.name ?? '').ordinal;
export const podName = (set: StatefulSetLike, ordinal: number): string => `${set.metadata?.name ?? ''}-${ordinal}`;
export const startOrdinal = (set: StatefulSetLike): number => set.spec?.ordinals?.start ?? 0;
export const specReplicas = (set: StatefulSetLike): number => set.spec?.replicas ?? 1;
export const endOrdinal = (set: StatefulSetLike): number => startOrdinal(set) + specReplicas(set) - 1;

/** isMemberOf: the pod's name says it belongs to this set. */
export function isMemberOf(set: StatefulSetLike, pod: Pod): boolean {
  return parentAndOrdinal(pod.metadata?.name ?? '').parent === set.metadata?.name;
}

export function inOrdinalRange(set: StatefulSetLike, pod: Pod): boolean {
  const o = ordinalOf(pod);
  return o >= startOrdinal(set) && o <= endOrdinal(set);
}

/** identityMatches: name, namespace and the identity labels agree with the pod's ordinal. */
export function identityMatches(set: StatefulSetLike, pod: Pod): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod.metadata?.name ?? '');
  const labels = pod.metadata?.labels ?? {};
  return ordinal >= 0 && parent === set.metadata?.name && pod.metadata?.namespace === set.metadata?.namespace
    && labels[POD_NAME_LABEL] === pod.metadata?.name && labels[POD_INDEX_LABEL] === String(ordinal);
}

/** updateIdentity: sets the identity labels (on a copy). */
export function withIdentity(set: StatefulSetLike, pod: Pod): Pod {
  const ordinal = ordinalOf(pod);
  const out = structuredClone(pod);
  out.metadata = { ...(out.metadata ?? {}), namespace: set.metadata?.namespace, labels: { ...(out.metadata?.labels ?? {}), [POD_NAME_LABEL]: out.metadata?.name ?? '', [POD_INDEX_LABEL]: String(ordinal) } };
  return out;
}

export const podRevision = (pod: Pod): string => pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';

/** The template a revision recorded (ApplyRevision): its data's spec.template without the `$patch` directive. */
export function templateOfRevision(rev: ControllerRevision | undefined, fallback: PodTemplateSpec | undefined): PodTemplateSpec | undefined {
  const t = (rev?.data as { spec?: { template?: Record<string, unknown> } } | undefined)?.spec?.template;
  if (!t) return fallback;
  const { $patch: _replace, ...template } = t;
  return template as PodTemplateSpec;
}

/** newStatefulSetPod: the template's pod named `<set>-<ordinal>`, with hostname, subdomain and identity labels. */
export function newStatefulSetPod(set: StatefulSetLike, template: PodTemplateSpec | undefined, ordinal: number, revisionName: string): Pod {
  const base = podFromTemplate(template ?? {}, set, newControllerRef(set, GVK));
  const name = podName(set, ordinal);
  delete base.metadata!.generateName;
  base.metadata!.name = name;
  const pod = withIdentity(set, base);
  pod.metadata!.labels![CONTROLLER_REVISION_HASH_LABEL] = revisionName;
  pod.spec = { ...(pod.spec ?? {}), hostname: name };
  if (set.spec?.serviceName) pod.spec.subdomain = set.spec.serviceName;
  return pod;
}

/**
 * newVersionedStatefulSetPod: a missing pod below the partition is recreated at the current revision (so a
 * partitioned rollout does not advance by deletion), others at the update revision.
 */
export function versionedPod(set: StatefulSetLike, current: ControllerRevision, update: ControllerRevision, ordinal: number): Pod {
  const us = set.spec?.updateStrategy;
  const start = startOrdinal(set);
  const belowPartition = us?.type === 'RollingUpdate' && (
    (us.rollingUpdate === undefined && ordinal < start + (set.status?.currentReplicas ?? 0))
    || (us.rollingUpdate !== undefined && ordinal < start + (us.rollingUpdate.partition ?? 0)));
  if (belowPartition) return newStatefulSetPod(set, templateOfRevision(current, set.spec?.template), ordinal, current.metadata?.name ?? '');
  return newStatefulSetPod(set, templateOfRevision(update, set.spec?.template), ordinal, update.metadata?.name ?? '');
}

// ---------------------------------------------------------------------------------------- pod states

const phase = (p: Pod): string => p.status?.phase ?? '';
export const isTerminating = (p: Pod): boolean => !!p.metadata?.deletionTimestamp;
export const isRunningAndReady = (p: Pod): boolean => phase(p) === 'Running' && isPodReady(p);
export const isRunningAndAvailable = (p: Pod, minReadySeconds: number, nowMs: number): boolean => phase(p) === 'Running' && isPodAvailable(p, minReadySeconds, nowMs);
export const isHealthy = (p: Pod): boolean => isRunningAndReady(p) && !isTerminating(p);

// ---------------------------------------------------------------------------------------- status

/** A replica slot: a pod from the cache, or one to create. */
export interface Slot {
  pod: Pod;
  created: boolean;
}

/** computeReplicaStatus over the slots (missing pods do not count). */
export function replicaStatus(slots: readonly Slot[], minReadySeconds: number, current: string, update: string, nowMs: number): Required<Pick<StatefulSetStatus, 'replicas' | 'readyReplicas' | 'availableReplicas' | 'currentReplicas' | 'updatedReplicas'>> {
  const s = { replicas: 0, readyReplicas: 0, availableReplicas: 0, currentReplicas: 0, updatedReplicas: 0 };
  for (const { pod, created } of slots) {
    if (!created) continue;
    s.replicas++;
    if (isRunningAndReady(pod)) {
      s.readyReplicas++;
      if (isRunningAndAvailable(pod, minReadySeconds, nowMs)) s.availableReplicas++;
    }
    if (!isTerminating(pod)) {
      const rev = podRevision(pod);
      if (rev === current) s.currentReplicas++;
      if (rev === update) s.updatedReplicas++;
    }
  }
  return s;
}

/** completeRollingUpdate: once every replica is updated and ready, the update revision becomes current. */
export function completeRollingUpdate(set: StatefulSetLike, status: StatefulSetStatus): StatefulSetStatus {
  if (set.spec?.updateStrategy?.type === 'RollingUpdate' && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
    return { ...status, currentReplicas: status.updatedReplicas, currentRevision: status.updateRevision };
  }
  return status;
}

const STATUS_KEYS: (keyof StatefulSetStatus)[] = ['observedGeneration', 'replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas',
  'availableReplicas', 'currentRevision', 'updateRevision', 'collisionCount'];

/** inconsistentStatus, inverted. */
export function statusUnchanged(set: StatefulSetLike, next: StatefulSetStatus): boolean {
  const cur = set.status;
  if (!cur) return false;
  return STATUS_KEYS.every((k) => (cur[k] ?? 0) === (next[k] ?? 0));
}

// ---------------------------------------------------------------------------------------- the step

export type Action =
  | { type: 'create'; pod: Pod }
  | { type: 'delete'; pod: Pod; reason: 'failed' | 'condemned' | 'update' }
  | { type: 'update'; pod: Pod };

export interface Plan {
  /** Phases in order; the executor stops at the first phase with an error. */
  replicas: Action[];
  condemned: Action[];
  update: Action[];
  status: StatefulSetStatus;
}

/** util.AllowsBurst: Parallel pod management. */
export const allowsBurst = (set: StatefulSetLike): boolean => set.spec?.podManagementPolicy === 'Parallel';

/** intstr scaled value, rounded down, at least 1 (getStatefulSetMaxUnavailable). */
export function maxUnavailableOf(v: number | string | undefined, replicas: number): number {
  let n = 1;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') {
    const m = /^(\d+)%$/.exec(v);
    n = m ? Math.floor((Number(m[1]) * replicas) / 100) : Number.parseInt(v, 10) || 0;
  }
  return Math.max(1, n);
}

/**
 * updateStatefulSet: one reconcile step. `pods` are the set's claimed pods; `current`/`update` its revisions.
 * The plan assumes its actions succeed (as upstream's status does after each call).
 */
export function planStatefulSet(set: StatefulSetLike, pods: readonly Pod[], current: ControllerRevision, update: ControllerRevision, collisionCount: number, nowMs: number): Plan {
  const currentName = current.metadata?.name ?? '';
  const updateName = update.metadata?.name ?? '';
  const min = set.spec?.minReadySeconds ?? 0;
  const status: StatefulSetStatus = {
    observedGeneration: set.metadata?.generation,
    currentRevision: currentName,
    updateRevision: updateName,
    collisionCount,
    ...replicaStatus(pods.map((pod) => ({ pod, created: true })), min, currentName, updateName, nowMs),
  };
  if (set.status?.conditions !== undefined) status.conditions = set.status.conditions;
  const plan: Plan = { replicas: [], condemned: [], update: [], status };

  const start = startOrdinal(set);
  const count = Math.max(0, specReplicas(set));
  const replicas: (Slot | undefined)[] = new Array(count).fill(undefined);
  const condemned: Slot[] = [];
  for (const pod of pods) {
    if (inOrdinalRange(set, pod)) replicas[ordinalOf(pod) - start] = { pod, created: true };
    else if (ordinalOf(pod) >= 0) condemned.push({ pod, created: true });
  }
  for (let i = 0; i < count; i++) replicas[i] ??= { pod: versionedPod(set, current, update, start + i), created: false };
  const slots = replicas as Slot[];
  condemned.sort((a, b) => ordinalOf(b.pod) - ordinalOf(a.pod));

  let firstUnhealthy: Pod | undefined;
  for (const s of slots) if (!s.created || !isHealthy(s.pod)) { firstUnhealthy ??= s.pod; }
  for (let i = condemned.length - 1; i >= 0; i--) if (!isHealthy(condemned[i]!.pod)) firstUnhealthy ??= condemned[i]!.pod;

  const finish = (): Plan => {
    const counts = replicaStatus([...slots, ...condemned], min, currentName, updateName, nowMs);
    plan.status = { ...plan.status, ...counts };
    return plan;
  };
  if (set.metadata?.deletionTimestamp) return plan;

  const monotonic = !allowsBurst(set);
  // Replicas in ordinal order. In monotonic mode, stop at the first one that is not Running, Ready and Available.
  for (const s of slots) {
    const pod = s.pod;
    if (s.created && (phase(pod) === 'Failed' || phase(pod) === 'Succeeded')) {
      // A failed or completed pod is replaced: delete it now, recreate once it is gone.
      if (!isTerminating(pod)) plan.replicas.push({ type: 'delete', pod, reason: 'failed' });
      if (monotonic) return finish();
      continue;
    }
    if (!s.created) {
      plan.replicas.push({ type: 'create', pod });
      // Count it as created from here on, as upstream's status does after the call.
      s.created = true;
      s.pod = { ...pod, status: { phase: 'Pending' } };
      if (monotonic) return finish();
      continue;
    }
    if (monotonic && (isTerminating(pod) || !isRunningAndReady(pod) || !isRunningAndAvailable(pod, min, nowMs))) return finish();
    if (!identityMatches(set, pod)) plan.replicas.push({ type: 'update', pod: withIdentity(set, pod) });
  }

  // Condemned pods (beyond replicas), highest ordinal first; in monotonic mode only once all replicas are healthy,
  // one at a time, unless the pod is the first unhealthy one (it may go without waiting).
  for (const s of condemned) {
    const pod = s.pod;
    if (isTerminating(pod)) {
      if (monotonic) return finish();
      continue;
    }
    if (monotonic && pod !== firstUnhealthy && (!isRunningAndReady(pod) || !isRunningAndAvailable(pod, min, nowMs))) return finish();
    plan.condemned.push({ type: 'delete', pod, reason: 'condemned' });
    if (monotonic) return finish();
  }
  finish();

  const us = set.spec?.updateStrategy;
  if (us?.type === 'OnDelete') return plan;
  const partition = us?.rollingUpdate?.partition ?? 0;
  let currentReplicas = plan.status.currentReplicas ?? 0;
  if (us?.rollingUpdate?.maxUnavailable !== undefined) {
    // MaxUnavailableStatefulSet: up to maxUnavailable replicas down at once, highest ordinal first.
    const maxUnavailable = maxUnavailableOf(us.rollingUpdate.maxUnavailable, count);
    const unavailable = slots.filter((s) => !isHealthy(s.pod)).length;
    let toDelete = maxUnavailable - unavailable;
    for (let t = slots.length - 1; t >= partition && toDelete > 0; t--) {
      const pod = slots[t]!.pod;
      if (podRevision(pod) !== updateName && !isTerminating(pod)) {
        plan.update.push({ type: 'delete', pod, reason: 'update' });
        toDelete--;
        currentReplicas--;
      }
    }
  } else {
    // One at a time, highest ordinal first, waiting for each replaced pod to be healthy.
    for (let t = slots.length - 1; t >= partition; t--) {
      const pod = slots[t]!.pod;
      if (podRevision(pod) !== updateName && !isTerminating(pod)) {
        plan.update.push({ type: 'delete', pod, reason: 'update' });
        currentReplicas--;
        break;
      }
      if (!isHealthy(pod)) break;
    }
  }
  plan.status = { ...plan.status, currentReplicas };
  return plan;
}
