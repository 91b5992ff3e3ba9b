/**
 * RollingUpdate arithmetic (upstream's rolling.go) as plans: what size each replica set should be given next.
 * The new replica set grows within replicas + maxSurge; old ones shrink while at least replicas − maxUnavailable
 * pods stay available, unhealthy old pods first.
 */
import type { Deployment, ReplicaSet } from './types.js';
import { byCreationTimestamp, desiredReplicas, maxUnavailable, newRSNewReplicas, replicasOf, sumAvailableReplicas, sumReplicas } from './util.js';

export interface ScaleStep {
  rs: ReplicaSet;
  replicas: number;
}

/** reconcileNewReplicaSet: the new replica set's next size, or undefined when it stays as it is. */
export function planNewReplicaSet(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet): number | undefined {
  const want = desiredReplicas(d);
  const cur = replicasOf(newRS);
  if (cur === want) return undefined;
  // Scale down a new replica set larger than the deployment (the deployment was scaled down mid-rollout).
  if (cur > want) return want;
  const next = newRSNewReplicas(d, allRSs, newRS);
  return next === cur ? undefined : next;
}

const withReplicas = (rs: ReplicaSet, replicas: number): ReplicaSet => ({ ...rs, spec: { ...rs.spec, replicas } });

/**
 * reconcileOldReplicaSets: scale-downs of old replica sets, in order. First up to `maxScaledDown` unhealthy
 * (unavailable) old pods go, oldest replica set first; then available old pods while availability stays at
 * or above replicas − maxUnavailable.
 */
export function planOldReplicaSets(d: Deployment, allRSs: readonly ReplicaSet[], activeOldRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined): ScaleStep[] {
  const oldPods = sumReplicas(activeOldRSs);
  if (oldPods === 0) return [];
  const allPods = sumReplicas(allRSs);
  const minAvailable = desiredReplicas(d) - maxUnavailable(d);
  const newRSUnavailable = newRS ? replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0) : 0;
  const maxScaledDown = allPods - minAvailable - newRSUnavailable;
  if (maxScaledDown <= 0) return [];

  const steps = new Map<ReplicaSet, number>();
  // cleanupUnhealthyReplicas: unavailable pods of old replica sets cost no availability.
  const old = [...activeOldRSs].sort(byCreationTimestamp);
  let cleaned = 0;
  for (let i = 0; i < old.length; i++) {
    if (cleaned >= maxScaledDown) break;
    const rs = old[i]!;
    const r = replicasOf(rs);
    const avail = rs.status?.availableReplicas ?? 0;
    if (r === 0 || r === avail) continue;
    const down = Math.min(maxScaledDown - cleaned, r - avail);
    const next = r - down;
    if (next > r) throw new Error(`when cleaning up unhealthy replicas, got invalid request to scale down ${rs.metadata.namespace}/${rs.metadata.name} ${r} -> ${next}`);
    steps.set(rs, next);
    old[i] = withReplicas(rs, next);
    cleaned += down;
  }

  // scaleDownOldReplicaSetsForRollingUpdate, on the sizes after the clean-up.
  const after = [...old, ...(newRS ? [newRS] : [])];
  const available = sumAvailableReplicas(after);
  if (available > minAvailable) {
    const toScaleDown = available - minAvailable;
    let scaled = 0;
    for (const rs of old) {
      if (scaled >= toScaleDown) break;
      const r = replicasOf(rs);
      if (r === 0) continue;
      const down = Math.min(r, toScaleDown - scaled);
      const orig = activeOldRSs.find((x) => x.metadata.name === rs.metadata.name)!;
      steps.set(orig, r - down);
      scaled += down;
    }
  }
  return [...steps].map(([rs, replicas]) => ({ rs, replicas }));
}
