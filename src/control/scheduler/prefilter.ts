/**
 * NodeAffinity's PreFilter node set, as upstream computes it: required terms that name nodes through
 * `matchFields` (`metadata.name In [...]`, what DaemonSet pods carry) narrow the nodes the filters run on.
 * Within a term those In sets intersect (requirements are ANDed); across terms they unite (terms are ORed); a
 * term with no such field requirement lets every node in. Nodes outside the set fail with upstream's
 * "node(s) didn't satisfy plugin(s) [NodeAffinity]"; an empty set rejects the pod before any filter runs.
 *
 * The cores filter every node and reach the same decision (a node outside the set never matches the term);
 * what changes is the failure text, which the loop builds from this set (scheduler.ts).
 */
import type { KubeObject } from '../api/resource.js';

export type PreFilterNodes =
  | { kind: 'all' }
  | { kind: 'nodes'; names: ReadonlySet<string> }
  /** Every term names nodes and their sets are all empty: no node can match. */
  | { kind: 'conflict' };

interface FieldRequirement {
  key?: string;
  operator?: string;
  values?: string[];
}

const ALL: PreFilterNodes = { kind: 'all' };

export function nodeAffinityPreFilter(pod: KubeObject): PreFilterNodes {
  const spec = pod.spec as { affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: { matchFields?: FieldRequirement[] }[] } } } } | undefined;
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms?.length) return ALL;
  const union = new Set<string>();
  for (const term of terms) {
    let names: Set<string> | undefined;
    for (const r of term?.matchFields ?? []) {
      if (r.key !== 'metadata.name' || r.operator !== 'In') continue;
      names = intersect(names, r.values ?? []);
    }
    if (names === undefined) return ALL;
    for (const n of names) union.add(n);
  }
  return union.size === 0 ? { kind: 'conflict' } : { kind: 'nodes', names: union };
}

function intersect(names: Set<string> | undefined, values: string[]): Set<string> {
  if (names === undefined) return new Set(values);
  const keep = new Set(values);
  return new Set([...names].filter((n) => keep.has(n)));
}
