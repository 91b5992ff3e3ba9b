// The scheduler's filter and score plugins over a node table in linear memory (struct-of-arrays).
// The TypeScript bridge (src/control/scheduler/wasm) owns the layout: it writes a header of column pointers,
// keeps the columns up to date on node and pod events, and writes one compact pod query per cycle. One
// `schedule()` call then runs every filter and score plugin and writes the decision and the per-reason
// failure counts. Arithmetic mirrors kube-scheduler's plugins; the plain-TypeScript reference
// (src/control/scheduler/reference) performs the same float operations in the same order, so both agree
// bit for bit. No allocation happens here: the stub runtime is never used.

// ---- header slots (i32 words at the header pointer); keep in sync with src/control/scheduler/wasm/layout.ts ----
const H_N: i32 = 0;
const H_C: i32 = 1;
const H_ALLOC: i32 = 3;
const H_REQ: i32 = 4;
const H_NZCPU: i32 = 5;
const H_NZMEM: i32 = 6;
const H_FLAGS: i32 = 7;
const H_LABEL_OFF: i32 = 8;
const H_LABEL_LEN: i32 = 9;
const H_LABEL_ARENA: i32 = 10;
const H_TAINT_OFF: i32 = 11;
const H_TAINT_LEN: i32 = 12;
const H_TAINT_ARENA: i32 = 13;
const H_IMAGE_OFF: i32 = 14;
const H_IMAGE_LEN: i32 = 15;
const H_IMAGE_ID_ARENA: i32 = 16;
const H_IMAGE_SIZE_ARENA: i32 = 17;
const H_PORT_OFF: i32 = 18;
const H_PORT_LEN: i32 = 19;
const H_PORT_ARENA: i32 = 20;
const H_TOPO: i32 = 21;
const H_COLS: i32 = 23;
const H_VALUE_NUM: i32 = 25;
const H_IMAGE_NODES: i32 = 26;
const H_TAINT_BITS: i32 = 27;
const H_QUERY: i32 = 29;
const H_QUERY_F: i32 = 30;
const H_OUT: i32 = 31;
const H_SCRATCH: i32 = 32;
const H_TAINT_COUNT: i32 = 34;
const H_EXPLAIN: i32 = 35;
const H_DOMAINS: i32 = 36;
const H_SCORE_CACHE: i32 = 37;
const H_DIRTY: i32 = 38;
const H_AFF_CACHE: i32 = 39;

// ---- query flags ----
const F_TOL_UNSCHED: i32 = 1;
const F_NODE_NAME: i32 = 2;
const F_BEST_EFFORT: i32 = 4;
const F_EXPLAIN: i32 = 8;
const F_ANY_REQUEST: i32 = 16;
const F_OWN_AFFINITY: i32 = 32;
const F_REQUIRE_ALL: i32 = 64;
const F_HAS_REQUIRED: i32 = 128;
const F_HAS_SELECTOR: i32 = 256;

// ---- reason codes (out[4 + code]) ----
const R_UNSCHED: i32 = 0;
const R_NODE_NAME: i32 = 1;
const R_TAINT: i32 = 2;
const R_AFFINITY: i32 = 3;
const R_PORTS: i32 = 4;
const R_FIT: i32 = 5;
const R_SPREAD_LABEL: i32 = 6;
const R_SPREAD: i32 = 7;
const R_POD_AFF: i32 = 8;
const R_POD_ANTI: i32 = 9;
const R_EXISTING_ANTI: i32 = 10;
const R_PASS: i32 = 99;
const OUT_REASONS: i32 = 4;
const OUT_INSUFFICIENT: i32 = 20;
const OUT_TOO_MANY: i32 = 36;
const NRES: i32 = 16;
const SLOT_CPU: i32 = 0;
const SLOT_MEM: i32 = 1;
const SLOT_PODS: i32 = 3;
const EXPLAIN_STRIDE: i32 = 9;

const MAX_SCORE: f64 = 100.0;
const MB: f64 = 1048576.0;

// Math.log from the host: the spread plugin's normalising weight must match the reference's Math.log exactly.
@external("env", "log")
declare function hostLog(x: f64): f64;

let hdr: usize = 0;
let N: i32 = 0;
let C: i32 = 0;
let pAlloc: usize = 0;
let pReq: usize = 0;
let pNzCpu: usize = 0;
let pNzMem: usize = 0;
let pFlags: usize = 0;
let pLabelOff: usize = 0;
let pLabelLen: usize = 0;
let pLabels: usize = 0;
let pTaintOff: usize = 0;
let pTaintLen: usize = 0;
let pTaints: usize = 0;
let pImageOff: usize = 0;
let pImageLen: usize = 0;
let pImageIds: usize = 0;
let pImageSizes: usize = 0;
let pPortOff: usize = 0;
let pPortLen: usize = 0;
let pPorts: usize = 0;
let pTopo: usize = 0;
let pCols: usize = 0;
let pValueNum: usize = 0;
let pImageNodes: usize = 0;
let pTaintBits: usize = 0;
let pQ: usize = 0;
let pQF: usize = 0;
let pOut: usize = 0;
let pTaintCount: usize = 0;
let pExplain: usize = 0;
let pDomains: usize = 0;
let pScoreCache: usize = 0; // f64 [2][C]: NodeResourcesFit and BalancedAllocation raw scores
let pDirty: usize = 0; // u8 per row: set by the bridge when a row's resources change
// The request signature the cached scores were computed for.
let sigNzCpu: f64 = -1;
let sigNzMem: f64 = -1;
let sigCpu: f64 = -1;
let sigMem: f64 = -1;
let scratch: usize = 0;
let rng: u32 = 1;

