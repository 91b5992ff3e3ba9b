/**
 * The Node object a kubelet registers and the status it posts, as pure functions of the node's config, its
 * health and the time. Field names, condition reasons and messages are the kubelet's (pkg/kubelet/nodestatus).
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../client/types.js';
import type { NodeConfig } from './spec.js';
import { rfc3339 } from '../../client/time.js';

export const KUBELET_VERSION = 'v1.32.0-skiff';
export const CONTAINER_RUNTIME_VERSION = 'skiff-sim://0.1.0';
export const OS_IMAGE = 'Skiff simulated node';

/** What the agent knows about a node's health; faults flip these. */
export interface NodeHealth {
  ready: boolean;
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastHeartbeatTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface NodeStatus {
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  conditions: NodeCondition[];
  addresses: { type: string; address: string }[];
  daemonEndpoints: { kubeletEndpoint: { Port: number } };
  nodeInfo: Record<string, string>;
  [field: string]: unknown;
}

/** What varies per agent process rather than per node. */
export interface NodeHost {
  /** The agent's HTTP port (daemonEndpoints.kubeletEndpoint.Port). */
  kubeletPort: number;
  /** Changes per agent start, as a machine's boot id does per boot. */
  bootID: string;
  kernelVersion: string;
}

/** Metav1.MicroTime: RFC 3339 with six fractional digits (leases' renewTime). */
export const rfc3339Micro = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

const hex = (s: string): string => createHash('sha256').update(s).digest('hex');
const uuidOf = (h: string): string => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;

/** Stable per node name: the same simulated machine keeps its ids across agent restarts. */
export function machineIds(name: string): { machineID: string; systemUUID: string } {
  return { machineID: hex(`machine:${name}`).slice(0, 32), systemUUID: uuidOf(hex(`system:${name}`)) };
}

export const randomBootID = (): string => uuidOf(hex(`boot:${process.pid}:${Date.now()}:${Math.random()}`));

/** The kubelet's four conditions. Transition times carry over from `prev` while a condition's status holds. */
export function nodeConditions(health: NodeHealth, now: number, prev: NodeCondition[] = []): NodeCondition[] {
  const t = rfc3339(now);
  const make = (type: string, status: 'True' | 'False', reason: string, message: string): NodeCondition => {
    const old = prev.find((c) => c.type === type);
    return { type, status, lastHeartbeatTime: t, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : t, reason, message };
  };
  return [
    make('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    make('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    make('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    health.ready
      ? make('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
      : make('Ready', 'False', 'KubeletNotReady', 'container runtime is down'),
  ];
}

export function nodeStatus(cfg: NodeConfig, host: NodeHost, health: NodeHealth, now: number, prev?: NodeCondition[]): NodeStatus {
  return {
    capacity: { ...cfg.capacity },
    allocatable: { ...cfg.allocatable },
    conditions: nodeConditions(health, now, prev),
    addresses: [
      { type: 'InternalIP', address: cfg.internalIP },
      { type: 'Hostname', address: cfg.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: host.kubeletPort } },
    nodeInfo: {
      ...machineIds(cfg.name),
      bootID: host.bootID,
      kernelVersion: host.kernelVersion,
      osImage: OS_IMAGE,
      containerRuntimeVersion: CONTAINER_RUNTIME_VERSION,
      kubeletVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}

/** The Node as the kubelet registers it (POST nodes); spec.podCIDR is left to node IPAM. */
export function buildNode(cfg: NodeConfig, host: NodeHost, health: NodeHealth, now: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: cfg.name,
      labels: { ...cfg.labels },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        ...cfg.annotations,
      },
    },
    spec: cfg.taints.length ? { taints: cfg.taints.map((t) => ({ ...t })) } : {},
    status: nodeStatus(cfg, host, health, now),
  };
}

/** Equal but for heartbeat times: the kubelet posts a status that differs only in heartbeats once per report period. */
export function statusChanged(a: NodeStatus | undefined, b: NodeStatus): boolean {
  if (!a) return true;
  const strip = (s: NodeStatus) => JSON.stringify({ ...s, conditions: s.conditions.map(({ lastHeartbeatTime: _h, ...c }) => c) });
  return strip(a) !== strip(b);
}

/** The kubelet's nodeStatusUpdateFrequency: how often its status loop compares its status with the API's Node. */
export const NODE_STATUS_UPDATE_FREQUENCY_MS = 10_000;

/** The status of the Ready condition in a Node status (ours, or the API's copy). */
export const readyStatus = (status: { conditions?: { type?: string; status?: string }[] } | undefined): string | undefined =>
  status?.conditions?.find((c) => c.type === 'Ready')?.status;

/**
 * When to post the status again because the API's Node holds another Ready status than the one last posted (the
 * node lifecycle controller set Unknown while the Lease was late): the kubelet's status loop compares with the
 * API's Node once per update period, not only with its own last post. Undefined: they agree, nothing was posted
 * yet, or the kubelet does not answer (`answering` false: a node whose Lease was stopped plays one cut off).
 */
export function divergedReportAt(s: { apiReady: string | undefined; last: NodeStatus | undefined; lastReportAt: number; answering: boolean }): number | undefined {
  if (!s.answering || !s.last || s.apiReady === undefined || s.apiReady === readyStatus(s.last)) return undefined;
  return s.lastReportAt + NODE_STATUS_UPDATE_FREQUENCY_MS;
}

/** Post now when the status changed or the report period (nodeStatusReportFrequency, 5 min) has passed. */
export function nodeStatusDue(last: { status?: NodeStatus; at: number }, next: NodeStatus, now: number, reportFrequencyMs: number): boolean {
  return statusChanged(last.status, next) || now - last.at >= reportFrequencyMs;
}

/**
 * Labels and annotations an existing Node lacks or holds differently (a re-registration): a merge patch, or
 * undefined when nothing needs to change. Other labels (set by users or controllers) are left alone.
 */
export function registrationPatch(existing: KubeObject, wanted: KubeObject): Record<string, unknown> | undefined {
  const diff = (have: Record<string, string> | undefined, want: Record<string, string> | undefined) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(want ?? {})) if (have?.[k] !== v) out[k] = v;
    return Object.keys(out).length ? out : undefined;
  };
  const labels = diff(existing.metadata?.labels, wanted.metadata?.labels);
  const annotations = diff(existing.metadata?.annotations, wanted.metadata?.annotations);
  if (!labels && !annotations) return undefined;
  return { metadata: { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) } };
}

