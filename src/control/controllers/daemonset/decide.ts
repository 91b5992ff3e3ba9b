/**
 * The DaemonSet controller's decisions (upstream's pkg/controller/daemon), pure over lister state: which nodes
 * should run a daemon pod (node selector, required node affinity, taints against the template's tolerations plus
 * the daemon tolerations), what each node needs (create, delete failed or surplus pods), the rolling update's
 * deletions and surge creations within maxUnavailable/maxSurge, and the status counts.
 */
import { compileNodeTerm, matchesNodeTerm } from '../../scheduler/selector.js';
import { tolerates, type Taint, type Toleration } from '../node-lifecycle/taints.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../shared/history.js';
import { isPodAvailable, isPodReady, type Pod, type PodTemplateSpec } from '../shared/pod-util.js';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';

/** The deprecated template-generation annotation on a DaemonSet and the label its pods carry. */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';

/** Upstream's FailedDaemonPod event reason. */
export const FAILED_DAEMON_POD = 'FailedDaemonPod';
/** Upstream's BurstReplicas for daemon sets. */
export const DS_BURST_REPLICAS = 250;

export interface NodeLike {
  metadata?: { name?: string; labels?: Record<string, string>; [k: string]: unknown };
  spec?: { taints?: Taint[]; unschedulable?: boolean; [k: string]: unknown };
  [k: string]: unknown;
}

export interface DaemonSetSpec {
  selector?: unknown;
  template?: PodTemplateSpec;
  updateStrategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string } };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
}

export interface DaemonSetStatus {
  currentNumberScheduled: number;
  numberMisscheduled: number;
  desiredNumberScheduled: number;
  numberReady: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
  conditions?: unknown[];
}

export interface DaemonSetLike {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; generation?: number; annotations?: Record<string, string>; deletionTimestamp?: string; [k: string]: unknown };
  spec?: DaemonSetSpec;
  status?: DaemonSetStatus;
}

interface PodSpecLike {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  hostNetwork?: boolean;
  tolerations?: Toleration[];
  affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: unknown[] } } & Record<string, unknown> } & Record<string, unknown>;
  [k: string]: unknown;
}

const sameToleration = (a: Toleration, b: Toleration): boolean =>
  (a.key ?? '') === (b.key ?? '') && (a.operator || 'Equal') === (b.operator || 'Equal') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');

/** AddOrUpdateTolerationInPodSpec: replaces a toleration matching on key/operator/value/effect, else appends. */
function addOrUpdateToleration(list: Toleration[], t: Toleration): void {
  const i = list.findIndex((x) => sameToleration(x, t));
  if (i >= 0) list[i] = t;
  else list.push(t);
}

/**
 * AddOrUpdateDaemonPodTolerations: daemon pods stay through not-ready/unreachable nodes and schedule despite
 * pressure and cordons; host-network daemons also tolerate a node whose network is not set up yet.
 */
export function withDaemonTolerations(tolerations: readonly Toleration[] | undefined, hostNetwork: boolean): Toleration[] {
  const out = (tolerations ?? []).map((t) => ({ ...t }));
  addOrUpdateToleration(out, { key: TAINT_NOT_READY, operator: 'Exists', effect: 'NoExecute' });
  addOrUpdateToleration(out, { key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' });
  addOrUpdateToleration(out, { key: TAINT_DISK_PRESSURE, operator: 'Exists', effect: 'NoSchedule' });
  addOrUpdateToleration(out, { key: TAINT_MEMORY_PRESSURE, operator: 'Exists', effect: 'NoSchedule' });
  addOrUpdateToleration(out, { key: TAINT_PID_PRESSURE, operator: 'Exists', effect: 'NoSchedule' });
  addOrUpdateToleration(out, { key: TAINT_UNSCHEDULABLE, operator: 'Exists', effect: 'NoSchedule' });
  if (hostNetwork) addOrUpdateToleration(out, { key: TAINT_NETWORK_UNAVAILABLE, operator: 'Exists', effect: 'NoSchedule' });
  return out;
}

/** ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes `metadata.name In [node]`. */
export function pinnedAffinity(affinity: PodSpecLike['affinity'] | undefined, nodeName: string): NonNullable<PodSpecLike['affinity']> {
  const out = structuredClone(affinity ?? {}) as NonNullable<PodSpecLike['affinity']>;
  out.nodeAffinity = {
    ...(out.nodeAffinity ?? {}),
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
    },
  };
  return out;
}

/**
 * The template a daemon pod for `nodeName` is created from (CreatePodTemplate + pinning): the hash label (and the
 * template generation label when the DaemonSet carries the annotation), the daemon tolerations, node affinity
 * pinned to the node. The scheduler binds it, as upstream since 1.12.
 */
export function daemonPodTemplate(ds: DaemonSetLike, nodeName: string, hash: string): PodTemplateSpec {
  const template = structuredClone(ds.spec?.template ?? {});
  const labels = { ...(template.metadata?.labels ?? {}) };
  const generation = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  if (generation !== undefined) labels[TEMPLATE_GENERATION_LABEL] = generation;
  if (hash) labels[CONTROLLER_REVISION_HASH_LABEL] = hash;
  template.metadata = { ...(template.metadata ?? {}), labels };
  const spec = (template.spec ?? {}) as PodSpecLike;
  spec.affinity = pinnedAffinity(spec.affinity, nodeName);
  spec.tolerations = withDaemonTolerations(spec.tolerations, spec.hostNetwork === true);
  template.spec = spec;
  return template;
}

/** nodeSelector and required node affinity (nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)). */
export function matchesRequiredNodeAffinity(spec: PodSpecLike, node: NodeLike): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution) return true;
  const name = node.metadata?.name ?? '';
  return (terms ?? []).some((t) => matchesNodeTerm(compileNodeTerm(t), name, labels));
}

