/**
 * The WASM scheduler core: kube-scheduler's default plugins over a node table in linear memory.
 * Per cycle the JS↔WASM traffic is one query written into memory, one `schedule()` call, and a few output
 * words read back; node and pod events update the table in place (wasm/table.ts).
 * Caches that keep a cycle's work proportional to what changed: per-node match counts per selector and per
 * existing affinity term, resource scores per row until the row or the pod's requests change, node-affinity
 * results per affinity signature until the node changes.
 * Limits (clear errors, not silent): 12 distinct extended resources, 64 spread constraints or pod affinity
 * terms of one kind per pod.
 */
import type { KubeObject } from '../api/resource.js';
import type { FailureReason, ScheduleHints, ScheduleResult, SchedulerConfig } from './core.js';
import { parseNode } from './node-info.js';
import { PodIndex } from './pod-index.js';
import { parsePodCached as parsePod, type ParsedPod, withSystemDefaultSpread } from './pod-query.js';
import {
  type ExplainableCore, insufficientReason, type NodeExplain, numFeasibleNodesToFind, REASON,
  SCORE_PLUGINS, SCORE_WEIGHTS, seedState, taintReason,
} from './plugins.js';
import { type CoreOptions, rtcrShape, type ShapePoint } from './scoring.js';
import { EXPLAIN_STRIDE, H, NRES, OUT_INSUFFICIENT, OUT_REASONS, OUT_TOO_MANY, OUT_WORDS, R } from './wasm/layout.js';
import { instantiateScheduler, type SchedulerExports } from './wasm/loader.js';
import { LinearMemory } from './wasm/memory.js';
import { QueryEncoder } from './wasm/query.js';
import { NodeTable } from './wasm/table.js';

const STRATEGIES = { LeastAllocated: 0, MostAllocated: 1, RequestedToCapacityRatio: 2 } as const;

const CODE_REASON: Record<number, string> = {
  [R.UNSCHED]: REASON.unschedulable,
  [R.NODE_NAME]: REASON.nodeName,
  [R.AFFINITY]: REASON.nodeAffinity,
  [R.PORTS]: REASON.nodePorts,
  [R.SPREAD_LABEL]: REASON.spreadMissingLabel,
  [R.SPREAD]: REASON.spread,
  [R.POD_AFF]: REASON.affinity,
  [R.POD_ANTI]: REASON.antiAffinity,
  [R.EXISTING_ANTI]: REASON.existingAntiAffinity,
};

export class WasmCore implements ExplainableCore {
  private readonly mem: LinearMemory;
  private readonly table: NodeTable;
  private readonly encoder: QueryEncoder;
  private readonly pods = new PodIndex();
  private readonly shape: ShapePoint[];
  private queryPtr = 0;
  private queryWords = 0;
  private queryFPtr = 0;
  private queryFWords = 0;
  private scratchPtr = 0;
  private scratchBytes = 0;
  private nextStart = 0;
  /** JS→WASM calls made so far (schedule and rng), for the per-cycle crossing budget. */
  wasmCalls = 0;

  constructor(private readonly wasm: SchedulerExports, private readonly config: CoreOptions) {
    this.mem = new LinearMemory(wasm.memory, wasm.heapBase());
    this.table = new NodeTable(this.mem);
    this.encoder = new QueryEncoder(this.table);
    this.shape = rtcrShape(config);
    this.table.hset(H.OUT, this.mem.alloc(OUT_WORDS * 4));
    wasm.setRng(seedState(config.seed));
  }

  nodeCount(): number { return this.table.N; }

  upsertNode(obj: KubeObject): void {
    const node = parseNode(obj);
    const fresh = !this.table.index.has(node.name);
    this.table.upsertNode(node);
    if (fresh) for (const p of this.pods.onNode(node.name)) this.table.accountPod(p, 1);
  }

  removeNode(name: string): void {
    const row = this.table.index.get(name);
    if (row === undefined) return;
    for (const p of [...this.table.rows[row]!.pods.values()]) this.table.accountPod(p, -1);
    this.table.removeNode(name);
  }

  addPod(obj: KubeObject): void {
    const pod = parsePod(obj);
    if (pod.nodeName === '') return;
    this.removePod(obj);
    this.pods.add(pod);
    this.table.accountPod(pod, 1);
  }

  removePod(obj: KubeObject): void {
    const old = this.pods.remove(obj);
    if (!old) return;
    this.table.accountPod(old, -1);
  }

