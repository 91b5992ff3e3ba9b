/**
 * A StatefulSet's volumeClaimTemplates (upstream's stateful_set_utils.go), pure: the claims of one pod
 * (`<template>-<set>-<ordinal>`, the template's labels plus the set's matchLabels), the pod's volumes that
 * mount them (replacing template volumes of the same name), and persistentVolumeClaimRetentionPolicy as owner
 * references on the claims: whenDeleted Delete → the set is the claim's controller (deleting the set deletes
 * it); whenScaled Delete → a scaled-down pod is its controller (deleting the pod deletes it). Retain: no
 * reference, the claim outlives both.
 */
import type { KubeObject, OwnerReference } from '../../../client/types.js';
import { newControllerRef, type Pod } from '../shared/pod-util.js';
import type { PersistentVolumeClaim } from '../persistentvolume/types.js';
import { GVK, inOrdinalRange, ordinalOf, type StatefulSetLike } from './decide.js';

const POD_GVK = { apiVersion: 'v1', kind: 'Pod' };
export const RETAIN = 'Retain';
export const DELETE = 'Delete';

/** getPersistentVolumeClaimRetentionPolicy: Retain for what is unset. */
export function retentionPolicy(set: StatefulSetLike): { whenDeleted: string; whenScaled: string } {
  const p = set.spec?.persistentVolumeClaimRetentionPolicy;
  return { whenDeleted: p?.whenDeleted || RETAIN, whenScaled: p?.whenScaled || RETAIN };
}

const templates = (set: StatefulSetLike): PersistentVolumeClaim[] => (set.spec?.volumeClaimTemplates ?? []) as PersistentVolumeClaim[];

/** getPersistentVolumeClaimName. */
export const claimName = (set: StatefulSetLike, template: PersistentVolumeClaim, ordinal: number): string =>
  `${template.metadata?.name ?? ''}-${set.metadata?.name ?? ''}-${ordinal}`;

