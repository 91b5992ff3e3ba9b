/**
 * The Job controller's pure decisions over one Job and its pods: counting, the finished condition to aim for,
 * how many pods to want, which to remove, and condition bookkeeping. The controller (controller.ts) feeds them
 * lister state and the clock, then writes what they decide.
 */
import { rfc3339 } from '../../../client/time.js';
import { completionIndexOf, hasIndex, parseIndexes, withIndexes, UNKNOWN_INDEX, type Interval } from './indexes.js';
import { matchPodFailurePolicy } from './pod-failure-policy.js';
import { compareForDeletion, hasTrackingFinalizer, isPodFailed } from './pods.js';
import { INDEX_FAILURE_COUNT_ANNOTATION, INDEX_IGNORED_FAILURE_COUNT_ANNOTATION, type Job, type JobCondition, type Pod } from './types.js';

export const REASON_BACKOFF_LIMIT = 'BackoffLimitExceeded';
export const MSG_BACKOFF_LIMIT = 'Job has reached the specified backoff limit';
export const REASON_DEADLINE = 'DeadlineExceeded';
export const MSG_DEADLINE = 'Job was active longer than specified deadline';
export const REASON_POD_FAILURE_POLICY = 'PodFailurePolicy';
export const REASON_MAX_FAILED_INDEXES = 'MaxFailedIndexesExceeded';
export const MSG_MAX_FAILED_INDEXES = 'Job has exceeded the specified maximal number of failed indexes';
export const REASON_FAILED_INDEXES = 'FailedIndexes';
export const MSG_FAILED_INDEXES = 'Job has failed indexes';
export const REASON_SUCCESS_POLICY = 'SuccessPolicy';
export const REASON_COMPLETIONS_REACHED = 'CompletionsReached';
export const MSG_COMPLETIONS_REACHED = 'Reached expected number of succeeded pods';

export const isIndexed = (job: Job): boolean => job.spec?.completionMode === 'Indexed';
export const isSuspended = (job: Job): boolean => job.spec?.suspend === true;
export const hasBackoffLimitPerIndex = (job: Job): boolean => job.spec?.backoffLimitPerIndex !== undefined && job.spec?.backoffLimitPerIndex !== null;

export function findCondition(job: Job, type: string): JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === type);
}

const conditionTrue = (job: Job, type: string): boolean => findCondition(job, type)?.status === 'True';

/** Complete or Failed is True: the controller is done with this Job. */
export const isJobFinished = (job: Job): boolean => conditionTrue(job, 'Complete') || conditionTrue(job, 'Failed');

export function newCondition(type: string, status: 'True' | 'False', reason: string, message: string, now: number): JobCondition {
  const t = rfc3339(new Date(now));
  return { type, status, reason, message, lastProbeTime: t, lastTransitionTime: t };
}

/**
 * Sets a condition of `type` (replacing one whose status, reason or message differs); a False condition that
 * does not exist yet is not added. Returns the new list and whether it changed.
 */
export function ensureCondition(list: JobCondition[], type: string, status: 'True' | 'False', reason: string, message: string, now: number): [JobCondition[], boolean] {
  const i = list.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = list[i]!;
    if (c.status === status && c.reason === reason && c.message === message) return [list, false];
    const out = list.slice();
    out[i] = newCondition(type, status, reason, message, now);
    return [out, true];
  }
  if (status === 'False') return [list, false];
  return [[...list, newCondition(type, status, reason, message, now)], true];
}

export interface Uncounted {
  succeeded: Set<string>;
  failed: Set<string>;
}

/**
 * Pods finished since the last count: they still carry the tracking finalizer, are not yet in
 * uncountedTerminatedPods, not awaiting finalizer removal, and (Indexed) have a valid index.
 */
export function newFinishedPods(job: Job, pods: readonly Pod[], uncounted: Uncounted, expectedRm: ReadonlySet<string>): { succeeded: Pod[]; failed: Pod[] } {
  const completions = job.spec?.completions ?? 0;
  const valid = (p: Pod, skip: Set<string>): boolean => {
    const uid = p.metadata?.uid ?? '';
    if (!hasTrackingFinalizer(p) || skip.has(uid) || expectedRm.has(uid)) return false;
    if (isIndexed(job)) {
      const ix = completionIndexOf(p.metadata?.annotations);
      if (ix === UNKNOWN_INDEX || ix >= completions) return false;
    }
    return true;
  };
  return {
    succeeded: pods.filter((p) => valid(p, uncounted.succeeded) && p.status?.phase === 'Succeeded'),
    failed: pods.filter((p) => valid(p, uncounted.failed) && isPodFailed(p, job)),
  };
}

/** Failed pods that count towards backoffLimit (not matched by an Ignore rule). */
export function countedFailures(job: Job, failed: readonly Pod[]): number {
  if (!job.spec?.podFailurePolicy) return failed.length;
  return failed.filter((p) => matchPodFailurePolicy(job.spec!.podFailurePolicy, p).countFailed).length;
}

/** restartPolicy OnFailure: container restarts in pending/running pods count against backoffLimit. */
export function pastBackoffLimitOnFailure(job: Job, pods: readonly Pod[]): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
    for (const s of p.status?.initContainerStatuses ?? []) restarts += s.restartCount ?? 0;
    for (const s of p.status?.containerStatuses ?? []) restarts += s.restartCount ?? 0;
  }
  const limit = job.spec?.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** ms left before activeDeadlineSeconds passes (≤ 0: passed); null when no deadline applies. */