// query sections (word indices into the query)
let flags: i32 = 0;
let qSel: i32 = 0;
let qReq: i32 = 0;
let qPref: i32 = 0;
let qPorts: i32 = 0;
let qImages: i32 = 0;
let qHard: i32 = 0;
let qSoft: i32 = 0;
let qAff: i32 = 0;
let qAnti: i32 = 0;
let qExAnti: i32 = 0;
let qInter: i32 = 0;
let qRes: i32 = 0;

// per-cycle scratch arrays
// u8 per row: 0 unknown, 1 match, 2 no match. Either a per-cycle scratch array or, when the bridge gives the
// query's node-affinity signature a cache slot (q[9] >= 0), a column kept across cycles: the bridge resets a
// row's cells whenever that node changes, so each node is matched once per distinct affinity.
let sAffCache: usize = 0;
let sFitBits: usize = 0; // u8 per row from the SIMD pass
let sFeasible: usize = 0; // i32 rows
let sRaw: usize = 0; // f64 [7][C] raw then normalised scores per feasible index
let sHardDom: usize = 0; // i32 domain counts, per hard constraint
let sHardMin: usize = 0; // i32 per hard constraint
let sAffDom: usize = 0; // i32 domain sums for required affinity terms
let sAntiDom: usize = 0;
let sExAntiDom: usize = 0;
let sSoftDom: usize = 0; // f64 domain sums per soft constraint (-1 = no candidate node in the domain)
let sInterDom: usize = 0; // f64 domain sums per inter-pod score term
let sIgnored: usize = 0; // u8 per feasible index
let affinityTotal: i32 = 0;

@inline function hget(i: i32): i32 { return load<i32>(hdr + (<usize>i << 2)); }
@inline function q(i: i32): i32 { return load<i32>(pQ + (<usize>i << 2)); }
@inline function qf(i: i32): f64 { return load<f64>(pQF + (<usize>i << 3)); }
@inline function i32At(base: usize, i: i32): i32 { return load<i32>(base + (<usize>i << 2)); }
@inline function setI32(base: usize, i: i32, v: i32): void { store<i32>(base + (<usize>i << 2), v); }
@inline function f64At(base: usize, i: i32): f64 { return load<f64>(base + (<usize>i << 3)); }
@inline function setF64(base: usize, i: i32, v: f64): void { store<f64>(base + (<usize>i << 3), v); }
@inline function alloc(slot: i32, row: i32): f64 { return f64At(pAlloc, slot * C + row); }
@inline function req(slot: i32, row: i32): f64 { return f64At(pReq, slot * C + row); }
@inline function topo(slot: i32, row: i32): i32 { return i32At(pTopo, slot * C + row); }
@inline function col(c: i32, row: i32): i32 { return i32At(pCols, c * C + row); }
@inline function outAdd(i: i32, v: i32): void { setI32(pOut, i, i32At(pOut, i) + v); }

function bump(bytes: i32): usize {
  const p = scratch;
  scratch += (<usize>bytes + 15) & ~(<usize>15);
  return p;
}

export function heapBase(): usize { return __heap_base; }
export function setRng(state: u32): void { rng = state; }
export function getRng(): u32 { return rng; }

function readHeader(h: usize): void {
  hdr = h;
  N = hget(H_N);
  C = hget(H_C);
  pAlloc = <usize>hget(H_ALLOC);
  pReq = <usize>hget(H_REQ);
  pNzCpu = <usize>hget(H_NZCPU);
  pNzMem = <usize>hget(H_NZMEM);
  pFlags = <usize>hget(H_FLAGS);
  pLabelOff = <usize>hget(H_LABEL_OFF);
  pLabelLen = <usize>hget(H_LABEL_LEN);
  pLabels = <usize>hget(H_LABEL_ARENA);
  pTaintOff = <usize>hget(H_TAINT_OFF);
  pTaintLen = <usize>hget(H_TAINT_LEN);
  pTaints = <usize>hget(H_TAINT_ARENA);
  pImageOff = <usize>hget(H_IMAGE_OFF);
  pImageLen = <usize>hget(H_IMAGE_LEN);
  pImageIds = <usize>hget(H_IMAGE_ID_ARENA);
  pImageSizes = <usize>hget(H_IMAGE_SIZE_ARENA);
  pPortOff = <usize>hget(H_PORT_OFF);
  pPortLen = <usize>hget(H_PORT_LEN);
  pPorts = <usize>hget(H_PORT_ARENA);
  pTopo = <usize>hget(H_TOPO);
  pCols = <usize>hget(H_COLS);
  pValueNum = <usize>hget(H_VALUE_NUM);
  pImageNodes = <usize>hget(H_IMAGE_NODES);
  pTaintBits = <usize>hget(H_TAINT_BITS);
  pQ = <usize>hget(H_QUERY);
  pQF = <usize>hget(H_QUERY_F);
  pOut = <usize>hget(H_OUT);
  scratch = <usize>hget(H_SCRATCH);
  pTaintCount = <usize>hget(H_TAINT_COUNT);
  pExplain = <usize>hget(H_EXPLAIN);
  pDomains = <usize>hget(H_DOMAINS);
  pScoreCache = <usize>hget(H_SCORE_CACHE);
  pDirty = <usize>hget(H_DIRTY);
}

