/**
 * Pod facts controllers decide on, as upstream's podutil and controller_utils read them: readiness, the time a
 * pod became ready, availability after minReadySeconds, activeness, and owner references.
 */
import type { KubeObject, ObjectMeta, OwnerReference } from '../../../client/types.js';

export interface PodCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  lastTransitionTime?: string;
  lastProbeTime?: string;
  reason?: string;
  message?: string;
}

export interface ContainerStatus {
  name: string;
  restartCount?: number;
  ready?: boolean;
  [field: string]: unknown;
}

/** The parts of a core/v1 Pod controllers read; everything else passes through untouched. */
export interface Pod extends KubeObject {
  metadata?: ObjectMeta;
  spec?: {
    nodeName?: string;
    initContainers?: { name: string; restartPolicy?: string; [field: string]: unknown }[];
    containers?: { name: string; [field: string]: unknown }[];
    [field: string]: unknown;
  };
  status?: {
    phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown' | string;
    conditions?: PodCondition[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    [field: string]: unknown;
  };
}

/** The pod template of a workload (core/v1 PodTemplateSpec). */
export interface PodTemplateSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[]; [field: string]: unknown };
  spec?: Record<string, unknown>;
}

/** apiVersion + kind of an owner, for owner references (schema.GroupVersionKind). */
export interface GroupVersionKind {
  apiVersion: string;
  kind: string;
}

const parseTime = (t: string | undefined): number | undefined => {
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
};

export function podReadyCondition(pod: Pod): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/** podutil.IsPodReady: the Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/** When a ready pod became ready (ms since epoch); undefined when not ready or the time is unset (Go's zero time). */
export function podReadyTime(pod: Pod): number | undefined {
  const c = podReadyCondition(pod);
  return c?.status === 'True' ? parseTime(c.lastTransitionTime) : undefined;
}

/**
 * podutil.IsPodAvailable: ready, and (with minReadySeconds) ready for longer than that. A ready condition without
 * a transition time is available only when minReadySeconds is 0, as upstream.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(pod)) return false;
  if (!minReadySeconds) return true;
  const since = parseTime(podReadyCondition(pod)?.lastTransitionTime);
  return since !== undefined && since + minReadySeconds * 1000 < nowMs;
}

/** A pod in a terminal phase (Succeeded or Failed). */
export function isPodTerminal(pod: Pod): boolean {
  const p = pod.status?.phase;
  return p === 'Succeeded' || p === 'Failed';
}

/** controller.IsPodActive: not terminal and not being deleted. */
export function isPodActive(pod: Pod): boolean {
  return !isPodTerminal(pod) && !pod.metadata?.deletionTimestamp;
}

/** controller.isPodTerminating: being deleted but not yet terminal. */
export function isPodTerminating(pod: Pod): boolean {
  return !isPodTerminal(pod) && !!pod.metadata?.deletionTimestamp;
}

export function filterActivePods<P extends Pod>(pods: P[]): P[] {
  return pods.filter(isPodActive);
}

export function filterTerminatingPods<P extends Pod>(pods: P[]): P[] {
  return pods.filter(isPodTerminating);
}

/** metav1.GetControllerOf: the owner reference with controller: true. */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  // A plain loop: called for every pod of a ReplicaSet on each of its syncs, where find's callback cost twice as much.
  const refs = obj.metadata?.ownerReferences;
  if (!refs) return undefined;
  for (let i = 0; i < refs.length; i++) if (refs[i]!.controller === true) return refs[i];
  return undefined;
}

/** True when `obj`'s controller reference points at `owner` (by UID, as upstream). */
export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  const ref = controllerOf(obj);
  return ref !== undefined && ref.uid === owner.metadata?.uid;
}

/** metav1.NewControllerRef: an owner reference that marks `owner` as the controller and blocks its deletion. */
export function newControllerRef(owner: KubeObject, gvk: GroupVersionKind): OwnerReference {
  return {
    apiVersion: gvk.apiVersion,
    kind: gvk.kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** controller.PodKey: `namespace/name`, the key deletion expectations track. */
export function podKey(pod: KubeObject): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}