  /** Writes the query and scratch pointers, calls the core once, and returns the chosen row. */
  private run(pod: ParsedPod, explain: boolean): number {
    const n = this.table.N;
    const enc = this.encoder.encode(pod, {
      start: this.nextStart % Math.max(1, n),
      toFind: numFeasibleNodesToFind(this.config.percentageOfNodesToScore, n),
      strategy: STRATEGIES[this.config.scoringStrategy],
      shape: this.shape,
      explain,
    });
    if (enc.q.length > this.queryWords) { this.queryWords = 2 * enc.q.length; this.queryPtr = this.mem.alloc(this.queryWords * 4); }
    if (enc.qf.length > this.queryFWords) { this.queryFWords = 2 * enc.qf.length; this.queryFPtr = this.mem.alloc(this.queryFWords * 8); }
    if (enc.scratchBytes > this.scratchBytes) { this.scratchBytes = 2 * enc.scratchBytes; this.scratchPtr = this.mem.alloc(this.scratchBytes); }
    const m = this.mem;
    m.i32.set(enc.q, this.queryPtr >> 2);
    m.f64.set(enc.qf, this.queryFPtr >> 3);
    m.u8.set(this.encoder.taintBits(pod.tolerations), this.table.hget(H.TAINT_BITS));
    const t = this.table;
    t.hset(H.QUERY, this.queryPtr);
    t.hset(H.QUERY_F, this.queryFPtr);
    t.hset(H.SCRATCH, this.scratchPtr);
    this.wasmCalls++;
    return this.wasm.schedule(t.header);
  }

  schedule(obj: KubeObject, hints?: ScheduleHints): ScheduleResult {
    const pod = withSystemDefaultSpread(parsePod(obj), hints?.defaultSpreadSelector);
    const n = this.table.N;
    if (n === 0) return { node: null, evaluated: 0, feasible: 0, reasons: [] };
    const row = this.run(pod, false);
    const out = (this.table.hget(H.OUT) >> 2);
    const i32 = this.mem.i32;
    this.nextStart = i32[out + 3]!;
    const reasons: FailureReason[] = [];
    for (let code = 0; code <= R.EXISTING_ANTI; code++) {
      const c = i32[out + OUT_REASONS + code]!;
      if (c > 0 && CODE_REASON[code]) reasons.push({ reason: CODE_REASON[code]!, count: c });
    }
    const tooMany = i32[out + OUT_TOO_MANY]!;
    if (tooMany > 0) reasons.push({ reason: REASON.tooManyPods, count: tooMany });
    for (let s = 0; s < NRES; s++) {
      const c = i32[out + OUT_INSUFFICIENT + s]!;
      if (c > 0) reasons.push({ reason: insufficientReason(this.table.resources.names[s]!), count: c });
    }
    const tc = this.table.hget(H.TAINT_COUNT) >> 2;
    for (let id = 0; id < this.table.taints.size; id++) {
      const c = i32[tc + id]!;
      if (c > 0) {
        const d = this.table.taintDefs[id]!;
        reasons.push({ reason: taintReason(d.key, d.value), count: c });
      }
    }
    return {
      node: row >= 0 ? this.table.rows[row]!.node.name : null,
      evaluated: i32[out + 1]!,
      feasible: i32[out + 2]!,
      reasons: mergeReasons(reasons),
    };
  }

  explain(obj: KubeObject, hints?: ScheduleHints): NodeExplain[] {
    const pod = withSystemDefaultSpread(parsePod(obj), hints?.defaultSpreadSelector);
    const n = this.table.N;
    if (n === 0) return [];
    this.run(pod, true);
    const ex = this.table.hget(H.EXPLAIN) >> 2;
    const i32 = this.mem.i32;
    const out: NodeExplain[] = [];
    for (let row = 0; row < n; row++) {
      const b = ex + row * EXPLAIN_STRIDE;
      const code = i32[b]!;
      const name = this.table.rows[row]!.node.name;
      if (code === R.PASS) {
        const scores = {} as NodeExplain['scores'] & object;
        let total = 0;
        SCORE_PLUGINS.forEach((p, k) => { scores[p] = i32[b + 2 + k]!; total += scores[p] * SCORE_WEIGHTS[k]!; });
        out.push({ node: name, reasons: [], scores, total });
        continue;
      }
      let reasons: string[];
      if (code === R.TAINT) {
        const d = this.table.taintDefs[i32[b + 1]!]!;
        reasons = [taintReason(d.key, d.value)];
      } else if (code === R.FIT) {
        const mask = i32[b + 1]!;
        reasons = [];
        if (mask & 1) reasons.push(REASON.tooManyPods);
        for (let s = 0; s < NRES; s++) if (mask & (1 << (1 + s))) reasons.push(insufficientReason(this.table.resources.names[s]!));
      } else reasons = [CODE_REASON[code]!];
      out.push({ node: name, reasons, scores: null, total: 0 });
    }
    return out;
  }

  /** Bytes of linear memory in use (the table, arenas, query and scratch). */
  memoryBytes(): number { return this.mem.bytes(); }
}

/** Distinct taints can share a reason text (same key and value, different effect): add them up. */
function mergeReasons(rs: FailureReason[]): FailureReason[] {
  const m = new Map<string, number>();
  for (const r of rs) m.set(r.reason, (m.get(r.reason) ?? 0) + r.count);
  return [...m].map(([reason, count]) => ({ reason, count }));
}

export async function createWasmCore(config: SchedulerConfig | CoreOptions): Promise<WasmCore> {
  return new WasmCore(await instantiateScheduler(), config);
}
