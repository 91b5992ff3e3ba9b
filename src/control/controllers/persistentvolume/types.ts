/**
 * PersistentVolume, PersistentVolumeClaim and StorageClass as the volume controllers read them, with upstream's
 * annotation names (k8s.io/component-helpers/storage/volume) and the helpers every one of them needs.
 */
import type { KubeObject } from '../../../client/types.js';
import type { LabelSelector } from '../../../client/types.js';

export interface ObjectReference {
  kind?: string;
  apiVersion?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface VolumeNodeAffinity {
  required?: { nodeSelectorTerms?: { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] }[] };
}

export interface PersistentVolume extends KubeObject {
  spec?: {
    capacity?: Record<string, string>;
    accessModes?: string[];
    claimRef?: ObjectReference;
    persistentVolumeReclaimPolicy?: string;
    storageClassName?: string;
    volumeMode?: string;
    nodeAffinity?: VolumeNodeAffinity;
    hostPath?: { path: string; type?: string };
    local?: { path: string };
    mountOptions?: string[];
    [k: string]: unknown;
  };
  status?: { phase?: string; message?: string; reason?: string; lastPhaseTransitionTime?: string };
}

export interface PersistentVolumeClaim extends KubeObject {
  spec?: {
    accessModes?: string[];
    selector?: LabelSelector;
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    volumeName?: string;
    storageClassName?: string | null;
    volumeMode?: string;
    [k: string]: unknown;
  };
  status?: { phase?: string; accessModes?: string[]; capacity?: Record<string, string>; [k: string]: unknown };
}

export interface StorageClass extends KubeObject {
  provisioner?: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: string;
  volumeBindingMode?: string;
  allowVolumeExpansion?: boolean;
  mountOptions?: string[];
}

// Annotations, as upstream spells them.
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
export const ANN_DYNAMICALLY_PROVISIONED = 'pv.kubernetes.io/provisioned-by';
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
export const ANN_BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';
export const ANN_IS_DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
export const ANN_BETA_IS_DEFAULT_CLASS = 'storageclass.beta.kubernetes.io/is-default-class';

/** The node label local volumes are pinned by (kubernetes.io/hostname, as rancher's local-path uses). */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/** The events' source component of the binder (upstream's persistentvolume-controller). */
export const PV_CONTROLLER_COMPONENT = 'persistentvolume-controller';

const has = (o: KubeObject, key: string): boolean => o.metadata?.annotations?.[key] !== undefined;
export const hasAnnotation = has;

/** GetPersistentVolumeClaimClass: the beta annotation, else spec.storageClassName, else ''. */
export function claimClass(c: PersistentVolumeClaim): string {
  const beta = c.metadata?.annotations?.[ANN_BETA_STORAGE_CLASS];
  if (beta !== undefined) return beta;
  return c.spec?.storageClassName ?? '';
}

/** GetPersistentVolumeClass. */
export function volumeClass(v: PersistentVolume): string {
  const beta = v.metadata?.annotations?.[ANN_BETA_STORAGE_CLASS];
  if (beta !== undefined) return beta;
  return v.spec?.storageClassName ?? '';
}

export const claimKey = (c: { metadata?: { namespace?: string; name?: string } }): string => `${c.metadata?.namespace ?? ''}/${c.metadata?.name ?? ''}`;
export const claimRefKey = (r: ObjectReference): string => `${r.namespace ?? ''}/${r.name ?? ''}`;

/** IsVolumeBoundToClaim: the volume's claimRef names the claim (and, once it has one, its uid). */
export function isVolumeBoundToClaim(v: PersistentVolume, c: PersistentVolumeClaim): boolean {
  const ref = v.spec?.claimRef;
  if (!ref) return false;
  if (ref.name !== c.metadata?.name || ref.namespace !== c.metadata?.namespace) return false;
  return !ref.uid || ref.uid === c.metadata?.uid;
}

/** IsDelayBindingMode: the claim's class binds only once a consumer is scheduled. */
export function isDelayBindingMode(c: PersistentVolumeClaim, classes: (name: string) => StorageClass | undefined): boolean {
  const name = claimClass(c);
  if (!name) return false;
  return classes(name)?.volumeBindingMode === 'WaitForFirstConsumer';
}

/** Whether the class is marked default (upstream's IsDefaultAnnotation, GA and beta). */
export function isDefaultClass(sc: StorageClass): boolean {
  const a = sc.metadata?.annotations ?? {};
  return a[ANN_IS_DEFAULT_CLASS] === 'true' || a[ANN_BETA_IS_DEFAULT_CLASS] === 'true';
}

/** `yes`, the value every binding annotation carries. */
export const YES = 'yes';
