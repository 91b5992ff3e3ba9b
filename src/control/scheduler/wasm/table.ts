/**
 * The node table in WASM linear memory, struct-of-arrays, kept current by node and pod events:
 * resource columns (allocatable, requested, non-zero requested), flags, label/taint/image/port slices,
 * topology domain columns (one per topology key a query has used) and count columns: per node, how many
 * bound pods match a selector an incoming pod used (spread, pod affinity) or carry a given affinity term
 * (existing pods' anti-affinity and preferences). Bind and delete touch one row and the columns' one cell
 * each, so a cycle never walks pods. Strings are interned here; the WASM side sees only integers.
 */
import type { ParsedNode } from '../node-info.js';
import {
  isScalarResource, LABEL_HOSTNAME, termMatchesPod, type AffinityTerm, type ParsedPod,
} from '../pod-query.js';
import { matchesLabels, parseIntLabel, selectorKey, type LabelSelector } from '../selector.js';
import { Arena } from './arena.js';
import { Interner } from './interner.js';
import { AFF_SLOTS, H, HEADER_WORDS, NRES, SLOT } from './layout.js';
import type { LinearMemory } from './memory.js';

/** A count column over "pods matching every conjunct" (spread selectors, incoming affinity terms). */
interface MatchColumn {
  kind: 'match';
  slot: number;
  conjuncts: { namespaces: string[] | null; selector: LabelSelector }[];
  excludeTerminating: boolean;
  lastUsed: number;
}
export type TermKind = 'anti' | 'aff' | 'prefAff' | 'prefAnti';
/** A count column over "pods carrying this term" (existing pods' affinity terms). */
export interface TermColumn {
  kind: 'term';
  slot: number;
  termKind: TermKind;
  term: AffinityTerm;
  weight: number;
  total: number;
}

interface Row {
  node: ParsedNode;
  pods: Map<string, ParsedPod>;
  imageIds: number[];
}

const PROTOCOLS: Record<string, number> = { TCP: 0, UDP: 1, SCTP: 2 };
const MAX_MATCH_COLUMNS = 512;

export class NodeTable {
  readonly header: number;
  C = 0;
  N = 0;
  rows: Row[] = [];
  readonly index = new Map<string, number>();
  readonly keys = new Interner();
  readonly values = new Interner();
  readonly images = new Interner();
  readonly taints = new Interner();
  readonly ips = new Interner(['0.0.0.0']);
  readonly resources = new Interner(['cpu', 'memory', 'ephemeral-storage', 'pods']);
  /** taint id → key, value, effect */
  readonly taintDefs: { key: string; value: string; effect: string }[] = [];
  /** topology key → slot; per slot, label value → domain index. */
  readonly topoSlots = new Map<string, number>();
  readonly domains: Map<string, number>[] = [];
  private T = 0;
  private S = 0;
  private readonly freeCols: number[] = [];
  readonly matchCols = new Map<string, MatchColumn>();
  readonly termCols = new Map<string, TermColumn>();
  private imageNodeCount: number[] = [];
  private valueNumCap = 0;
  private imageCap = 0;
  private taintCap = 0;
  private tick = 0;
  private readonly labels: Arena;
  private readonly taintArena: Arena;
  private readonly imageArena: Arena;
  private readonly ports: Arena;

  constructor(private readonly mem: LinearMemory, capacity = 1024) {
    this.header = mem.alloc(HEADER_WORDS * 4);
    this.allocColumns(capacity, 8, 32);
    const hp = (w: number): number => this.hget(w);
    this.labels = new Arena(mem, [4], 8 * capacity, () => ({ off: hp(H.LABEL_OFF), len: hp(H.LABEL_LEN) }));
    this.taintArena = new Arena(mem, [4], capacity, () => ({ off: hp(H.TAINT_OFF), len: hp(H.TAINT_LEN) }));
    this.imageArena = new Arena(mem, [4, 8], capacity, () => ({ off: hp(H.IMAGE_OFF), len: hp(H.IMAGE_LEN) }));
    this.ports = new Arena(mem, [4], 256, () => ({ off: hp(H.PORT_OFF), len: hp(H.PORT_LEN) }));
    this.publishArenas();
    this.ensureValueNum(256);
    this.ensureImages(64);
    this.ensureTaints(64);
  }

