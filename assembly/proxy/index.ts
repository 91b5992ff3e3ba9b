// The proxy rule compiler's WASM exports. The host (src/dataplane/proxy/compiler/wasm.ts) writes the flat input
// at inputBase(), calls compileFull or compilePartial, and reads the text and counts from result().
import { arenaAlloc, arenaBase, arenaReset } from '../shared/arena';
import { MSG } from '../shared/sha256';
import { decide, emitChains, emitDispatch, emitFilter, emitRules, hashMessage, hdr, lines, nl, putStr, setup } from './iptables';
import { lit, putByte, putLit, putMem, writerCap, writerInit, writerLen, writerPtr, writerUse } from '../shared/writer';
import * as T from './tables';

const RESULT: usize = memory.data(32);
const HASH_OUT: usize = memory.data(16);

/** Where the host writes `bytes` of input (memory grown to fit). Valid until the next call. */
export function inputBase(bytes: i32): usize {
  const base = arenaBase();
  arenaReset(base);
  arenaAlloc(<usize>bytes);
  return base;
}

/** The message buffer for hash16 (at most 1,024 bytes). */
export function msgPtr(): usize {
  return MSG;
}

/** base32(sha256(MSG[0..len)))[:16], written to the returned pointer. */
export function hash16(len: i32): usize {
  hashMessage(len, HASH_OUT);
  return HASH_OUT;
}

export function result(): usize {
  return RESULT;
}

const L_FILTER_HEAD = lit('*filter\n:KUBE-SERVICES - [0:0]\n:KUBE-EXTERNAL-SERVICES - [0:0]\n:KUBE-FORWARD - [0:0]\n:KUBE-NODEPORTS - [0:0]\n:KUBE-PROXY-FIREWALL - [0:0]\n');
const L_FWD1 = lit('-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP\n-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ');
const L_FWD2 = lit(' -j ACCEPT\n-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\nCOMMIT\n');
const L_NAT_HEAD = lit('*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-NODEPORTS - [0:0]\n:KUBE-POSTROUTING - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n');
const L_POST1 = lit('-A KUBE-POSTROUTING -m mark ! --mark ');
const L_POST2 = lit(' -j RETURN\n-A KUBE-POSTROUTING -j MARK --xor-mark ');
const L_POST3 = lit('\n-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE\n-A KUBE-MARK-MASQ -j MARK --or-mark ');
const L_NP_HEAD = lit('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain"');
const L_NP_LOCAL = lit(' -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS\n');
const L_NP_TAIL = lit(' -j KUBE-NODEPORTS\n');
const L_D = lit(' -d ');
const L_COMMIT = lit('COMMIT\n');
const L_FILTER = lit('*filter\n');
const L_NAT = lit('*nat\n');
const L_DD = lit('-D ');
const L_XX = lit('-X ');
const L_INSERT = lit('-I KUBE-SERVICES 1 ');
const L_A_SERVICES = lit('-A KUBE-SERVICES ');

/** Go's %#08x of 1<<bit: "0x" and at least 8 hex digits. */
function putMark(): void {
  const v: u32 = <u32>1 << <u32>hdr(T.H_MARK_BIT);
  putByte(48); putByte(120);
  // A u32 has at most 8 hex digits, so the width is always exactly 8.
  for (let i = 7; i >= 0; i--) {
    const d = (v >>> (<u32>i * 4)) & 15;
    putByte(<u8>(d < 10 ? 48 + d : 87 + d));
  }
}

function putMarkMask(): void { putMark(); putByte(47); putMark(); }

function isLoopback(i: i32): bool {
  // "127." prefix: the string refs table is read through putStr's helpers, so check bytes here.
  const strs = arenaBase() + <usize>hdr(T.H_STR_OFF);
  const bytes = arenaBase() + <usize>hdr(T.H_BYTES_OFF);
  const off = load<i32>(strs + (<usize>i << 3));
  const len = load<i32>(strs + (<usize>i << 3) + 4);
  if (len < 4) return false;
  const p = bytes + <usize>off;
  return load<u8>(p) == 49 && load<u8>(p + 1) == 50 && load<u8>(p + 2) == 55 && load<u8>(p + 3) == 46;
}

