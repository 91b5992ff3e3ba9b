/**
 * Revision history clean-up (upstream's cleanupDeployment): beyond revisionHistoryLimit, the oldest revisions'
 * replica sets are deleted, but only those fully scaled down and observed so by the ReplicaSet controller.
 */
import type { Deployment, ReplicaSet } from './types.js';
import { byRevision, hasRevisionHistoryLimit, replicasOf } from './util.js';

export function replicaSetsToCleanUp(d: Deployment, oldRSs: readonly ReplicaSet[]): ReplicaSet[] {
  if (!hasRevisionHistoryLimit(d)) return [];
  const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = alive.length - (d.spec.revisionHistoryLimit ?? 10);
  if (diff <= 0) return [];
  return [...alive]
    .sort(byRevision)
    .slice(0, diff)
    .filter((rs) => (rs.status?.replicas ?? 0) === 0 && replicasOf(rs) === 0 && (rs.metadata.generation ?? 0) <= (rs.status?.observedGeneration ?? 0));
}
