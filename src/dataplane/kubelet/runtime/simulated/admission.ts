/**
 * The kubelet's resource admission (lifecycle's predicate admit handler running the scheduler's Fits over the
 * node's active pods): a pod the scheduler placed on a node that has since filled up is rejected with
 * OutOfpods / OutOfcpu / OutOfmemory / OutOfephemeral-storage and upstream's message. Requests are summed as
 * resourcehelper.PodRequests does: regular containers and sidecars add up, init containers take the max, pod-level
 * requests replace cpu and memory, overhead adds. No non-zero defaults here (those are for scoring only).
 */
import { containersOf, initContainersOf, isRestartableInit, podSpec } from '../../pod/podspec.js';
import { resourceAmount } from '../../pod/quantity.js';
import type { Pod } from '../../types.js';

/** Requests by resource name: cpu in millicores, the rest in base units. */
export type ResourceAmounts = Map<string, number>;

function addList(into: ResourceAmounts, list: unknown): void {
  if (!list || typeof list !== 'object') return;
  for (const [name, q] of Object.entries(list as Record<string, unknown>)) {
    into.set(name, (into.get(name) ?? 0) + resourceAmount(name, q));
  }
}

function maxInto(into: ResourceAmounts, other: ResourceAmounts): void {
  for (const [name, v] of other) if (v > (into.get(name) ?? 0)) into.set(name, v);
}

export function podRequests(pod: Pod): ResourceAmounts {
  const reqs: ResourceAmounts = new Map();
  for (const c of containersOf(pod)) addList(reqs, c.resources?.requests);
  const sidecars: ResourceAmounts = new Map();
  const initMax: ResourceAmounts = new Map();
  for (const c of initContainersOf(pod)) {
    const own: ResourceAmounts = new Map();
    addList(own, c.resources?.requests);
    if (isRestartableInit(c)) {
      addList(reqs, c.resources?.requests);
      addList(sidecars, c.resources?.requests);
      maxInto(initMax, sidecars);
    } else {
      for (const [k, v] of sidecars) own.set(k, (own.get(k) ?? 0) + v);
      maxInto(initMax, own);
    }
  }
  maxInto(reqs, initMax);
  const podLevel = podSpec(pod).resources as { requests?: Record<string, unknown> } | undefined;
  if (podLevel?.requests && typeof podLevel.requests === 'object') {
    for (const name of ['cpu', 'memory']) {
      if (podLevel.requests[name] !== undefined) reqs.set(name, resourceAmount(name, podLevel.requests[name]));
    }
  }
  addList(reqs, podSpec(pod).overhead);
  for (const [k, v] of reqs) if (v === 0) reqs.delete(k);
  return reqs;
}

export interface Rejection {
  reason: string;
  message: string;
}

const REASONS: Record<string, string> = {
  cpu: 'OutOfcpu',
  memory: 'OutOfmemory',
  'ephemeral-storage': 'OutOfephemeral-storage',
  pods: 'OutOfpods',
};

function insufficient(resource: string, requested: number, used: number, capacity: number): Rejection {
  return {
    reason: REASONS[resource] ?? `OutOf${resource}`,
    message: `Node didn't have enough resource: ${resource}, requested: ${requested}, used: ${used}, capacity: ${capacity}`,
  };
}

export interface NodeUse {
  /** Active (admitted, not terminal) pods on the node. */
  pods: number;
  /** Their summed requests. */
  requested: ResourceAmounts;
}

/**
 * The first reason the pod does not fit, in Fits' order (pods, cpu, memory, ephemeral-storage, then others the
 * node offers), or null. `allocatable` holds the node's quantities as parsed amounts.
 */
export function admit(requests: ResourceAmounts, node: NodeUse, allocatable: ResourceAmounts): Rejection | null {
  const maxPods = allocatable.get('pods') ?? 0;
  if (node.pods + 1 > maxPods) return insufficient('pods', 1, node.pods, maxPods);
  if (requests.size === 0) return null;
  for (const name of ['cpu', 'memory', 'ephemeral-storage']) {
    const want = requests.get(name) ?? 0;
    const cap = allocatable.get(name) ?? 0;
    const used = node.requested.get(name) ?? 0;
    if (want > 0 && want > cap - used) return insufficient(name, want, used, cap);
  }
  for (const [name, want] of requests) {
    if (name === 'cpu' || name === 'memory' || name === 'ephemeral-storage' || name === 'pods') continue;
    // Extended resources the node does not advertise are dropped before the check, as the kubelet does.
    const cap = allocatable.get(name);
    if (cap === undefined) continue;
    const used = node.requested.get(name) ?? 0;
    if (want > cap - used) return insufficient(name, want, used, cap);
  }
  return null;
}

/** The node's allocatable as parsed amounts. */
export function parseAllocatable(allocatable: Record<string, string>): ResourceAmounts {
  const out: ResourceAmounts = new Map();
  for (const [name, q] of Object.entries(allocatable)) out.set(name, resourceAmount(name, q));
  return out;
}
