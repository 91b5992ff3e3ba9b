/**
 * Plain-TypeScript reference of kube-scheduler's default plugins, written the way upstream runs them: per cycle,
 * PreFilter state from every node's pods, then filters node by node in upstream's order, then PreScore, Score
 * and NormalizeScore over the feasible nodes. It is the oracle the WASM core is tested against and the
 * benchmark's baseline, so it favours being obviously right over being fast.
 */
import type { KubeObject } from '../../api/resource.js';
import type { ScheduleHints, ScheduleResult, SchedulerConfig } from '../core.js';
import { parseNode, type ParsedNode } from '../node-info.js';
import { PodIndex } from '../pod-index.js';
import {
  isScalarResource, LABEL_HOSTNAME, parsePod, termMatchesPod, tolerates, withSystemDefaultSpread,
  type AffinityTerm, type ParsedPod, type SpreadConstraint, type Toleration,
} from '../pod-query.js';
import {
  type ExplainableCore, insufficientReason, MAX_NODE_SCORE, type NodeExplain, numFeasibleNodesToFind,
  type PluginScores, REASON, SCORE_PLUGINS, SCORE_WEIGHTS, seedState, taintReason, xorshift32,
} from '../plugins.js';
import { isEmptySelector, matchesLabels, matchesNodeTerm } from '../selector.js';
import { type CoreOptions, rtcrShape, roundHalfAway } from '../scoring.js';

interface NodeState {
  node: ParsedNode;
  pods: Map<string, ParsedPod>;
  requested: Map<string, number>;
  nonZeroCpu: number;
  nonZeroMem: number;
}