// ---- query section walking ----

/** Skips one encoded node selector term starting at word i; returns the index after it. */
function skipTerm(i: i32): i32 {
  const nExpr = q(i + 1);
  i += 2;
  for (let e = 0; e < nExpr; e++) i += 4 + q(i + 3);
  return i;
}

function indexQuery(): void {
  flags = q(0);
  let i = 16;
  qRes = i; i += 1 + q(i);
  qSel = i; i += 1 + 2 * q(i);
  qReq = i;
  { const n = q(i); i++; for (let t = 0; t < n; t++) i = skipTerm(i); }
  qPref = i;
  { const n = q(i); i++; for (let t = 0; t < n; t++) i = skipTerm(i + 1); }
  qPorts = i; i += 1 + 2 * q(i);
  qImages = i; i += 1 + q(i);
  qHard = i; i += 1 + 7 * q(i);
  qSoft = i; i += 1 + 7 * q(i);
  qAff = i; i += 2 + q(i);
  qAnti = i; i += 1 + 2 * q(i);
  qExAnti = i; i += 1 + 2 * q(i);
  qInter = i; i += 1 + 3 * q(i);
}

// ---- node affinity ----

/** The label value id of `key` on the node, or -1. */
@inline function labelValue(row: i32, key: i32): i32 {
  const off = i32At(pLabelOff, row);
  const len = i32At(pLabelLen, row);
  // the slice holds (key id, value id) pairs; len counts i32 elements
  for (let j = 0; j < len; j += 2) {
    if (i32At(pLabels, off + j) == key) return i32At(pLabels, off + j + 1);
  }
  return -1;
}

function termMatches(i: i32, row: i32): bool {
  if (q(i) == 0) return false; // invalid or empty term
  const nExpr = q(i + 1);
  i += 2;
  for (let e = 0; e < nExpr; e++) {
    const kind = q(i);
    const key = q(i + 1);
    const op = q(i + 2);
    const nv = q(i + 3);
    const vals = i + 4;
    i += 4 + nv;
    if (kind == 1) { // metadata.name: values are node rows
      let found = false;
      for (let k = 0; k < nv; k++) if (q(vals + k) == row) { found = true; break; }
      if (op == 0 ? !found : found) return false;
      continue;
    }
    const v = labelValue(row, key);
    if (op == 0 || op == 1) { // In, NotIn
      let found = false;
      if (v >= 0) for (let k = 0; k < nv; k++) if (q(vals + k) == v) { found = true; break; }
      if (op == 0 ? !found : found) return false;
    } else if (op == 2) { // Exists
      if (v < 0) return false;
    } else if (op == 3) { // DoesNotExist
      if (v >= 0) return false;
    } else { // Gt (4) / Lt (5): the bound sits in the f64 area
      if (v < 0) return false;
      const n = f64At(pValueNum, v);
      if (isNaN(n)) return false;
      const bound = qf(q(vals));
      if (op == 4 ? !(n > bound) : !(n < bound)) return false;
    }
  }
  return true;
}

function requiredAffinityMatches(row: i32): bool {
  if (!(flags & (F_HAS_SELECTOR | F_HAS_REQUIRED))) return true;
  const c = load<u8>(sAffCache + <usize>row);
  if (c != 0) return c == 1;
  let ok = true;
  if (flags & F_HAS_SELECTOR) {
    const n = q(qSel);
    for (let k = 0; k < n; k++) {
      if (labelValue(row, q(qSel + 1 + 2 * k)) != q(qSel + 2 + 2 * k)) { ok = false; break; }
    }
  }
  if (ok && (flags & F_HAS_REQUIRED)) {
    const n = q(qReq);
    let i = qReq + 1;
    let any = false;
    for (let t = 0; t < n; t++) {
      if (termMatches(i, row)) { any = true; break; }
      i = skipTerm(i);
    }
    ok = any;
  }
  store<u8>(sAffCache + <usize>row, ok ? 1 : 2);
  return ok;
}

// ---- taints ----

/** The first NoSchedule/NoExecute taint the pod does not tolerate, or -1. */
@inline function untoleratedTaint(row: i32): i32 {
  const off = i32At(pTaintOff, row);
  const len = i32At(pTaintLen, row);
  for (let j = 0; j < len; j++) {
    const t = i32At(pTaints, off + j);
    if (load<u8>(pTaintBits + <usize>t) & 1) return t;
  }
  return -1;
}

@inline function inclusion(row: i32, honorAff: i32, honorTaint: i32): bool {
  if (honorAff && !requiredAffinityMatches(row)) return false;
  if (honorTaint && untoleratedTaint(row) >= 0) return false;
  return true;
}

// ---- PreFilter: spread and inter-pod affinity domain counts over every node ----