/** getPersistentVolumeClaims: the claims of the pod with this ordinal, by template name (in template order). */
export function claimsFor(set: StatefulSetLike, ordinal: number): { template: string; claim: PersistentVolumeClaim }[] {
  const matchLabels = (set.spec?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {};
  return templates(set).map((t) => {
    const claim: PersistentVolumeClaim = structuredClone({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...t });
    delete (claim as { status?: unknown }).status;
    claim.metadata = { ...(claim.metadata ?? {}), name: claimName(set, t, ordinal), namespace: set.metadata?.namespace, labels: { ...(t.metadata?.labels ?? {}), ...matchLabels } };
    return { template: t.metadata?.name ?? '', claim };
  });
}

/** updateStorage: the pod's volumes with one persistentVolumeClaim volume per template (a copy). */
export function withStorage(set: StatefulSetLike, pod: Pod): Pod {
  const claims = claimsFor(set, ordinalOf(pod));
  if (claims.length === 0) return pod;
  const names = new Set(claims.map((c) => c.template));
  type Vol = { name: string; [k: string]: unknown };
  const current = ((pod.spec as { volumes?: Vol[] } | undefined)?.volumes ?? []).filter((v) => !names.has(v.name));
  const volumes: Vol[] = [...claims.map((c) => ({ name: c.template, persistentVolumeClaim: { claimName: c.claim.metadata!.name! } })), ...current];
  return { ...pod, spec: { ...(pod.spec ?? {}), volumes } as Pod['spec'] };
}

// ---------------------------------------------------------------------------------------- retention

const refs = (o: KubeObject): OwnerReference[] => o.metadata?.ownerReferences ?? [];
const hasOwnerRef = (target: KubeObject, owner: KubeObject): boolean => refs(target).some((r) => r.uid === owner.metadata?.uid);
const groupOf = (apiVersion: string | undefined): string => (apiVersion?.includes('/') ? apiVersion.split('/')[0]! : '');
/** matchesRef: a reference to this object by group, kind and name (the uid aside). */
const matchesRef = (r: OwnerReference, owner: KubeObject, gvk: { apiVersion: string; kind: string }): boolean =>
  groupOf(r.apiVersion) === groupOf(gvk.apiVersion) && r.kind === gvk.kind && r.name === owner.metadata?.name;
const hasStaleOwnerRef = (target: KubeObject, owner: KubeObject, gvk: { apiVersion: string; kind: string }): boolean => {
  const r = refs(target).find((x) => matchesRef(x, owner, gvk));
  return !!r && r.uid !== owner.metadata?.uid;
};
/** A controller reference to something other than the set or the pod. */
const hasUnexpectedController = (claim: KubeObject, set: KubeObject, pod: KubeObject): boolean =>
  refs(claim).some((r) => r.controller === true && r.uid !== set.metadata?.uid && r.uid !== pod.metadata?.uid);
const hasNonControllerOwner = (claim: KubeObject, set: KubeObject, pod: KubeObject): boolean =>
  refs(claim).some((r) => (r.uid === set.metadata?.uid || r.uid === pod.metadata?.uid) && r.controller !== true);

/** The references the policy asks for: [set wanted, pod wanted]. */
function wanted(set: StatefulSetLike, pod: Pod): { set: boolean; pod: boolean } {
  const { whenDeleted, whenScaled } = retentionPolicy(set);
  const scaledDown = !inOrdinalRange(set, pod);
  const scaleDelete = whenScaled === DELETE;
  const deleteDelete = whenDeleted === DELETE;
  if (scaleDelete && deleteDelete) return { set: !scaledDown, pod: scaledDown };
  if (scaleDelete) return { set: false, pod: scaledDown };
  if (deleteDelete) return { set: true, pod: false };
  return { set: false, pod: false };
}

/** isClaimOwnerUpToDate. */
export function claimOwnerUpToDate(claim: PersistentVolumeClaim, set: StatefulSetLike, pod: Pod): boolean {
  // Managed by an earlier set or pod of the same name: not ours to touch.
  if (hasStaleOwnerRef(claim, set, GVK) || hasStaleOwnerRef(claim, pod, POD_GVK)) return true;
  if (hasUnexpectedController(claim, set, pod)) return !(hasOwnerRef(claim, set) || hasOwnerRef(claim, pod));
  if (hasNonControllerOwner(claim, set, pod)) return false;
  const w = wanted(set, pod);
  return hasOwnerRef(claim, set) === w.set && hasOwnerRef(claim, pod) === w.pod;
}

/** updateClaimOwnerRefForSetAndPod: the claim (a copy) with the set and pod references the policy asks for. */
export function withClaimOwnerRefs(claim: PersistentVolumeClaim, set: StatefulSetLike, pod: Pod): PersistentVolumeClaim {
  const unexpected = hasUnexpectedController(claim, set, pod);
  let next = refs(claim).filter((r) => !matchesRef(r, set, GVK) && !matchesRef(r, pod, POD_GVK));
  if (!unexpected) {
    const w = wanted(set, pod);
    if (w.pod && pod.metadata?.uid) next = [...next, newControllerRef(pod, POD_GVK)];
    if (w.set) next = [...next, newControllerRef(set, GVK)];
  }
  const metadata = { ...(claim.metadata ?? {}) };
  if (next.length) metadata.ownerReferences = next;
  else delete metadata.ownerReferences;
  return { ...claim, metadata };
}

/**
 * PodClaimIsStale: with whenScaled Retain claims are meant to be reused and never stale; otherwise a claim that
 * references a pod of this name with another uid (an earlier pod, deleted) is about to be collected, and the
 * pod must not be created on it.
 */
export function claimIsStale(claim: PersistentVolumeClaim, set: StatefulSetLike, pod: Pod): boolean {
  if (retentionPolicy(set).whenScaled === RETAIN) return false;
  return hasStaleOwnerRef(claim, pod, POD_GVK);
}
