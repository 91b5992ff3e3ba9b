/**
 * The persistent-volume binder's decisions (upstream's pkg/controller/volume/persistentvolume), as pure
 * functions over plain objects: which Available volume a Pending claim gets (pre-bound first, else the
 * smallest that fits its class, volume mode, access modes, selector and request), when binding waits for a
 * consumer, and what phase a volume should show for the claim it references.
 */
import type { KubeObject } from '../../../client/types.js';
import { parseQuantity } from '../../api/validation/quantities.js';
import { selectorMatches, type LabelSelector } from '../../api/validation/selectors.js';

type Obj = Record<string, unknown>;
const rec = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const spec = (o: KubeObject): Obj => rec(o['spec']) ?? {};

export const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
export const BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
export const BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';

/** The class a claim asks for: the beta annotation, else spec.storageClassName ('' when neither). */
export const claimClass = (claim: KubeObject): string =>
  claim.metadata?.annotations?.[BETA_CLASS_ANNOTATION] ?? str(spec(claim)['storageClassName']);

/** The class a volume belongs to, read the same way. */
export const volumeClass = (pv: KubeObject): string =>
  pv.metadata?.annotations?.[BETA_CLASS_ANNOTATION] ?? str(spec(pv)['storageClassName']);

const modeOf = (o: KubeObject): string => str(spec(o)['volumeMode']) || 'Filesystem';
const modesOf = (o: KubeObject): string[] => (Array.isArray(spec(o)['accessModes']) ? (spec(o)['accessModes'] as unknown[]).map(String) : []);
const capacityOf = (pv: KubeObject): number => parseQuantity(rec(spec(pv)['capacity'])?.['storage']) ?? 0;
const requestOf = (claim: KubeObject): number => parseQuantity(rec(rec(spec(claim)['resources'])?.['requests'])?.['storage']) ?? 0;

/** A volume's claimRef points at this claim (by namespace and name, and by uid once it has one). */
export function isPreBoundTo(pv: KubeObject, claim: KubeObject): boolean {
  const ref = rec(spec(pv)['claimRef']);
  if (!ref) return false;
  if (str(ref['namespace']) !== (claim.metadata?.namespace ?? '') || str(ref['name']) !== (claim.metadata?.name ?? '')) return false;
  return !ref['uid'] || ref['uid'] === claim.metadata?.uid;
}

/** Whether `pv` can hold `claim`: class, volume mode, access modes, selector and size. */
export function fits(pv: KubeObject, claim: KubeObject): boolean {
  if (volumeClass(pv) !== claimClass(claim) || modeOf(pv) !== modeOf(claim)) return false;
  const have = modesOf(pv);
  if (!modesOf(claim).every((m) => have.includes(m))) return false;
  const selector = rec(spec(claim)['selector']);
  if (selector && !selectorMatches(selector as LabelSelector, pv.metadata?.labels)) return false;
  return capacityOf(pv) >= requestOf(claim);
}

/**
 * The volume a claim binds to: one pre-bound to it that fits, else the smallest unclaimed volume that fits
 * (ties broken by name, so the choice is stable). Volumes being deleted are never chosen.
 */
export function findMatchingVolume(claim: KubeObject, volumes: readonly KubeObject[]): KubeObject | undefined {
  const live = volumes.filter((v) => !v.metadata?.deletionTimestamp && fits(v, claim));
  const preBound = live.find((v) => isPreBoundTo(v, claim));
  if (preBound) return preBound;
  return live
    .filter((v) => !rec(spec(v)['claimRef']))
    .sort((a, b) => capacityOf(a) - capacityOf(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))[0];
}

/** A claim of a WaitForFirstConsumer class waits until the scheduler picks a node (upstream's IsDelayBindingMode). */
export function waitsForConsumer(claim: KubeObject, classes: readonly KubeObject[]): boolean {
  const name = claimClass(claim);
  if (name === '') return false;
  const sc = classes.find((c) => c.metadata?.name === name);
  return sc?.['volumeBindingMode'] === 'WaitForFirstConsumer' && !claim.metadata?.annotations?.[SELECTED_NODE_ANNOTATION];
}

/** What a volume should become given the claim its claimRef names (undefined when it names none or it is gone). */
export type VolumeAction = { phase: 'Available' | 'Bound' | 'Released' } | { delete: true };

export function volumeAction(pv: KubeObject, claim: KubeObject | undefined): VolumeAction {
  const ref = rec(spec(pv)['claimRef']);
  if (!ref) return { phase: 'Available' };
  // Pre-bound by an administrator to a claim that does not exist yet: still available to that claim.
  if (!ref['uid']) return { phase: 'Available' };
  if (claim && claim.metadata?.uid === ref['uid']) {
    return str(spec(claim)['volumeName']) === pv.metadata?.name ? { phase: 'Bound' } : { phase: 'Available' };
  }
  // The claim is gone: the reclaim policy decides. Delete removes the volume (its provisioner's job upstream).
  return spec(pv)['persistentVolumeReclaimPolicy'] === 'Delete' ? { delete: true } : { phase: 'Released' };
}

/** The claimRef a volume gets when bound to `claim`. */
export const claimRefFor = (claim: KubeObject): Obj => ({
  kind: 'PersistentVolumeClaim', namespace: claim.metadata?.namespace, name: claim.metadata?.name, uid: claim.metadata?.uid,
  apiVersion: 'v1', resourceVersion: claim.metadata?.resourceVersion,
});
