/**
 * The PersistentVolume binder's decisions (upstream's pkg/controller/volume/persistentvolume, pv_controller.go),
 * pure over lister state: which volume a claim gets (findBestMatchForClaim), what a claim's sync does
 * (syncUnboundClaim / syncBoundClaim), what a volume's sync does (syncVolume, reclaimVolume), and the object
 * edits of a bind (bindVolumeToClaim, bindClaimToVolume, updateClaimStatus, updateVolumePhase), each returning
 * the changed copy or undefined when nothing would change, so the I/O shell writes only what moved.
 *
 * Delayed binding (WaitForFirstConsumer): the scheduler's VolumeBinding plugin (scheduler/volume-binder.ts)
 * pre-binds a volume on the chosen node or writes the claim's volume.kubernetes.io/selected-node before it binds
 * the pod. For a pod placed without the scheduler (spec.nodeName set by hand) the binder annotates the claim with
 * that node (selectNode), and provisioning proceeds there.
 */
import { parseQuantityScaled } from '../../scheduler/quantity.js';
import { labelSelectorMatches } from '../shared/selector.js';
import type { Pod } from '../shared/pod-util.js';
import {
  ANN_BETA_STORAGE_CLASS, ANN_BETA_STORAGE_PROVISIONER, ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_DYNAMICALLY_PROVISIONED, ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER, claimClass, claimKey, claimRefKey, hasAnnotation, isDefaultClass, isDelayBindingMode, isVolumeBoundToClaim, volumeClass, YES,
  type PersistentVolume, type PersistentVolumeClaim, type StorageClass,
} from './types.js';

export type EventType = 'Normal' | 'Warning';
export interface BinderEvent {
  type: EventType;
  reason: string;
  message: string;
}

const storageOf = (q: Record<string, string> | undefined): number => parseQuantityScaled(q?.['storage'], 0) ?? 0;
const volumeModeOf = (m: string | undefined): string => m || 'Filesystem';

// ---------------------------------------------------------------------------------------- matching

/** The volume's access modes include all the claim's. */
function accessModesContain(volume: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  const have = new Set(volume.spec?.accessModes ?? []);
  return (claim.spec?.accessModes ?? []).every((m) => have.has(m));
}

/**
 * findBestMatchForClaim (with FindMatchingVolume's filters): a volume pre-bound to this claim wins; otherwise the
 * Available, unclaimed volume of the claim's class, selector and volume mode with at least the requested storage,
 * fewest access modes first, then the smallest. With delayed binding only a pre-bound volume is taken (the
 * consumer's node decides the rest).
 */
export function findBestMatch(claim: PersistentVolumeClaim, volumes: readonly PersistentVolume[], delayBinding: boolean): PersistentVolume | undefined {
  const requested = storageOf(claim.spec?.resources?.requests);
  const cls = claimClass(claim);
  let best: PersistentVolume | undefined;
  let bestModes = Infinity;
  let bestSize = Infinity;
  for (const v of volumes) {
    if (v.spec?.claimRef && !isVolumeBoundToClaim(v, claim)) continue;
    const size = storageOf(v.spec?.capacity);
    if (size < requested) continue;
    if (volumeModeOf(v.spec?.volumeMode) !== volumeModeOf(claim.spec?.volumeMode)) continue;
    if (v.metadata?.deletionTimestamp) continue;
    if (!accessModesContain(v, claim)) continue;
    if (isVolumeBoundToClaim(v, claim)) return v;
    if (delayBinding) continue;
    // A volume not yet Available is about to be; binding it now would mostly meet conflicts.
    if (v.status?.phase !== 'Available') continue;
    if (claim.spec?.selector && !labelSelectorMatches(claim.spec.selector, v.metadata?.labels)) continue;
    if (volumeClass(v) !== cls) continue;
    const modes = v.spec?.accessModes?.length ?? 0;
    if (modes < bestModes || (modes === bestModes && size < bestSize)) {
      best = v;
      bestModes = modes;
      bestSize = size;
    }
  }
  return best;
}