  hget(w: number): number { return this.mem.i32[(this.header >> 2) + w]!; }
  hset(w: number, v: number): void { this.mem.i32[(this.header >> 2) + w] = v; }

  private publishArenas(): void {
    this.hset(H.LABEL_ARENA, this.labels.ptrs[0]!);
    this.hset(H.TAINT_ARENA, this.taintArena.ptrs[0]!);
    this.hset(H.IMAGE_ID_ARENA, this.imageArena.ptrs[0]!);
    this.hset(H.IMAGE_SIZE_ARENA, this.imageArena.ptrs[1]!);
    this.hset(H.PORT_ARENA, this.ports.ptrs[0]!);
  }

  // ---------------- column storage ----------------

  private static readonly I32_COLS = [H.FLAGS, H.LABEL_OFF, H.LABEL_LEN, H.TAINT_OFF, H.TAINT_LEN, H.IMAGE_OFF, H.IMAGE_LEN, H.PORT_OFF, H.PORT_LEN];

  /** (Re)allocates every per-node column for capacity C, T topology slots and S count columns, copying rows. */
  private allocColumns(C: number, T: number, S: number): void {
    const old = this.C > 0 ? {
      C: this.C, T: this.T, S: this.S,
      ptr: (w: number) => this.hget(w),
    } : null;
    const n = this.N;
    const mem = this.mem;
    const next: Record<number, number> = {};
    next[H.ALLOC] = mem.alloc(NRES * C * 8);
    next[H.REQ] = mem.alloc(NRES * C * 8);
    next[H.NZCPU] = mem.alloc(C * 8);
    next[H.NZMEM] = mem.alloc(C * 8);
    for (const w of NodeTable.I32_COLS) next[w] = mem.alloc(C * 4);
    next[H.TOPO] = mem.alloc(T * C * 4);
    next[H.COLS] = mem.alloc(S * C * 4);
    next[H.EXPLAIN] = mem.alloc(9 * C * 4);
    next[H.SCORE_CACHE] = mem.alloc(2 * C * 8);
    next[H.DIRTY] = mem.alloc(C);
    next[H.AFF_CACHE] = mem.alloc(AFF_SLOTS * C); // all unknown after a relayout
    mem.u8.fill(1, next[H.DIRTY]!, next[H.DIRTY]! + C); // cached resource scores start invalid
    // A new topology slot column reads "no domain" (-1) until filled.
    mem.i32.fill(-1, next[H.TOPO]! >> 2, (next[H.TOPO]! >> 2) + T * C);
    if (old) {
      for (const w of [H.ALLOC, H.REQ]) {
        for (let s = 0; s < NRES; s++) mem.f64.copyWithin((next[w]! >> 3) + s * C, (old.ptr(w) >> 3) + s * old.C, (old.ptr(w) >> 3) + s * old.C + n);
      }
      for (const w of [H.NZCPU, H.NZMEM]) mem.f64.copyWithin(next[w]! >> 3, old.ptr(w) >> 3, (old.ptr(w) >> 3) + n);
      for (const w of NodeTable.I32_COLS) mem.i32.copyWithin(next[w]! >> 2, old.ptr(w) >> 2, (old.ptr(w) >> 2) + n);
      for (let s = 0; s < old.T; s++) mem.i32.copyWithin((next[H.TOPO]! >> 2) + s * C, (old.ptr(H.TOPO) >> 2) + s * old.C, (old.ptr(H.TOPO) >> 2) + s * old.C + n);
      for (let s = 0; s < old.S; s++) mem.i32.copyWithin((next[H.COLS]! >> 2) + s * C, (old.ptr(H.COLS) >> 2) + s * old.C, (old.ptr(H.COLS) >> 2) + s * old.C + n);
    }
    for (const [w, p] of Object.entries(next)) this.hset(Number(w), p);
    if (old && S > old.S) for (let s = old.S; s < S; s++) this.freeCols.push(s);
    if (!old) for (let s = S - 1; s >= 0; s--) this.freeCols.push(s);
    this.C = C;
    this.T = T;
    this.S = S;
    this.hset(H.C, C);
    const dom = mem.alloc(T * 4);
    if (old) mem.i32.copyWithin(dom >> 2, old.ptr(H.DOMAINS) >> 2, (old.ptr(H.DOMAINS) >> 2) + old.T);
    this.hset(H.DOMAINS, dom);
  }

