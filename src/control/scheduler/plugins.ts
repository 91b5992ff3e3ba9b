/**
 * What both scheduler cores share besides parsing: plugin names and weights of the default profile, upstream's
 * failure reason texts, the number of nodes to evaluate (percentageOfNodesToScore), the seeded tie-break PRNG,
 * and the explain (debug) shape the differential tests compare.
 */
import type { ScheduleHints, SchedulerCore } from './core.js';

export const MAX_NODE_SCORE = 100;

export const SCORE_PLUGINS = [
  'TaintToleration', 'NodeAffinity', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity',
  'NodeResourcesBalancedAllocation', 'ImageLocality',
] as const;
export type ScorePlugin = (typeof SCORE_PLUGINS)[number];
/** Default profile weights, in SCORE_PLUGINS order. */
export const SCORE_WEIGHTS: readonly number[] = [3, 2, 1, 2, 2, 1, 1];

export const REASON = {
  unschedulable: 'node(s) were unschedulable',
  nodeName: "node(s) didn't match the requested node name",
  nodeAffinity: "node(s) didn't match Pod's node affinity/selector",
  nodePorts: "node(s) didn't have free ports for the requested pod ports",
  tooManyPods: 'Too many pods',
  spreadMissingLabel: "node(s) didn't match pod topology spread constraints (missing required label)",
  spread: "node(s) didn't match pod topology spread constraints",
  affinity: "node(s) didn't match pod affinity rules",
  antiAffinity: "node(s) didn't match pod anti-affinity rules",
  existingAntiAffinity: "node(s) didn't satisfy existing pods anti-affinity rules",
  /** Nodes left out by NodeAffinity's PreFilter node set (prefilter.ts). */
  outsidePreFilterNodes: "node(s) didn't satisfy plugin(s) [NodeAffinity]",
  /** NodeAffinity's PreFilter rejection when the pod's terms name no node at all. */
  affinityTermsConflict: 'pod affinity terms conflict',
} as const;

export function taintReason(key: string, value: string): string {
  return `node(s) had untolerated taint {${key}: ${value}}`;
}
export function insufficientReason(resource: string): string {
  return `Insufficient ${resource}`;
}

/** Upstream's numFeasibleNodesToFind: below 100 nodes all; 0% = adaptive 50 - nodes/125 (at least 5%). */
export function numFeasibleNodesToFind(percentage: number, numAllNodes: number): number {
  const minFeasible = 100;
  if (numAllNodes < minFeasible) return numAllNodes;
  let pct = Math.trunc(percentage);
  if (pct <= 0) {
    pct = 50 - Math.trunc(numAllNodes / 125);
    if (pct < 5) pct = 5;
  }
  if (pct >= 100) return numAllNodes;
  const n = Math.trunc((numAllNodes * pct) / 100);
  return n < minFeasible ? minFeasible : n;
}

/**
 * xorshift32: the tie-break generator both cores (TypeScript and AssemblyScript) implement bit for bit.
 * Ties are resolved as upstream's selectHost (reservoir sampling: the k-th equal top score replaces the
 * candidate with probability 1/k), drawing only when a tie occurs.
 */
export function seedState(seed: number): number {
  const s = (seed ^ 0x9e3779b9) >>> 0;
  return s === 0 ? 0x6d2b79f5 : s;
}
export function xorshift32(state: number): number {
  let x = state >>> 0;
  x = (x ^ (x << 13)) >>> 0;
  x = (x ^ (x >>> 17)) >>> 0;
  x = (x ^ (x << 5)) >>> 0;
  return x;
}

/** Per-plugin normalised (unweighted) scores of one feasible node. */
export type PluginScores = Record<ScorePlugin, number>;

export interface NodeExplain {
  node: string;
  /** Failure reasons; empty when the node passes every filter. */
  reasons: string[];
  /** Normalised scores per plugin (feasible nodes only), and the weighted total. */
  scores: PluginScores | null;
  total: number;
}

/** A core that can also explain a decision without changing its state (tests and debugging). */
export interface ExplainableCore extends SchedulerCore {
  /** Every node in table order, filtered and scored as one cycle with 100% of nodes would. */
  explain(pod: import('../api/resource.js').KubeObject, hints?: ScheduleHints): NodeExplain[];
}
