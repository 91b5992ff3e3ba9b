/** core/v1 PersistentVolume (cluster-scoped) and PersistentVolumeClaim. */
import type { ResourceType } from '../resource.js';
import { ALL_VERBS } from './verbs.js';
import { persistentVolumeClaimStrategy, persistentVolumeStrategy } from './strategies/volumes.js';
import { persistentVolumeClaimColumns, persistentVolumeColumns } from './printers/volumes.js';

const core = { group: '', version: 'v1' } as const;

export const persistentvolumes: ResourceType = {
  ...core, kind: 'PersistentVolume', listKind: 'PersistentVolumeList', plural: 'persistentvolumes',
  singular: 'persistentvolume', shortNames: ['pv'], categories: [], namespaced: false, verbs: ALL_VERBS,
  subresources: ['status'], strategy: persistentVolumeStrategy, columns: persistentVolumeColumns,
  definition: 'io.k8s.api.core.v1.PersistentVolume',
};

export const persistentvolumeclaims: ResourceType = {
  ...core, kind: 'PersistentVolumeClaim', listKind: 'PersistentVolumeClaimList', plural: 'persistentvolumeclaims',
  singular: 'persistentvolumeclaim', shortNames: ['pvc'], categories: [], namespaced: true, verbs: ALL_VERBS,
  subresources: ['status'], strategy: persistentVolumeClaimStrategy, columns: persistentVolumeClaimColumns,
  definition: 'io.k8s.api.core.v1.PersistentVolumeClaim',
};