function preFilter(): void {
  const nHard = q(qHard);
  if (nHard > 0) {
    for (let c = 0; c < nHard; c++) {
      const b = qHard + 1 + 7 * c;
      const slot = q(b);
      const d = i32At(pDomains, slot);
      const dom = bump(d * 4);
      memory.fill(dom, 0xff, <usize>d * 4); // -1 = domain not seen
      setI32(sHardDom, c, <i32>dom);
    }
    for (let row = 0; row < N; row++) {
      let all = true;
      for (let c = 0; c < nHard; c++) if (topo(q(qHard + 1 + 7 * c), row) < 0) { all = false; break; }
      if (!all) continue;
      for (let c = 0; c < nHard; c++) {
        const b = qHard + 1 + 7 * c;
        if (!inclusion(row, q(b + 5), q(b + 6))) continue;
        const dom = <usize>i32At(sHardDom, c);
        const di = topo(q(b), row);
        const cc = q(b + 1);
        const cnt = cc >= 0 ? col(cc, row) : 0;
        const prev = i32At(dom, di);
        setI32(dom, di, (prev < 0 ? 0 : prev) + cnt);
      }
    }
    for (let c = 0; c < nHard; c++) {
      const b = qHard + 1 + 7 * c;
      const d = i32At(pDomains, q(b));
      const dom = <usize>i32At(sHardDom, c);
      let seen = 0;
      let min = i32.MAX_VALUE;
      for (let k = 0; k < d; k++) {
        const v = i32At(dom, k);
        if (v < 0) continue;
        seen++;
        if (v < min) min = v;
      }
      setI32(sHardMin, c, (seen < q(b + 3) || seen == 0) ? 0 : min);
    }
  }
  // Required affinity: one column counts pods matching every term; each term sums it per domain of its key.
  affinityTotal = 0;
  const nAff = q(qAff);
  if (nAff > 0) {
    const cc = q(qAff + 1);
    for (let t = 0; t < nAff; t++) {
      const slot = q(qAff + 2 + t);
      const dom = sumDomains(slot, cc);
      setI32(sAffDom, t, <i32>dom);
    }
  }
  const affTotal = affinityTotal;
  const nAnti = q(qAnti);
  for (let t = 0; t < nAnti; t++) {
    setI32(sAntiDom, t, <i32>sumDomains(q(qAnti + 1 + 2 * t), q(qAnti + 2 + 2 * t)));
  }
  const nEx = q(qExAnti);
  for (let t = 0; t < nEx; t++) {
    setI32(sExAntiDom, t, <i32>sumDomains(q(qExAnti + 1 + 2 * t), q(qExAnti + 2 + 2 * t)));
  }
  affinityTotal = affTotal; // only the affinity terms' sums decide "no matching pod anywhere"
}

/** Per-domain sums of a count column over every node that has the slot's key; adds to affinityTotal. */
function sumDomains(slot: i32, cc: i32): usize {
  const d = i32At(pDomains, slot);
  const dom = bump(d * 4);
  memory.fill(dom, 0, <usize>d * 4);
  for (let row = 0; row < N; row++) {
    const di = topo(slot, row);
    if (di < 0) continue;
    const v = col(cc, row);
    if (v != 0) { setI32(dom, di, i32At(dom, di) + v); affinityTotal += v; }
  }
  return dom;
}

// ---- SIMD resource pre-pass: cpu, memory and pod count over two nodes per v128 ----

function fitPrepass(): void {
  const podCpu = qf(SLOT_CPU);
  const podMem = qf(SLOT_MEM);
  const vCpu = f64x2.splat(podCpu);
  const vMem = f64x2.splat(podMem);
  const one = f64x2.splat(1.0);
  const cpuOn = podCpu > 0 && (flags & F_ANY_REQUEST) ? 1 : 0;
  const memOn = podMem > 0 && (flags & F_ANY_REQUEST) ? 1 : 0;
  const aCpu = pAlloc + (<usize>(SLOT_CPU * C) << 3);
  const rCpu = pReq + (<usize>(SLOT_CPU * C) << 3);
  const aMem = pAlloc + (<usize>(SLOT_MEM * C) << 3);
  const rMem = pReq + (<usize>(SLOT_MEM * C) << 3);
  const aPods = pAlloc + (<usize>(SLOT_PODS * C) << 3);
  const rPods = pReq + (<usize>(SLOT_PODS * C) << 3);
  let row = 0;
  for (; row + 1 < N; row += 2) {
    const o = <usize>row << 3;
    const pods = f64x2.gt(f64x2.add(v128.load(rPods + o), one), v128.load(aPods + o));
    const cpu = f64x2.gt(vCpu, f64x2.sub(v128.load(aCpu + o), v128.load(rCpu + o)));
    const mem = f64x2.gt(vMem, f64x2.sub(v128.load(aMem + o), v128.load(rMem + o)));
    const mp = i64x2.bitmask(pods);
    const mc = i64x2.bitmask(cpu) * cpuOn;
    const mm = i64x2.bitmask(mem) * memOn;
    store<u8>(sFitBits + <usize>row, (mp & 1) | ((mc & 1) << 1) | ((mm & 1) << 2));
    store<u8>(sFitBits + <usize>row + 1, ((mp >> 1) & 1) | (((mc >> 1) & 1) << 1) | (((mm >> 1) & 1) << 2));
  }
  for (; row < N; row++) {
    let b = 0;
    if (req(SLOT_PODS, row) + 1 > alloc(SLOT_PODS, row)) b |= 1;
    if (cpuOn && podCpu > alloc(SLOT_CPU, row) - req(SLOT_CPU, row)) b |= 2;
    if (memOn && podMem > alloc(SLOT_MEM, row) - req(SLOT_MEM, row)) b |= 4;
    store<u8>(sFitBits + <usize>row, <u8>b);
  }
}

// ---- Filter ----

