/** Table columns of the storage.k8s.io/v1 kinds, as upstream prints them. */
import type { TableColumn } from '../../resource.js';
import { isDefaultStorageClass } from '../strategies/storage.js';
import { records, rec, str } from '../strategies/json.js';
import { ageColumn, column, path } from './columns.js';

const bool = (v: unknown, dflt: boolean): boolean => (typeof v === 'boolean' ? v : dflt);

/** The Name column carries " (default)" for the default class, so it replaces the table's own. */
export const storageClassColumns: TableColumn[] = [
  {
    ...column('Name', 'string', 'Name must be unique within a namespace; it identifies the object in URLs and cannot be changed.',
      (o) => `${o.metadata?.name ?? ''}${isDefaultStorageClass(o) ? ' (default)' : ''}`),
    format: 'name',
  },
  column('Provisioner', 'string', 'provisioner indicates the type of the provisioner.', (o) => str(o.provisioner)),
  column('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.',
    (o) => str(o.reclaimPolicy) || 'Delete'),
  column('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.',
    (o) => str(o.volumeBindingMode) || 'Immediate'),
  column('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.',
    (o) => bool(o.allowVolumeExpansion, false)),
  ageColumn,
];

export const csiDriverColumns: TableColumn[] = [
  column('AttachRequired', 'boolean', 'attachRequired indicates this CSI volume driver requires an attach operation.',
    (o) => bool(path(o, 'spec', 'attachRequired'), true)),
  column('PodInfoOnMount', 'boolean', 'podInfoOnMount indicates this CSI volume driver requires additional pod information during mount operations.',
    (o) => bool(path(o, 'spec', 'podInfoOnMount'), false)),
  column('StorageCapacity', 'boolean', 'storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity.',
    (o) => bool(path(o, 'spec', 'storageCapacity'), false)),
  column('TokenRequests', 'string', 'tokenRequests indicates the CSI driver needs pods\' service account tokens it is mounting volume for.', (o) => {
    const reqs = path(o, 'spec', 'tokenRequests');
    return Array.isArray(reqs) ? records(reqs).map((t) => str(t.audience)).join(',') : '<unset>';
  }),
  column('RequiresRepublish', 'boolean', 'requiresRepublish indicates the CSI driver wants NodePublishVolume being periodically called.',
    (o) => bool(path(o, 'spec', 'requiresRepublish'), false)),
  column('Modes', 'string', 'volumeLifecycleModes defines what kind of volumes this CSI volume driver supports.', (o) => {
    const modes = path(o, 'spec', 'volumeLifecycleModes');
    const text = Array.isArray(modes) ? modes.map(String).join(',') : '';
    return text || '<none>';
  }),
  ageColumn,
];

export const csiNodeColumns: TableColumn[] = [
  column('Drivers', 'integer', 'Drivers indicates the number of CSI drivers registered on the node', (o) => records(path(o, 'spec', 'drivers')).length),
  ageColumn,
];

export const volumeAttachmentColumns: TableColumn[] = [
  // Upstream marks this column format "name" too; here that format means "the kind places its own Name column".
  column('Attacher', 'string', 'attacher indicates the name of the volume driver that MUST handle this request.', (o) => str(path(o, 'spec', 'attacher'))),
  column('PV', 'string', 'persistentVolumeName represents the name of the persistent volume to attach.',
    (o) => str(rec(path(o, 'spec', 'source'))?.persistentVolumeName)),
  column('Node', 'string', 'nodeName represents the node that the volume should be attached to.', (o) => str(path(o, 'spec', 'nodeName'))),
  column('Attached', 'boolean', 'attached indicates the volume is successfully attached.', (o) => path(o, 'status', 'attached') === true),
  ageColumn,
];
