/**
 * Scaling a deployment that is not rolling out (upstream's sync.go `scale`): one active replica set takes the
 * new size; a saturated new replica set lets the old ones go to zero; during a rollout (or while paused) every
 * active replica set grows or shrinks in proportion to its share, leftovers to the largest.
 */
import type { ScaleStep } from './rolling.js';
import type { Deployment, ReplicaSet } from './types.js';
import {
  bySizeNewer, bySizeOlder, desiredReplicas, filterActive, findActiveOrLatest, isRollingUpdate, isSaturated, maxReplicasAnnotation,
  maxSurge, replicasOf, sumReplicas,
} from './util.js';

export interface ProportionalStep extends ScaleStep {
  /** Write the replica annotations even when the size stays (upstream's scaleReplicaSet, not ...AndRecordEvent). */
  refreshAnnotations: boolean;
}

/** getReplicaSetFraction: how many replicas this replica set gains (or loses) at the new size. */
export function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (desiredReplicas(d) === 0) return -replicasOf(rs);
  const deploymentMax = desiredReplicas(d) + maxSurge(d);
  let before = maxReplicasAnnotation(rs);
  // Without the annotation (or with 0) the last observed size stands in; min/max in getProportion keeps limits.
  if (before === undefined || before === 0) before = d.status?.replicas ?? 0;
  if (before === 0) return 0;
  const size = (replicasOf(rs) * deploymentMax) / before;
  return Math.floor(size + 0.5) - replicasOf(rs);
}

/** GetProportion: the fraction, bounded by what is still left to add (or remove). */
export function proportion(rs: ReplicaSet | undefined, d: Deployment, toAdd: number, added: number): number {
  if (!rs || replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

export function planScale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ProportionalStep[] {
  const single = findActiveOrLatest(newRS, oldRSs);
  if (single) {
    if (replicasOf(single) === desiredReplicas(d)) return [];
    return [{ rs: single, replicas: desiredReplicas(d), refreshAnnotations: false }];
  }
  if (isSaturated(d, newRS)) {
    return filterActive(oldRSs).map((rs) => ({ rs, replicas: 0, refreshAnnotations: false }));
  }
  if (!isRollingUpdate(d)) return [];

  let all = filterActive([...oldRSs, newRS]);
  const allowed = desiredReplicas(d) > 0 ? desiredReplicas(d) + maxSurge(d) : 0;
  const toAdd = allowed - sumReplicas(all);
  if (toAdd > 0) all = all.sort(bySizeNewer);
  else if (toAdd < 0) all = all.sort(bySizeOlder);

  let added = 0;
  const sizes = all.map((rs) => {
    if (toAdd === 0) return replicasOf(rs);
    const p = proportion(rs, d, toAdd, added);
    added += p;
    return replicasOf(rs) + p;
  });
  if (toAdd !== 0 && sizes.length) sizes[0] = Math.max(0, sizes[0]! + (toAdd - added));
  return all.map((rs, i) => ({ rs, replicas: sizes[i]!, refreshAnnotations: true }));
}

/** isScalingEvent: an active replica set was told a different deployment size than the current one. */
export function isScalingEvent(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): boolean {
  for (const rs of filterActive([...oldRSs, newRS])) {
    const v = rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'];
    if (v === undefined || !/^-?\d+$/.test(v)) continue;
    if (Number(v) !== desiredReplicas(d)) return true;
  }
  return false;
}