/** Runs the filters in the default profile's order; returns R_PASS or the first failing plugin's code. */
function filter(row: i32, count: bool): i32 {
  if ((load<i32>(pFlags + (<usize>row << 2)) & 1) && !(flags & F_TOL_UNSCHED)) return R_UNSCHED;
  if ((flags & F_NODE_NAME) && q(1) != row) return R_NODE_NAME;
  const t = untoleratedTaint(row);
  if (t >= 0) {
    if (count) setI32(pTaintCount, t, i32At(pTaintCount, t) + 1);
    if (flags & F_EXPLAIN) setI32(pExplain, row * EXPLAIN_STRIDE + 1, t);
    return R_TAINT;
  }
  if (!requiredAffinityMatches(row)) return R_AFFINITY;
  if (q(qPorts) > 0 && portConflict(row)) return R_PORTS;
  // NodeResourcesFit: every insufficient resource counts.
  const fb = <i32>load<u8>(sFitBits + <usize>row);
  let fitMask = fb & 1;
  if (flags & F_ANY_REQUEST) {
    if (fb & 2) fitMask |= 1 << (1 + SLOT_CPU);
    if (fb & 4) fitMask |= 1 << (1 + SLOT_MEM);
    const nr = q(qRes);
    for (let k = 0; k < nr; k++) {
      const slot = q(qRes + 1 + k);
      if (slot == SLOT_CPU || slot == SLOT_MEM) continue;
      const r = qf(slot);
      if (r != 0 && r > alloc(slot, row) - req(slot, row)) fitMask |= 1 << (1 + slot);
    }
  }
  if (fitMask != 0) {
    if (count) {
      if (fitMask & 1) outAdd(OUT_TOO_MANY, 1);
      for (let s = 0; s < NRES; s++) if (fitMask & (1 << (1 + s))) outAdd(OUT_INSUFFICIENT + s, 1);
    }
    if (flags & F_EXPLAIN) setI32(pExplain, row * EXPLAIN_STRIDE + 1, fitMask);
    return R_FIT;
  }
  return podLevelFilters(row);
}

/** PodTopologySpread and InterPodAffinity filters (after the node-level ones), in the profile's order. */
function podLevelFilters(row: i32): i32 {
  const nHard = q(qHard);
  for (let c = 0; c < nHard; c++) {
    const b = qHard + 1 + 7 * c;
    const di = topo(q(b), row);
    if (di < 0) return R_SPREAD_LABEL;
    const dom = <usize>i32At(sHardDom, c);
    const m = i32At(dom, di);
    const matchNum = m < 0 ? 0 : m;
    if (matchNum + q(b + 4) - i32At(sHardMin, c) > q(b + 2)) return R_SPREAD;
  }
  const nAff = q(qAff);
  if (nAff > 0) {
    let podsExist = true;
    for (let k = 0; k < nAff; k++) {
      const di = topo(q(qAff + 2 + k), row);
      if (di < 0) return R_POD_AFF;
      if (i32At(<usize>i32At(sAffDom, k), di) <= 0) podsExist = false;
    }
    if (!podsExist && !(affinityTotal == 0 && (flags & F_OWN_AFFINITY))) return R_POD_AFF;
  }
  const nAnti = q(qAnti);
  for (let k = 0; k < nAnti; k++) {
    const di = topo(q(qAnti + 1 + 2 * k), row);
    if (di >= 0 && i32At(<usize>i32At(sAntiDom, k), di) > 0) return R_POD_ANTI;
  }
  const nEx = q(qExAnti);
  for (let k = 0; k < nEx; k++) {
    const di = topo(q(qExAnti + 1 + 2 * k), row);
    if (di >= 0 && i32At(<usize>i32At(sExAntiDom, k), di) > 0) return R_EXISTING_ANTI;
  }
  return R_PASS;
}

function portConflict(row: i32): bool {
  const off = i32At(pPortOff, row);
  const len = i32At(pPortLen, row);
  const n = q(qPorts);
  for (let k = 0; k < n; k++) {
    const pp = q(qPorts + 1 + 2 * k);
    const ip = q(qPorts + 2 + 2 * k);
    for (let j = 0; j < len; j += 2) { // (port|protocol<<16, host IP id) pairs
      if (i32At(pPorts, off + j) != pp) continue;
      const uip = i32At(pPorts, off + j + 1);
      if (ip == 0 || uip == 0 || uip == ip) return true; // interned id 0 is 0.0.0.0
    }
  }
  return false;
}

// ---- Score ----

@inline function raw(plugin: i32, i: i32): f64 { return f64At(sRaw, plugin * C + i); }
@inline function setRaw(plugin: i32, i: i32, v: f64): void { setF64(sRaw, plugin * C + i, v); }

function defaultNormalize(plugin: i32, n: i32, reverse: bool): void {
  let maxCount: f64 = 0;
  for (let i = 0; i < n; i++) if (raw(plugin, i) > maxCount) maxCount = raw(plugin, i);
  if (maxCount == 0) {
    if (reverse) for (let i = 0; i < n; i++) setRaw(plugin, i, MAX_SCORE);
    return;
  }
  for (let i = 0; i < n; i++) {
    let s = Math.trunc((MAX_SCORE * raw(plugin, i)) / maxCount);
    if (reverse) s = MAX_SCORE - s;
    setRaw(plugin, i, s);
  }
}

@inline function roundHalfAway(x: f64): f64 { return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5); }

function brokenLinear(p: f64): f64 {
  const n = q(8);
  for (let i = 0; i < n; i++) {
    const u = qf(20 + 2 * i);
    if (p <= u) {
      if (i == 0) return qf(21);
      const au = qf(20 + 2 * (i - 1));
      const as = qf(21 + 2 * (i - 1));
      return as + Math.trunc(((qf(21 + 2 * i) - as) * (p - au)) / (u - au));
    }
  }
  return qf(21 + 2 * (n - 1));
}

