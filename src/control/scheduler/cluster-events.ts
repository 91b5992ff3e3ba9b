/**
 * Which cluster events can make an unschedulable pod fit, as upstream's plugins declare in EventsToRegister.
 * A pod parked as unschedulable remembers the plugins that rejected it; an event moves it back only if one of
 * those plugins registered for the event (a pod with no recorded plugin moves on any event, as upstream).
 * All functions here are pure.
 */
import type { KubeObject } from '../api/resource.js';
import type { FailureReason } from './core.js';
import { REASON } from './plugins.js';
import { isVolumeBindingReason } from './volume-binding.js';

/** Storage objects VolumeBinding registers for (upstream: PVC, PV and StorageClass Add/Update). */
export type VolumeClusterEvent =
  | 'PersistentVolumeClaimAdd'
  | 'PersistentVolumeClaimUpdate'
  | 'PersistentVolumeAdd'
  | 'PersistentVolumeUpdate'
  | 'StorageClassAdd'
  | 'StorageClassUpdate';

export type ClusterEvent =
  | 'NodeAdd'
  | 'NodeUpdate'
  | 'NodeDelete'
  | 'AssignedPodAdd'
  | 'AssignedPodUpdate'
  | 'AssignedPodDelete'
  /** Upstream's periodic flush of pods parked longer than 5 minutes. */
  | 'UnschedulableTimeout'
  | VolumeClusterEvent;

const nodeChanged: ClusterEvent[] = ['NodeAdd', 'NodeUpdate'];

/** Upstream's registrations for the default profile's filters. */
const pluginEvents: Record<string, ClusterEvent[]> = {
  NodeUnschedulable: nodeChanged,
  NodeName: ['NodeAdd'],
  TaintToleration: nodeChanged,
  NodeAffinity: nodeChanged,
  NodePorts: ['NodeAdd', 'AssignedPodDelete'],
  NodeResourcesFit: ['NodeAdd', 'NodeUpdate', 'AssignedPodDelete', 'AssignedPodUpdate'],
  PodTopologySpread: ['NodeAdd', 'NodeUpdate', 'NodeDelete', 'AssignedPodAdd', 'AssignedPodUpdate', 'AssignedPodDelete'],
  InterPodAffinity: ['NodeAdd', 'NodeUpdate', 'AssignedPodAdd', 'AssignedPodUpdate', 'AssignedPodDelete'],
  VolumeBinding: [
    'NodeAdd', 'NodeUpdate', 'PersistentVolumeClaimAdd', 'PersistentVolumeClaimUpdate', 'PersistentVolumeAdd', 'PersistentVolumeUpdate',
    'StorageClassAdd', 'StorageClassUpdate',
  ],
};

/** Filters of the default profile that run before VolumeBinding (upstream's plugin order). */
const BEFORE_VOLUME_BINDING = new Set(['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit']);

/** Whether the filter reporting `reason` runs before VolumeBinding, so a node it rejects never reaches it. */
export function runsBeforeVolumeBinding(reason: string): boolean {
  const p = pluginForReason(reason);
  return p !== undefined && BEFORE_VOLUME_BINDING.has(p);
}

/** The filter plugin that reports a given per-node reason (upstream's status texts). */
export function pluginForReason(reason: string): string | undefined {
  if (reason === REASON.unschedulable) return 'NodeUnschedulable';
  if (reason === REASON.nodeName) return 'NodeName';
  if (reason.startsWith('node(s) had untolerated taint')) return 'TaintToleration';
  if (reason === REASON.nodeAffinity || reason === REASON.outsidePreFilterNodes || reason === REASON.affinityTermsConflict) return 'NodeAffinity';
  if (reason === REASON.nodePorts) return 'NodePorts';
  if (reason.startsWith('Insufficient ') || reason === REASON.tooManyPods) return 'NodeResourcesFit';
  // Both spread texts (the missing-label one only adds a suffix).
  if (reason.startsWith(REASON.spread)) return 'PodTopologySpread';
  if (reason === REASON.affinity || reason === REASON.antiAffinity || reason === REASON.existingAntiAffinity)
    return 'InterPodAffinity';
  if (isVolumeBindingReason(reason)) return 'VolumeBinding';
  return undefined;
}

/** The plugins that rejected the pod on at least one node; empty when a reason is not recognised. */
export function unschedulablePlugins(reasons: FailureReason[]): Set<string> {
  const out = new Set<string>();
  for (const r of reasons) {
    const p = pluginForReason(r.reason);
    if (!p) return new Set();
    out.add(p);
  }
  return out;
}

/** Whether `event` may make a pod rejected by `plugins` schedulable. */
export function eventMayHelp(event: ClusterEvent, plugins: ReadonlySet<string>): boolean {
  if (event === 'UnschedulableTimeout' || plugins.size === 0) return true;
  for (const p of plugins) if (pluginEvents[p]?.includes(event)) return true;
  return false;
}

type Json = unknown;

const same = (a: Json, b: Json): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function conditionsWithoutHeartbeat(n: KubeObject): Json {
  const conds = ((n.status as { conditions?: Record<string, unknown>[] } | undefined)?.conditions ?? []).map(
    ({ type, status, reason }) => ({ type, status, reason }),
  );
  return conds;
}

/**
 * What changed in a node that scheduling can see (upstream's NodeUpdate action types). Empty for kubelet
 * heartbeats, which change only condition timestamps.
 */
export function nodeSchedulingChanges(oldNode: KubeObject, newNode: KubeObject): string[] {
  const out: string[] = [];
  const os = (oldNode.status ?? {}) as Record<string, Json>;
  const ns = (newNode.status ?? {}) as Record<string, Json>;
  const osp = (oldNode.spec ?? {}) as Record<string, Json>;
  const nsp = (newNode.spec ?? {}) as Record<string, Json>;
  if (!same(os.allocatable, ns.allocatable)) out.push('Allocatable');
  if (!same(oldNode.metadata?.labels, newNode.metadata?.labels)) out.push('Label');
  if (!same(osp.taints, nsp.taints) || !same(osp.unschedulable, nsp.unschedulable)) out.push('Taint');
  if (!same(conditionsWithoutHeartbeat(oldNode), conditionsWithoutHeartbeat(newNode))) out.push('Condition');
  if (!same(os.images, ns.images)) out.push('Images');
  return out;
}
