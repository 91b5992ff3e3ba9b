// kube-proxy's iptables layout (upstream pkg/proxy/iptables/proxier.go, syncProxyRules) compiled from the flat
// tables: the same bytes as the TypeScript reference (src/dataplane/proxy/reference/iptables.ts), which is
// the oracle. Each service port is emitted in four sections (filter rules, nat chain declarations, nat
// dispatch rules, nat chain rules); a full compile walks the services once per section, a partial compile
// emits old and new versions of a section aside and writes only the difference.
import { sha256, MSG, MSG_CAP, DIGEST } from '../shared/sha256';
import { base32x16 } from '../shared/base32';
import { LANES, OUT10, padBlock, sha256x4 } from '../shared/sha256x4';
import { arenaAlloc, arenaBase, arenaReset } from '../shared/arena';
import { lit, putByte, putDec, putLit, putMem, reserve, writerLen, writerPtr, writerSetLen } from '../shared/writer';
import * as T from './tables';

// ---- input access -------------------------------------------------------------------------------------------

let IN: usize = 0;
let SVC: usize = 0;
let EP: usize = 0;
let STR: usize = 0;
let BYTES: usize = 0;

// @ts-ignore: decorator
@inline function hdr(i: i32): i32 { return load<i32>(IN + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function sv(s: i32, f: i32): i32 { return load<i32>(SVC + ((<usize>s * T.SVC_WORDS + <usize>f) << 2)); }
// @ts-ignore: decorator
@inline function ep(e: i32, f: i32): i32 { return load<i32>(EP + ((<usize>e * T.EP_WORDS + <usize>f) << 2)); }
// @ts-ignore: decorator
@inline function strOff(i: i32): i32 { return load<i32>(STR + (<usize>i << 3)); }
// @ts-ignore: decorator
@inline function strLen(i: i32): i32 { return load<i32>(STR + (<usize>i << 3) + 4); }

function putStr(i: i32): void { putMem(BYTES + <usize>strOff(i), <usize>strLen(i)); }

// ---- constants ----------------------------------------------------------------------------------------------

const NL: u8 = 10;
const L_A = lit('-A ');
const L_KUBE_SERVICES = lit('KUBE-SERVICES');
const L_KUBE_NODEPORTS = lit('KUBE-NODEPORTS');
const L_KUBE_EXTERNAL = lit('KUBE-EXTERNAL-SERVICES');
const L_KUBE_FIREWALL = lit('KUBE-PROXY-FIREWALL');
const L_COMMENT = lit(' -m comment --comment ');
const L_COMMENT_Q = lit(' -m comment --comment "');
const L_CLUSTER_IP_Q = lit(' cluster IP"');
const L_EXTERNAL_IP_Q = lit(' external IP"');
const L_LB_IP_Q = lit(' loadbalancer IP"');
const L_NO_EP = lit(' has no endpoints"');
const L_NO_LOCAL_EP = lit(' has no local endpoints"');
const L_M = lit(' -m ');
const L_P = lit(' -p ');
const L_D = lit(' -d ');
const L_S = lit(' -s ');
const L_NOT_S = lit(' ! -s ');
const L_DPORT = lit(' --dport ');
const L_J = lit(' -j ');
const L_REJECT = lit('REJECT');
const L_DROP = lit('DROP');
const L_TRAFFIC_NOT_ACCEPTED = lit(' traffic not accepted by ');
const L_ADDRTYPE_DST_LOCAL = lit(' -m addrtype --dst-type LOCAL');
const L_ADDRTYPE_SRC_LOCAL = lit(' -m addrtype --src-type LOCAL');
const L_HC = lit(' health check node port" -m tcp -p tcp --dport ');
const L_J_ACCEPT = lit(' -j ACCEPT');
const L_J_MASQ = lit(' -j KUBE-MARK-MASQ');
const L_MASQ_FOR = lit(' -m comment --comment "masquerade traffic for ');
const L_POD_FOR = lit(' -m comment --comment "pod traffic for ');
const L_MASQ_LOCAL_FOR = lit(' -m comment --comment "masquerade LOCAL traffic for ');
const L_ROUTE_LOCAL_FOR = lit(' -m comment --comment "route LOCAL traffic for ');
const L_EXT_DEST_Q = lit(' external destinations"');
const L_OTHER_TRAFFIC = lit(' -m comment --comment "other traffic to ');
const L_DROPPED_BY_FW = lit(' will be dropped by KUBE-PROXY-FIREWALL"');
const L_ARROW = lit(' -> ');
const L_RECENT_NAME = lit(' -m recent --name ');
const L_RCHECK = lit(' --rcheck --seconds ');
const L_REAP = lit(' --reap');
const L_SET = lit(' --set');
const L_STATISTIC = lit(' -m statistic --mode random --probability ');
const L_DNAT = lit(' -j DNAT --to-destination ');
const L_SVC = lit('KUBE-SVC-');
const L_SVL = lit('KUBE-SVL-');
const L_EXT = lit('KUBE-EXT-');
const L_FW = lit('KUBE-FW-');
const L_SEP = lit('KUBE-SEP-');
const L_DECL_TAIL = lit(' - [0:0]');
const L_TCP = lit('tcp');
const L_UDP = lit('udp');
const L_SCTP = lit('sctp');

const P_SVC = 0;
const P_SVL = 1;
const P_EXT = 2;
const P_FW = 3;

// ---- per-compile scratch ------------------------------------------------------------------------------------

let SVC_HASH: usize = 0; // 16 chars per service
let EP_HASH: usize = 0; // 16 chars per endpoint
let CL: usize = 0; // cluster endpoint indexes
let LO: usize = 0; // local endpoint indexes
let RE: usize = 0; // reachable endpoint indexes
let nCl: i32 = 0;
let nLo: i32 = 0;
let nRe: i32 = 0;
let large: bool = false;
let cidr: i32 = -1;

// Current service's decisions (set by decide()).
let cur: i32 = 0;
let proto: i32 = 0;
let affinity: i32 = 0;
let hasEndpoints: bool = false;
let hasInternal: bool = false;
let hasExternal: bool = false;
let usesExt: bool = false;
let usesFw: bool = false;
let usesClusterChain: bool = false;
let usesLocalChain: bool = false;
let internalLocal: bool = false;
let externalLocal: bool = false;

function putProto(): void {
  if (proto == 0) putLit(L_TCP);
  else if (proto == 1) putLit(L_UDP);
  else putLit(L_SCTP);
}

function putName(): void {
  putMem(BYTES + <usize>sv(cur, T.S_NAME_OFF), <usize>sv(cur, T.S_NAME_LEN));
}

function putChain(kind: i32): void {
  if (kind == P_SVC) putLit(L_SVC);
  else if (kind == P_SVL) putLit(L_SVL);
  else if (kind == P_EXT) putLit(L_EXT);
  else putLit(L_FW);
  putMem(SVC_HASH + (<usize>cur << 4), 16);
}

function putSep(e: i32): void {
  putLit(L_SEP);
  putMem(EP_HASH + (<usize>e << 4), 16);
}

function ipIsV6(i: i32): bool {
  const p = BYTES + <usize>strOff(i);
  const n = strLen(i);
  for (let k = 0; k < n; k++) if (load<u8>(p + <usize>k) == 58) return true;
  return false;
}

function putEndpoint(e: i32): void {
  const ip = ep(e, T.E_IP);
  if (ipIsV6(ip)) {
    putByte(91);
    putStr(ip);
    putByte(93);
  } else putStr(ip);
  putByte(58);
  putDec(<u32>ep(e, T.E_PORT));
}

/** " -m tcp -p tcp" */
function putMP(): void {
  putLit(L_M);
  putProto();
  putLit(L_P);
  putProto();
}

export let lines: i32 = 0;
function nl(): void { putByte(NL); lines++; }

/** Go's %0.10f of the double 1/k (k ≥ 2): exact, ties to even, as in the reference. */
function putProbability(k: u32): void {
  const SCALE: u64 = 10000000000;
  let m: u64 = SCALE / <u64>k;
  const r: u64 = SCALE - m * <u64>k;
  let up: bool;
  if (r * 2 != <u64>k) up = r * 2 > <u64>k;
  else {
    const bits = reinterpret<u64>(1.0 / <f64>k);
    const e = <i32>((bits >> 52) & 0x7ff) - 1075;
    const mant: u64 = (bits & 0xfffffffffffff) | (<u64>1 << 52);
    // mant*k vs 2^-e in 96 bits: (hi:lo32).
    const mh = mant >> 32;
    const ml = mant & 0xffffffff;
    const lowProd = ml * <u64>k;
    const hi: u64 = mh * <u64>k + (lowProd >> 32);
    const lo: u64 = lowProd & 0xffffffff;
    const E = -e;
    let cmp: i32;
    if (E >= 32) {
      const rh: u64 = <u64>1 << <u64>(E - 32);
      cmp = hi > rh ? 1 : hi < rh ? -1 : lo > 0 ? 1 : 0;
    } else {
      const rl: u64 = <u64>1 << <u64>E;
      cmp = hi > 0 ? 1 : lo > rl ? 1 : lo < rl ? -1 : 0;
    }
    up = cmp > 0 ? true : cmp < 0 ? false : (m & 1) == 1;
  }
  if (up) m++;
  reserve(12);
  putByte(48);
  putByte(46);
  let p = writerPtr() + writerLen() + 10;
  for (let i = 0; i < 10; i++) {
    p--;
    store<u8>(p, <u8>(48 + <u32>(m % 10)));
    m /= 10;
  }
  writerSetLen(writerLen() + 10);
}

// ---- hashing ------------------------------------------------------------------------------------------------

function msgProto(at: i32, s: i32): i32 {
  const pr = sv(s, T.S_PROTO);
  if (pr == 0) { store<u8>(MSG + <usize>at, 116); store<u8>(MSG + <usize>at + 1, 99); store<u8>(MSG + <usize>at + 2, 112); return at + 3; }
  if (pr == 1) { store<u8>(MSG + <usize>at, 117); store<u8>(MSG + <usize>at + 1, 100); store<u8>(MSG + <usize>at + 2, 112); return at + 3; }
  store<u8>(MSG + <usize>at, 115); store<u8>(MSG + <usize>at + 1, 99); store<u8>(MSG + <usize>at + 2, 116); store<u8>(MSG + <usize>at + 3, 112);
  return at + 4;
}

function msgCopy(at: i32, src: usize, n: i32): i32 {
  if (at + n > MSG_CAP) unreachable();
  memory.copy(MSG + <usize>at, src, <usize>n);
  return at + n;
}

function msgDec(at: i32, v: u32): i32 {
  let n = 1;
  let t = v;
  while (t >= 10) { t /= 10; n++; }
  let p = MSG + <usize>(at + n);
  do { p--; store<u8>(p, <u8>(48 + v % 10)); v /= 10; } while (v != 0);
  return at + n;
}

// Hashes wait in four SIMD lanes; longer messages (rare) take the scalar path at once.
const PEND_DST: usize = memory.data(16);
let pending: i32 = 0;

function queueHash(len: i32, dst: usize): void {
  if (len > 55) {
    sha256(len);
    base32x16(DIGEST, dst);
    return;
  }
  memory.copy(LANES + (<usize>pending << 6), MSG, <usize>len);
  padBlock(pending, len);
  store<u32>(PEND_DST + (<usize>pending << 2), <u32>dst);
  pending++;
  if (pending == 4) flushHashes();
}

function flushHashes(): void {
  if (pending == 0) return;
  sha256x4();
  for (let l = 0; l < pending; l++) base32x16(OUT10 + (<usize>l << 4), <usize>load<u32>(PEND_DST + (<usize>l << 2)));
  pending = 0;
}

function hashService(s: i32): void {
  let n = msgCopy(0, BYTES + <usize>sv(s, T.S_NAME_OFF), sv(s, T.S_NAME_LEN));
  const base = msgProto(n, s);
  queueHash(base, SVC_HASH + (<usize>s << 4));
  const e0 = sv(s, T.S_EP_START);
  const ne = sv(s, T.S_EP_COUNT);
  for (let e = e0; e < e0 + ne; e++) {
    const ip = ep(e, T.E_IP);
    n = base;
    const v6 = ipIsV6(ip);
    if (v6) { store<u8>(MSG + <usize>n, 91); n++; }
    n = msgCopy(n, BYTES + <usize>strOff(ip), strLen(ip));
    if (v6) { store<u8>(MSG + <usize>n, 93); n++; }
    store<u8>(MSG + <usize>n, 58);
    n = msgDec(n + 1, <u32>ep(e, T.E_PORT));
    queueHash(n, EP_HASH + (<usize>e << 4));
  }
}

/** kube-proxy's 16-character hash of MSG[0..len) (for the exported chainName). */
export function hashMessage(len: i32, dst: usize): void {
  sha256(len);
  base32x16(DIGEST, dst);
}

// ---- decisions (upstream's CategorizeEndpoints and the chain choices) ----------------------------------------

function decide(s: i32): void {
  cur = s;
  proto = sv(s, T.S_PROTO);
  affinity = sv(s, T.S_AFFINITY);
  const flags = sv(s, T.S_FLAGS);
  internalLocal = (flags & T.F_INTERNAL_LOCAL) != 0;
  const extAccessible = sv(s, T.S_NODEPORT) != 0 || sv(s, T.S_LB_COUNT) > 0 || sv(s, T.S_EXT_COUNT) > 0;
  externalLocal = extAccessible && (flags & T.F_EXTERNAL_LOCAL) != 0;
  // Externally reachable ports need Cluster endpoints even with a Local external policy (short-circuiting).
  const usesCluster = !internalLocal || extAccessible;
  const usesLocal = internalLocal || (extAccessible && externalLocal);
  const e0 = sv(s, T.S_EP_START);
  const e1 = e0 + sv(s, T.S_EP_COUNT);
  nCl = 0; nLo = 0; nRe = 0;
  hasEndpoints = false;
  if (usesCluster) {
    for (let e = e0; e < e1; e++) if ((ep(e, T.E_FLAGS) & T.EF_READY) != 0) { store<i32>(CL + (<usize>nCl << 2), e); nCl++; }
    if (nCl == 0) {
      for (let e = e0; e < e1; e++) {
        const f = ep(e, T.E_FLAGS);
        if ((f & T.EF_SERVING) != 0 && (f & T.EF_TERMINATING) != 0) { store<i32>(CL + (<usize>nCl << 2), e); nCl++; }
      }
    }
    hasEndpoints = nCl > 0;
  }
  let localReady = false;
  let localST = false;
  if (usesLocal) {
    for (let e = e0; e < e1; e++) {
      const f = ep(e, T.E_FLAGS);
      if ((f & T.EF_READY) != 0) {
        hasEndpoints = true;
        if ((f & T.EF_LOCAL) != 0) localReady = true;
      } else if ((f & T.EF_SERVING) != 0 && (f & T.EF_TERMINATING) != 0) {
        hasEndpoints = true;
        if ((f & T.EF_LOCAL) != 0) localST = true;
      }
    }
    if (localReady) {
      for (let e = e0; e < e1; e++) {
        const f = ep(e, T.E_FLAGS);
        if ((f & T.EF_LOCAL) != 0 && (f & T.EF_READY) != 0) { store<i32>(LO + (<usize>nLo << 2), e); nLo++; }
      }
    } else if (localST) {
      for (let e = e0; e < e1; e++) {
        const f = ep(e, T.E_FLAGS);
        if ((f & T.EF_LOCAL) != 0 && (f & T.EF_SERVING) != 0 && (f & T.EF_TERMINATING) != 0) { store<i32>(LO + (<usize>nLo << 2), e); nLo++; }
      }
    }
  }
  if (!usesLocal) {
    for (let i = 0; i < nCl; i++) store<i32>(RE + (<usize>i << 2), load<i32>(CL + (<usize>i << 2)));
    nRe = nCl;
  } else if (!usesCluster) {
    for (let i = 0; i < nLo; i++) store<i32>(RE + (<usize>i << 2), load<i32>(LO + (<usize>i << 2)));
    nRe = nLo;
  } else {
    for (let i = 0; i < nCl; i++) store<i32>(RE + (<usize>i << 2), load<i32>(CL + (<usize>i << 2)));
    nRe = nCl;
    if (localST && !localReady) {
      for (let j = 0; j < nLo; j++) {
        const e = load<i32>(LO + (<usize>j << 2));
        let seen = false;
        for (let i = 0; i < nCl; i++) if (load<i32>(CL + (<usize>i << 2)) == e) { seen = true; break; }
        if (!seen) { store<i32>(RE + (<usize>nRe << 2), e); nRe++; }
      }
    }
  }
  usesClusterChain = nCl > 0 && usesCluster;
  usesLocalChain = nLo > 0 && usesLocal;
  hasInternal = hasEndpoints && !(internalLocal && nLo == 0);
  hasExternal = hasEndpoints && !(externalLocal && nLo == 0);
  usesExt = hasEndpoints && extAccessible;
  usesFw = hasEndpoints && sv(s, T.S_LB_COUNT) > 0 && sv(s, T.S_SRC_COUNT) > 0;
}

// ---- sections -----------------------------------------------------------------------------------------------

/** ` -m comment --comment "<name> has no [local ]endpoints"` then the rest of a filter rule. */
function putFilterComment(): void {
  putLit(L_COMMENT_Q);
  putName();
  if (!hasEndpoints) putLit(L_NO_EP);
  else putLit(L_NO_LOCAL_EP);
}

function putFilterTarget(): void {
  putLit(L_J);
  if (!hasEndpoints) putLit(L_REJECT);
  else putLit(L_DROP);
}

function putDportPort(): void {
  putLit(L_DPORT);
  putDec(<u32>sv(cur, T.S_PORT));
}

export function emitFilter(): void {
  const cip = sv(cur, T.S_CIP);
  if (!hasInternal) {
    putLit(L_A); putLit(L_KUBE_SERVICES); putFilterComment(); putMP();
    putLit(L_D); putStr(cip); putDportPort(); putFilterTarget(); nl();
  }
  const x0 = sv(cur, T.S_EXT_START);
  const nx = sv(cur, T.S_EXT_COUNT);
  if (!hasExternal) {
    for (let i = x0; i < x0 + nx; i++) {
      putLit(L_A); putLit(L_KUBE_EXTERNAL); putFilterComment(); putMP();
      putLit(L_D); putStr(i); putDportPort(); putFilterTarget(); nl();
    }
  }
  const l0 = sv(cur, T.S_LB_START);
  const nlb = sv(cur, T.S_LB_COUNT);
  if (usesFw) {
    for (let i = l0; i < l0 + nlb; i++) {
      putLit(L_A); putLit(L_KUBE_FIREWALL); putLit(L_COMMENT_Q); putName(); putLit(L_TRAFFIC_NOT_ACCEPTED);
      putChain(P_FW); putByte(34); putMP(); putLit(L_D); putStr(i); putDportPort(); putLit(L_J); putLit(L_DROP); nl();
    }
  }
  if (!hasExternal) {
    for (let i = l0; i < l0 + nlb; i++) {
      putLit(L_A); putLit(L_KUBE_EXTERNAL); putFilterComment(); putMP();
      putLit(L_D); putStr(i); putDportPort(); putFilterTarget(); nl();
    }
    const np = sv(cur, T.S_NODEPORT);
    if (np != 0) {
      putLit(L_A); putLit(L_KUBE_EXTERNAL); putFilterComment(); putLit(L_ADDRTYPE_DST_LOCAL); putMP();
      putLit(L_DPORT); putDec(<u32>np); putFilterTarget(); nl();
    }
  }
  const hc = sv(cur, T.S_HCPORT);
  if (hc != 0) {
    putLit(L_A); putLit(L_KUBE_NODEPORTS); putLit(L_COMMENT_Q); putName(); putLit(L_HC); putDec(<u32>hc); putLit(L_J_ACCEPT); nl();
  }
}

function putDecl(): void {
  putLit(L_DECL_TAIL);
  nl();
}

export function emitChains(): void {
  if (usesExt) { putByte(58); putChain(P_EXT); putDecl(); }
  if (usesFw) { putByte(58); putChain(P_FW); putDecl(); }
  if (usesClusterChain) { putByte(58); putChain(P_SVC); putDecl(); }
  if (usesLocalChain) { putByte(58); putChain(P_SVL); putDecl(); }
  for (let i = 0; i < nRe; i++) { putByte(58); putSep(load<i32>(RE + (<usize>i << 2))); putDecl(); }
}

export function emitDispatch(): void {
  if (!hasEndpoints) return;
  const cip = sv(cur, T.S_CIP);
  if (hasInternal) {
    putLit(L_A); putLit(L_KUBE_SERVICES); putLit(L_COMMENT_Q); putName(); putLit(L_CLUSTER_IP_Q); putMP();
    putLit(L_D); putStr(cip); putDportPort(); putLit(L_J); putChain(internalLocal ? P_SVL : P_SVC); nl();
  }
  const x0 = sv(cur, T.S_EXT_START);
  const nx = sv(cur, T.S_EXT_COUNT);
  for (let i = x0; i < x0 + nx; i++) {
    putLit(L_A); putLit(L_KUBE_SERVICES); putLit(L_COMMENT_Q); putName(); putLit(L_EXTERNAL_IP_Q); putMP();
    putLit(L_D); putStr(i); putDportPort(); putLit(L_J); putChain(P_EXT); nl();
  }
  const l0 = sv(cur, T.S_LB_START);
  const nlb = sv(cur, T.S_LB_COUNT);
  for (let i = l0; i < l0 + nlb; i++) {
    putLit(L_A); putLit(L_KUBE_SERVICES); putLit(L_COMMENT_Q); putName(); putLit(L_LB_IP_Q); putMP();
    putLit(L_D); putStr(i); putDportPort(); putLit(L_J); putChain(usesFw ? P_FW : P_EXT); nl();
  }
  const np = sv(cur, T.S_NODEPORT);
  if (np != 0) {
    putLit(L_A); putLit(L_KUBE_NODEPORTS); putLit(L_COMMENT); putName(); putMP();
    putLit(L_DPORT); putDec(<u32>np); putLit(L_J); putChain(P_EXT); nl();
  }
}

function putEpComment(e: i32): void {
  if (large) return;
  putLit(L_COMMENT_Q); putName(); putLit(L_ARROW); putEndpoint(e); putByte(34);
}

function toEndpoints(kind: i32, list: usize, n: i32): void {
  if (affinity > 0) {
    for (let i = 0; i < n; i++) {
      const e = load<i32>(list + (<usize>i << 2));
      putLit(L_A); putChain(kind); putEpComment(e);
      putLit(L_RECENT_NAME); putSep(e); putLit(L_RCHECK); putDec(<u32>affinity); putLit(L_REAP);
      putLit(L_J); putSep(e); nl();
    }
  }
  for (let i = 0; i < n; i++) {
    const e = load<i32>(list + (<usize>i << 2));
    putLit(L_A); putChain(kind); putEpComment(e);
    if (i < n - 1) { putLit(L_STATISTIC); putProbability(<u32>(n - i)); }
    putLit(L_J); putSep(e); nl();
  }
}

export function emitRules(): void {
  if (hasInternal) {
    putLit(L_A); putChain(internalLocal ? P_SVL : P_SVC); putLit(L_COMMENT_Q); putName(); putLit(L_CLUSTER_IP_Q); putMP();
    putLit(L_D); putStr(sv(cur, T.S_CIP)); putDportPort();
    if (cidr >= 0) { putLit(L_NOT_S); putStr(cidr); }
    putLit(L_J_MASQ); nl();
  }
  if (usesExt) {
    if (!externalLocal) {
      putLit(L_A); putChain(P_EXT); putLit(L_MASQ_FOR); putName(); putLit(L_EXT_DEST_Q); putLit(L_J_MASQ); nl();
    } else {
      if (cidr >= 0) {
        putLit(L_A); putChain(P_EXT); putLit(L_POD_FOR); putName(); putLit(L_EXT_DEST_Q);
        putLit(L_S); putStr(cidr); putLit(L_J); putChain(P_SVC); nl();
      }
      putLit(L_A); putChain(P_EXT); putLit(L_MASQ_LOCAL_FOR); putName(); putLit(L_EXT_DEST_Q);
      putLit(L_ADDRTYPE_SRC_LOCAL); putLit(L_J_MASQ); nl();
      putLit(L_A); putChain(P_EXT); putLit(L_ROUTE_LOCAL_FOR); putName(); putLit(L_EXT_DEST_Q);
      putLit(L_ADDRTYPE_SRC_LOCAL); putLit(L_J); putChain(P_SVC); nl();
    }
    if (hasExternal) {
      putLit(L_A); putChain(P_EXT); putLit(L_J); putChain(externalLocal ? P_SVL : P_SVC); nl();
    }
  }
  if (usesFw) {
    const r0 = sv(cur, T.S_SRC_START);
    const nr = sv(cur, T.S_SRC_COUNT);
    for (let i = r0; i < r0 + nr; i++) {
      putLit(L_A); putChain(P_FW); putLit(L_COMMENT_Q); putName(); putLit(L_LB_IP_Q);
      putLit(L_S); putStr(i); putLit(L_J); putChain(P_EXT); nl();
    }
    if ((sv(cur, T.S_FLAGS) & T.F_ALLOW_FROM_NODE) != 0) {
      const l0 = sv(cur, T.S_LB_START);
      const nlb = sv(cur, T.S_LB_COUNT);
      for (let i = l0; i < l0 + nlb; i++) {
        putLit(L_A); putChain(P_FW); putLit(L_COMMENT_Q); putName(); putLit(L_LB_IP_Q);
        putLit(L_S); putStr(i); putLit(L_J); putChain(P_EXT); nl();
      }
    }
    putLit(L_A); putChain(P_FW); putLit(L_OTHER_TRAFFIC); putName(); putLit(L_DROPPED_BY_FW); nl();
  }
  if (usesClusterChain) toEndpoints(P_SVC, CL, nCl);
  if (usesLocalChain) toEndpoints(P_SVL, LO, nLo);
  for (let i = 0; i < nRe; i++) {
    const e = load<i32>(RE + (<usize>i << 2));
    putLit(L_A); putSep(e);
    if (!large) { putLit(L_COMMENT); putName(); }
    putLit(L_S); putStr(ep(e, T.E_IP)); putLit(L_J_MASQ); nl();
    putLit(L_A); putSep(e);
    if (!large) { putLit(L_COMMENT); putName(); }
    if (affinity > 0) { putLit(L_RECENT_NAME); putSep(e); putLit(L_SET); }
    putMP(); putLit(L_DNAT); putEndpoint(e); nl();
  }
}

// ---- setup shared by full and partial -------------------------------------------------------------------------

/** Reads the header, hashes every service and endpoint, sizes the scratch lists. */
export function setup(): void {
  IN = arenaBase();
  SVC = IN + <usize>hdr(T.H_SVC_OFF);
  EP = IN + <usize>hdr(T.H_EP_OFF);
  STR = IN + <usize>hdr(T.H_STR_OFF);
  BYTES = IN + <usize>hdr(T.H_BYTES_OFF);
  large = hdr(T.H_LARGE) != 0;
  cidr = hdr(T.H_CIDR);
  const nSvc = hdr(T.H_NSVC);
  const nEp = hdr(T.H_NEP);
  // Everything after the input belongs to this call.
  const inputEnd = BYTES + <usize>hdr(T.H_NBYTES);
  arenaReset(inputEnd);
  arenaAlloc(0);
  SVC_HASH = arenaAlloc(<usize>nSvc << 4);
  EP_HASH = arenaAlloc(<usize>nEp << 4);
  let maxEp = 0;
  for (let s = 0; s < nSvc; s++) {
    const n = sv(s, T.S_EP_COUNT);
    if (n > maxEp) maxEp = n;
    hashService(s);
  }
  flushHashes();
  CL = arenaAlloc(<usize>(maxEp + 1) << 2);
  LO = arenaAlloc(<usize>(maxEp + 1) << 2);
  RE = arenaAlloc(<usize>(maxEp + 1) << 2);
}

export { hdr, decide, putStr, nl };