function fitScore(row: i32): f64 {
  const strategy = q(2);
  let nodeScore: f64 = 0;
  let weightSum: f64 = 0;
  for (let r = 0; r < 2; r++) {
    const a = r == 0 ? alloc(SLOT_CPU, row) : alloc(SLOT_MEM, row);
    const rq = r == 0 ? f64At(pNzCpu, row) + qf(16) : f64At(pNzMem, row) + qf(17);
    if (a == 0) continue;
    let s: f64;
    if (strategy == 0) {
      s = rq > a ? 0 : Math.trunc(((a - rq) * MAX_SCORE) / a);
    } else if (strategy == 1) {
      s = Math.trunc((Math.min(rq, a) * MAX_SCORE) / a);
    } else {
      s = brokenLinear(rq > a ? 100 : Math.trunc((rq * 100) / a));
      if (s <= 0) continue;
    }
    nodeScore += s;
    weightSum += 1;
  }
  if (weightSum == 0) return 0;
  return strategy == 2 ? roundHalfAway(nodeScore / weightSum) : Math.trunc(nodeScore / weightSum);
}

function balancedScore(row: i32): f64 {
  let f0: f64 = 0;
  let f1: f64 = 0;
  let n = 0;
  const ac = alloc(SLOT_CPU, row);
  if (ac != 0) { let f = (req(SLOT_CPU, row) + qf(18)) / ac; if (f > 1) f = 1; f0 = f; n++; }
  const am = alloc(SLOT_MEM, row);
  if (am != 0) { let f = (req(SLOT_MEM, row) + qf(19)) / am; if (f > 1) f = 1; if (n == 0) f0 = f; else f1 = f; n++; }
  const std = n == 2 ? Math.abs((f0 - f1) / 2) : 0.0;
  return Math.trunc((1 - std) * MAX_SCORE);
}

function imageScore(row: i32): f64 {
  const nImg = q(qImages);
  let sum: f64 = 0;
  const off = i32At(pImageOff, row);
  const len = i32At(pImageLen, row);
  for (let k = 0; k < nImg; k++) {
    const id = q(qImages + 1 + k);
    if (id < 0) continue;
    for (let j = 0; j < len; j++) {
      if (i32At(pImageIds, off + j) == id) {
        sum += Math.trunc(f64At(pImageSizes, off + j) * (<f64>i32At(pImageNodes, id) / <f64>N));
        break;
      }
    }
  }
  const minT: f64 = 23 * MB;
  const maxT: f64 = 1000 * MB * <f64>q(7);
  if (sum < minT) sum = minT; else if (sum > maxT) sum = maxT;
  return Math.trunc((MAX_SCORE * (sum - minT)) / (maxT - minT));
}

function spreadScores(nf: i32): bool {
  const nSoft = q(qSoft);
  if (nSoft == 0 || nf == 0) return false;
  const requireAll = (flags & F_REQUIRE_ALL) != 0;
  memory.fill(sIgnored, 0, <usize>nf);
  let ignoredCount = 0;
  // domain arrays: -1 = not a candidate domain, else the pod count
  for (let c = 0; c < nSoft; c++) {
    const b = qSoft + 1 + 7 * c;
    const d = i32At(pDomains, q(b)) + 1; // +1: index d-1 stands for the "" value of nodes without the key
    const dom = bump(d * 8);
    for (let k = 0; k < d; k++) setF64(dom, k, -1);
    setI32(sSoftDom, c, <i32>dom);
  }
  const topoSize = bump(nSoft * 4);
  memory.fill(topoSize, 0, <usize>nSoft * 4);
  for (let i = 0; i < nf; i++) {
    const row = i32At(sFeasible, i);
    if (requireAll) {
      let all = true;
      for (let c = 0; c < nSoft; c++) if (topo(q(qSoft + 1 + 7 * c), row) < 0) { all = false; break; }
      if (!all) { store<u8>(sIgnored + <usize>i, 1); ignoredCount++; continue; }
    }
    for (let c = 0; c < nSoft; c++) {
      const b = qSoft + 1 + 7 * c;
      if (q(b + 1)) continue; // hostname: per node counts
      const dom = <usize>i32At(sSoftDom, c);
      let di = topo(q(b), row);
      if (di < 0) di = q(b + 6);
      if (f64At(dom, di) < 0) { setF64(dom, di, 0); setI32(topoSize, c, i32At(topoSize, c) + 1); }
    }
  }
  const weights = bump(nSoft * 8);
  for (let c = 0; c < nSoft; c++) {
    const b = qSoft + 1 + 7 * c;
    const sz = q(b + 1) ? nf - ignoredCount : i32At(topoSize, c);
    setF64(weights, c, hostLog(<f64>(sz + 2)));
  }
  for (let row = 0; row < N; row++) {
    if (requireAll) {
      let all = true;
      for (let c = 0; c < nSoft; c++) if (topo(q(qSoft + 1 + 7 * c), row) < 0) { all = false; break; }
      if (!all) continue;
    }
    for (let c = 0; c < nSoft; c++) {
      const b = qSoft + 1 + 7 * c;
      if (q(b + 1)) continue;
      if (!inclusion(row, q(b + 4), q(b + 5))) continue;
      const dom = <usize>i32At(sSoftDom, c);
      let di = topo(q(b), row);
      if (di < 0) di = q(b + 6);
      const cur = f64At(dom, di);
      if (cur < 0) continue;
      const cc = q(b + 2);
      if (cc >= 0) setF64(dom, di, cur + <f64>col(cc, row));
    }
  }
  let minS: f64 = f64.MAX_VALUE;
  let maxS: f64 = 0;
  for (let i = 0; i < nf; i++) {
    if (load<u8>(sIgnored + <usize>i)) { setRaw(3, i, 0); continue; }
    const row = i32At(sFeasible, i);
    let score: f64 = 0;
    for (let c = 0; c < nSoft; c++) {
      const b = qSoft + 1 + 7 * c;
      const di = topo(q(b), row);
      if (di < 0) continue;
      const cc = q(b + 2);
      let cnt: f64;
      if (q(b + 1)) cnt = cc >= 0 ? <f64>col(cc, row) : 0;
      else cnt = f64At(<usize>i32At(sSoftDom, c), di);
      score += cnt * f64At(weights, c) + <f64>(q(b + 3) - 1);
    }
    score = roundHalfAway(score);
    setRaw(3, i, score);
    if (score < minS) minS = score;
    if (score > maxS) maxS = score;
  }
  for (let i = 0; i < nf; i++) {
    if (load<u8>(sIgnored + <usize>i)) { setRaw(3, i, 0); continue; }
    if (maxS == 0) { setRaw(3, i, MAX_SCORE); continue; }
    setRaw(3, i, Math.trunc((MAX_SCORE * (maxS + minS - raw(3, i))) / maxS));
  }
  return true;
}