function storeResult(filterRules: i32, natRules: i32, filterChains: i32, natChains: i32): void {
  store<i32>(RESULT, <i32>writerPtr());
  store<i32>(RESULT + 4, <i32>writerLen());
  store<i32>(RESULT + 8, filterRules);
  store<i32>(RESULT + 12, natRules);
  store<i32>(RESULT + 16, filterChains);
  store<i32>(RESULT + 20, natChains);
}

export function compileFull(): void {
  setup();
  const nSvc = hdr(T.H_NSVC);
  writerInit(<usize>hdr(T.H_OUT_CAP));
  putLit(L_FILTER_HEAD);
  let l0 = lines;
  for (let s = 0; s < nSvc; s++) { decide(s); emitFilter(); }
  const filterRules = lines - l0 + 3;
  putLit(L_FWD1); putMarkMask(); putLit(L_FWD2);
  putLit(L_NAT_HEAD);
  l0 = lines;
  for (let s = 0; s < nSvc; s++) { decide(s); emitChains(); }
  const natChains = lines - l0 + 4;
  putLit(L_POST1); putMarkMask(); putLit(L_POST2); putMark(); putLit(L_POST3); putMark(); nl();
  l0 = lines;
  for (let s = 0; s < nSvc; s++) { decide(s); emitDispatch(); emitRules(); }
  let natRules = lines - l0 + 4;
  const n0 = hdr(T.H_NODEIP_START);
  const nn = hdr(T.H_NODEIP_COUNT);
  if (nn == 0) { putLit(L_NP_HEAD); putLit(L_NP_LOCAL); natRules++; }
  for (let i = n0; i < n0 + nn; i++) {
    if (isLoopback(i)) continue;
    putLit(L_NP_HEAD); putLit(L_D); putStr(i); putLit(L_NP_TAIL); natRules++;
  }
  putLit(L_COMMIT);
  storeResult(filterRules, natRules, 5, natChains);
}

// ---- partial ----------------------------------------------------------------------------------------------------

const SEC_FILTER = 0;
const SEC_CHAINS = 1;
const SEC_DISPATCH = 2;
const SEC_RULES = 3;

const MODE_ASIS = 0;
const MODE_DELETE = 1;
const MODE_INSERT = 2;
const MODE_DROP = 3;

// Output writer triple while a scratch buffer is current.
let oPtr: usize = 0, oLen: usize = 0, oCap: usize = 0;
let aPtr: usize = 0, aLen: usize = 0, aCap: usize = 0;
let bPtr: usize = 0, bLen: usize = 0, bCap: usize = 0;
let written: i32 = 0;

function emitSection(s: i32, sec: i32): void {
  if (s < 0) return;
  decide(s);
  if (sec == SEC_FILTER) emitFilter();
  else if (sec == SEC_CHAINS) emitChains();
  else if (sec == SEC_DISPATCH) emitDispatch();
  else emitRules();
}

/** Emit section `sec` of old service `a` and new service `b` into the two scratch buffers. */
function both(a: i32, b: i32, sec: i32): void {
  oPtr = writerPtr(); oLen = writerLen(); oCap = writerCap();
  writerUse(aPtr, 0, aCap); emitSection(a, sec); aPtr = writerPtr(); aLen = writerLen(); aCap = writerCap();
  writerUse(bPtr, 0, bCap); emitSection(b, sec); bPtr = writerPtr(); bLen = writerLen(); bCap = writerCap();
  writerUse(oPtr, oLen, oCap);
}

function lineEnd(p: usize, end: usize): usize {
  while (p < end && load<u8>(p) != 10) p++;
  return p;
}

function sameLine(p: usize, n: usize, q: usize, m: usize): bool {
  return n == m && memory.compare(p, q, n) == 0;
}

let USED: usize = 0;
let usedCap: i32 = 0;