/** FindMatchingUntoleratedTaint restricted to `effects`. */
function untoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[], effects: readonly string[]): Taint | undefined {
  return taints.find((t) => effects.includes(t.effect) && !tolerations.some((tol) => tolerates(tol, t)));
}

export interface ShouldRun {
  /** A daemon pod should be created here. */
  shouldRun: boolean;
  /** A daemon pod already here may stay (it tolerates every NoExecute taint). */
  shouldContinueRunning: boolean;
}

/** NodeShouldRunDaemonPod. */
export function nodeShouldRunDaemonPod(node: NodeLike, ds: DaemonSetLike): ShouldRun {
  const spec = (ds.spec?.template?.spec ?? {}) as PodSpecLike;
  const name = node.metadata?.name ?? '';
  if (spec.nodeName && spec.nodeName !== name) return { shouldRun: false, shouldContinueRunning: false };
  if (!matchesRequiredNodeAffinity(spec, node)) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = withDaemonTolerations(spec.tolerations, spec.hostNetwork === true);
  const taints = node.spec?.taints ?? [];
  if (untoleratedTaint(taints, tolerations, ['NoSchedule', 'NoExecute'])) {
    return { shouldRun: false, shouldContinueRunning: !untoleratedTaint(taints, tolerations, ['NoExecute']) };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/** The node a daemon pod belongs to: spec.nodeName, else its `metadata.name In [node]` affinity (util.GetTargetNodeName). */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms = (pod.spec as PodSpecLike | undefined)?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const t of terms as { matchFields?: { key?: string; operator?: string; values?: string[] }[] }[]) {
    for (const f of t.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

/** Claimed pods grouped by target node; pods with no target node are under ''. */
export function podsByNode(pods: readonly Pod[]): Map<string, Pod[]> {
  const m = new Map<string, Pod[]>();
  for (const p of pods) {
    const n = targetNodeName(p) ?? '';
    const list = m.get(n);
    if (list) list.push(p);
    else m.set(n, [p]);
  }
  return m;
}

const created = (p: Pod): number => Date.parse(p.metadata?.creationTimestamp ?? '') || 0;
const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** podByCreationTimestampAndPhase: oldest first; on a tie Running before Unknown before Pending. */
export function sortByAgeAndPhase(pods: readonly Pod[]): Pod[] {
  return [...pods].sort((a, b) => {
    if (created(a) === created(b)) return (PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0) - (PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0);
    return created(a) - created(b);
  });
}

/** util.IsPodUpdated: the pod carries the current hash or the current template generation. */
export function isPodUpdated(pod: Pod, hash: string, generation: string | undefined): boolean {
  const labels = pod.metadata?.labels ?? {};
  const templateMatches = generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === generation;
  const hashMatches = hash.length > 0 && labels[CONTROLLER_REVISION_HASH_LABEL] === hash;
  return hashMatches || templateMatches;
}

/** util.AllowsSurge: a rolling update whose maxSurge, scaled against one node and rounded up, is not zero. */
export function allowsSurge(ds: DaemonSetLike): boolean {
  const us = ds.spec?.updateStrategy;
  if (us?.type !== 'RollingUpdate' || us.rollingUpdate?.maxSurge === undefined) return false;
  return scaledValue(us.rollingUpdate.maxSurge, 1, true) > 0;
}

/** intstr.GetScaledValueFromIntOrPercent. A malformed percentage counts as 0. */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number.isInteger(Number(v)) ? Number(v) : 0;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

export interface NodePlan {
  /** Nodes that need a daemon pod. */
  createOn: string[];
  /** Pod names to delete. */
  deletePods: string[];
  /** Failed pods found (each gets a FailedDaemonPod event, unless its node is in back-off). */
  failedPods: { pod: Pod; node: string }[];
}

/**
 * podsShouldBeOnNode for one node. `inBackoff(node)` says whether failed pods on the node were deleted too
 * recently to delete again (upstream's failedPodsBackoff); such pods are kept for now.
 */
export function planNode(
  node: NodeLike, daemonPods: readonly Pod[] | undefined, ds: DaemonSetLike, hash: string, nowMs: number,
  inBackoff: (node: string) => boolean,
): NodePlan {
  const plan: NodePlan = { createOn: [], deletePods: [], failedPods: [] };
  const name = node.metadata?.name ?? '';
  const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
  const exists = daemonPods !== undefined && daemonPods.length > 0;
  if (shouldRun && !exists) {
    plan.createOn.push(name);
    return plan;
  }
  if (shouldContinueRunning) {
    const running: Pod[] = [];
    for (const pod of daemonPods ?? []) {
      if (pod.metadata?.deletionTimestamp) continue;
      if (pod.status?.phase === 'Failed') {
        if (inBackoff(name)) continue;
        plan.failedPods.push({ pod, node: name });
        plan.deletePods.push(pod.metadata?.name ?? '');
      } else if (pod.status?.phase === 'Succeeded') {
        plan.deletePods.push(pod.metadata?.name ?? '');
      } else {
        running.push(pod);
      }
    }
    if (running.length <= 1) return plan;
    const sorted = sortByAgeAndPhase(running);
    if (!allowsSurge(ds)) {
      // More than one daemon pod on a node: keep the oldest.
      for (const p of sorted.slice(1)) plan.deletePods.push(p.metadata?.name ?? '');
      return plan;
    }
    // With surge, an old and a new pod may coexist while the new one becomes available.
    let oldestNew: Pod | undefined;
    let oldestOld: Pod | undefined;
    for (const p of sorted) {
      if (p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash) {
        if (!oldestNew) { oldestNew = p; continue; }
      } else if (!oldestOld) { oldestOld = p; continue; }
      plan.deletePods.push(p.metadata?.name ?? '');
    }
    if (oldestNew && oldestOld) {
      if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec?.minReadySeconds ?? 0, nowMs)) {
        plan.deletePods.push(oldestOld.metadata?.name ?? '');
      }
    }
    return plan;
  }
  if (exists) {
    for (const pod of daemonPods ?? []) if (!pod.metadata?.deletionTimestamp) plan.deletePods.push(pod.metadata?.name ?? '');
  }
  return plan;
}

/**
 * manage's decision over all nodes: per-node plans merged, plus pods whose target node no longer exists
 * (getUnscheduledPodsWithoutNode). Nodes are visited in name order, so the result is deterministic.
 */
export function planNodes(
  nodes: readonly NodeLike[], byNode: ReadonlyMap<string, Pod[]>, ds: DaemonSetLike, hash: string, nowMs: number,
  inBackoff: (node: string) => boolean,
): NodePlan {
  const out: NodePlan = { createOn: [], deletePods: [], failedPods: [] };
  const known = new Set<string>();
  for (const node of [...nodes].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))) {
    known.add(node.metadata?.name ?? '');
    const p = planNode(node, byNode.get(node.metadata?.name ?? ''), ds, hash, nowMs, inBackoff);
    out.createOn.push(...p.createOn);
    out.deletePods.push(...p.deletePods);
    out.failedPods.push(...p.failedPods);
  }
  for (const [node, pods] of byNode) {
    if (known.has(node)) continue;
    for (const p of pods) if (!p.spec?.nodeName && !p.metadata?.deletionTimestamp) out.deletePods.push(p.metadata?.name ?? '');
  }
  return out;
}