function interPodScores(nf: i32): bool {
  const n = q(qInter);
  if (n == 0) return false;
  let any = false;
  for (let t = 0; t < n; t++) {
    const b = qInter + 1 + 3 * t;
    const slot = q(b);
    const cc = q(b + 1);
    const w = <f64>q(b + 2);
    const d = i32At(pDomains, slot);
    const dom = bump(d * 8);
    memory.fill(dom, 0, <usize>d * 8);
    for (let row = 0; row < N; row++) {
      const di = topo(slot, row);
      if (di < 0) continue;
      const v = col(cc, row);
      if (v != 0) { setF64(dom, di, f64At(dom, di) + w * <f64>v); any = true; }
    }
    setI32(sInterDom, t, <i32>dom);
  }
  if (!any) return false;
  let minS: f64 = f64.MAX_VALUE;
  let maxS: f64 = -f64.MAX_VALUE;
  for (let i = 0; i < nf; i++) {
    const row = i32At(sFeasible, i);
    let s: f64 = 0;
    for (let t = 0; t < n; t++) {
      const di = topo(q(qInter + 1 + 3 * t), row);
      if (di >= 0) s += f64At(<usize>i32At(sInterDom, t), di);
    }
    setRaw(4, i, s);
    if (s > maxS) maxS = s;
    if (s < minS) minS = s;
  }
  const diff = maxS - minS;
  for (let i = 0; i < nf; i++) {
    setRaw(4, i, diff > 0 ? Math.trunc(MAX_SCORE * ((raw(4, i) - minS) / diff)) : 0);
  }
  return true;
}

// Which score plugins produced per-node values this cycle (the others are constant: see score()).
let activeTaint = false;
let activeNodeAff = false;
let activeSpread = false;
let activeInter = false;
let sTotal: usize = 0; // f64 per feasible index: weighted total

function score(nf: i32, explain: bool): void {
  if (qf(16) != sigNzCpu || qf(17) != sigNzMem || qf(18) != sigCpu || qf(19) != sigMem) {
    sigNzCpu = qf(16); sigNzMem = qf(17); sigCpu = qf(18); sigMem = qf(19);
    memory.fill(pDirty, 1, <usize>N);
  }
  const nPref = q(qPref);
  const bestEffort = (flags & F_BEST_EFFORT) != 0;
  let anyImage = false;
  for (let k = 0; k < q(qImages); k++) if (q(qImages + 1 + k) >= 0) anyImage = true;
  let maxTaint = 0;
  for (let i = 0; i < nf; i++) {
    const row = i32At(sFeasible, i);
    // TaintToleration: PreferNoSchedule taints not tolerated (taint bit 2)
    const len = i32At(pTaintLen, row);
    let intolerable = 0;
    if (len > 0) {
      const off = i32At(pTaintOff, row);
      for (let j = 0; j < len; j++) if (load<u8>(pTaintBits + <usize>i32At(pTaints, off + j)) & 2) intolerable++;
      if (intolerable > maxTaint) maxTaint = intolerable;
    }
    setRaw(0, i, <f64>intolerable);
    if (nPref > 0) {
      let w = 0;
      let k = qPref + 1;
      for (let t = 0; t < nPref; t++) {
        if (termMatches(k + 1, row)) w += q(k);
        k = skipTerm(k + 1);
      }
      setRaw(1, i, <f64>w);
    }
    // Resource scores depend only on the row's resource columns and the pod's requests: reuse them while
    // neither changed (a bind dirties one row), so a cycle divides only for the rows that moved.
    if (load<u8>(pDirty + <usize>row)) {
      setF64(pScoreCache, row, fitScore(row));
      setF64(pScoreCache, C + row, bestEffort ? 0 : balancedScore(row));
      store<u8>(pDirty + <usize>row, 0);
    }
    const fit = f64At(pScoreCache, row);
    const bal = f64At(pScoreCache, C + row);
    // ImageLocality is 0 everywhere when no node has any of the pod's images.
    const img = anyImage ? imageScore(row) : 0.0;
    setF64(sTotal, i, fit + bal + img);
    if (explain) { setRaw(2, i, fit); setRaw(5, i, bal); setRaw(6, i, img); }
  }
  // Weighted sums in the profile's order of plugins, so totals equal the reference's sums exactly.
  activeTaint = maxTaint > 0;
  if (activeTaint) defaultNormalize(0, nf, true);
  activeNodeAff = nPref > 0;
  if (activeNodeAff) defaultNormalize(1, nf, false);
  activeSpread = spreadScores(nf);
  activeInter = interPodScores(nf);
  for (let i = 0; i < nf; i++) {
    const t = 3 * (activeTaint ? raw(0, i) : MAX_SCORE) + 2 * (activeNodeAff ? raw(1, i) : 0.0) + 2 * (activeSpread ? raw(3, i) : 0.0) + 2 * (activeInter ? raw(4, i) : 0.0);
    setF64(sTotal, i, f64At(sTotal, i) + t);
  }
}