export function deadlineRemainingMs(job: Job, now: number): number | null {
  const ads = job.spec?.activeDeadlineSeconds;
  const start = job.status?.startTime;
  if (ads === undefined || ads === null || !start || isSuspended(job)) return null;
  return Date.parse(start) + ads * 1000 - now;
}

/** The first FailJob message a failed pod matches in the podFailurePolicy. */
export function failJobMessage(job: Job, pods: readonly Pod[]): string | null {
  if (!job.spec?.podFailurePolicy) return null;
  for (const p of pods) {
    if (!isPodFailed(p, job)) continue;
    const m = matchPodFailurePolicy(job.spec.podFailurePolicy, p);
    if (m.failJobMessage) return m.failJobMessage;
  }
  return null;
}

/** How many pods should be active now (upstream's manageJob arithmetic). */
export function wantActive(job: Job, active: number, succeeded: number): number {
  const parallelism = job.spec?.parallelism ?? 1;
  const completions = job.spec?.completions;
  if (completions === undefined || completions === null) return succeeded > 0 ? active : parallelism;
  return Math.max(0, Math.min(completions - succeeded, parallelism));
}

/** Done when enough pods succeeded (or, without completions, any succeeded) and none is active. */
export function isComplete(job: Job, succeeded: number, active: number): boolean {
  const completions = job.spec?.completions;
  if (completions === undefined || completions === null) return succeeded > 0 && active === 0;
  return succeeded >= completions && active === 0;
}

/**
 * Active pods to delete so that at least `rmAtLeast` go: for Indexed Jobs first those with a duplicate, missing
 * or out-of-range index, then in deletion order (unscheduled, pending, not ready, … first).
 */
export function activePodsForRemoval(job: Job, pods: readonly Pod[], rmAtLeast: number): Pod[] {
  const rm: Pod[] = [];
  let left: Pod[] = [...pods];
  if (isIndexed(job)) {
    const completions = job.spec?.completions ?? 0;
    const byIndex = new Map<number, Pod[]>();
    left = [];
    for (const p of pods) {
      const ix = completionIndexOf(p.metadata?.annotations);
      if (ix === UNKNOWN_INDEX || ix >= completions) rm.push(p);
      else byIndex.set(ix, [...(byIndex.get(ix) ?? []), p]);
    }
    for (const group of byIndex.values()) {
      // Keep the pod furthest along; remove the other duplicates.
      const sorted = group.sort(compareForDeletion);
      rm.push(...sorted.slice(0, -1));
      left.push(sorted[sorted.length - 1]!);
    }
  }
  if (rm.length < rmAtLeast) rm.push(...left.sort(compareForDeletion).slice(0, rmAtLeast - rm.length));
  return rm;
}

/** Succeeded indexes: status.completedIndexes plus indexes of newly succeeded pods still carrying the finalizer. */
export function succeededIndexes(job: Job, pods: readonly Pod[]): { prev: Interval[]; now: Interval[] } {
  const completions = job.spec?.completions ?? 0;
  const prev = parseIndexes(job.status?.completedIndexes, completions);
  const added: number[] = [];
  for (const p of pods) {
    const ix = completionIndexOf(p.metadata?.annotations);
    if (p.status?.phase === 'Succeeded' && ix !== UNKNOWN_INDEX && ix < completions && hasTrackingFinalizer(p)) added.push(ix);
  }
  return { prev, now: withIndexes(prev, added) };
}

const parseCount = (v: string | undefined): number => {
  if (v === undefined || !/^\d+$/.test(v)) return 0;
  const n = Number(v);
  return n > 2147483647 ? 0 : n;
};
export const indexFailureCount = (p: Pod): number => parseCount(p.metadata?.annotations?.[INDEX_FAILURE_COUNT_ANNOTATION]);
export const indexIgnoredFailureCount = (p: Pod): number => parseCount(p.metadata?.annotations?.[INDEX_IGNORED_FAILURE_COUNT_ANNOTATION]);

/** An index fails (backoffLimitPerIndex) when its pod failed with a counted failure past the per-index limit, or by a FailIndex rule. */
export function isIndexFailed(job: Job, p: Pod): boolean {
  if (!isPodFailed(p, job)) return false;
  let counted = true;
  if (job.spec?.podFailurePolicy) {
    const m = matchPodFailurePolicy(job.spec.podFailurePolicy, p);
    if (m.action === 'FailIndex') return true;
    counted = m.countFailed;
  }
  return counted && indexFailureCount(p) >= (job.spec?.backoffLimitPerIndex ?? 0);
}

export function failedIndexes(job: Job, pods: readonly Pod[]): Interval[] {
  const completions = job.spec?.completions ?? 0;
  const prev = parseIndexes(job.status?.failedIndexes, completions);
  const added: number[] = [];
  for (const p of pods) {
    const ix = completionIndexOf(p.metadata?.annotations);
    if (ix !== UNKNOWN_INDEX && ix < completions && hasTrackingFinalizer(p) && isIndexFailed(job, p)) added.push(ix);
  }
  return withIndexes(prev, added);
}

/** The failure-count annotations for the pod replacing `replaced` within its index. */
export function nextIndexFailureCounts(job: Job, replaced: Pod | undefined): { failures: number; ignored: number } {
  if (!replaced) return { failures: 0, ignored: 0 };
  let failures = indexFailureCount(replaced);
  let ignored = indexIgnoredFailureCount(replaced);
  if (job.spec?.podFailurePolicy && !matchPodFailurePolicy(job.spec.podFailurePolicy, replaced).countFailed) ignored++;
  else failures++;
  return { failures, ignored };
}

export { hasIndex };