  private ensureValueNum(n: number): void {
    if (n <= this.valueNumCap) return;
    const cap = Math.max(n, 2 * this.valueNumCap);
    const p = this.mem.alloc(cap * 8);
    if (this.valueNumCap > 0) this.mem.f64.copyWithin(p >> 3, this.hget(H.VALUE_NUM) >> 3, (this.hget(H.VALUE_NUM) >> 3) + this.valueNumCap);
    this.valueNumCap = cap;
    this.hset(H.VALUE_NUM, p);
  }

  private ensureImages(n: number): void {
    if (n <= this.imageCap) return;
    const cap = Math.max(n, 2 * this.imageCap);
    const p = this.mem.alloc(cap * 4);
    if (this.imageCap > 0) this.mem.i32.copyWithin(p >> 2, this.hget(H.IMAGE_NODES) >> 2, (this.hget(H.IMAGE_NODES) >> 2) + this.imageCap);
    this.imageCap = cap;
    this.hset(H.IMAGE_NODES, p);
  }

  /** Taint bits (query input, u8 per taint id) and taint failure counts (output, i32 per taint id). */
  ensureTaints(n: number): void {
    if (n <= this.taintCap) return;
    const cap = Math.max(n, 2 * this.taintCap);
    this.hset(H.TAINT_BITS, this.mem.alloc(cap));
    this.hset(H.TAINT_COUNT, this.mem.alloc(cap * 4));
    this.taintCap = cap;
  }

  private f64Col(w: number, slot = 0): number { return (this.hget(w) >> 3) + slot * this.C; }
  private i32Col(w: number, slot = 0): number { return (this.hget(w) >> 2) + slot * this.C; }

  /** The row's resource columns changed: its cached resource scores are stale. */
  private dirty(row: number): void { this.mem.u8[this.hget(H.DIRTY) + row] = 1; }

  /** The node in `row` changed (labels, name): forget its cached node-affinity results. */
  private forgetAffinity(row: number): void {
    const base = this.hget(H.AFF_CACHE);
    for (let s = 0; s < AFF_SLOTS; s++) this.mem.u8[base + s * this.C + row] = 0;
  }

  private readonly affSlots = new Map<string, number>();

  /** The cache slot for a node-affinity signature (nodeSelector + required terms), recycling the oldest. */
  affinitySlot(signature: string): number {
    let slot = this.affSlots.get(signature);
    if (slot !== undefined) {
      this.affSlots.delete(signature);
      this.affSlots.set(signature, slot); // most recently used last
      return slot;
    }
    if (this.affSlots.size < AFF_SLOTS) slot = this.affSlots.size;
    else {
      const [oldest, s] = this.affSlots.entries().next().value as [string, number];
      this.affSlots.delete(oldest);
      slot = s;
    }
    const base = this.hget(H.AFF_CACHE) + slot * this.C;
    this.mem.u8.fill(0, base, base + this.C);
    this.affSlots.set(signature, slot);
    return slot;
  }

  // ---------------- interning ----------------

  private labelValueId(v: string): number {
    const before = this.values.size;
    const id = this.values.intern(v);
    if (id >= before) {
      this.ensureValueNum(id + 1);
      this.mem.f64[(this.hget(H.VALUE_NUM) >> 3) + id] = parseIntLabel(v);
    }
    return id;
  }

  private taintId(key: string, value: string, effect: string): number {
    const before = this.taints.size;
    const id = this.taints.intern(`${key}\u0000${value}\u0000${effect}`);
    if (id >= before) { this.taintDefs.push({ key, value, effect }); this.ensureTaints(id + 1); }
    return id;
  }

  resourceSlot(name: string): number {
    const id = this.resources.intern(name);
    if (id >= NRES) throw new Error(`scheduler core: more than ${NRES - 4} distinct extended resources (at ${name})`);
    return id;
  }