/** checkVolumeSatisfyClaim: why a volume the claim names cannot serve it, or undefined when it can. */
export function volumeMismatch(volume: PersistentVolume, claim: PersistentVolumeClaim): string | undefined {
  if (storageOf(volume.spec?.capacity) < storageOf(claim.spec?.resources?.requests)) {
    return `requested PV is too small`;
  }
  if (volumeClass(volume) !== claimClass(claim)) return 'storageClassName does not match';
  if (volumeModeOf(volume.spec?.volumeMode) !== volumeModeOf(claim.spec?.volumeMode)) return 'incompatible volumeMode';
  if (!accessModesContain(volume, claim)) return 'incompatible accessMode';
  return undefined;
}

// ---------------------------------------------------------------------------------------- claim sync

export type ClaimDecision =
  /** Bind the claim to the volume (each half written only if it changed). */
  | { kind: 'bind'; volume: PersistentVolume }
  /** Set the claim's phase (Pending keeps the volume fields, Lost clears them); the event goes with it. */
  | { kind: 'status'; phase: 'Pending' | 'Lost'; event?: BinderEvent; eventOnlyOnChange?: boolean }
  /** Mark the claim for an external provisioner (both annotations), post ExternalProvisioning, stay Pending. */
  | { kind: 'provision'; provisioner: string; event: BinderEvent }
  /** Play the scheduler's part for WaitForFirstConsumer: annotate the claim with its consumer's node. */
  | { kind: 'selectNode'; node: string }
  /** Retroactive default class: a claim created with no class (before any default existed) gets the default's. */
  | { kind: 'assignClass'; className: string }
  | { kind: 'error'; message: string };

export interface ClaimContext {
  volume(name: string): PersistentVolume | undefined;
  volumes: readonly PersistentVolume[];
  storageClass(name: string): StorageClass | undefined;
  /** Pods in the claim's namespace whose volumes name the claim. */
  podsUsing(claim: PersistentVolumeClaim): readonly Pod[];
  /** Every StorageClass (for the default one); absent: no retroactive class assignment. */
  storageClasses?: readonly StorageClass[];
}

/** GetDefaultClass: the newest class marked default (ties by name), or undefined. */
export function defaultClass(classes: readonly StorageClass[]): StorageClass | undefined {
  return classes.filter(isDefaultClass).sort((a, b) =>
    (Date.parse(b.metadata?.creationTimestamp ?? '') || 0) - (Date.parse(a.metadata?.creationTimestamp ?? '') || 0)
    || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))[0];
}

/** PersistentVolumeClaimHasClass: spec.storageClassName set (even to "") or the beta annotation present. */
const hasClass = (c: PersistentVolumeClaim): boolean =>
  (c.spec?.storageClassName !== undefined && c.spec?.storageClassName !== null) || c.metadata?.annotations?.[ANN_BETA_STORAGE_CLASS] !== undefined;

const CLAIM_PROVISIONERS = [ANN_STORAGE_PROVISIONER, ANN_BETA_STORAGE_PROVISIONER];
/** Provisioners upstream builds in (kubernetes.io/…); Skiff has none, so they are reported as unmatched. */
const IN_TREE_PREFIX = 'kubernetes.io/';

export function externalProvisioningMessage(provisioner: string): string {
  return `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`;
}

