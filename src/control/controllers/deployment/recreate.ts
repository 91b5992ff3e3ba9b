/**
 * Recreate (upstream's recreate.go): every old replica set goes to zero, and the new one is created and scaled
 * up only once no old pod is left running (terminal pods do not count).
 */
import type { KubeObject } from '../../../client/types.js';
import type { ReplicaSet } from './types.js';
import { sumActualReplicas } from './util.js';

/** oldPodsRunning: old replica sets still report pods, or a non-terminal pod belongs to any but the new one. */
export function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[], podsByRS: ReadonlyMap<string, readonly KubeObject[]>): boolean {
  if (sumActualReplicas(oldRSs) > 0) return true;
  for (const [uid, pods] of podsByRS) {
    if (newRS && newRS.metadata.uid === uid) continue;
    for (const pod of pods) {
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
  }
  return false;
}