/** findUpdatedPodsOnNode: the node's one new and one old live pod; ok false when there are more of either. */
export function updatedPodsOnNode(pods: readonly Pod[], hash: string, generation: string | undefined): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp) continue;
    if (isPodUpdated(p, hash, generation)) {
      if (newPod) return { ok: false };
      newPod = p;
    } else {
      if (oldPod) return { ok: false };
      oldPod = p;
    }
  }
  return { newPod, oldPod, ok: true };
}

/**
 * updatedDesiredNodeCounts: maxSurge and maxUnavailable against the number of nodes that should run the pod
 * (both rounded up); both zero means one unavailable, so a rollout can always move.
 */
export function desiredNodeCounts(ds: DaemonSetLike, nodes: readonly NodeLike[]): { maxSurge: number; maxUnavailable: number; desired: number } {
  let desired = 0;
  for (const n of nodes) if (nodeShouldRunDaemonPod(n, ds).shouldRun) desired++;
  const ru = ds.spec?.updateStrategy?.rollingUpdate;
  let maxUnavailable = scaledValue(ru?.maxUnavailable ?? 1, desired, true);
  const maxSurge = allowsSurge(ds) ? scaledValue(ru?.maxSurge, desired, true) : 0;
  if (maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable, desired };
}

/** The rolling update's step (upstream's rollingUpdate): old pods to delete and, with surge, nodes to add a new pod to. */
export function rollingUpdatePlan(
  ds: DaemonSetLike, nodes: readonly NodeLike[], byNode: ReadonlyMap<string, Pod[]>, hash: string, nowMs: number,
): { deletePods: string[]; createOn: string[] } {
  const { maxSurge, maxUnavailable } = desiredNodeCounts(ds, nodes);
  const generation = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  const min = ds.spec?.minReadySeconds ?? 0;
  const available = (p: Pod): boolean => isPodAvailable(p, min, nowMs);
  const nodeNames = [...byNode.keys()].filter((n) => n !== '').sort();
  const nodeByName = new Map(nodes.map((n) => [n.metadata?.name ?? '', n]));

  if (maxSurge === 0) {
    let numUnavailable = 0;
    const allowedReplacement: string[] = [];
    const candidates: string[] = [];
    for (const name of nodeNames) {
      const { newPod, oldPod, ok } = updatedPodsOnNode(byNode.get(name) ?? [], hash, generation);
      if (!ok) { numUnavailable++; continue; }
      if ((!oldPod && !newPod) || (oldPod && newPod)) { numUnavailable++; continue; }
      if (newPod) { if (!available(newPod)) numUnavailable++; continue; }
      if (!available(oldPod!)) allowedReplacement.push(oldPod!.metadata?.name ?? '');
      else if (numUnavailable < maxUnavailable) candidates.push(oldPod!.metadata?.name ?? '');
    }
    const remaining = Math.min(Math.max(0, maxUnavailable - numUnavailable), candidates.length);
    return { deletePods: [...allowedReplacement, ...candidates.slice(0, remaining)], createOn: [] };
  }

  let numSurge = 0;
  const allowedNew: string[] = [];
  const candidateNew: string[] = [];
  const deletePods: string[] = [];
  for (const name of nodeNames) {
    const { newPod, oldPod, ok } = updatedPodsOnNode(byNode.get(name) ?? [], hash, generation);
    if (!ok) { numSurge++; continue; }
    if (!oldPod) continue; // nothing to replace; manage handles it
    if (!newPod) {
      const node = nodeByName.get(name);
      if (!node || !nodeShouldRunDaemonPod(node, ds).shouldRun) continue;
      if (!available(oldPod)) allowedNew.push(name);
      else candidateNew.push(name);
      continue;
    }
    if (!available(newPod)) { numSurge++; continue; }
    deletePods.push(oldPod.metadata?.name ?? ''); // the new pod is available: the old one can go
  }
  const remaining = Math.min(Math.max(0, maxSurge - numSurge), candidateNew.length);
  return { deletePods, createOn: [...allowedNew, ...candidateNew.slice(0, remaining)] };
}

