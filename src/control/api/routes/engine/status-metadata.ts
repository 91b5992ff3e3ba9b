/**
 * Which metadata a write through /status (or a CSR's /approval) may change. Upstream's status strategies for the
 * older built-in kinds reset only the spec, so labels, annotations, finalizers and ownerReferences sent with a
 * status write are kept (conformance: "Ingress API ... patching /status" checks an annotation). Some kinds reset
 * more: Deployment its labels, Pod its ownerReferences, CRD and APIService most metadata; custom resources and the
 * newer kinds (ResetObjectMetaForStatus, or the whole ObjectMeta as flowcontrol does) keep all of it.
 */
import type { KubeObject, ResourceType } from '../../resource.js';

type Meta = NonNullable<KubeObject['metadata']>;

const MUTABLE = ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const;
type MutableField = (typeof MUTABLE)[number];

/** group/Kind → the mutable fields its status strategy resets from the stored object ('all': every one). */
const RESET_ON_STATUS: Record<string, readonly MutableField[] | 'all'> = {
  'apps/Deployment': ['labels'],
  '/Pod': ['ownerReferences'],
  'apiextensions.k8s.io/CustomResourceDefinition': ['labels', 'annotations', 'ownerReferences'],
  'apiregistration.k8s.io/APIService': 'all',
  'storage.k8s.io/VolumeAttachment': 'all',
  'internal.apiserver.k8s.io/StorageVersion': 'all',
  'flowcontrol.apiserver.k8s.io/FlowSchema': 'all',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration': 'all',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': 'all',
  'admissionregistration.k8s.io/MutatingAdmissionPolicy': 'all',
  'networking.k8s.io/ServiceCIDR': 'all',
  'resource.k8s.io/ResourceClaim': 'all',
  'storagemigration.k8s.io/StorageVersionMigration': 'all',
};

/** The fields of `desired`'s metadata a status write of kind `r` takes over the stored ones. */
export function statusWritableMetadata(r: Pick<ResourceType, 'group' | 'kind' | 'custom'>): readonly MutableField[] {
  if (r.custom) return [];
  const reset = RESET_ON_STATUS[`${r.group}/${r.kind}`];
  if (reset === 'all') return [];
  return reset ? MUTABLE.filter((f) => !reset.includes(f)) : MUTABLE;
}

/** Copies what a status write may change from the request's metadata onto `target` (the stored metadata's copy). */
export function applyStatusMetadata(r: Pick<ResourceType, 'group' | 'kind' | 'custom'>, target: Meta, desired: Meta | undefined): void {
  for (const f of statusWritableMetadata(r)) {
    const v = desired?.[f];
    if (v === undefined || v === null) delete target[f];
    else (target as Record<string, unknown>)[f] = v;
  }
}