  private isTracked(name: string): boolean {
    return name in SLOT || isScalarResource(name);
  }

  // ---------------- nodes ----------------

  upsertNode(node: ParsedNode): void {
    let row = this.index.get(node.name);
    const fresh = row === undefined;
    if (row === undefined) {
      if (this.N === this.C) this.allocColumns(2 * this.C, this.T, this.S);
      row = this.N++;
      this.hset(H.N, this.N);
      this.index.set(node.name, row);
      this.rows[row] = { node, pods: new Map(), imageIds: [] };
      // zero the row's requested and count cells (a removed row may have left values)
      for (let s = 0; s < NRES; s++) { this.mem.f64[this.f64Col(H.REQ, s) + row] = 0; }
      this.mem.f64[this.f64Col(H.NZCPU) + row] = 0;
      this.mem.f64[this.f64Col(H.NZMEM) + row] = 0;
      for (let s = 0; s < this.S; s++) this.mem.i32[this.i32Col(H.COLS, s) + row] = 0;
      this.mem.i32[this.i32Col(H.PORT_LEN) + row] = 0;
    }
    const r = this.rows[row]!;
    r.node = node;
    for (let s = 0; s < NRES; s++) this.mem.f64[this.f64Col(H.ALLOC, s) + row] = 0;
    for (const [name, v] of node.allocatable) {
      if (this.isTracked(name)) this.mem.f64[this.f64Col(H.ALLOC, this.resourceSlot(name)) + row] = v;
    }
    this.mem.i32[this.i32Col(H.FLAGS) + row] = node.unschedulable ? 1 : 0;
    this.dirty(row);
    this.forgetAffinity(row);
    const lbl: number[] = [];
    for (const [k, v] of Object.entries(node.labels)) lbl.push(this.keys.intern(k), this.labelValueId(v));
    this.labels.set(row, [lbl], lbl.length);
    const tt = node.taints.map((t) => this.taintId(t.key, t.value, t.effect));
    this.taintArena.set(row, [tt], tt.length);
    const touched = new Set(r.imageIds);
    for (const id of r.imageIds) this.imageNodeCount[id]!--;
    const ids: number[] = [];
    const sizes: number[] = [];
    for (const [name, size] of node.images) {
      const before = this.images.size;
      const id = this.images.intern(name);
      if (id >= before) { this.ensureImages(id + 1); this.imageNodeCount[id] = 0; }
      ids.push(id);
      sizes.push(size);
      this.imageNodeCount[id]!++;
    }
    r.imageIds = ids;
    this.imageArena.set(row, [ids, sizes], ids.length);
    for (const id of ids) touched.add(id);
    for (const id of touched) this.mem.i32[(this.hget(H.IMAGE_NODES) >> 2) + id] = this.imageNodeCount[id]!;
    for (const [key, slot] of this.topoSlots) this.fillTopo(slot, key, row);
    if (fresh) this.publishArenas();
    this.publishArenas();
  }

  removeNode(name: string): ParsedPod[] {
    const row = this.index.get(name);
    if (row === undefined) return [];
    const r = this.rows[row]!;
    for (const id of r.imageIds) {
      this.imageNodeCount[id]!--;
      this.mem.i32[(this.hget(H.IMAGE_NODES) >> 2) + id] = this.imageNodeCount[id]!;
    }
    const orphans = [...r.pods.values()];
    const last = this.N - 1;
    if (row !== last) this.moveRow(last, row);
    this.index.delete(name);
    this.rows.pop();
    this.N--;
    this.hset(H.N, this.N);
    this.labels.clearRow(last);
    this.taintArena.clearRow(last);
    this.imageArena.clearRow(last);
    this.ports.clearRow(last);
    // Pods on a removed node stop counting in columns (they are no longer on any node of the table).
    return orphans;
  }

