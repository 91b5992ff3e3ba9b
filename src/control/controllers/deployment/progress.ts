/**
 * Deployment status and the Progressing/Available conditions (upstream's sync.go calculateStatus and
 * progress.go), pure over the replica sets and the time `now` (RFC 3339, seconds).
 */
import { rfc3339 } from '../../../client/time.js';
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from './types.js';
import {
  DeploymentAvailable, DeploymentProgressing, DeploymentReplicaFailure, MinimumReplicasAvailable, MinimumReplicasUnavailable,
  NewRSAvailableReason, PausedDeployReason, ReplicaSetUpdatedReason, ResumedDeployReason, TimedOutReason, desiredReplicas, getCondition,
  hasProgressDeadline, maxUnavailable, newCondition, removeCondition, setCondition, sumActualReplicas, sumAvailableReplicas, sumReadyReplicas,
  sumReplicas,
} from './util.js';

/** calculateStatus: counts from the replica sets, the Available condition from minimum availability. */
export function calculateStatus(allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined, d: Deployment, now: string): DeploymentStatus {
  const available = sumAvailableReplicas(allRSs);
  const total = sumReplicas(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: sumActualReplicas(allRSs),
    updatedReplicas: sumActualReplicas(newRS ? [newRS] : []),
    readyReplicas: sumReadyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
  if (d.status?.conditions?.length) status.conditions = d.status.conditions.map((c) => ({ ...c }));
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (available >= desiredReplicas(d) - maxUnavailable(d)) {
    setCondition(status, newCondition(DeploymentAvailable, 'True', MinimumReplicasAvailable, 'Deployment has minimum availability.', now));
  } else {
    setCondition(status, newCondition(DeploymentAvailable, 'False', MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', now));
  }
  return status;
}

/** DeploymentComplete: every desired replica is updated and available, and the spec was observed. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const want = desiredReplicas(d);
  return (s.updatedReplicas ?? 0) === want && (s.replicas ?? 0) === want && (s.availableReplicas ?? 0) === want && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** DeploymentProgressing: more updated, ready or available pods than before, or fewer old ones. */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** DeploymentTimedOut: the Progressing condition has not moved for progressDeadlineSeconds (or says so already). */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, DeploymentProgressing);
  if (!c) return false;
  if (c.reason === TimedOutReason) return true;
  const from = Date.parse(c.lastUpdateTime ?? '');
  if (Number.isNaN(from)) return false;
  return from + d.spec.progressDeadlineSeconds! * 1000 < nowMs;
}

/** syncRolloutStatus's decision: the status to write, with Progressing updated and ReplicaFailure promoted. */
export function rolloutStatus(allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined, d: Deployment, nowMs: number): DeploymentStatus {
  const now = rfc3339(nowMs);
  const s = calculateStatus(allRSs, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(s, DeploymentProgressing);

  const cur = getCondition(d.status, DeploymentProgressing);
  const isComplete = s.replicas === s.updatedReplicas && cur?.reason === NewRSAvailableReason;
  if (hasProgressDeadline(d) && !isComplete) {
    const name = d.metadata.name;
    if (deploymentComplete(d, s)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" has successfully progressed.` : `Deployment "${name}" has successfully progressed.`;
      setCondition(s, newCondition(DeploymentProgressing, 'True', NewRSAvailableReason, msg, now));
    } else if (deploymentProgressing(d, s)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" is progressing.` : `Deployment "${name}" is progressing.`;
      const c = newCondition(DeploymentProgressing, 'True', ReplicaSetUpdatedReason, msg, now);
      // Progress moves lastUpdateTime even with an unchanged reason; a True condition keeps its transition time.
      if (cur) {
        if (cur.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
        removeCondition(s, DeploymentProgressing);
      }
      setCondition(s, c);
    } else if (deploymentTimedOut(d, s, nowMs)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" has timed out progressing.` : `Deployment "${name}" has timed out progressing.`;
      setCondition(s, newCondition(DeploymentProgressing, 'False', TimedOutReason, msg, now));
    }
  }

  const failure = replicaFailure(allRSs, newRS);
  if (failure) setCondition(s, failure);
  else removeCondition(s, DeploymentReplicaFailure);
  return s;
}

/** getReplicaFailures: the new replica set's ReplicaFailure condition first, else any other's. */
function replicaFailure(allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined): DeploymentCondition | undefined {
  for (const rs of [newRS, ...allRSs]) {
    const c = rs?.status?.conditions?.find((x) => x.type === DeploymentReplicaFailure);
    if (c) {
      return {
        type: c.type,
        status: c.status as DeploymentCondition['status'],
        lastUpdateTime: c.lastTransitionTime,
        lastTransitionTime: c.lastTransitionTime,
        reason: c.reason,
        message: c.message,
      };
    }
  }
  return undefined;
}

/**
 * requeueStuckDeployment: when to look again so a stalled rollout is marked timed out on time; undefined when
 * no check is due (no deadline, complete, or already timed out). 0 means now.
 */
export function stuckRecheckAfterMs(d: Deployment, s: DeploymentStatus, nowMs: number): number | undefined {
  const cur = getCondition(d.status, DeploymentProgressing);
  if (!hasProgressDeadline(d) || !cur) return undefined;
  if (deploymentComplete(d, s) || cur.reason === TimedOutReason) return undefined;
  const after = Date.parse(cur.lastUpdateTime ?? '') + d.spec.progressDeadlineSeconds! * 1000 - nowMs;
  if (Number.isNaN(after)) return undefined;
  return after < 1000 ? 0 : after + 1000;
}

/**
 * checkPausedConditions: a paused deployment says so in Progressing (Unknown, DeploymentPaused) and a resumed
 * one too (DeploymentResumed), so time spent paused never counts against the deadline. A timed-out condition
 * stays. Returns the new status, or undefined when nothing changes.
 */
export function pausedConditionStatus(d: Deployment, nowMs: number): DeploymentStatus | undefined {
  if (!hasProgressDeadline(d)) return undefined;
  const cond = getCondition(d.status, DeploymentProgressing);
  if (cond?.reason === TimedOutReason) return undefined;
  const pausedCondExists = cond?.reason === PausedDeployReason;
  const s: DeploymentStatus = structuredClone(d.status ?? {});
  if (d.spec.paused && !pausedCondExists) {
    setCondition(s, newCondition(DeploymentProgressing, 'Unknown', PausedDeployReason, 'Deployment is paused', rfc3339(nowMs)));
    return s;
  }
  if (!d.spec.paused && pausedCondExists) {
    setCondition(s, newCondition(DeploymentProgressing, 'Unknown', ResumedDeployReason, 'Deployment is resumed', rfc3339(nowMs)));
    return s;
  }
  return undefined;
}

