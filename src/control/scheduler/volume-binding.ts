/**
 * VolumeBinding's decisions (upstream's pkg/scheduler/framework/plugins/volumebinding), pure over lister state:
 *  - preFilterVolumes: the pod's claims exist, are not being deleted or lost, and every claim that binds
 *    immediately is bound already; claims split into bound ones and WaitForFirstConsumer ones still to bind.
 *  - findPodVolumes (Filter, per node): a bound claim's volume must exist and its nodeAffinity match the node; an
 *    unbound delayed claim needs an Available volume of its class that fits and whose nodeAffinity matches the
 *    node (smallest first, one volume per claim), or a class whose provisioner can provision there
 *    (allowedTopologies); a claim already carrying selected-node fits that node only.
 *  - the objects Reserve/PreBind write (the volume pre-bound to the claim, the claim with selected-node) and
 *    checkBindings, which tells PreBind whether the PV controller finished, must be waited for, or failed.
 * Reasons and messages are upstream's.
 */
import { labelSelectorMatches } from '../controllers/shared/selector.js';
import {
  ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_SELECTED_NODE, claimClass, HOSTNAME_LABEL, isVolumeBoundToClaim, volumeClass,
  type PersistentVolume, type PersistentVolumeClaim, type StorageClass,
} from '../controllers/persistentvolume/types.js';
import type { KubeObject } from '../api/resource.js';
import { parseQuantityScaled } from './quantity.js';
import { compileNodeTerm, matchesNodeTerm } from './selector.js';

export type { PersistentVolume, PersistentVolumeClaim, StorageClass };

export const VOLUME_REASON = {
  bindConflict: "node(s) didn't find available persistent volumes to bind",
  nodeConflict: 'node(s) had volume node affinity conflict',
  notEnoughSpace: 'node(s) did not have enough free storage',
  pvNotExist: 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)',
  unboundImmediate: 'pod has unbound immediate PersistentVolumeClaims',
} as const;

/** Whether a per-node reason or PreFilter message is VolumeBinding's (for requeueing and preemption). */
export function isVolumeBindingReason(reason: string): boolean {
  return (
    (Object.values(VOLUME_REASON) as string[]).includes(reason) ||
    reason.startsWith('persistentvolumeclaim "') ||
    reason.startsWith('waiting for ephemeral volume controller to create the persistentvolumeclaim') ||
    (reason.startsWith('PVC ') && reason.endsWith('(pod is not owner)'))
  );
}

/** Provisioner name upstream uses for classes that never provision (local volumes). */
export const NOT_SUPPORTED_PROVISIONER = 'kubernetes.io/no-provisioner';

/** What the plugin reads: the scheduler's listers (and its assumed objects in front of them). */
export interface VolumeListers {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  /** Every volume of a class (the assume cache's ListPVs). */
  volumesOfClass(className: string): readonly PersistentVolume[];
  storageClass(name: string): StorageClass | undefined;
}

export interface NodeLike {
  name: string;
  labels: Record<string, string>;
}

interface PodVolume {
  name: string;
  persistentVolumeClaim?: { claimName?: string };
  ephemeral?: unknown;
}

const podVolumes = (pod: KubeObject): PodVolume[] => ((pod.spec as { volumes?: PodVolume[] } | undefined)?.volumes ?? []);

/** The claims a pod's volumes name: PVC volumes by claimName, generic ephemeral ones as `<pod>-<volume>`. */
export function podClaimRefs(pod: KubeObject): { name: string; ephemeral: boolean }[] {
  const out: { name: string; ephemeral: boolean }[] = [];
  for (const v of podVolumes(pod)) {
    if (v?.persistentVolumeClaim) out.push({ name: v.persistentVolumeClaim.claimName ?? '', ephemeral: false });
    else if (v?.ephemeral) out.push({ name: `${pod.metadata?.name ?? ''}-${v.name}`, ephemeral: true });
  }
  return out;
}

/** The cheap test the loop runs for every pod: only pods with claims pay for the rest. */
export function podHasClaims(pod: KubeObject): boolean {
  const vols = (pod.spec as { volumes?: PodVolume[] } | undefined)?.volumes;
  if (!vols) return false;
  for (const v of vols) if (v?.persistentVolumeClaim || v?.ephemeral) return true;
  return false;
}

