/** Table columns of PersistentVolume and PersistentVolumeClaim, as upstream prints them. */
import type { KubeObject, TableColumn } from '../../resource.js';
import { quantityString } from '../../validation/quantity-canonical.js';
import { rec, str } from '../strategies/json.js';
import { ageColumn, column, path, wide } from './columns.js';

/** Upstream's GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order, each once. */
export function accessModesString(modes: unknown): string {
  const list = Array.isArray(modes) ? modes : [];
  return [['ReadWriteOnce', 'RWO'], ['ReadOnlyMany', 'ROX'], ['ReadWriteMany', 'RWX'], ['ReadWriteOncePod', 'RWOP']]
    .filter(([mode]) => list.includes(mode)).map(([, short]) => short!).join(',');
}

const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

/** The class from the beta annotation, else spec.storageClassName (upstream's GetPersistentVolume(Claim)Class). */
const storageClass = (o: KubeObject): string =>
  o.metadata?.annotations?.[BETA_CLASS_ANNOTATION] ?? str(path(o, 'spec', 'storageClassName'));

const phase = (o: KubeObject): string => (o.metadata?.deletionTimestamp ? 'Terminating' : str(path(o, 'status', 'phase')));
const unset = (v: unknown): string => (typeof v === 'string' ? v : '<unset>');

export const persistentVolumeColumns: TableColumn[] = [
  column('Capacity', 'string', 'capacity is the description of the persistent volume\'s resources and capacity.',
    (o) => quantityString(path(o, 'spec', 'capacity', 'storage')) ?? '0'),
  column('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.', (o) => accessModesString(path(o, 'spec', 'accessModes'))),
  column('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.',
    (o) => str(path(o, 'spec', 'persistentVolumeReclaimPolicy'))),
  column('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.', phase),
  column('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.', (o) => {
    const ref = rec(path(o, 'spec', 'claimRef'));
    return ref ? `${str(ref.namespace)}/${str(ref.name)}` : '';
  }),
  column('StorageClass', 'string', 'StorageClass of the pv', storageClass),
  column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv', (o) => unset(path(o, 'spec', 'volumeAttributesClassName'))),
  column('Reason', 'string', 'reason is a brief CamelCase string that describes any failure.', (o) => str(path(o, 'status', 'reason'))),
  ageColumn,
  wide('VolumeMode', 'string', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.',
    (o) => unset(path(o, 'spec', 'volumeMode'))),
];

export const persistentVolumeClaimColumns: TableColumn[] = [
  column('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.', phase),
  column('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.', (o) => str(path(o, 'spec', 'volumeName'))),
  // Capacity and modes are the bound volume's, so they stay empty until the claim is bound.
  column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.',
    (o) => (str(path(o, 'spec', 'volumeName')) ? quantityString(path(o, 'status', 'capacity', 'storage')) ?? '0' : '')),
  column('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has.',
    (o) => (str(path(o, 'spec', 'volumeName')) ? accessModesString(path(o, 'status', 'accessModes')) : '')),
  column('StorageClass', 'string', 'StorageClass of the pvc', storageClass),
  column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc', (o) => unset(path(o, 'spec', 'volumeAttributesClassName'))),
  ageColumn,
  wide('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', (o) => unset(path(o, 'spec', 'volumeMode'))),
];
