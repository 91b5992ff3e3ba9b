/**
 * The active pods of each ReplicaSet (or ReplicationController), counted as the pod informer's events arrive:
 * per owner, how many active pods carry each labels object and how many of those are Ready. A sync whose claim
 * would only keep what the owner already controls (every active pod matches its selector, no orphan in the
 * namespace to adopt) reads its status counts here instead of walking every pod: in a rolling update a
 * 10,000-pod ReplicaSet is synced hundreds of times, and each walk cost milliseconds. Anything else (adoption,
 * release, choosing pods to delete, minReadySeconds) walks the pods, as upstream's sync always does.
 */
import type { PodCounts } from './replicaset-decide.js';
import { controllerOf, isPodActive, isPodReady, type Pod } from './shared/pod-util.js';
import { selectorMatches, type CompiledSelector } from './shared/selector.js';

type Labels = Readonly<Record<string, string>> | undefined;

/** One owner's active pods: how many, how many Ready, and both per labels object (shared ones group many pods). */
export interface OwnerTally {
  pods: number;
  ready: number;
  byLabels: Map<Labels, { pods: number; ready: number }>;
}

/** What one pod adds to its owner's tally. */
interface Entry {
  owner: string;
  labels: Labels;
  ready: boolean;
}

const ownerKey = (namespace: string, uid: string): string => `${namespace}/${uid}`;

export class OwnerPodTally {
  /** Pod key → what it adds, for active pods with a controller (matched by UID alone, as a claim does). */
  private readonly entries = new Map<string, Entry>();
  private readonly owners = new Map<string, OwnerTally>();

  /** Records the pod the cache now holds under `key`, or its removal (`pod` undefined). */
  observe(key: string, pod: Pod | undefined): void {
    const prev = this.entries.get(key);
    const next = pod ? this.entryOf(pod) : undefined;
    if (prev && next && prev.owner === next.owner && prev.labels === next.labels && prev.ready === next.ready) return;
    if (prev) {
      this.entries.delete(key);
      this.count(prev, -1);
    }
    if (next) {
      this.entries.set(key, next);
      this.count(next, 1);
    }
  }

  /** The active pods controlled by the owner with `uid` in `namespace` (undefined: none). */
  of(namespace: string, uid: string): OwnerTally | undefined {
    return this.owners.get(ownerKey(namespace, uid));
  }

  private entryOf(pod: Pod): Entry | undefined {
    const ref = controllerOf(pod);
    if (!ref || !isPodActive(pod)) return undefined;
    return { owner: ownerKey(pod.metadata?.namespace ?? '', ref.uid), labels: pod.metadata?.labels, ready: isPodReady(pod) };
  }

  private count(e: Entry, sign: 1 | -1): void {
    let t = this.owners.get(e.owner);
    if (!t) this.owners.set(e.owner, (t = { pods: 0, ready: 0, byLabels: new Map() }));
    let l = t.byLabels.get(e.labels);
    if (!l) t.byLabels.set(e.labels, (l = { pods: 0, ready: 0 }));
    const r = e.ready ? sign : 0;
    t.pods += sign;
    t.ready += r;
    l.pods += sign;
    l.ready += r;
    if (l.pods === 0) t.byLabels.delete(e.labels);
    if (t.pods === 0) this.owners.delete(e.owner);
  }
}

/**
 * The status counts of an owner from its tally, when a claim would keep exactly the pods it controls: every
 * active pod matches `selector` and none needs minReadySeconds' clock. Undefined: walk the pods instead.
 * (Orphans to adopt are the caller's check.)
 */
export function tallyCounts(tally: OwnerTally | undefined, selector: CompiledSelector, templateLabels: Record<string, string>, minReadySeconds: number): PodCounts | undefined {
  if (minReadySeconds > 0) return undefined;
  if (!tally) return { replicas: 0, fullyLabeled: 0, ready: 0, available: 0 };
  const template = Object.entries(templateLabels);
  let fullyLabeled = 0;
  for (const [labels, n] of tally.byLabels) {
    if (!selectorMatches(selector, labels)) return undefined; // a release: the walk does it
    if (template.every(([k, v]) => labels?.[k] === v)) fullyLabeled += n.pods;
  }
  return { replicas: tally.pods, fullyLabeled, ready: tally.ready, available: tally.ready };
}