/** isPVCFullyBound: volumeName set and the PV controller's bind-completed annotation present. */
export const isClaimFullyBound = (c: PersistentVolumeClaim): boolean =>
  !!c.spec?.volumeName && c.metadata?.annotations?.[ANN_BIND_COMPLETED] !== undefined;

/** IsDelayBindingMode: a class that exists and says WaitForFirstConsumer (a missing class counts as immediate). */
function isDelayBinding(c: PersistentVolumeClaim, l: VolumeListers): boolean {
  const cls = claimClass(c);
  if (!cls) return false;
  return l.storageClass(cls)?.volumeBindingMode === 'WaitForFirstConsumer';
}

export interface PodVolumeClaims {
  bound: PersistentVolumeClaim[];
  /** Unbound WaitForFirstConsumer claims: the scheduler binds or provisions them on the chosen node. */
  delayed: PersistentVolumeClaim[];
}

export type VolumePreFilter =
  /** The pod names no claim: VolumeBinding does nothing for it. */
  | { kind: 'skip' }
  /** UnschedulableAndUnresolvable before any node is looked at, with upstream's message. */
  | { kind: 'reject'; message: string }
  | { kind: 'claims'; claims: PodVolumeClaims };

/** PreFilter (podHasPVCs + GetPodVolumeClaims). */
export function preFilterVolumes(pod: KubeObject, l: VolumeListers): VolumePreFilter {
  const refs = podClaimRefs(pod);
  if (refs.length === 0) return { kind: 'skip' };
  const ns = pod.metadata?.namespace ?? 'default';
  const claims: PersistentVolumeClaim[] = [];
  for (const ref of refs) {
    const c = l.claim(ns, ref.name);
    if (!c) {
      return {
        kind: 'reject',
        message: ref.ephemeral
          ? `waiting for ephemeral volume controller to create the persistentvolumeclaim "${ref.name}"`
          : `persistentvolumeclaim "${ref.name}" not found`,
      };
    }
    if (c.status?.phase === 'Lost') {
      return { kind: 'reject', message: `persistentvolumeclaim "${ref.name}" bound to non-existent persistentvolume "${c.spec?.volumeName ?? ''}"` };
    }
    if (c.metadata?.deletionTimestamp) return { kind: 'reject', message: `persistentvolumeclaim "${ref.name}" is being deleted` };
    if (ref.ephemeral) {
      const ctrl = c.metadata?.ownerReferences?.find((r) => r.controller === true);
      if (ctrl?.uid !== pod.metadata?.uid) {
        return { kind: 'reject', message: `PVC ${ns}/${ref.name} was not created for pod ${ns}/${pod.metadata?.name ?? ''} (pod is not owner)` };
      }
    }
    claims.push(c);
  }
  const out: PodVolumeClaims = { bound: [], delayed: [] };
  let immediate = false;
  for (const c of claims) {
    if (isClaimFullyBound(c)) out.bound.push(c);
    // A claim naming its volume but not bound yet is the PV controller's to finish, as an immediate one.
    else if (isDelayBinding(c, l) && !c.spec?.volumeName) out.delayed.push(c);
    else immediate = true;
  }
  if (immediate) return { kind: 'reject', message: VOLUME_REASON.unboundImmediate };
  return { kind: 'claims', claims: out };
}

// ---------------------------------------------------------------------------------------- filter

type NodeAffinityTerms = NonNullable<NonNullable<NonNullable<PersistentVolume['spec']>['nodeAffinity']>['required']>;
const compiledTerms = new WeakMap<object, ReturnType<typeof compileNodeTerm>[]>();

/** CheckNodeAffinity: no nodeAffinity (or no required part) fits every node; otherwise one term must match. */
export function volumeFitsNode(pv: PersistentVolume, node: NodeLike): boolean {
  const req = pv.spec?.nodeAffinity?.required;
  if (!req) return true;
  let terms = compiledTerms.get(req);
  if (!terms) {
    terms = (req.nodeSelectorTerms ?? []).map(compileNodeTerm);
    compiledTerms.set(req as NodeAffinityTerms, terms);
  }
  for (const t of terms) if (matchesNodeTerm(t, node.name, node.labels)) return true;
  return false;
}

/** v1helper.MatchTopologySelectorTerms: no terms match everything; otherwise a term whose every key is In. */
export function topologyMatches(terms: StorageClassTopology[] | undefined, labels: Record<string, string>): boolean {
  if (!terms || terms.length === 0) return true;
  return terms.some((t) => (t.matchLabelExpressions ?? []).every((e) => e.key in labels && (e.values ?? []).includes(labels[e.key]!)));
}

