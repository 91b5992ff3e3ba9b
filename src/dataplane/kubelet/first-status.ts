/**
 * A just-admitted pod's first status (Pending, ContainerCreating) is held back while its containers are due to
 * be up within a short window, and the status that shows them up goes in its place: one write to start a pod
 * instead of two, as kwok's pod-ready stage is one patch. A pod that takes longer (init containers, no free IP,
 * a slow pull) still shows Pending with its hostIP once the window is over, so every state a user can wait on
 * in a stock cluster appears; a fast pod goes from bound to Running, as it does when the kubelet's status
 * manager is a moment behind its pod worker.
 *
 * Pure decisions; the agent keeps one entry per held pod (dropped when the status goes or the pod goes).
 */
import type { PodStatus } from './types.js';

/** The kubelet's PLEG relist period: a pod whose containers start within it is seen up at one relist. */
export const DEFAULT_FIRST_STATUS_HOLD_MS = 1000;

export interface HeldStatus {
  /** When the pod was first looked at (admission). */
  since: number;
  status: PodStatus;
}

export type FirstStatusDecision =
  | { action: 'hold'; held: HeldStatus }
  | { action: 'send'; status: PodStatus }
  | { action: 'none' };

export interface FirstStatusInput {
  /** This look is the agent's first at the pod. */
  first: boolean;
  /** What is held from earlier looks, if anything. */
  held: HeldStatus | undefined;
  /** The status the driver just returned (null: unchanged since its last one, which may be the held one). */
  status: PodStatus | null;
  /** When the driver wants to look again (null: not unless the pod changes). */
  wakeAt: number | null;
  /** The pod is to be removed (its containers stopped): whatever is held goes now. */
  remove: boolean;
  now: number;
  holdMs: number;
}

const phaseOf = (s: PodStatus): unknown => (s as { phase?: unknown }).phase;

/**
 * Whether to hold, send, or do nothing with this look's status. Only a Pending status is held, only from a
 * pod's first look, and only while the driver's next look falls inside the window from that first look: the
 * next look (the wake-up) either brings a newer status, which replaces the held one, or sends the held one.
 */
export function decideFirstStatus(i: FirstStatusInput): FirstStatusDecision {
  const status = i.status ?? i.held?.status ?? null;
  if (status === null) return { action: 'none' };
  const since = i.held?.since ?? (i.first ? i.now : undefined);
  if (
    since !== undefined && i.holdMs > 0 && !i.remove && phaseOf(status) === 'Pending' &&
    i.wakeAt !== null && i.wakeAt > i.now && i.wakeAt <= since + i.holdMs
  ) {
    return { action: 'hold', held: { since, status } };
  }
  // Unchanged and nothing held: the driver's previous status went already.
  if (i.status === null && i.held === undefined) return { action: 'none' };
  return { action: 'send', status };
}
