/** storage.k8s.io/v1 kinds: StorageClass, CSIDriver, CSINode, VolumeAttachment (all cluster-scoped). */
import type { ResourceType } from '../resource.js';
import { ALL_VERBS } from './verbs.js';
import { csiDriverStrategy, csiNodeStrategy, storageClassStrategy, volumeAttachmentStrategy } from './strategies/storage.js';
import { csiDriverColumns, csiNodeColumns, storageClassColumns, volumeAttachmentColumns } from './printers/storage.js';

const storage = { group: 'storage.k8s.io', version: 'v1', namespaced: false } as const;

export const storageclasses: ResourceType = {
  ...storage, categories: [], verbs: ALL_VERBS, kind: 'StorageClass', listKind: 'StorageClassList', plural: 'storageclasses',
  singular: 'storageclass', shortNames: ['sc'], subresources: [], strategy: storageClassStrategy, columns: storageClassColumns,
  definition: 'io.k8s.api.storage.v1.StorageClass',
};

export const csidrivers: ResourceType = {
  ...storage, categories: [], verbs: ALL_VERBS, kind: 'CSIDriver', listKind: 'CSIDriverList', plural: 'csidrivers',
  singular: 'csidriver', shortNames: [], subresources: [], strategy: csiDriverStrategy, columns: csiDriverColumns,
  definition: 'io.k8s.api.storage.v1.CSIDriver',
};

export const csinodes: ResourceType = {
  ...storage, categories: [], verbs: ALL_VERBS, kind: 'CSINode', listKind: 'CSINodeList', plural: 'csinodes',
  singular: 'csinode', shortNames: [], subresources: [], strategy: csiNodeStrategy, columns: csiNodeColumns,
  definition: 'io.k8s.api.storage.v1.CSINode',
};

export const volumeattachments: ResourceType = {
  ...storage, categories: [], verbs: ALL_VERBS, kind: 'VolumeAttachment', listKind: 'VolumeAttachmentList', plural: 'volumeattachments',
  singular: 'volumeattachment', shortNames: [], subresources: ['status'], strategy: volumeAttachmentStrategy, columns: volumeAttachmentColumns,
  definition: 'io.k8s.api.storage.v1.VolumeAttachment',
};
