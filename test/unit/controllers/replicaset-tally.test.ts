/**
 * The ReplicaSet controller's pod tally against the walk it stands in for: after every pod event of a random
 * history (creates, readiness and label changes, graceful deletes, re-parenting, orphans, a controller of another
 * kind under the same UID, which a claim keeps as upstream's does), the tally's counts equal the walk's (claim candidates, active filter, countPods) whenever it gives any,
 * and it gives none when the walk would release a pod or minReadySeconds needs the clock.
 */
import { describe, expect, it } from 'vitest';
import { Indexer } from '../../../src/client/store.js';
import { objectKey } from '../../../src/client/types.js';
import { countPods, type ReplicaSetLike } from '../../../src/control/controllers/replicaset-decide.js';
import { OwnerPodTally, tallyCounts } from '../../../src/control/controllers/replicaset-tally.js';
import { controlledBy, CONTROLLER_UID_INDEX } from '../../../src/control/controllers/shared/controller-ref.js';
import { controllerOf, filterActivePods, type Pod } from '../../../src/control/controllers/shared/pod-util.js';
import { compileSelector, selectorMatches } from '../../../src/control/controllers/shared/selector.js';

const owner = (uid: string, minReadySeconds = 0): ReplicaSetLike => ({
  metadata: { name: uid, namespace: 'ns', uid },
  spec: { replicas: 3, minReadySeconds, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', tier: 'front' } } } },
});

/** A small seeded generator (mulberry32), so a failure replays. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Label objects shared between pods, as the informer's slim cache shares them, plus fresh copies of each.
const LABELS: Record<string, string>[] = [{ app: 'web', tier: 'front' }, { app: 'web' }, { app: 'api' }, { app: 'web', tier: 'front', x: '1' }];

function randomPod(r: () => number, name: string): Pod {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const refTo = pick(['a', 'b', 'orphan', 'other-kind']);
  const ownerReferences = refTo === 'orphan' ? undefined
    : [{ apiVersion: 'apps/v1', kind: refTo === 'other-kind' ? 'StatefulSet' : 'ReplicaSet', name: refTo, uid: refTo === 'other-kind' ? 'a' : refTo, controller: true }];
  const labels = r() < 0.85 ? LABELS[r() < 0.7 ? 0 : Math.floor(r() * LABELS.length)] : { ...pick(LABELS) };
  return {
    metadata: {
      name, namespace: r() < 0.9 ? 'ns' : 'elsewhere', uid: `${name}-${Math.floor(r() * 1e9)}`, labels, ownerReferences,
      ...(r() < 0.2 ? { deletionTimestamp: '2024-06-01T00:00:00Z' } : {}),
    },
    status: {
      phase: pick(['Pending', 'Running', 'Running', 'Running', 'Succeeded', 'Failed']),
      conditions: r() < 0.8 ? [{ type: 'Ready', status: r() < 0.6 ? 'True' : 'False', lastTransitionTime: '2024-06-01T00:00:00Z' }] : undefined,
    },
  };
}

/** The walk: what the sync's claim keeps when it neither adopts nor releases, and countPods over it. */
function walk(indexer: Indexer<Pod>, rs: ReplicaSetLike) {
  const sel = compileSelector(rs.spec?.selector as never);
  const own = filterActivePods(controlledBy(indexer, rs.metadata!.uid!).filter((p) => p.metadata?.namespace === 'ns'));
  return { counts: countPods(rs, own, Date.parse('2024-06-01T00:01:00Z')), allMatch: own.every((p) => selectorMatches(sel, p.metadata?.labels)) };
}

describe('ReplicaSet pod tally', () => {
  it('agrees with the walk after every event of random histories', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      const indexer = new Indexer<Pod>();
      indexer.addIndexer(CONTROLLER_UID_INDEX, (p) => [controllerOf(p)?.uid ?? `orphan/${p.metadata?.namespace}`]);
      const tally = new OwnerPodTally();
      let fastChecks = 0;
      for (let step = 0; step < 300; step++) {
        const name = `p${Math.floor(r() * 25)}`;
        const existing = indexer.get(`ns/${name}`) ?? indexer.get(`elsewhere/${name}`);
        if (existing && r() < 0.25) {
          indexer.delete(objectKey(existing));
          tally.observe(objectKey(existing), undefined);
        } else {
          const pod = randomPod(r, name);
          if (existing && objectKey(existing) !== objectKey(pod)) {
            indexer.delete(objectKey(existing));
            tally.observe(objectKey(existing), undefined);
          }
          indexer.set(pod);
          tally.observe(objectKey(pod), pod);
        }
        for (const uid of ['a', 'b']) {
          const rs = owner(uid);
          const w = walk(indexer, rs);
          const fast = tallyCounts(tally.of('ns', uid), compileSelector(rs.spec?.selector as never), rs.spec!.template!.metadata!.labels!, 0);
          if (!w.allMatch) expect(fast, `seed ${seed} step ${step}`).toBeUndefined();
          else {
            expect(fast, `seed ${seed} step ${step}`).toEqual(w.counts);
            fastChecks++;
          }
          expect(tallyCounts(tally.of('ns', uid), compileSelector(rs.spec?.selector as never), {}, 10)).toBeUndefined();
        }
      }
      expect(fastChecks).toBeGreaterThan(50);
    }
  });

  it('forgets an owner once its last active pod goes', () => {
    const tally = new OwnerPodTally();
    const pod: Pod = { metadata: { name: 'p', namespace: 'ns', labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: 'a', controller: true }] }, status: { phase: 'Running' } };
    tally.observe('ns/p', pod);
    expect(tally.of('ns', 'a')?.pods).toBe(1);
    tally.observe('ns/p', { ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2024-06-01T00:00:00Z' } });
    expect(tally.of('ns', 'a')).toBeUndefined();
    tally.observe('ns/p', undefined);
    expect(tally.of('ns', 'a')).toBeUndefined();
  });
});