/**
 * v1helper.IsExtendedResourceName: a domain-prefixed name outside kubernetes.io (example.com/gpu), not a quota
 * `requests.` name. Users and device plugins add these to a Node's capacity.
 */
export function isExtendedResourceName(name: string): boolean {
  if (!name.includes('/') || name.includes('kubernetes.io/') || name.startsWith('requests.')) return false;
  return /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name) && name.length <= 253 + 1 + 63;
}

/**
 * The extended resources someone added to the Node's capacity (a PATCH of status.capacity) that this node's own
 * config does not set, or undefined when there are none: the kubelet keeps them in capacity and reports them
 * in allocatable too (its MachineInfo setter copies every capacity entry into allocatable).
 */
export function addedExtendedResources(capacity: unknown, own: Record<string, string>): Record<string, string> | undefined {
  if (!capacity || typeof capacity !== 'object') return undefined;
  let out: Record<string, string> | undefined;
  for (const [k, v] of Object.entries(capacity as Record<string, unknown>)) {
    if (typeof v === 'string' && !(k in own) && isExtendedResourceName(k)) (out ??= {})[k] = v;
  }
  return out;
}

/**
 * The status with the added extended resources in allocatable. Capacity is left to the merge patch (which keeps
 * the user's entries): posting them back could undo a removal the agent has not seen yet.
 */
export function withExtendedResources(status: NodeStatus, extended: Record<string, string> | undefined): NodeStatus {
  if (!extended) return status;
  return { ...status, allocatable: { ...status.allocatable, ...extended } };
}

/**
 * The merge patch that posts `next`: an extended resource gone from capacity since `prev` is removed from
 * allocatable (null), as the kubelet drops allocatable entries whose capacity went away.
 */
export function nodeStatusPatch(prev: NodeStatus | undefined, next: NodeStatus): Record<string, unknown> {
  const gone = Object.keys(prev?.allocatable ?? {}).filter((k) => !(k in next.allocatable) && isExtendedResourceName(k));
  if (gone.length === 0) return { status: next };
  const allocatable: Record<string, string | null> = { ...next.allocatable };
  for (const k of gone) allocatable[k] = null;
  return { status: { ...next, allocatable } };
}