export interface StorageClassTopology {
  matchLabelExpressions?: { key: string; values?: string[] }[];
}

const storageOf = (q: Record<string, string> | undefined): number => parseQuantityScaled(q?.['storage'], 0) ?? 0;

function accessModesContain(pv: PersistentVolume, c: PersistentVolumeClaim): boolean {
  const have = pv.spec?.accessModes ?? [];
  return (c.spec?.accessModes ?? []).every((m) => have.includes(m));
}

/**
 * FindMatchingVolume for the scheduler: a volume pre-bound to the claim wins (none if it misses the node);
 * else the smallest Available, unclaimed, not-deleted volume of the claim's class, mode, selector and access
 * modes with room for the request and node affinity matching `node`, skipping volumes in `taken`.
 */
export function findMatchingVolume(c: PersistentVolumeClaim, volumes: readonly PersistentVolume[], node: NodeLike, taken: ReadonlySet<string>): PersistentVolume | undefined {
  const requested = storageOf(c.spec?.resources?.requests);
  const cls = claimClass(c);
  const mode = c.spec?.volumeMode || 'Filesystem';
  let best: PersistentVolume | undefined;
  let bestSize = Infinity;
  for (const pv of volumes) {
    const name = pv.metadata?.name ?? '';
    if (taken.has(name)) continue;
    const mine = isVolumeBoundToClaim(pv, c);
    if (pv.spec?.claimRef && !mine) continue;
    const size = storageOf(pv.spec?.capacity);
    if (size < requested) continue;
    if ((pv.spec?.volumeMode || 'Filesystem') !== mode) continue;
    if (pv.metadata?.deletionTimestamp) continue;
    const fits = volumeFitsNode(pv, node);
    if (mine) return fits ? pv : undefined;
    if (pv.status?.phase !== 'Available') continue;
    if (c.spec?.selector && !labelSelectorMatches(c.spec.selector, pv.metadata?.labels)) continue;
    if (volumeClass(pv) !== cls) continue;
    if (!fits) continue;
    if (!accessModesContain(pv, c)) continue;
    if (size < bestSize) {
      best = pv;
      bestSize = size;
    }
  }
  return best;
}

/** What the pod's unbound claims get on one node. */
export interface PodVolumePlan {
  /** Claims bound to existing volumes (the volume is pre-bound by the scheduler). */
  staticBindings: { claim: PersistentVolumeClaim; volume: PersistentVolume }[];
  /** Claims the class's provisioner makes a volume for on the node (selected-node). */
  provisions: PersistentVolumeClaim[];
}

export type NodeVolumeResult =
  | { ok: true; plan: PodVolumePlan }
  | { ok: false; reasons: string[] }
  /** Not a property of the node: the cycle fails with this error (upstream's AsStatus). */
  | { ok: 'error'; message: string };

/** FindPodVolumes: whether the pod's claims can be served on `node`, and how. */
export function findPodVolumes(claims: PodVolumeClaims, node: NodeLike, l: VolumeListers): NodeVolumeResult {
  let boundFit = true;
  let pvsFound = true;
  for (const c of claims.bound) {
    const pv = l.volume(c.spec?.volumeName ?? '');
    if (!pv) {
      pvsFound = false;
      break;
    }
    if (!volumeFitsNode(pv, node)) {
      boundFit = false;
      break;
    }
  }
  const unbound = claims.delayed.length ? planUnbound(claims.delayed, node, l) : { ok: true as const, plan: { staticBindings: [], provisions: [] } };
  if (unbound.ok === 'error') return unbound;
  // Upstream's order of reasons: node conflict, bind conflict, (storage), missing volumes.
  const reasons: string[] = [];
  if (!boundFit) reasons.push(VOLUME_REASON.nodeConflict);
  if (!unbound.ok) reasons.push(VOLUME_REASON.bindConflict);
  if (!pvsFound) reasons.push(VOLUME_REASON.pvNotExist);
  if (reasons.length || !unbound.ok) return { ok: false, reasons };
  return unbound;
}