const has = (o: Record<string, string>, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function untoleratedFilterTaint(node: ParsedNode, tols: readonly Toleration[]): { key: string; value: string } | null {
  for (const t of node.taints) {
    if (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') continue;
    if (!tols.some((tol) => tolerates(tol, t.key, t.value, t.effect))) return t;
  }
  return null;
}

function requiredNodeAffinityMatches(pod: ParsedPod, node: ParsedNode): boolean {
  if (pod.nodeSelector) {
    for (const [k, v] of Object.entries(pod.nodeSelector)) if (node.labels[k] !== v || !has(node.labels, k)) return false;
  }
  if (pod.requiredTerms) return pod.requiredTerms.some((t) => matchesNodeTerm(t, node.name, node.labels));
  return true;
}

function countMatching(ns: NodeState, c: SpreadConstraint, namespace: string): number {
  if (c.selector.nothing || isEmptySelector(c.selector)) return 0;
  let n = 0;
  for (const p of ns.pods.values()) {
    if (p.terminating || p.namespace !== namespace) continue;
    if (matchesLabels(c.selector, p.labels)) n++;
  }
  return n;
}

function inclusion(c: SpreadConstraint, pod: ParsedPod, node: ParsedNode): boolean {
  if (c.honorAffinity && !requiredNodeAffinityMatches(pod, node)) return false;
  if (c.honorTaints && untoleratedFilterTaint(node, pod.tolerations) !== null) return false;
  return true;
}

/** DefaultNormalizeScore. */
function normalize(scores: number[], reverse: boolean): void {
  let maxCount = 0;
  for (const s of scores) if (s > maxCount) maxCount = s;
  if (maxCount === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    let s = Math.trunc((MAX_NODE_SCORE * scores[i]!) / maxCount);
    if (reverse) s = MAX_NODE_SCORE - s;
    scores[i] = s;
  }
}

const MB = 1024 * 1024;
const MIN_IMAGE = 23 * MB;
const MAX_CONTAINER_IMAGE = 1000 * MB;

interface CycleState {
  pod: ParsedPod;
  hard: SpreadConstraint[];
  hardCounts: Map<string, number>[];
  hardMin: number[];
  existingAnti: Map<string, number>;
  affinityCounts: Map<string, number>;
  antiCounts: Map<string, number>;
  podMatchesOwnAffinity: boolean;
}

const pairKey = (k: string, v: string): string => `${k}\u0000${v}`;

export class ReferenceCore implements ExplainableCore {
  private nodes: NodeState[] = [];
  private index = new Map<string, number>();
  /** Every known pod, with the node it is on (which may not be known yet). */
  private readonly pods = new PodIndex();
  private nextStart = 0;
  private rng: number;
  private readonly shape: { utilization: number; score: number }[];

  constructor(private readonly config: CoreOptions) {
    this.rng = seedState(config.seed);
    this.shape = rtcrShape(config);
  }

  nodeCount(): number { return this.nodes.length; }

  upsertNode(obj: KubeObject): void {
    const node = parseNode(obj);
    const i = this.index.get(node.name);
    if (i !== undefined) { this.nodes[i]!.node = node; return; }
    const ns: NodeState = { node, pods: new Map(), requested: new Map(), nonZeroCpu: 0, nonZeroMem: 0 };
    this.index.set(node.name, this.nodes.length);
    this.nodes.push(ns);
    for (const p of this.pods.onNode(node.name)) this.account(ns, p, 1);
  }

  removeNode(name: string): void {
    const i = this.index.get(name);
    if (i === undefined) return;
    // Swap-remove keeps the table dense; the WASM core does the same, so node order matches.
    const last = this.nodes.length - 1;
    this.nodes[i] = this.nodes[last]!;
    this.index.set(this.nodes[i]!.node.name, i);
    this.nodes.pop();
    this.index.delete(name);
  }

  addPod(obj: KubeObject): void {
    const pod = parsePod(obj);
    if (pod.nodeName === '') return;
    this.removePod(obj);
    this.pods.add(pod);
    const i = this.index.get(pod.nodeName);
    if (i !== undefined) this.account(this.nodes[i]!, pod, 1);
  }

  removePod(obj: KubeObject): void {
    const old = this.pods.remove(obj);
    if (!old) return;
    const i = this.index.get(old.nodeName);
    if (i !== undefined) this.account(this.nodes[i]!, old, -1);
  }

  private account(ns: NodeState, pod: ParsedPod, sign: 1 | -1): void {
    if (sign > 0) ns.pods.set(pod.key, pod); else ns.pods.delete(pod.key);
    for (const [r, v] of pod.requests) ns.requested.set(r, (ns.requested.get(r) ?? 0) + sign * v);
    ns.nonZeroCpu += sign * pod.nonZeroCpu;
    ns.nonZeroMem += sign * pod.nonZeroMem;
  }

  // ---------------- PreFilter ----------------

  private preFilter(pod: ParsedPod): CycleState {
    const hard = pod.spread.filter((c) => c.hard);
    const hardCounts = hard.map(() => new Map<string, number>());
    if (hard.length > 0) {
      for (const ns of this.nodes) {
        const labels = ns.node.labels;
        if (!hard.every((c) => has(labels, c.topologyKey))) continue;
        hard.forEach((c, i) => {
          if (!inclusion(c, pod, ns.node)) return;
          const v = labels[c.topologyKey]!;
          hardCounts[i]!.set(v, (hardCounts[i]!.get(v) ?? 0) + countMatching(ns, c, pod.namespace));
        });
      }
    }
    const hardMin = hard.map((c, i) => {
      const m = hardCounts[i]!;
      if (m.size < c.minDomains) return 0;
      let min = Infinity;
      for (const v of m.values()) if (v < min) min = v;
      return min === Infinity ? 0 : min;
    });

    const existingAnti = new Map<string, number>();
    const affinityCounts = new Map<string, number>();
    const antiCounts = new Map<string, number>();
    const bump = (m: Map<string, number>, labels: Record<string, string>, key: string): void => {
      if (has(labels, key)) { const k = pairKey(key, labels[key]!); m.set(k, (m.get(k) ?? 0) + 1); }
    };
    for (const ns of this.nodes) {
      const labels = ns.node.labels;
      for (const ep of ns.pods.values()) {
        for (const t of ep.requiredAntiAffinity) if (termMatchesPod(t, pod)) bump(existingAnti, labels, t.topologyKey);
        if (pod.requiredAffinity.length > 0 && pod.requiredAffinity.every((t) => termMatchesPod(t, ep))) {
          for (const t of pod.requiredAffinity) bump(affinityCounts, labels, t.topologyKey);
        }
        for (const t of pod.requiredAntiAffinity) if (termMatchesPod(t, ep)) bump(antiCounts, labels, t.topologyKey);
      }
    }
    const podMatchesOwnAffinity = pod.requiredAffinity.length > 0 && pod.requiredAffinity.every((t) => termMatchesPod(t, pod));
    return { pod, hard, hardCounts, hardMin, existingAnti, affinityCounts, antiCounts, podMatchesOwnAffinity };
  }

  // ---------------- Filter ----------------

  /** Reasons the node fails, empty when it passes; filters run in the default profile's order and stop at the first failing one. */
  private filter(s: CycleState, ns: NodeState): string[] {
    const pod = s.pod;
    const node = ns.node;
    if (node.unschedulable && !pod.tolerations.some((t) => tolerates(t, 'node.kubernetes.io/unschedulable', '', 'NoSchedule'))) {
      return [REASON.unschedulable];
    }
    if (pod.nodeName !== '' && pod.nodeName !== node.name) return [REASON.nodeName];
    const taint = untoleratedFilterTaint(node, pod.tolerations);
    if (taint) return [taintReason(taint.key, taint.value)];
    if (!requiredNodeAffinityMatches(pod, node)) return [REASON.nodeAffinity];
    if (pod.hostPorts.length > 0 && this.portConflict(ns, pod)) return [REASON.nodePorts];
    const fit = this.fitReasons(ns, pod);
    if (fit.length > 0) return fit;
    for (let i = 0; i < s.hard.length; i++) {
      const c = s.hard[i]!;
      if (!has(node.labels, c.topologyKey)) return [REASON.spreadMissingLabel];
      const self = matchesLabels(c.selector, pod.labels) ? 1 : 0;
      const matchNum = s.hardCounts[i]!.get(node.labels[c.topologyKey]!) ?? 0;
      if (matchNum + self - s.hardMin[i]! > c.maxSkew) return [REASON.spread];
    }
    if (!this.satisfyAffinity(s, node)) return [REASON.affinity];
    if (s.antiCounts.size > 0) {
      for (const t of pod.requiredAntiAffinity) {
        if (has(node.labels, t.topologyKey) && (s.antiCounts.get(pairKey(t.topologyKey, node.labels[t.topologyKey]!)) ?? 0) > 0) {
          return [REASON.antiAffinity];
        }
      }
    }
    if (s.existingAnti.size > 0) {
      for (const [k, v] of Object.entries(node.labels)) {
        if ((s.existingAnti.get(pairKey(k, v)) ?? 0) > 0) return [REASON.existingAntiAffinity];
      }
    }
    return [];
  }

  private satisfyAffinity(s: CycleState, node: ParsedNode): boolean {
    let podsExist = true;
    for (const t of s.pod.requiredAffinity) {
      if (!has(node.labels, t.topologyKey)) return false;
      if ((s.affinityCounts.get(pairKey(t.topologyKey, node.labels[t.topologyKey]!)) ?? 0) <= 0) podsExist = false;
    }
    if (!podsExist) return s.affinityCounts.size === 0 && s.podMatchesOwnAffinity;
    return true;
  }

  private portConflict(ns: NodeState, pod: ParsedPod): boolean {
    for (const want of pod.hostPorts) {
      for (const p of ns.pods.values()) {
        for (const used of p.hostPorts) {
          if (used.port !== want.port || used.protocol !== want.protocol) continue;
          if (want.ip === '0.0.0.0' || used.ip === '0.0.0.0' || used.ip === want.ip) return true;
        }
      }
    }
    return false;
  }

  private fitReasons(ns: NodeState, pod: ParsedPod): string[] {
    const out: string[] = [];
    const alloc = ns.node.allocatable;
    if (ns.pods.size + 1 > (alloc.get('pods') ?? 0)) out.push(REASON.tooManyPods);
    const req = pod.requests;
    const cpu = req.get('cpu') ?? 0;
    const mem = req.get('memory') ?? 0;
    const eph = req.get('ephemeral-storage') ?? 0;
    const scalars = [...req.keys()].filter(isScalarResource);
    if (cpu === 0 && mem === 0 && eph === 0 && scalars.length === 0) return out;
    const free = (r: string): number => (alloc.get(r) ?? 0) - (ns.requested.get(r) ?? 0);
    if (cpu > 0 && cpu > free('cpu')) out.push(insufficientReason('cpu'));
    if (mem > 0 && mem > free('memory')) out.push(insufficientReason('memory'));
    if (eph > 0 && eph > free('ephemeral-storage')) out.push(insufficientReason('ephemeral-storage'));
    for (const r of scalars) {
      const q = req.get(r)!;
      if (q !== 0 && q > free(r)) out.push(insufficientReason(r));
    }
    return out;
  }

  // ---------------- Score ----------------

  private score(s: CycleState, feasible: NodeState[]): PluginScores[] {
    const pod = s.pod;
    const n = feasible.length;
    const taint = new Array<number>(n).fill(0);
    const nodeAff = new Array<number>(n).fill(0);
    const fit = new Array<number>(n).fill(0);
    const spread = new Array<number>(n).fill(0);
    const inter = new Array<number>(n).fill(0);
    const balanced = new Array<number>(n).fill(0);
    const image = new Array<number>(n).fill(0);

    const preferTols = pod.tolerations.filter((t) => t.effect === '' || t.effect === 'PreferNoSchedule');
    const cpuReq = pod.requests.get('cpu') ?? 0;
    const memReq = pod.requests.get('memory') ?? 0;
    const bestEffort = cpuReq === 0 && memReq === 0;
    const imageNodes = new Map<string, number>();
    for (const name of new Set(pod.images)) {
      let c = 0;
      for (const ns of this.nodes) if (ns.node.images.has(name)) c++;
      imageNodes.set(name, c);
    }

    feasible.forEach((ns, i) => {
      const node = ns.node;
      let intolerable = 0;
      for (const t of node.taints) {
        if (t.effect === 'PreferNoSchedule' && !preferTols.some((tol) => tolerates(tol, t.key, t.value, t.effect))) intolerable++;
      }
      taint[i] = intolerable;
      let w = 0;
      for (const p of pod.preferredTerms) if (matchesNodeTerm(p.term, node.name, node.labels)) w += p.weight;
      nodeAff[i] = w;
      fit[i] = this.fitScore(ns, pod);
      if (!bestEffort) balanced[i] = this.balancedScore(ns, cpuReq, memReq);
      let sum = 0;
      for (const img of pod.images) {
        const size = node.images.get(img);
        if (size !== undefined) sum += Math.trunc(size * (imageNodes.get(img)! / this.nodes.length));
      }
      const maxThreshold = MAX_CONTAINER_IMAGE * pod.containerCount;
      if (sum < MIN_IMAGE) sum = MIN_IMAGE; else if (sum > maxThreshold) sum = maxThreshold;
      image[i] = Math.trunc((MAX_NODE_SCORE * (sum - MIN_IMAGE)) / (maxThreshold - MIN_IMAGE));
    });
    normalize(taint, true);
    normalize(nodeAff, false);
    this.spreadScores(s, feasible, spread);
    this.interPodScores(s, feasible, inter);
    return feasible.map((_, i) => ({
      TaintToleration: taint[i]!, NodeAffinity: nodeAff[i]!, NodeResourcesFit: fit[i]!, PodTopologySpread: spread[i]!,
      InterPodAffinity: inter[i]!, NodeResourcesBalancedAllocation: balanced[i]!, ImageLocality: image[i]!,
    }));
  }

  private fitScore(ns: NodeState, pod: ParsedPod): number {
    const res: [number, number][] = [
      [ns.node.allocatable.get('cpu') ?? 0, ns.nonZeroCpu + pod.nonZeroCpu],
      [ns.node.allocatable.get('memory') ?? 0, ns.nonZeroMem + pod.nonZeroMem],
    ];
    const strategy = this.config.scoringStrategy;
    let nodeScore = 0;
    let weightSum = 0;
    for (const [alloc, req] of res) {
      if (alloc === 0) continue;
      let s: number;
      if (strategy === 'LeastAllocated') {
        s = req > alloc ? 0 : Math.trunc(((alloc - req) * MAX_NODE_SCORE) / alloc);
      } else if (strategy === 'MostAllocated') {
        s = Math.trunc((Math.min(req, alloc) * MAX_NODE_SCORE) / alloc);
      } else {
        s = this.brokenLinear(req > alloc ? 100 : Math.trunc((req * 100) / alloc));
        if (s <= 0) continue;
      }
      nodeScore += s;
      weightSum += 1;
    }
    if (weightSum === 0) return 0;
    return strategy === 'RequestedToCapacityRatio' ? roundHalfAway(nodeScore / weightSum) : Math.trunc(nodeScore / weightSum);
  }

  private brokenLinear(p: number): number {
    const shape = this.shape;
    for (let i = 0; i < shape.length; i++) {
      if (p <= shape[i]!.utilization) {
        if (i === 0) return shape[0]!.score;
        const a = shape[i - 1]!;
        const b = shape[i]!;
        return a.score + Math.trunc(((b.score - a.score) * (p - a.utilization)) / (b.utilization - a.utilization));
      }
    }
    return shape[shape.length - 1]!.score;
  }

  private balancedScore(ns: NodeState, cpuReq: number, memReq: number): number {
    const fractions: number[] = [];
    const pairs: [number, number][] = [
      [ns.node.allocatable.get('cpu') ?? 0, (ns.requested.get('cpu') ?? 0) + cpuReq],
      [ns.node.allocatable.get('memory') ?? 0, (ns.requested.get('memory') ?? 0) + memReq],
    ];
    for (const [alloc, req] of pairs) {
      if (alloc === 0) continue;
      let f = req / alloc;
      if (f > 1) f = 1;
      fractions.push(f);
    }
    const std = fractions.length === 2 ? Math.abs((fractions[0]! - fractions[1]!) / 2) : 0;
    return Math.trunc((1 - std) * MAX_NODE_SCORE);
  }

  private spreadScores(s: CycleState, feasible: NodeState[], out: number[]): void {
    const pod = s.pod;
    const soft = pod.spread.filter((c) => !c.hard);
    if (soft.length === 0 || feasible.length === 0) return;
    const requireAll = !pod.systemDefaultSpread;
    const ignored = new Set<NodeState>();
    const pairCounts = soft.map(() => new Map<string, number>());
    const topoSize = soft.map(() => 0);
    for (const ns of feasible) {
      if (requireAll && !soft.every((c) => has(ns.node.labels, c.topologyKey))) { ignored.add(ns); continue; }
      soft.forEach((c, i) => {
        if (c.topologyKey === LABEL_HOSTNAME) return;
        const v = ns.node.labels[c.topologyKey] ?? '';
        if (!pairCounts[i]!.has(v)) { pairCounts[i]!.set(v, 0); topoSize[i]!++; }
      });
    }
    const weights = soft.map((c, i) => Math.log((c.topologyKey === LABEL_HOSTNAME ? feasible.length - ignored.size : topoSize[i]!) + 2));
    for (const ns of this.nodes) {
      if (requireAll && !soft.every((c) => has(ns.node.labels, c.topologyKey))) continue;
      soft.forEach((c, i) => {
        if (!inclusion(c, pod, ns.node)) return;
        const v = ns.node.labels[c.topologyKey] ?? '';
        const m = pairCounts[i]!;
        if (!m.has(v)) return;
        m.set(v, m.get(v)! + countMatching(ns, c, pod.namespace));
      });
    }
    const raw = feasible.map((ns) => {
      if (ignored.has(ns)) return 0;
      let score = 0;
      soft.forEach((c, i) => {
        if (!has(ns.node.labels, c.topologyKey)) return;
        const cnt = c.topologyKey === LABEL_HOSTNAME
          ? countMatching(ns, c, pod.namespace)
          : pairCounts[i]!.get(ns.node.labels[c.topologyKey]!)!;
        score += cnt * weights[i]! + (c.maxSkew - 1);
      });
      return roundHalfAway(score);
    });
    let min = Infinity;
    let max = 0;
    feasible.forEach((ns, i) => {
      if (ignored.has(ns)) return;
      if (raw[i]! < min) min = raw[i]!;
      if (raw[i]! > max) max = raw[i]!;
    });
    feasible.forEach((ns, i) => {
      if (ignored.has(ns)) out[i] = 0;
      else if (max === 0) out[i] = MAX_NODE_SCORE;
      else out[i] = Math.trunc((MAX_NODE_SCORE * (max + min - raw[i]!)) / max);
    });
  }

  private interPodScores(s: CycleState, feasible: NodeState[], out: number[]): void {
    const pod = s.pod;
    const topo = new Map<string, number>();
    let any = false;
    const add = (t: AffinityTerm, target: ParsedPod, labels: Record<string, string>, w: number): void => {
      if (!termMatchesPod(t, target) || !has(labels, t.topologyKey)) return;
      const k = pairKey(t.topologyKey, labels[t.topologyKey]!);
      topo.set(k, (topo.get(k) ?? 0) + w);
      any = true;
    };
    for (const ns of this.nodes) {
      const labels = ns.node.labels;
      for (const ep of ns.pods.values()) {
        for (const p of pod.preferredAffinity) add(p.term, ep, labels, p.weight);
        for (const p of pod.preferredAntiAffinity) add(p.term, ep, labels, -p.weight);
        for (const t of ep.requiredAffinity) add(t, pod, labels, 1);
        for (const p of ep.preferredAffinity) add(p.term, pod, labels, p.weight);
        for (const p of ep.preferredAntiAffinity) add(p.term, pod, labels, -p.weight);
      }
    }
    if (!any) return;
    const raw = feasible.map((ns) => {
      let score = 0;
      for (const [k, v] of Object.entries(ns.node.labels)) score += topo.get(pairKey(k, v)) ?? 0;
      return score;
    });
    let min = Infinity;
    let max = -Infinity;
    for (const r of raw) { if (r > max) max = r; if (r < min) min = r; }
    const diff = max - min;
    raw.forEach((r, i) => { out[i] = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((r - min) / diff)) : 0; });
  }

  // ---------------- the cycle ----------------

  schedule(obj: KubeObject, hints?: ScheduleHints): ScheduleResult {
    const pod = withSystemDefaultSpread(parsePod(obj), hints?.defaultSpreadSelector);
    const all = this.nodes.length;
    if (all === 0) return { node: null, evaluated: 0, feasible: 0, reasons: [] };
    const toFind = numFeasibleNodesToFind(this.config.percentageOfNodesToScore, all);
    const s = this.preFilter(pod);
    const feasible: NodeState[] = [];
    const counts = new Map<string, number>();
    let processed = 0;
    for (let i = 0; i < all && feasible.length < toFind; i++) {
      const ns = this.nodes[(this.nextStart + i) % all]!;
      processed++;
      const reasons = this.filter(s, ns);
      if (reasons.length === 0) feasible.push(ns);
      else for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    }
    this.nextStart = (this.nextStart + processed) % all;
    const reasons = [...counts].map(([reason, count]) => ({ reason, count }));
    if (feasible.length === 0) return { node: null, evaluated: processed, feasible: 0, reasons };
    if (feasible.length === 1) return { node: feasible[0]!.node.name, evaluated: processed, feasible: 1, reasons };
    const scores = this.score(s, feasible);
    let best = -1;
    let chosen = 0;
    let ties = 0;
    scores.forEach((ps, i) => {
      const total = weightedTotal(ps);
      if (total > best) { best = total; chosen = i; ties = 1; } else if (total === best) {
        ties++;
        this.rng = xorshift32(this.rng);
        if (this.rng % ties === 0) chosen = i;
      }
    });
    return { node: feasible[chosen]!.node.name, evaluated: processed, feasible: feasible.length, reasons };
  }

  explain(obj: KubeObject, hints?: ScheduleHints): NodeExplain[] {
    const pod = withSystemDefaultSpread(parsePod(obj), hints?.defaultSpreadSelector);
    const s = this.preFilter(pod);
    const reasons = this.nodes.map((ns) => this.filter(s, ns));
    const feasible = this.nodes.filter((_, i) => reasons[i]!.length === 0);
    const scores = this.score(s, feasible);
    let k = 0;
    return this.nodes.map((ns, i) => {
      if (reasons[i]!.length > 0) return { node: ns.node.name, reasons: reasons[i]!, scores: null, total: 0 };
      const ps = scores[k++]!;
      return { node: ns.node.name, reasons: [], scores: ps, total: weightedTotal(ps) };
    });
  }
}

export function weightedTotal(ps: PluginScores): number {
  let t = 0;
  SCORE_PLUGINS.forEach((p, i) => { t += ps[p] * SCORE_WEIGHTS[i]!; });
  return t;
}

export function createReferenceCore(config: SchedulerConfig | CoreOptions): ReferenceCore {
  return new ReferenceCore(config);
}