/** Write the lines of (xPtr, xLen) that are not in (yPtr, yLen), as multisets, transformed by `mode`. */
function minus(xPtr: usize, xLen: usize, yPtr: usize, yLen: usize, mode: i32): void {
  // Count y's lines to size the used-flags.
  let ny = 0;
  for (let p = yPtr; p < yPtr + yLen; p++) if (load<u8>(p) == 10) ny++;
  if (ny > usedCap) { usedCap = ny * 2 + 16; USED = arenaAlloc(<usize>usedCap); }
  memory.fill(USED, 0, <usize>ny);
  let p = xPtr;
  const xEnd = xPtr + xLen;
  while (p < xEnd) {
    const e = lineEnd(p, xEnd);
    const n = e - p;
    let found = false;
    let q = yPtr;
    const yEnd = yPtr + yLen;
    let k = 0;
    while (q < yEnd) {
      const f = lineEnd(q, yEnd);
      if (load<u8>(USED + <usize>k) == 0 && sameLine(p, n, q, f - q)) {
        store<u8>(USED + <usize>k, 1);
        found = true;
        break;
      }
      q = f + 1;
      k++;
    }
    if (!found) writeLine(p, n, mode);
    p = e + 1;
  }
}

function writeLine(p: usize, n: usize, mode: i32): void {
  written++;
  if (mode == MODE_DELETE) {
    putLit(L_DD); putMem(p + 3, n - 3);
  } else if (mode == MODE_INSERT && n > 17 && memory.compare(p, changetype<usize>(L_A_SERVICES), 17) == 0) {
    putLit(L_INSERT); putMem(p + 17, n - 17);
  } else if (mode == MODE_DROP) {
    // ":NAME - [0:0]" → "-X NAME"
    putLit(L_XX); putMem(p + 1, n - 1 - 8);
  } else {
    putMem(p, n);
  }
  putByte(10);
}

export function compilePartial(): void {
  setup();
  const np = hdr(T.H_NPAIRS);
  const pairs = arenaBase() + <usize>hdr(T.H_PAIRS_OFF);
  writerInit(<usize>hdr(T.H_OUT_CAP));
  aCap = 4096; aPtr = arenaAlloc(aCap);
  bCap = 4096; bPtr = arenaAlloc(bCap);
  usedCap = 0;
  putLit(L_FILTER);
  written = 0;
  for (let i = 0; i < np; i++) {
    both(load<i32>(pairs + (<usize>i << 3)), load<i32>(pairs + (<usize>i << 3) + 4), SEC_FILTER);
    minus(aPtr, aLen, bPtr, bLen, MODE_DELETE);
  }
  for (let i = 0; i < np; i++) {
    both(load<i32>(pairs + (<usize>i << 3)), load<i32>(pairs + (<usize>i << 3) + 4), SEC_FILTER);
    minus(bPtr, bLen, aPtr, aLen, MODE_ASIS);
  }
  const filterRules = written;
  putLit(L_COMMIT);
  putLit(L_NAT);
  written = 0;
  for (let i = 0; i < np; i++) {
    both(load<i32>(pairs + (<usize>i << 3)), load<i32>(pairs + (<usize>i << 3) + 4), SEC_CHAINS);
    putMem(bPtr, bLen);
    for (let p = bPtr; p < bPtr + bLen; p++) if (load<u8>(p) == 10) written++;
    minus(aPtr, aLen, bPtr, bLen, MODE_ASIS);
  }
  const natChains = written;
  written = 0;
  for (let i = 0; i < np; i++) {
    both(load<i32>(pairs + (<usize>i << 3)), load<i32>(pairs + (<usize>i << 3) + 4), SEC_DISPATCH);
    minus(aPtr, aLen, bPtr, bLen, MODE_DELETE);
  }
  for (let i = 0; i < np; i++) {
    const l0 = lines;
    emitSection(load<i32>(pairs + (<usize>i << 3) + 4), SEC_RULES);
    written += lines - l0;
  }
  for (let i = 0; i < np; i++) {
    both(load<i32>(pairs + (<usize>i << 3)), load<i32>(pairs + (<usize>i << 3) + 4), SEC_DISPATCH);
    minus(bPtr, bLen, aPtr, aLen, MODE_INSERT);
  }
  for (let i = 0; i < np; i++) {
    both(load<i32>(pairs + (<usize>i << 3)), load<i32>(pairs + (<usize>i << 3) + 4), SEC_CHAINS);
    minus(aPtr, aLen, bPtr, bLen, MODE_DROP);
  }
  const natRules = written;
  putLit(L_COMMIT);
  storeResult(filterRules, natRules, 0, natChains);
}