/** updateDaemonSetStatus's counts. */
export function calculateStatus(ds: DaemonSetLike, nodes: readonly NodeLike[], byNode: ReadonlyMap<string, Pod[]>, hash: string, nowMs: number): DaemonSetStatus {
  let desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
  const generation = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  const min = ds.spec?.minReadySeconds ?? 0;
  for (const node of nodes) {
    const { shouldRun } = nodeShouldRunDaemonPod(node, ds);
    const pods = byNode.get(node.metadata?.name ?? '') ?? [];
    const scheduled = pods.length > 0;
    if (shouldRun) {
      desired++;
      if (!scheduled) continue;
      current++;
      const pod = sortByAgeAndPhase(pods)[0]!;
      if (isPodReady(pod)) {
        ready++;
        if (isPodAvailable(pod, min, nowMs)) available++;
      }
      if (isPodUpdated(pod, hash, generation)) updated++;
    } else if (scheduled) {
      misscheduled++;
    }
  }
  const status: DaemonSetStatus = {
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: desired,
    numberReady: ready,
    observedGeneration: ds.metadata?.generation,
    updatedNumberScheduled: updated,
    numberAvailable: available,
    numberUnavailable: desired - available,
  };
  if (ds.status?.collisionCount !== undefined) status.collisionCount = ds.status.collisionCount;
  if (ds.status?.conditions !== undefined) status.conditions = ds.status.conditions;
  return status;
}

/** True when the status already holds these counts. */
export function statusUnchanged(ds: DaemonSetLike, next: DaemonSetStatus): boolean {
  const cur = ds.status;
  if (!cur) return false;
  const keys: (keyof DaemonSetStatus)[] = ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady',
    'observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable', 'collisionCount'];
  return keys.every((k) => (cur[k] ?? 0) === (next[k] ?? 0));
}
