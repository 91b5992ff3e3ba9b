// An append-only byte writer in linear memory. One writer is current at a time (module globals keep the hot
// path free of objects); `writerSwap` switches between buffers for callers that build text aside (partial
// syncs compare old and new lines). A full buffer moves to a larger arena block.
import { arenaAlloc } from './arena';

let ptr: usize = 0;
let pos: usize = 0;
let cap: usize = 0;

export function writerInit(capacity: usize): void {
  ptr = arenaAlloc(capacity);
  pos = 0;
  cap = capacity;
}

export function writerPtr(): usize { return ptr; }
export function writerLen(): usize { return pos; }
export function writerCap(): usize { return cap; }
export function writerSetLen(n: usize): void { pos = n; }

/** Make another buffer current; returns nothing, callers keep the old triple from writerPtr/Len/Cap. */
export function writerUse(p: usize, len: usize, capacity: usize): void {
  ptr = p;
  pos = len;
  cap = capacity;
}

function grow(need: usize): void {
  let n = cap << 1;
  if (n < pos + need) n = pos + need + 4096;
  const p = arenaAlloc(n);
  memory.copy(p, ptr, pos);
  ptr = p;
  cap = n;
}

// @ts-ignore: decorator
@inline export function reserve(n: usize): void {
  if (pos + n > cap) grow(n);
}

// @ts-ignore: decorator
@inline export function putByte(b: u8): void {
  reserve(1);
  store<u8>(ptr + pos, b);
  pos++;
}

export function putMem(src: usize, n: usize): void {
  // Short pieces (most of a rule) copy 8 bytes at a time: memory.copy costs a runtime call each time. The copy
  // may read and write up to 7 bytes past the piece; the source is always followed by more linear memory and
  // the destination has room reserved for it.
  reserve(n + 8);
  const d = ptr + pos;
  if (n <= 64) {
    for (let i: usize = 0; i < n; i += 8) store<u64>(d + i, load<u64>(src + i));
  } else {
    memory.copy(d, src, n);
  }
  pos += n;
}

/** A constant made with lit(). */
export function putLit(b: ArrayBuffer): void {
  putMem(changetype<usize>(b), <usize>b.byteLength);
}

export function lit(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

export function putDec(v: u32): void {
  reserve(10);
  let n: usize = 1;
  let t = v;
  while (t >= 10) { t /= 10; n++; }
  let p = ptr + pos + n;
  do {
    p--;
    store<u8>(p, <u8>(48 + v % 10));
    v /= 10;
  } while (v != 0);
  pos += n;
}