/** The unbound delayed claims on one node: a volume each, or provisioning there; `ok: false` is a bind conflict. */
function planUnbound(delayed: PersistentVolumeClaim[], node: NodeLike, l: VolumeListers): { ok: true; plan: PodVolumePlan } | { ok: false } | { ok: 'error'; message: string } {
  const plan: PodVolumePlan = { staticBindings: [], provisions: [] };
  const toMatch: PersistentVolumeClaim[] = [];
  const toProvision: PersistentVolumeClaim[] = [];
  for (const c of delayed) {
    const selected = c.metadata?.annotations?.[ANN_SELECTED_NODE];
    if (selected !== undefined) {
      // Provisioning already asked for on some node: only that one will do.
      if (selected !== node.name) return { ok: false };
      toProvision.push(c);
    } else toMatch.push(c);
  }
  // Smallest requests first, so each takes the smallest volume that fits it.
  toMatch.sort((a, b) => storageOf(a.spec?.resources?.requests) - storageOf(b.spec?.resources?.requests));
  const taken = new Set<string>();
  for (const c of toMatch) {
    const pv = findMatchingVolume(c, l.volumesOfClass(claimClass(c)), node, taken);
    if (!pv) {
      toProvision.push(c);
      continue;
    }
    taken.add(pv.metadata?.name ?? '');
    plan.staticBindings.push({ claim: c, volume: pv });
  }
  for (const c of toProvision) {
    const cls = claimClass(c);
    if (!cls) return { ok: 'error', message: `no class for claim "${c.metadata?.namespace ?? ''}/${c.metadata?.name ?? ''}"` };
    const sc = l.storageClass(cls);
    if (!sc) return { ok: 'error', message: `failed to find storage class "${cls}"` };
    const provisioner = sc.provisioner ?? '';
    if (provisioner === '' || provisioner === NOT_SUPPORTED_PROVISIONER) return { ok: false };
    if (!topologyMatches((sc as { allowedTopologies?: StorageClassTopology[] }).allowedTopologies, node.labels)) return { ok: false };
    plan.provisions.push(c);
  }
  return { ok: true, plan };
}

/** Per-node results of one cycle, by node name (a Map, or one result every node shares). */
export interface NodeVolumeResults {
  get(node: string): NodeVolumeResult | undefined;
  values(): Iterable<NodeVolumeResult>;
}

/**
 * The result every node gets when nothing in the claims depends on the node (the common first placement of a
 * dynamically provisioned claim: no volume of its class to pick, a provisioner without allowedTopologies, and
 * bound volumes without nodeAffinity), so the cycle skips the per-node pass; undefined otherwise.
 */
export function nodeIndependentResult(claims: PodVolumeClaims, l: VolumeListers): NodeVolumeResult | undefined {
  for (const c of claims.bound) {
    const pv = l.volume(c.spec?.volumeName ?? '');
    if (!pv || pv.spec?.nodeAffinity?.required) return undefined;
  }
  for (const c of claims.delayed) {
    if (c.metadata?.annotations?.[ANN_SELECTED_NODE] !== undefined) return undefined;
    const cls = claimClass(c);
    // Any volume the claim could take makes the answer depend on where that volume is.
    if (l.volumesOfClass(cls).some((pv) => !pv.spec?.claimRef || isVolumeBoundToClaim(pv, c))) return undefined;
    const sc = l.storageClass(cls);
    const provisioner = sc?.provisioner ?? '';
    if (!sc || provisioner === '' || provisioner === NOT_SUPPORTED_PROVISIONER) return undefined;
    if ((sc as { allowedTopologies?: StorageClassTopology[] }).allowedTopologies?.length) return undefined;
  }
  return { ok: true, plan: { staticBindings: [], provisions: [...claims.delayed] } };
}

/**
 * When the bound claims' volumes name their nodes by hostname (every term of every volume with nodeAffinity
 * requires `kubernetes.io/hostname In [...]`, as local and local-path volumes do), the hostnames a node must have
 * to pass; any other node fails with a volume node affinity conflict. undefined when no such bound is known.
 */
export function hostnameCandidates(claims: PodVolumeClaims, l: VolumeListers): Set<string> | undefined {
  let out: Set<string> | undefined;
  for (const c of claims.bound) {
    const terms = l.volume(c.spec?.volumeName ?? '')?.spec?.nodeAffinity?.required?.nodeSelectorTerms;
    if (!terms) continue;
    const names = new Set<string>();
    for (const t of terms) {
      const req = (t.matchExpressions ?? []).find((e) => e.key === HOSTNAME_LABEL && e.operator === 'In');
      if (!req) return undefined;
      for (const v of req.values ?? []) names.add(v);
    }
    out = out ? new Set([...out].filter((n) => names.has(n))) : names;
  }
  return out;
}

