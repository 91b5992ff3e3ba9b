/**
 * The seam between the scheduling loop (queue, cache, binder, events) and the plugin core that filters and
 * scores nodes. Two implementations: the WASM core (wasm-core.ts, the default) and the plain-TypeScript
 * reference (reference/, the test oracle and benchmark baseline). Both take Kubernetes objects as plain JSON;
 * the WASM bridge turns them into flat tables once per change, never per scheduling cycle.
 *
 * Contract: node and pod updates are applied before the next `schedule` call sees them. `addPod` is also how the
 * loop records an assumed pod (spec.nodeName set by the loop before the bind lands); `removePod` forgets it.
 * What a core cannot read from nodes and pods (objects the loop watches besides them) comes as ScheduleHints.
 */
import type { KubeObject } from '../api/resource.js';

export interface FailureReason {
  /** Upstream's per-node status text, e.g. "Insufficient cpu", "node(s) didn't match Pod's node affinity/selector". */
  reason: string;
  /** Number of nodes that failed with this reason. */
  count: number;
}

export interface ScheduleResult {
  /** The chosen node, or null when no node is feasible. */
  node: string | null;
  /** Nodes evaluated (after percentageOfNodesToScore's cut) and how many passed every filter. */
  evaluated: number;
  feasible: number;
  /** Why nodes failed, one entry per distinct reason (a node with several reasons counts in each). */
  reasons: FailureReason[];
}

export interface SchedulerConfig {
  /** 0 = upstream's adaptive default; 1..100 = fixed percentage. */
  percentageOfNodesToScore: number;
  /** NodeResourcesFit scoring strategy. */
  scoringStrategy: 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';
  /** Seed for the uniform random tie-break (tests fix it). */
  seed: number;
}

/** A metav1.LabelSelector as JSON. */
export interface KubeLabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Per-pod inputs the loop computes from other objects (Services, ReplicaSets, StatefulSets). */
export interface ScheduleHints {
  /**
   * PodTopologySpread's system default selector (upstream's helper.DefaultSelector: the selectors of the
   * Services selecting the pod and of its controlling ReplicaSet/StatefulSet, ANDed). Used only when the pod has
   * no topologySpreadConstraints of its own; absent or without requirements, no default constraint applies.
   */
  defaultSpreadSelector?: KubeLabelSelector;
}

export interface SchedulerCore {
  upsertNode(node: KubeObject): void;
  removeNode(name: string): void;
  /** A pod bound (or assumed) to `pod.spec.nodeName`. */
  addPod(pod: KubeObject): void;
  removePod(pod: KubeObject): void;
  schedule(pod: KubeObject, hints?: ScheduleHints): ScheduleResult;
  nodeCount(): number;
}