  /** Swap-remove: the last row moves into `to` (node order matches the reference core's). */
  private moveRow(from: number, to: number): void {
    const m = this.mem;
    for (const w of [H.ALLOC, H.REQ]) for (let s = 0; s < NRES; s++) m.f64[this.f64Col(w, s) + to] = m.f64[this.f64Col(w, s) + from]!;
    for (const w of [H.NZCPU, H.NZMEM]) m.f64[this.f64Col(w) + to] = m.f64[this.f64Col(w) + from]!;
    for (const w of NodeTable.I32_COLS) m.i32[this.i32Col(w) + to] = m.i32[this.i32Col(w) + from]!;
    for (let s = 0; s < this.T; s++) m.i32[this.i32Col(H.TOPO, s) + to] = m.i32[this.i32Col(H.TOPO, s) + from]!;
    for (let s = 0; s < this.S; s++) m.i32[this.i32Col(H.COLS, s) + to] = m.i32[this.i32Col(H.COLS, s) + from]!;
    this.dirty(to);
    this.forgetAffinity(to);
    this.labels.moveRow(from, to);
    this.taintArena.moveRow(from, to);
    this.imageArena.moveRow(from, to);
    this.ports.moveRow(from, to);
    this.rows[to] = this.rows[from]!;
    this.index.set(this.rows[to]!.node.name, to);
  }

  // ---------------- topology slots ----------------

  topoSlot(key: string): number {
    let slot = this.topoSlots.get(key);
    if (slot !== undefined) return slot;
    slot = this.topoSlots.size;
    if (slot >= this.T) this.allocColumns(this.C, 2 * this.T, this.S);
    this.topoSlots.set(key, slot);
    this.domains[slot] = new Map();
    for (let row = 0; row < this.N; row++) this.fillTopo(slot, key, row);
    return slot;
  }

  private fillTopo(slot: number, key: string, row: number): void {
    const labels = this.rows[row]!.node.labels;
    let d = -1;
    if (Object.prototype.hasOwnProperty.call(labels, key)) d = this.domainIndex(slot, labels[key]!);
    this.mem.i32[this.i32Col(H.TOPO, slot) + row] = d;
  }

  domainIndex(slot: number, value: string): number {
    const m = this.domains[slot]!;
    let d = m.get(value);
    if (d === undefined) {
      d = m.size;
      m.set(value, d);
      this.mem.i32[(this.hget(H.DOMAINS) >> 2) + slot] = m.size;
    }
    return d;
  }

  domainCount(slot: number): number { return this.domains[slot]!.size; }

  // ---------------- count columns ----------------

  private takeColumn(): number {
    if (this.freeCols.length === 0) {
      if (this.matchCols.size >= MAX_MATCH_COLUMNS) this.evictMatchColumn();
      else this.allocColumns(this.C, this.T, 2 * this.S);
    }
    const slot = this.freeCols.pop()!;
    this.mem.i32.fill(0, this.i32Col(H.COLS, slot), this.i32Col(H.COLS, slot) + this.C);
    return slot;
  }

  private evictMatchColumn(): void {
    let victim: [string, MatchColumn] | null = null;
    for (const e of this.matchCols) if (!victim || e[1].lastUsed < victim[1].lastUsed) victim = e;
    if (!victim) throw new Error('scheduler core: out of count columns');
    this.matchCols.delete(victim[0]);
    this.freeCols.push(victim[1].slot);
  }

  private static matchesAll(c: MatchColumn, pod: ParsedPod): boolean {
    if (c.excludeTerminating && pod.terminating) return false;
    for (const k of c.conjuncts) {
      if (k.namespaces !== null && !k.namespaces.includes(pod.namespace)) return false;
      if (!matchesLabels(k.selector, pod.labels)) return false;
    }
    return true;
  }

  /** The column counting, per node, bound pods that match every conjunct; built on first use, then kept current. */
  matchColumn(conjuncts: { namespaces: string[] | null; selector: LabelSelector }[], excludeTerminating: boolean): number {
    const key = (excludeTerminating ? 'T' : 'A') + conjuncts
      .map((c) => `${c.namespaces === null ? '*' : c.namespaces.join(',')}\u0004${selectorKey(c.selector)}`).join('\u0005');
    let c = this.matchCols.get(key);
    if (!c) {
      const slot = this.takeColumn();
      c = { kind: 'match', slot, conjuncts, excludeTerminating, lastUsed: 0 };
      const base = this.i32Col(H.COLS, slot);
      for (let row = 0; row < this.N; row++) {
        let n = 0;
        for (const p of this.rows[row]!.pods.values()) if (NodeTable.matchesAll(c, p)) n++;
        this.mem.i32[base + row] = n;
      }
      this.matchCols.set(key, c);
    }
    c.lastUsed = ++this.tick;
    return c.slot;
  }