@inline function pluginScore(p: i32, i: i32): f64 {
  if (p == 0) return activeTaint ? raw(0, i) : MAX_SCORE;
  if (p == 1) return activeNodeAff ? raw(1, i) : 0.0;
  if (p == 3) return activeSpread ? raw(3, i) : 0.0;
  if (p == 4) return activeInter ? raw(4, i) : 0.0;
  return raw(p, i);
}

/** One scheduling cycle. Returns the chosen row, or -1. */
export function schedule(header: usize): i32 {
  readHeader(header);
  indexQuery();
  memory.fill(pOut, 0, 64 * 4);
  const nTaints = q(5);
  memory.fill(pTaintCount, 0, <usize>nTaints * 4);
  setI32(pOut, 0, -1);
  if (N == 0) return -1;
  const explain = (flags & F_EXPLAIN) != 0;
  const affSlot = q(9);
  if (affSlot >= 0) sAffCache = <usize>hget(H_AFF_CACHE) + <usize>affSlot * <usize>C;
  else {
    sAffCache = bump(N);
    memory.fill(sAffCache, 0, <usize>N);
  }
  sFitBits = bump(N);
  sFeasible = bump(N * 4);
  sRaw = bump(7 * C * 8);
  sHardDom = bump(64 * 4);
  sHardMin = bump(64 * 4);
  sAffDom = bump(64 * 4);
  sAntiDom = bump(64 * 4);
  sExAntiDom = bump(64 * 4);
  sSoftDom = bump(64 * 4);
  sInterDom = bump(64 * 4);
  sIgnored = bump(N);
  sTotal = bump(N * 8);
  preFilter();
  fitPrepass();
  const start = explain ? 0 : q(3);
  const toFind = explain ? N : q(4);
  // Without node name, ports or extended resources in the query, a node that is schedulable, untainted, fits
  // cpu/memory/pods and (cached) matches the node affinity passes the node-level filters without running them.
  const simple = !explain && !(flags & F_NODE_NAME) && q(qPorts) == 0 && q(qRes) == 0;
  const podLevel = q(qHard) != 0 || q(qAff) != 0 || q(qAnti) != 0 || q(qExAnti) != 0;
  const hasNodeAff = (flags & (F_HAS_SELECTOR | F_HAS_REQUIRED)) != 0;
  let nf = 0;
  let processed = 0;
  for (let i = 0; i < N && nf < toFind; i++) {
    let row = start + i;
    if (row >= N) row -= N;
    processed++;
    const quick = simple && (load<i32>(pFlags + (<usize>row << 2)) & 1) == 0 &&
      load<i32>(pTaintLen + (<usize>row << 2)) == 0 && load<u8>(sFitBits + <usize>row) == 0 &&
      (!hasNodeAff || load<u8>(sAffCache + <usize>row) == 1);
    const code = quick ? (podLevel ? podLevelFilters(row) : R_PASS) : filter(row, !explain);
    if (explain) setI32(pExplain, row * EXPLAIN_STRIDE, code);
    if (code == R_PASS) { setI32(sFeasible, nf, row); nf++; }
    else if (code != R_FIT && code != R_TAINT && !explain) outAdd(OUT_REASONS + code, 1);
  }
  setI32(pOut, 1, processed);
  setI32(pOut, 2, nf);
  setI32(pOut, 3, (start + processed) % N);
  if (nf == 0) return -1;
  if (nf == 1 && !explain) { setI32(pOut, 0, i32At(sFeasible, 0)); return i32At(sFeasible, 0); }
  score(nf, explain);
  if (explain) {
    for (let i = 0; i < nf; i++) {
      const row = i32At(sFeasible, i);
      for (let p = 0; p < 7; p++) setI32(pExplain, row * EXPLAIN_STRIDE + 2 + p, <i32>pluginScore(p, i));
    }
    return -1;
  }
  // selectHost: highest total; ties by reservoir sampling with the shared xorshift32 sequence
  let best: f64 = -1;
  let chosen = 0;
  let ties: u32 = 0;
  for (let i = 0; i < nf; i++) {
    const t = f64At(sTotal, i);
    if (t > best) { best = t; chosen = i; ties = 1; }
    else if (t == best) {
      ties++;
      let x = rng;
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      rng = x;
      if (x % ties == 0) chosen = i;
    }
  }
  const row = i32At(sFeasible, chosen);
  setI32(pOut, 0, row);
  return row;
}
