/**
 * The local-path provisioner's decisions (what k3s ships as rancher/local-path-provisioner, an external
 * provisioner on sig-storage-lib-external-provisioner's contract), pure: which claims it provisions, the
 * hostPath PersistentVolume it makes for one (`pvc-<claim uid>`, pre-bound to the claim, the claim's size and
 * access modes, the class's reclaim policy and mount options, node affinity to the selected node), and which
 * released volumes it deletes.
 */
import { join } from 'node:path';
import {
  ANN_BETA_STORAGE_PROVISIONER, ANN_DYNAMICALLY_PROVISIONED, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER, claimClass, claimKey,
  HOSTNAME_LABEL, type PersistentVolume, type PersistentVolumeClaim, type StorageClass,
} from './types.js';

/** The provisioner names this one answers to: Skiff's own, and rancher's so k3s manifests work unchanged. */
export const LOCAL_PATH_PROVISIONERS = ['skiff.dev/local-path', 'rancher.io/local-path'];
/** The default directory under which volumes are made (k3s: /var/lib/rancher/k3s/storage); `skiff server` passes <data-dir>/local-path. */
export const DEFAULT_LOCAL_PATH_DIR = '/var/lib/skiff/local-path';
/** The access modes a directory on one node can honour. */
const SUPPORTED_MODES = ['ReadWriteOnce', 'ReadWriteOncePod'];

/** The name external-provisioner gives a claim's volume. */
export const volumeNameFor = (claim: PersistentVolumeClaim): string => `pvc-${claim.metadata?.uid ?? ''}`;

export type ProvisionDecision =
  | { kind: 'skip' }
  | { kind: 'fail'; message: string }
  | { kind: 'create'; volume: PersistentVolume };

/** The provisioner the binder marked the claim for (GA annotation, else beta). */
const claimProvisioner = (c: PersistentVolumeClaim): string | undefined =>
  c.metadata?.annotations?.[ANN_STORAGE_PROVISIONER] ?? c.metadata?.annotations?.[ANN_BETA_STORAGE_PROVISIONER];

/**
 * shouldProvision + Provision: claims marked for us, not bound, not being deleted, of a class of ours; with
 * WaitForFirstConsumer only once a node is selected. `existing` is the volume already named for the claim.
 */
export function decideProvision(claim: PersistentVolumeClaim, sc: StorageClass | undefined, existing: PersistentVolume | undefined, root: string, names = LOCAL_PATH_PROVISIONERS): ProvisionDecision {
  const mine = claimProvisioner(claim);
  if (!mine || !names.includes(mine)) return { kind: 'skip' };
  if (claim.spec?.volumeName || claim.metadata?.deletionTimestamp || existing) return { kind: 'skip' };
  if (!sc || !names.includes(sc.provisioner ?? '')) return { kind: 'skip' };
  const node = claim.metadata?.annotations?.[ANN_SELECTED_NODE];
  if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !node) return { kind: 'skip' };
  if (claim.spec?.selector) return { kind: 'fail', message: 'claim.Spec.Selector is not supported' };
  if ((claim.spec?.volumeMode ?? 'Filesystem') !== 'Filesystem') return { kind: 'fail', message: `volumeMode ${claim.spec?.volumeMode} is not supported: only Filesystem` };
  const bad = (claim.spec?.accessModes ?? []).filter((m) => !SUPPORTED_MODES.includes(m));
  if (bad.length) return { kind: 'fail', message: `access mode ${bad[0]} is not supported: a local path serves ReadWriteOnce and ReadWriteOncePod` };
  const storage = claim.spec?.resources?.requests?.['storage'];
  if (!storage) return { kind: 'fail', message: 'claim has no storage request' };
  return { kind: 'create', volume: localPathVolume(claim, sc, node, root, mine) };
}

/** The hostPath volume for a claim, pre-bound to it (claimRef with uid), pinned to `node` when one is known. */
export function localPathVolume(claim: PersistentVolumeClaim, sc: StorageClass, node: string | undefined, root: string, provisioner: string): PersistentVolume {
  const name = volumeNameFor(claim);
  const m = claim.metadata ?? {};
  const spec: NonNullable<PersistentVolume['spec']> = {
    capacity: { storage: claim.spec?.resources?.requests?.['storage'] ?? '0' },
    accessModes: [...(claim.spec?.accessModes ?? [])],
    persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
    storageClassName: claimClass(claim),
    volumeMode: 'Filesystem',
    claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.resourceVersion },
    hostPath: { path: join(root, name), type: 'DirectoryOrCreate' },
  };
  if (sc.mountOptions?.length) spec.mountOptions = [...sc.mountOptions];
  if (node) spec.nodeAffinity = { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values: [node] }] }] } };
  return { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name, annotations: { [ANN_DYNAMICALLY_PROVISIONED]: provisioner } }, spec };
}

/** shouldDelete: a Released volume we made, reclaim policy Delete, not already being deleted. */
export function shouldDelete(pv: PersistentVolume, names = LOCAL_PATH_PROVISIONERS): boolean {
  const by = pv.metadata?.annotations?.[ANN_DYNAMICALLY_PROVISIONED];
  return !!by && names.includes(by) && pv.status?.phase === 'Released' && pv.spec?.persistentVolumeReclaimPolicy === 'Delete' && !pv.metadata?.deletionTimestamp;
}

/**
 * The directory whose contents deleting the volume removes: only `<root>/<volume name>`, exactly what this
 * provisioner made, never a path a user wrote into a volume by hand.
 */
export function localPathOf(pv: PersistentVolume, root: string): string | undefined {
  const p = pv.spec?.hostPath?.path;
  const name = pv.metadata?.name;
  return name && p === join(root, name) ? p : undefined;
}

export const provisioningMessage = (claim: PersistentVolumeClaim): string => `External provisioner is provisioning volume for claim "${claimKey(claim)}"`;
export const provisionedMessage = (pv: PersistentVolume): string => `Successfully provisioned volume ${pv.metadata?.name ?? ''}`;
export const provisionFailedMessage = (sc: string, why: string): string => `failed to provision volume with StorageClass "${sc}": ${why}`;
