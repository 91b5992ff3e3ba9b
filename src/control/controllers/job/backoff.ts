/**
 * Pod-failure backoff, as upstream: a failed pod is replaced after 10 s, doubling per consecutive failure since
 * the last success, capped at 10 minutes (MaxJobPodFailureBackOff; the docs' "six minutes" predates it), counted
 * from the last failure's finish time.
 */
import { finishedTime } from './pods.js';
import type { Pod } from './types.js';

export const DEFAULT_POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 10 * 60_000;

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  /** ms since the epoch, null when no failure counts. */
  lastFailureTime: number | null;
}

export const NO_BACKOFF: BackoffRecord = { failuresAfterLastSuccess: 0, lastFailureTime: null };

/** The record after newly finished pods: successes reset it, failures after the last success add up. */
export function nextBackoffRecord(old: BackoffRecord, newSucceeded: readonly Pod[], newFailed: readonly Pod[]): BackoffRecord {
  const failed = newFailed.map(finishedTime).sort((a, b) => a - b);
  if (newSucceeded.length === 0) {
    if (failed.length === 0) return old;
    return { failuresAfterLastSuccess: old.failuresAfterLastSuccess + failed.length, lastFailureTime: failed[failed.length - 1]! };
  }
  const lastSuccess = Math.max(...newSucceeded.map(finishedTime));
  const after = failed.filter((t) => t > lastSuccess);
  return after.length ? { failuresAfterLastSuccess: after.length, lastFailureTime: after[after.length - 1]! } : NO_BACKOFF;
}

/** The delay owed after `failures` consecutive failures: 10 s, 20 s, 40 s, … capped. */
export function backoffDelayMs(failures: number, base = DEFAULT_POD_FAILURE_BACKOFF_MS, max = MAX_POD_FAILURE_BACKOFF_MS): number {
  if (failures <= 0) return 0;
  let d = base;
  for (let i = 1; i < failures; i++) {
    d *= 2;
    if (d >= max) return max;
  }
  return d;
}

/** How long until a replacement may be created (0: now). */
export function remainingBackoffMs(failures: number, lastFailureTime: number | null, now: number): number {
  if (failures === 0 || lastFailureTime === null) return 0;
  const elapsed = now - lastFailureTime;
  const d = backoffDelayMs(failures);
  return d < elapsed ? 0 : d - elapsed;
}
