/**
 * DefaultPreemption's PostFilter, as upstream's (pkg/scheduler/framework/plugins/defaultpreemption) without
 * PodDisruptionBudgets: when no node fits a pod, find nodes where removing lower-priority pods would let it fit,
 * pick the fewest and least important victims, and say which node the pod is nominated to.
 *
 * The fit checks are the core's own filters (explain), run on the core with the candidate victims taken out and
 * put back, so every filter (resources, ports, affinity, spread, ...) decides as it does when scheduling. The core
 * is restored before returning, also on an exception.
 */
import type { KubeObject } from '../api/resource.js';
import type { ScheduleHints } from './core.js';
import { unresolvableByPreemption } from './events.js';
import type { ExplainableCore } from './plugins.js';

export interface PreemptionPlan {
  node: string;
  victims: KubeObject[];
}

/** spec.priority as the Priority admission plugin set it (0 without). */
export function podPriority(pod: KubeObject): number {
  const p = (pod.spec as { priority?: unknown } | undefined)?.priority;
  return typeof p === 'number' && Number.isFinite(p) ? p : 0;
}

const startTime = (pod: KubeObject): number =>
  Date.parse(((pod.status as { startTime?: string } | undefined)?.startTime ?? pod.metadata?.creationTimestamp ?? '') as string) || 0;

/** MoreImportantPod: higher priority first, then the one that started earlier. */
export function moreImportantFirst(a: KubeObject, b: KubeObject): number {
  return podPriority(b) - podPriority(a) || startTime(a) - startTime(b);
}

/** PodEligibleToPreemptOthers: not with preemptionPolicy Never. */
export function eligibleToPreempt(pod: KubeObject): boolean {
  return (pod.spec as { preemptionPolicy?: string } | undefined)?.preemptionPolicy !== 'Never';
}

interface Candidate {
  node: string;
  victims: KubeObject[];
}

/**
 * pickOneNodeForPreemption without PDBs: the lowest highest-victim priority, then the smallest sum of victim
 * priorities (each offset by 2^31 as upstream, so fewer victims weigh less), then the fewest victims, then the
 * latest start among the most important victims, then the first.
 */
export function pickCandidate(candidates: readonly Candidate[]): Candidate | undefined {
  const key = (c: Candidate) => {
    const top = c.victims.length ? Math.max(...c.victims.map(podPriority)) : -Infinity;
    const sum = c.victims.reduce((s, v) => s + podPriority(v) + 2 ** 31, 0);
    const latestTopStart = Math.max(0, ...c.victims.filter((v) => podPriority(v) === top).map(startTime));
    return [top, sum, c.victims.length, -latestTopStart];
  };
  let best: Candidate | undefined;
  let bestKey: number[] = [];
  for (const c of candidates) {
    const k = key(c);
    if (!best || lexLess(k, bestKey)) {
      best = c;
      bestKey = k;
    }
  }
  return best;
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/**
 * The preemption for `pod`, or null when no node can be freed for it. `podsOn(node)` gives the pods the core
 * holds on a node (the exact objects added to it). Nodes rejected for reasons removing pods cannot fix are skipped.
 */
export function planPreemption(
  core: ExplainableCore,
  pod: KubeObject,
  hints: ScheduleHints | undefined,
  podsOn: (node: string) => KubeObject[],
): PreemptionPlan | null {
  if (!eligibleToPreempt(pod)) return null;
  const prio = podPriority(pod);
  const fitsOn = (node: string): boolean => core.explain(pod, hints).find((n) => n.node === node)?.reasons.length === 0;
  const candidates: Candidate[] = [];
  for (const n of core.explain(pod, hints)) {
    if (n.reasons.length === 0 || n.reasons.some(unresolvableByPreemption)) continue;
    const lower = podsOn(n.node).filter((p) => podPriority(p) < prio).sort(moreImportantFirst);
    if (lower.length === 0) continue;
    const out = new Set<KubeObject>();
    try {
      for (const p of lower) {
        core.removePod(p);
        out.add(p);
      }
      if (!fitsOn(n.node)) continue;
      // Reprieve as many as possible, most important first: a pod stays when the preemptor still fits with it.
      const victims: KubeObject[] = [];
      for (const p of lower) {
        core.addPod(p);
        out.delete(p);
        if (!fitsOn(n.node)) {
          core.removePod(p);
          out.add(p);
          victims.push(p);
        }
      }
      if (victims.length) candidates.push({ node: n.node, victims });
    } finally {
      for (const p of out) core.addPod(p);
    }
  }
  const best = pickCandidate(candidates);
  return best ? { node: best.node, victims: best.victims } : null;
}