/** Whether the pod counts as a consumer of the claim (not finished, not being deleted). */
function activeConsumer(p: Pod): boolean {
  const phase = p.status?.phase;
  return !p.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

/** syncClaim. */
export function decideClaim(claim: PersistentVolumeClaim, ctx: ClaimContext): ClaimDecision {
  if (hasAnnotation(claim, ANN_BIND_COMPLETED)) return decideBoundClaim(claim, ctx);
  return decideUnboundClaim(claim, ctx);
}

function decideUnboundClaim(claim: PersistentVolumeClaim, ctx: ClaimContext): ClaimDecision {
  if (ctx.storageClasses && !hasClass(claim)) {
    const def = defaultClass(ctx.storageClasses);
    if (def?.metadata?.name) return { kind: 'assignClass', className: def.metadata.name };
  }
  const volumeName = claim.spec?.volumeName;
  if (volumeName) {
    // The user asked for this volume.
    const volume = ctx.volume(volumeName);
    if (!volume) return { kind: 'status', phase: 'Pending' };
    if (!volume.spec?.claimRef) {
      const why = volumeMismatch(volume, claim);
      if (why) {
        return { kind: 'status', phase: 'Pending', event: { type: 'Warning', reason: 'VolumeMismatch', message: `Cannot bind to requested volume "${volumeName}": ${why}` } };
      }
      return { kind: 'bind', volume };
    }
    if (isVolumeBoundToClaim(volume, claim)) return { kind: 'bind', volume };
    if (!hasAnnotation(claim, ANN_BOUND_BY_CONTROLLER)) {
      return { kind: 'status', phase: 'Pending', event: { type: 'Warning', reason: 'FailedBinding', message: `volume "${volumeName}" already bound to a different claim.` } };
    }
    return { kind: 'error', message: `Invalid binding of claim "${claimKey(claim)}" to volume "${volumeName}": volume already claimed by "${claimRefKey(volume.spec.claimRef)}"` };
  }

  const delayMode = isDelayBindingMode(claim, ctx.storageClass);
  const delay = delayMode && !hasAnnotation(claim, ANN_SELECTED_NODE);
  // With delayed binding only a volume pre-bound to the claim is taken, even once a node is selected (upstream
  // passes the class's mode): the scheduler pre-binds the volume it chose on that node, any other would be
  // wherever it happens to be.
  const volume = findBestMatch(claim, ctx.volumes, delayMode);
  if (volume) return { kind: 'bind', volume };
  if (delay) {
    const consumers = ctx.podsUsing(claim).filter(activeConsumer);
    const scheduled = consumers.find((p) => p.spec?.nodeName);
    if (scheduled) return { kind: 'selectNode', node: scheduled.spec!.nodeName! };
    const waiting = consumers.map((p) => p.metadata?.name ?? '').sort();
    const event: BinderEvent = waiting.length === 0
      ? { type: 'Normal', reason: 'WaitForFirstConsumer', message: 'waiting for first consumer to be created before binding' }
      : { type: 'Normal', reason: 'WaitForPodScheduled', message: waiting.length > 1 ? `waiting for pods ${waiting.join(',')} to be scheduled` : `waiting for pod ${waiting[0]} to be scheduled` };
    return { kind: 'status', phase: 'Pending', event };
  }
  const cls = claimClass(claim);
  if (cls !== '') {
    const sc = ctx.storageClass(cls);
    if (!sc) {
      return { kind: 'status', phase: 'Pending', event: { type: 'Warning', reason: 'ProvisioningFailed', message: `storageclass.storage.k8s.io "${cls}" not found` } };
    }
    const provisioner = sc.provisioner ?? '';
    if (provisioner.startsWith(IN_TREE_PREFIX)) {
      return { kind: 'status', phase: 'Pending', event: { type: 'Warning', reason: 'ProvisioningFailed', message: 'no provisionable volume plugin matched' } };
    }
    return { kind: 'provision', provisioner, event: { type: 'Normal', reason: 'ExternalProvisioning', message: externalProvisioningMessage(provisioner) } };
  }
  return { kind: 'status', phase: 'Pending', event: { type: 'Normal', reason: 'FailedBinding', message: 'no persistent volumes available for this claim and no storage class is set' } };
}

function decideBoundClaim(claim: PersistentVolumeClaim, ctx: ClaimContext): ClaimDecision {
  const volumeName = claim.spec?.volumeName;
  if (!volumeName) {
    return { kind: 'status', phase: 'Lost', eventOnlyOnChange: true, event: { type: 'Warning', reason: 'ClaimLost', message: 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!' } };
  }
  const volume = ctx.volume(volumeName);
  if (!volume) {
    return { kind: 'status', phase: 'Lost', eventOnlyOnChange: true, event: { type: 'Warning', reason: 'ClaimLost', message: 'Bound claim has lost its PersistentVolume. Data on the volume is lost!' } };
  }
  const ref = volume.spec?.claimRef;
  // Unbound volume (or an update not seen yet): bind again. Same claim: bind() only fixes what is missing.
  if (!ref || ref.uid === claim.metadata?.uid) return { kind: 'bind', volume };
  return { kind: 'status', phase: 'Lost', eventOnlyOnChange: true, event: { type: 'Warning', reason: 'ClaimMisbound', message: 'Two claims are bound to the same volume, this one is bound incorrectly' } };
}

// ---------------------------------------------------------------------------------------- volume sync

export type VolumeDecision =
  | { kind: 'phase'; phase: 'Available' | 'Bound' }
  /** The claim is gone: Released (unless already Released/Failed), then the reclaim policy. */
  | { kind: 'release'; reclaim: Reclaim }
  /** A claim that is still Pending will finish the binding: sync it. */
  | { kind: 'syncClaim'; key: string }
  /** Bound by the controller to a claim bound elsewhere: clear claimRef, Available again. */
  | { kind: 'unbind' }
  | { kind: 'none' };

export type Reclaim =
  | { kind: 'retain' }
  /** A provisioner's volume: its provisioner deletes it (and its data). */
  | { kind: 'external'; provisioner: string }
  | { kind: 'fail'; event: BinderEvent };

/** reclaimVolume: what the policy asks of a released volume. */
export function reclaimOf(volume: PersistentVolume): Reclaim {
  const policy = volume.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
  if (policy === 'Retain') return { kind: 'retain' };
  if (policy === 'Recycle') return { kind: 'fail', event: { type: 'Warning', reason: 'VolumeFailedRecycle', message: 'No recycler plugin found for the volume!' } };
  const provisioner = volume.metadata?.annotations?.[ANN_DYNAMICALLY_PROVISIONED];
  if (policy === 'Delete' && provisioner && !provisioner.startsWith(IN_TREE_PREFIX)) return { kind: 'external', provisioner };
  return { kind: 'fail', event: { type: 'Warning', reason: 'VolumeFailedDelete', message: `error getting deleter volume plugin for volume "${volume.metadata?.name ?? ''}": no deletable volume plugin matched` } };
}

/** syncVolume; `claim` is the claim its claimRef names (undefined when gone or replaced by another uid). */
export function decideVolume(volume: PersistentVolume, claim: PersistentVolumeClaim | undefined): VolumeDecision {
  const ref = volume.spec?.claimRef;
  if (!ref) return { kind: 'phase', phase: 'Available' };
  // Pre-bound by name only: the claim's sync completes it.
  if (!ref.uid) return { kind: 'phase', phase: 'Available' };
  const same = claim && claim.metadata?.uid === ref.uid ? claim : undefined;
  if (!same) return { kind: 'release', reclaim: reclaimOf(volume) };
  if (!same.spec?.volumeName) return { kind: 'syncClaim', key: claimKey(same) };
  if (same.spec.volumeName === volume.metadata?.name) return { kind: 'phase', phase: 'Bound' };
  // The claim is bound to another volume.
  if (hasAnnotation(volume, ANN_DYNAMICALLY_PROVISIONED) && volume.spec?.persistentVolumeReclaimPolicy === 'Delete') {
    return { kind: 'release', reclaim: reclaimOf(volume) };
  }
  if (hasAnnotation(volume, ANN_BOUND_BY_CONTROLLER)) return { kind: 'unbind' };
  return { kind: 'none' };
}

// ---------------------------------------------------------------------------------------- object edits

const withAnnotation = <T extends { metadata?: { annotations?: Record<string, string> } }>(o: T, key: string, value: string): T => ({
  ...o, metadata: { ...o.metadata, annotations: { ...(o.metadata?.annotations ?? {}), [key]: value } },
});

/** bindVolumeToClaim: claimRef to the claim (and bound-by-controller when the controller chose the volume). */
export function volumeBoundTo(volume: PersistentVolume, claim: PersistentVolumeClaim): PersistentVolume | undefined {
  const ref = volume.spec?.claimRef;
  const m = claim.metadata ?? {};
  const refOk = ref && ref.name === m.name && ref.namespace === m.namespace && ref.uid === m.uid;
  let out: PersistentVolume | undefined;
  if (!refOk) {
    out = structuredClone(volume);
    out.spec = { ...(out.spec ?? {}), claimRef: { kind: 'PersistentVolumeClaim', namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: 'v1', resourceVersion: m.resourceVersion } };
  }
  if (!ref && !hasAnnotation(volume, ANN_BOUND_BY_CONTROLLER)) out = withAnnotation(out ?? structuredClone(volume), ANN_BOUND_BY_CONTROLLER, YES);
  return out;
}

/** unbindVolume: a controller-made binding undone, the volume Available for another claim. */
export function volumeUnbound(volume: PersistentVolume): PersistentVolume {
  const out = structuredClone(volume);
  if (hasAnnotation(volume, ANN_BOUND_BY_CONTROLLER)) {
    delete out.spec!.claimRef;
    delete out.metadata!.annotations![ANN_BOUND_BY_CONTROLLER];
  } else {
    // Pre-bound by the user: keep the name, forget the uid so a new claim of that name can take it.
    out.spec!.claimRef = { ...out.spec!.claimRef, uid: '' };
  }
  return out;
}

/** bindClaimToVolume: spec.volumeName (bound-by-controller when the controller chose it) and bind-completed. */
export function claimBoundTo(claim: PersistentVolumeClaim, volume: PersistentVolume): PersistentVolumeClaim | undefined {
  let out: PersistentVolumeClaim | undefined;
  const name = volume.metadata?.name ?? '';
  if (claim.spec?.volumeName !== name) {
    out = structuredClone(claim);
    out.spec = { ...(out.spec ?? {}), volumeName: name };
    out = withAnnotation(out, ANN_BOUND_BY_CONTROLLER, YES);
  }
  if (!hasAnnotation(claim, ANN_BIND_COMPLETED)) out = withAnnotation(out ?? structuredClone(claim), ANN_BIND_COMPLETED, YES);
  return out;
}

/** The claim with both provisioner annotations naming `provisioner` (setClaimProvisioner), or undefined if set. */
export function claimForProvisioner(claim: PersistentVolumeClaim, provisioner: string): PersistentVolumeClaim | undefined {
  if (CLAIM_PROVISIONERS.every((k) => claim.metadata?.annotations?.[k] === provisioner)) return undefined;
  let out = withAnnotation(claim, ANN_STORAGE_PROVISIONER, provisioner);
  out = withAnnotation(out, ANN_BETA_STORAGE_PROVISIONER, provisioner);
  return out;
}

/** The claim annotated with the node its first consumer runs on, or undefined if it already is. */
export function claimWithSelectedNode(claim: PersistentVolumeClaim, node: string): PersistentVolumeClaim | undefined {
  if (claim.metadata?.annotations?.[ANN_SELECTED_NODE] === node) return undefined;
  return withAnnotation(claim, ANN_SELECTED_NODE, node);
}

/**
 * updateClaimStatus: the phase; Bound copies the volume's access modes and capacity; without a volume they are
 * cleared (Lost). Pending keeps what it has. undefined when nothing changes.
 */
export function claimStatus(claim: PersistentVolumeClaim, phase: 'Pending' | 'Bound' | 'Lost', volume?: PersistentVolume): PersistentVolumeClaim | undefined {
  const status = { ...(claim.status ?? {}) };
  let dirty = status.phase !== phase;
  status.phase = phase;
  if (volume) {
    const modes = volume.spec?.accessModes ?? [];
    if (JSON.stringify(status.accessModes ?? []) !== JSON.stringify(modes)) {
      status.accessModes = [...modes];
      dirty = true;
    }
    const cap = volume.spec?.capacity?.['storage'];
    if (cap !== undefined && status.capacity?.['storage'] !== cap) {
      status.capacity = { ...(status.capacity ?? {}), storage: cap };
      dirty = true;
    }
  } else if (phase === 'Lost') {
    if (status.accessModes !== undefined) { delete status.accessModes; dirty = true; }
    if (status.capacity !== undefined) { delete status.capacity; dirty = true; }
  }
  return dirty ? { ...claim, status } : undefined;
}

/** updateVolumePhase: phase, message, and lastPhaseTransitionTime when the phase moves. undefined when unchanged. */
export function volumePhase(volume: PersistentVolume, phase: 'Available' | 'Bound' | 'Released' | 'Failed', message: string, now: Date): PersistentVolume | undefined {
  const cur = volume.status ?? {};
  if (cur.phase === phase && (cur.message ?? '') === message) return undefined;
  const status: NonNullable<PersistentVolume['status']> = { ...cur, phase };
  if (message) status.message = message;
  else delete status.message;
  if (cur.phase !== phase) status.lastPhaseTransitionTime = `${now.toISOString().slice(0, 19)}Z`;
  return { ...volume, status };
}
