/** What the Job controller asks of a pod: phase-based predicates, ordering for deletion, and finish time. */
import { JOB_TRACKING_FINALIZER, type Job, type Pod } from './types.js';

const ms = (t: string | undefined): number => (t ? Date.parse(t) : NaN);

export const isActive = (p: Pod): boolean =>
  p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata?.deletionTimestamp;

/** Being deleted but not yet terminal (upstream's CountTerminatingPods). */
export const isTerminating = (p: Pod): boolean =>
  !!p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

export const isPodReady = (p: Pod): boolean => !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

export const hasTrackingFinalizer = (p: Pod): boolean => !!p.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER);

/** podFailurePolicy (or podReplacementPolicy Failed) replaces a pod only once it is Failed. */
export const onlyReplaceFailedPods = (job: Job): boolean => job.spec?.podReplacementPolicy === 'Failed' || !!job.spec?.podFailurePolicy;

/** Failed, or (unless only failed pods are replaced) deleted before it succeeded: orphans never reach Failed. */
export function isPodFailed(p: Pod, job: Job): boolean {
  if (p.status?.phase === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  return !!p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded';
}

/**
 * When a pod finished: its containers' latest finishedAt, else its Ready=False transition, else its deletion
 * time less the grace period, else its creation (upstream's getFinishedTime).
 */
export function finishedTime(p: Pod): number {
  const statuses = p.status?.containerStatuses ?? [];
  let fromContainers: number | null = statuses.length ? -Infinity : null;
  for (const cs of statuses) {
    const t = ms(cs.state?.terminated?.finishedAt);
    if (Number.isNaN(t)) {
      fromContainers = null;
      break;
    }
    fromContainers = Math.max(fromContainers!, t);
  }
  if (fromContainers !== null) return fromContainers;
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'False' && !Number.isNaN(ms(ready.lastTransitionTime))) return ms(ready.lastTransitionTime);
  if (p.metadata?.deletionTimestamp) return ms(p.metadata.deletionTimestamp) - (p.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
  return ms(p.metadata?.creationTimestamp) || 0;
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * Upstream's controller.ActivePods order, the pods to delete first: unscheduled before scheduled, pending before
 * running, not ready before ready, more restarts first, newer before older.
 */
export function compareForDeletion(a: Pod, b: Pod): number {
  const sa = a.spec?.nodeName ? 1 : 0;
  const sb = b.spec?.nodeName ? 1 : 0;
  if (sa !== sb) return sa - sb;
  const pa = PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0;
  const pb = PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0;
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a) ? 1 : 0;
  const rb = isPodReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  const restarts = (p: Pod): number => (p.status?.containerStatuses ?? []).reduce((n, c) => Math.max(n, c.restartCount ?? 0), 0);
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const ca = ms(a.metadata?.creationTimestamp) || 0;
  const cb = ms(b.metadata?.creationTimestamp) || 0;
  return cb - ca;
}