// ---------------------------------------------------------------------------------------- reserve / prebind

/** GetBindVolumeToClaim: the volume with claimRef naming the claim (uid included) and bound-by-controller. */
export function volumePreBoundTo(pv: PersistentVolume, c: PersistentVolumeClaim): PersistentVolume | undefined {
  const m = c.metadata ?? {};
  const ref = pv.spec?.claimRef;
  const refOk = ref && ref.namespace === m.namespace && ref.name === m.name && ref.uid === m.uid;
  const annOk = pv.metadata?.annotations?.[ANN_BOUND_BY_CONTROLLER] !== undefined;
  if (refOk && annOk) return undefined;
  const out = structuredClone(pv);
  out.spec = {
    ...(out.spec ?? {}),
    claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.resourceVersion },
  };
  out.metadata = { ...(out.metadata ?? {}), annotations: { ...(out.metadata?.annotations ?? {}), [ANN_BOUND_BY_CONTROLLER]: 'yes' } };
  return out;
}

/** The claim with volume.kubernetes.io/selected-node naming the chosen node (the provisioner's cue). */
export function claimWithSelectedNode(c: PersistentVolumeClaim, node: string): PersistentVolumeClaim {
  const out = structuredClone(c);
  out.metadata = { ...(out.metadata ?? {}), annotations: { ...(out.metadata?.annotations ?? {}), [ANN_SELECTED_NODE]: node } };
  return out;
}

export type BindingCheck = { kind: 'done' } | { kind: 'wait' } | { kind: 'failed'; message: string };

const rvOf = (o: KubeObject | undefined): number => Number(o?.metadata?.resourceVersion ?? 0) || 0;

/**
 * checkBindings: every volume the scheduler pre-bound still names its claim and the claim is fully bound; every
 * claim it asked to provision still names the node (a provisioner that gives up removes it) and, once bound,
 * got a volume that fits the node. Objects older than the scheduler's own writes are waited for.
 */
export function checkBindings(
  written: { volumes: PersistentVolume[]; claims: PersistentVolumeClaim[]; bindings: PersistentVolumeClaim[] },
  node: NodeLike,
  l: VolumeListers,
): BindingCheck {
  for (let i = 0; i < written.volumes.length; i++) {
    const want = written.volumes[i]!;
    const name = want.metadata?.name ?? '';
    const pv = l.volume(name);
    if (!pv) return { kind: 'failed', message: `failed to check binding: persistentvolume "${name}" not found` };
    if (rvOf(want) > rvOf(pv)) return { kind: 'wait' };
    if (!volumeFitsNode(pv, node)) return { kind: 'failed', message: `pv "${name}" node affinity doesn't match node "${node.name}": no matching NodeSelectorTerms` };
    if (!pv.spec?.claimRef?.uid) return { kind: 'failed', message: `ClaimRef got reset for pv "${name}"` };
    const claimRef = written.bindings[i]!;
    const c = l.claim(claimRef.metadata?.namespace ?? '', claimRef.metadata?.name ?? '');
    if (!c) return { kind: 'failed', message: `failed to check binding: persistentvolumeclaim "${claimRef.metadata?.name ?? ''}" not found` };
    if (!isClaimFullyBound(c)) return { kind: 'wait' };
  }
  for (const want of written.claims) {
    const name = want.metadata?.name ?? '';
    const c = l.claim(want.metadata?.namespace ?? '', name);
    if (!c) return { kind: 'failed', message: `failed to check provisioning pvc: persistentvolumeclaim "${name}" not found` };
    if (rvOf(want) > rvOf(c)) return { kind: 'wait' };
    if (c.metadata?.annotations?.[ANN_SELECTED_NODE] === undefined) return { kind: 'failed', message: `selectedNode annotation reset for PVC "${name}"` };
    if (c.metadata.annotations[ANN_SELECTED_NODE] !== node.name) return { kind: 'failed', message: `provisioning failed for PVC "${name}"` };
    if (c.spec?.volumeName) {
      const pv = l.volume(c.spec.volumeName);
      if (!pv) return { kind: 'wait' };
      if (!volumeFitsNode(pv, node)) {
        return { kind: 'failed', message: `pv "${c.spec.volumeName}" node affinity doesn't match node "${node.name}": no matching NodeSelectorTerms` };
      }
    }
    if (!isClaimFullyBound(c)) return { kind: 'wait' };
  }
  return { kind: 'done' };
}
