/**
 * The conditions the kubelet owns (status/generate.go) and their lastTransitionTime bookkeeping (the status
 * manager's updateLastTransitionTime: a condition keeps its time while its status does not flip).
 */
import type { ContainerStatusJSON } from './container-status.js';
import type { PodPhase } from './phase.js';
import { isRestartableInit, type Container } from './podspec.js';
import { parseTime, rfc3339 } from '../../../client/time.js';

export const UnknownContainerStatuses = 'UnknownContainerStatuses';
export const PodCompleted = 'PodCompleted';
export const PodFailed = 'PodFailed';
export const ContainersNotReady = 'ContainersNotReady';
export const ContainersNotInitialized = 'ContainersNotInitialized';
export const ReadinessGatesNotReady = 'ReadinessGatesNotReady';

/** The kubelet's conditions in the order generateAPIPodStatus appends them. */
export const KUBELET_CONDITIONS = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'] as const;
export type KubeletConditionType = (typeof KUBELET_CONDITIONS)[number];

export interface ConditionValue {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export interface PodConditionJSON {
  type: string;
  observedGeneration?: number;
  status: string;
  lastProbeTime: null;
  lastTransitionTime: string;
  reason?: string;
  message?: string;
}

export function isKubeletCondition(type: unknown): boolean {
  return (KUBELET_CONDITIONS as readonly unknown[]).includes(type);
}

export interface ConditionInput {
  containers: Container[];
  initContainers: Container[];
  statuses: Map<string, ContainerStatusJSON>;
  phase: PodPhase;
}

/** Go's %s of a []string: `[a b]`. */
function goList(names: string[]): string {
  return `[${names.join(' ')}]`;
}

export function containersReadyCondition(p: ConditionInput): ConditionValue {
  const unknown: string[] = [];
  const unready: string[] = [];
  const visit = (c: Container): void => {
    const s = p.statuses.get(c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  };
  for (const c of p.initContainers) if (isRestartableInit(c)) visit(c);
  for (const c of p.containers) visit(c);
  if (p.phase === 'Succeeded' && unknown.length === 0) return { type: 'ContainersReady', status: 'False', reason: PodCompleted };
  if (p.phase === 'Failed') return { type: 'ContainersReady', status: 'False', reason: PodFailed };
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (unready.length > 0) messages.push(`containers with unready status: ${goList(unready)}`);
  if (messages.length > 0) return { type: 'ContainersReady', status: 'False', reason: ContainersNotReady, message: messages.join(', ') };
  return { type: 'ContainersReady', status: 'True' };
}

/** Ready: ContainersReady's verdict, then every readiness gate's condition must be True. */
export function podReadyCondition(p: ConditionInput, readinessGates: string[], otherConditions: { type?: unknown; status?: unknown }[]): ConditionValue {
  const cr = containersReadyCondition(p);
  if (cr.status !== 'True') return { ...cr, type: 'Ready' };
  const messages: string[] = [];
  for (const gate of readinessGates) {
    const c = otherConditions.find((x) => x.type === gate);
    if (!c) messages.push(`corresponding condition of pod readiness gate "${gate}" does not exist.`);
    else if (c.status !== 'True') messages.push(`the status of pod readiness gate "${gate}" is not "True", but ${String(c.status)}`);
  }
  if (messages.length > 0) return { type: 'Ready', status: 'False', reason: ReadinessGatesNotReady, message: messages.join(', ') };
  return { type: 'Ready', status: 'True' };
}

function anyRegularContainerStarted(p: ConditionInput): boolean {
  for (const c of p.containers) {
    const s = p.statuses.get(c.name);
    if (s && (s.state.running || s.state.terminated)) return true;
  }
  return false;
}

export function initializedCondition(p: ConditionInput): ConditionValue {
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of p.initContainers) {
    const s = p.statuses.get(c.name);
    if (!s) {
      unknown.push(c.name);
      continue;
    }
    const done = isRestartableInit(c) ? s.started : s.ready;
    if (!done) incomplete.push(c.name);
  }
  if (p.phase === 'Succeeded' && unknown.length === 0) return { type: 'Initialized', status: 'True', reason: PodCompleted };
  if (anyRegularContainerStarted(p)) return { type: 'Initialized', status: 'True' };
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (incomplete.length > 0) messages.push(`containers with incomplete status: ${goList(incomplete)}`);
  if (messages.length > 0) return { type: 'Initialized', status: 'False', reason: ContainersNotInitialized, message: messages.join(', ') };
  return { type: 'Initialized', status: 'True' };
}

/** True once the sandbox exists with its network (the kubelet: no new sandbox needed). */
export function readyToStartContainersCondition(sandboxReady: boolean): ConditionValue {
  return { type: 'PodReadyToStartContainers', status: sandboxReady ? 'True' : 'False' };
}

/**
 * What a driver remembers per pod to keep lastTransitionTime stable: per kubelet condition (index into
 * KUBELET_CONDITIONS) whether it was seen, its last status and when it last flipped. Small on purpose: one
 * pair of bit masks and five numbers per pod.
 */
export interface TransitionMemory {
  seen: number;
  trueBits: number;
  times: number[];
}

export function newTransitionMemory(): TransitionMemory {
  return { seen: 0, trueBits: 0, times: [0, 0, 0, 0, 0] };
}

/**
 * Stamps lastTransitionTime on the kubelet's conditions: kept while the status stays, `now` when it flips.
 * A condition this memory has never seen adopts the time from the API's copy when that has the same status (an
 * agent restart keeps the times), as the status manager falls back to pod.status.
 */
export function stampConditions(
  values: ConditionValue[],
  mem: TransitionMemory,
  apiConditions: { type?: unknown; status?: unknown; lastTransitionTime?: unknown }[],
  now: number,
  observedGeneration: number | undefined,
): PodConditionJSON[] {
  const out: PodConditionJSON[] = [];
  for (const v of values) {
    const i = (KUBELET_CONDITIONS as readonly string[]).indexOf(v.type);
    const isTrue = v.status === 'True';
    let t = now;
    if (i >= 0) {
      const bit = 1 << i;
      if (mem.seen & bit && ((mem.trueBits & bit) !== 0) === isTrue) t = mem.times[i]!;
      else if (!(mem.seen & bit)) {
        const api = apiConditions.find((c) => c.type === v.type);
        const apiTime = api && api.status === v.status ? parseTime(api.lastTransitionTime) : null;
        if (apiTime !== null) t = apiTime;
      }
      mem.seen |= bit;
      mem.trueBits = isTrue ? mem.trueBits | bit : mem.trueBits & ~bit;
      mem.times[i] = t;
    }
    const c: PodConditionJSON = { type: v.type, status: v.status, lastProbeTime: null, lastTransitionTime: rfc3339(t) };
    if (observedGeneration !== undefined) c.observedGeneration = observedGeneration;
    if (v.reason) c.reason = v.reason;
    if (v.message) c.message = v.message;
    out.push(c);
  }
  return out;
}
