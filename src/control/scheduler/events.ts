/**
 * What the scheduler tells users: upstream's exact FailedScheduling text, the `Scheduled` event, the
 * PodScheduled condition, and a recorder that posts core/v1 Events without holding up scheduling.
 *
 * Message format (upstream's FitError.Error): "0/N nodes are available: " then "<count> <reason>" pairs sorted
 * as strings (Go's sort.Strings, so "10 …" sorts before "3 …") joined by ", " and ended by ".", then the
 * preemption PostFilter message. When preemption (preemption.ts) finds no candidate the PostFilter text is the
 * one upstream writes — nodes rejected for reasons preemption cannot fix count as "Preemption is not helpful for
 * scheduling", the others as "No preemption victims found for incoming pod" (upstream itemises some finer
 * reasons, e.g. PodDisruptionBudgets, which are not looked at); a successful preemption adds no text.
 */
import type { KubeObject } from '../api/resource.js';
import type { FailureReason } from './core.js';
import { REASON } from './plugins.js';
import { isVolumeBindingReason } from './volume-binding.js';
import { EventRecorder, objectEvent, type EventType } from '../../client/events.js';
import { rfc3339 } from '../../client/time.js';

export const SCHEDULER_NAME = 'default-scheduler';
export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/** Go's sort.Strings order: bytewise on UTF-8, which for these ASCII texts is UTF-16 code unit order. */
const goStringLess = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** "0/N nodes are available: <sorted histogram>." */
export function formatFitError(numAllNodes: number, reasons: readonly FailureReason[], postFilterMsg = ''): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  const parts = reasons.filter((r) => r.count > 0).map((r) => `${r.count} ${r.reason}`);
  parts.sort(goStringLess);
  if (parts.length) msg += ` ${parts.join(', ')}.`;
  if (postFilterMsg) msg += ` ${postFilterMsg}`;
  return msg;
}

/**
 * Reasons whose filter status upstream marks UnschedulableAndUnresolvable: removing pods cannot fix them, so
 * preemption skips those nodes.
 */
export function unresolvableByPreemption(reason: string): boolean {
  return (
    reason === REASON.unschedulable ||
    reason === REASON.nodeName ||
    reason.startsWith('node(s) had untolerated taint') ||
    reason === REASON.nodeAffinity ||
    reason === REASON.outsidePreFilterNodes ||
    reason === REASON.affinityTermsConflict ||
    reason === REASON.spreadMissingLabel ||
    reason === REASON.affinity ||
    // VolumeBinding's PreFilter and Filter statuses are all UnschedulableAndUnresolvable.
    isVolumeBindingReason(reason)
  );
}

/**
 * DefaultPreemption's PostFilter message when it finds no candidate. `numAllNodes` nodes all failed; a node's
 * reasons come from one plugin (filters stop at the first failure), so nodes that preemption cannot help are
 * counted by their unresolvable reasons and the rest are the nodes it would have tried.
 */
export function preemptionMessage(pod: KubeObject, numAllNodes: number, reasons: readonly FailureReason[]): string {
  if ((pod.spec as { preemptionPolicy?: string } | undefined)?.preemptionPolicy === 'Never') {
    return 'preemption: not eligible due to preemptionPolicy=Never.';
  }
  let unresolvable = 0;
  for (const r of reasons) if (unresolvableByPreemption(r.reason)) unresolvable += r.count;
  unresolvable = Math.min(unresolvable, numAllNodes);
  const potential = numAllNodes - unresolvable;
  const hist: FailureReason[] = [];
  if (potential > 0) hist.push({ reason: 'No preemption victims found for incoming pod', count: potential });
  if (unresolvable > 0) hist.push({ reason: 'Preemption is not helpful for scheduling', count: unresolvable });
  return `preemption: ${formatFitError(numAllNodes, hist)}`;
}

/**
 * The full FailedScheduling message for a pod no node fits. `preFilterMsg`: a PreFilter rejected the pod before
 * any filter ran; upstream then prints that message instead of the per-node histogram, and every node carries it
 * into preemption.
 */
export function failedSchedulingMessage(pod: KubeObject, numAllNodes: number, reasons: readonly FailureReason[], preFilterMsg = ''): string {
  if (numAllNodes === 0) return NO_NODES_AVAILABLE;
  if (preFilterMsg) {
    const all = [{ reason: preFilterMsg, count: numAllNodes }];
    return `0/${numAllNodes} nodes are available: ${preFilterMsg}. ${preemptionMessage(pod, numAllNodes, all)}`;
  }
  return formatFitError(numAllNodes, reasons, preemptionMessage(pod, numAllNodes, reasons));
}

export function scheduledMessage(pod: KubeObject, nodeName: string): string {
  return `Successfully assigned ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''} to ${nodeName}`;
}

export interface PodCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
}

const podConditions = (pod: KubeObject): PodCondition[] =>
  ((pod.status as { conditions?: PodCondition[] } | undefined)?.conditions ?? []) as PodCondition[];

/**
 * The PodScheduled=False condition for `message`, or null when the pod already carries exactly this condition
 * (upstream skips the status write then). lastTransitionTime moves only when the status flips.
 */
export function unschedulableCondition(pod: KubeObject, reason: 'Unschedulable' | 'SchedulerError', message: string, now: Date): PodCondition | null {
  const cur = podConditions(pod).find((c) => c.type === 'PodScheduled');
  if (cur && cur.status === 'False' && cur.reason === reason && cur.message === message) return null;
  return {
    type: 'PodScheduled',
    status: 'False',
    reason,
    message,
    lastProbeTime: null,
    lastTransitionTime: cur && cur.status === 'False' && cur.lastTransitionTime ? cur.lastTransitionTime : rfc3339(now),
  };
}

/** The pod's conditions with `cond` replacing any of the same type (for a merge patch of the whole list). */
export function withCondition(pod: KubeObject, cond: PodCondition): PodCondition[] {
  const rest = podConditions(pod).filter((c) => c.type !== cond.type);
  return [...rest, cond];
}

/** A core/v1 Event about `pod` from the scheduler. */
export function podEvent(pod: KubeObject, type: EventType, reason: string, action: string, message: string, now: Date, instance: string): KubeObject {
  return objectEvent({ apiVersion: 'v1', kind: 'Pod', ...pod }, type, reason, message, { component: SCHEDULER_NAME, instance }, now, action);
}

export { EventRecorder };