  private termKeys(pod: ParsedPod): { key: string; kind: TermKind; term: AffinityTerm; weight: number }[] {
    const out: { key: string; kind: TermKind; term: AffinityTerm; weight: number }[] = [];
    const k = (kind: TermKind, t: AffinityTerm, w: number): void => {
      out.push({
        key: `${kind}\u0004${w}\u0004${t.topologyKey}\u0004${t.namespaces === null ? '*' : t.namespaces.join(',')}\u0004${selectorKey(t.selector)}`,
        kind, term: t, weight: w,
      });
    };
    for (const t of pod.requiredAntiAffinity) k('anti', t, 1);
    for (const t of pod.requiredAffinity) k('aff', t, 1);
    for (const p of pod.preferredAffinity) k('prefAff', p.term, p.weight);
    for (const p of pod.preferredAntiAffinity) k('prefAnti', p.term, p.weight);
    return out;
  }

  // ---------------- pods ----------------

  /** Accounts a bound pod on its node's row (sign 1) or removes it (sign -1). */
  accountPod(pod: ParsedPod, sign: 1 | -1): void {
    const row = this.index.get(pod.nodeName);
    if (row === undefined) return;
    const r = this.rows[row]!;
    if (sign > 0) r.pods.set(pod.key, pod); else r.pods.delete(pod.key);
    const m = this.mem;
    for (const [name, v] of pod.requests) {
      if (!this.isTracked(name) || name === 'pods') continue;
      m.f64[this.f64Col(H.REQ, this.resourceSlot(name)) + row] += sign * v;
    }
    m.f64[this.f64Col(H.REQ, SLOT.pods) + row] = r.pods.size;
    m.f64[this.f64Col(H.NZCPU) + row] += sign * pod.nonZeroCpu;
    m.f64[this.f64Col(H.NZMEM) + row] += sign * pod.nonZeroMem;
    this.dirty(row);
    if (pod.hostPorts.length > 0) this.writePorts(row);
    for (const c of this.matchCols.values()) {
      if (NodeTable.matchesAll(c, pod)) m.i32[this.i32Col(H.COLS, c.slot) + row] += sign;
    }
    for (const t of this.termKeys(pod)) {
      let c = this.termCols.get(t.key);
      if (!c) {
        if (sign < 0) continue;
        c = { kind: 'term', slot: this.takeColumn(), termKind: t.kind, term: t.term, weight: t.weight, total: 0 };
        this.termCols.set(t.key, c);
      }
      m.i32[this.i32Col(H.COLS, c.slot) + row] += sign;
      c.total += sign;
      if (c.total === 0) { this.termCols.delete(t.key); this.freeCols.push(c.slot); }
    }
  }

  private writePorts(row: number): void {
    const data: number[] = [];
    for (const p of this.rows[row]!.pods.values()) {
      for (const hp of p.hostPorts) data.push(this.portCode(hp.port, hp.protocol, true), this.ips.intern(hp.ip));
    }
    this.ports.set(row, [data], data.length);
    this.publishArenas();
  }

  portCode(port: number, protocol: string, create: boolean): number {
    let proto = PROTOCOLS[protocol];
    if (proto === undefined) proto = 3 + (create ? this.ips.intern(`proto:${protocol}`) : this.ips.lookup(`proto:${protocol}`, 1 << 12));
    return port | (proto << 16);
  }

  /** Which existing-pod term columns select `pod` (evaluated per cycle; there are few distinct terms). */
  *matchingTerms(pod: ParsedPod): Generator<TermColumn> {
    for (const c of this.termCols.values()) if (termMatchesPod(c.term, pod)) yield c;
  }

  isHostname(key: string): boolean { return key === LABEL_HOSTNAME; }
  get topoCapacity(): number { return this.T; }
  get memory(): LinearMemory { return this.mem; }
}
