// SHA-256 (FIPS 180-4) over a message that callers build in MSG, for kube-proxy's chain-name hashes.
// Messages are short (a service port name, protocol, endpoint): one or two blocks, padded in place. The 64
// rounds are unrolled with the message schedule in locals (generated; half the time of a loop over memory).

/** Largest message accepted (bytes); names are far shorter (namespace + name + port + endpoint < 250). */
export const MSG_CAP: i32 = 1024;
/** Message buffer: callers write the message here, then call sha256(len). */
export const MSG: usize = memory.data(MSG_CAP + 128);
/** Digest output (32 bytes, big-endian words). */
export const DIGEST: usize = memory.data(32);

// @ts-ignore: decorator
@inline function rotr(x: u32, n: u32): u32 {
  return (x >>> n) | (x << (32 - n));
}

export function sha256(len: i32): void {
  // Pad in place: 0x80, zeros, 64-bit big-endian bit length.
  const total = ((len + 9 + 63) >> 6) << 6;
  store<u8>(MSG + <usize>len, 0x80);
  memory.fill(MSG + <usize>len + 1, 0, <usize>(total - len - 9));
  store<u64>(MSG + <usize>total - 8, bswap<u64>(<u64>len << 3));
  let h0: u32 = 0x6a09e667, h1: u32 = 0xbb67ae85, h2: u32 = 0x3c6ef372, h3: u32 = 0xa54ff53a;
  let h4: u32 = 0x510e527f, h5: u32 = 0x9b05688c, h6: u32 = 0x1f83d9ab, h7: u32 = 0x5be0cd19;
  for (let off = 0; off < total; off += 64) {
    const blk = MSG + <usize>off;
    let w0: u32 = bswap<u32>(load<u32>(blk + 0));
    let w1: u32 = bswap<u32>(load<u32>(blk + 4));
    let w2: u32 = bswap<u32>(load<u32>(blk + 8));
    let w3: u32 = bswap<u32>(load<u32>(blk + 12));
    let w4: u32 = bswap<u32>(load<u32>(blk + 16));
    let w5: u32 = bswap<u32>(load<u32>(blk + 20));
    let w6: u32 = bswap<u32>(load<u32>(blk + 24));
    let w7: u32 = bswap<u32>(load<u32>(blk + 28));
    let w8: u32 = bswap<u32>(load<u32>(blk + 32));
    let w9: u32 = bswap<u32>(load<u32>(blk + 36));
    let w10: u32 = bswap<u32>(load<u32>(blk + 40));
    let w11: u32 = bswap<u32>(load<u32>(blk + 44));
    let w12: u32 = bswap<u32>(load<u32>(blk + 48));
    let w13: u32 = bswap<u32>(load<u32>(blk + 52));
    let w14: u32 = bswap<u32>(load<u32>(blk + 56));
    let w15: u32 = bswap<u32>(load<u32>(blk + 60));
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    let t1: u32 = 0;
    t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + 0x428a2f98 + w0; d += t1; h = t1 + (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    t1 = g + (rotr(d, 6) ^ rotr(d, 11) ^ rotr(d, 25)) + ((d & e) ^ (~d & f)) + 0x71374491 + w1; c += t1; g = t1 + (rotr(h, 2) ^ rotr(h, 13) ^ rotr(h, 22)) + ((h & a) ^ (h & b) ^ (a & b));
    t1 = f + (rotr(c, 6) ^ rotr(c, 11) ^ rotr(c, 25)) + ((c & d) ^ (~c & e)) + 0xb5c0fbcf + w2; b += t1; f = t1 + (rotr(g, 2) ^ rotr(g, 13) ^ rotr(g, 22)) + ((g & h) ^ (g & a) ^ (h & a));
    t1 = e + (rotr(b, 6) ^ rotr(b, 11) ^ rotr(b, 25)) + ((b & c) ^ (~b & d)) + 0xe9b5dba5 + w3; a += t1; e = t1 + (rotr(f, 2) ^ rotr(f, 13) ^ rotr(f, 22)) + ((f & g) ^ (f & h) ^ (g & h));
    t1 = d + (rotr(a, 6) ^ rotr(a, 11) ^ rotr(a, 25)) + ((a & b) ^ (~a & c)) + 0x3956c25b + w4; h += t1; d = t1 + (rotr(e, 2) ^ rotr(e, 13) ^ rotr(e, 22)) + ((e & f) ^ (e & g) ^ (f & g));
    t1 = c + (rotr(h, 6) ^ rotr(h, 11) ^ rotr(h, 25)) + ((h & a) ^ (~h & b)) + 0x59f111f1 + w5; g += t1; c = t1 + (rotr(d, 2) ^ rotr(d, 13) ^ rotr(d, 22)) + ((d & e) ^ (d & f) ^ (e & f));
    t1 = b + (rotr(g, 6) ^ rotr(g, 11) ^ rotr(g, 25)) + ((g & h) ^ (~g & a)) + 0x923f82a4 + w6; f += t1; b = t1 + (rotr(c, 2) ^ rotr(c, 13) ^ rotr(c, 22)) + ((c & d) ^ (c & e) ^ (d & e));
    t1 = a + (rotr(f, 6) ^ rotr(f, 11) ^ rotr(f, 25)) + ((f & g) ^ (~f & h)) + 0xab1c5ed5 + w7; e += t1; a = t1 + (rotr(b, 2) ^ rotr(b, 13) ^ rotr(b, 22)) + ((b & c) ^ (b & d) ^ (c & d));
    t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + 0xd807aa98 + w8; d += t1; h = t1 + (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    t1 = g + (rotr(d, 6) ^ rotr(d, 11) ^ rotr(d, 25)) + ((d & e) ^ (~d & f)) + 0x12835b01 + w9; c += t1; g = t1 + (rotr(h, 2) ^ rotr(h, 13) ^ rotr(h, 22)) + ((h & a) ^ (h & b) ^ (a & b));
    t1 = f + (rotr(c, 6) ^ rotr(c, 11) ^ rotr(c, 25)) + ((c & d) ^ (~c & e)) + 0x243185be + w10; b += t1; f = t1 + (rotr(g, 2) ^ rotr(g, 13) ^ rotr(g, 22)) + ((g & h) ^ (g & a) ^ (h & a));
    t1 = e + (rotr(b, 6) ^ rotr(b, 11) ^ rotr(b, 25)) + ((b & c) ^ (~b & d)) + 0x550c7dc3 + w11; a += t1; e = t1 + (rotr(f, 2) ^ rotr(f, 13) ^ rotr(f, 22)) + ((f & g) ^ (f & h) ^ (g & h));
    t1 = d + (rotr(a, 6) ^ rotr(a, 11) ^ rotr(a, 25)) + ((a & b) ^ (~a & c)) + 0x72be5d74 + w12; h += t1; d = t1 + (rotr(e, 2) ^ rotr(e, 13) ^ rotr(e, 22)) + ((e & f) ^ (e & g) ^ (f & g));
    t1 = c + (rotr(h, 6) ^ rotr(h, 11) ^ rotr(h, 25)) + ((h & a) ^ (~h & b)) + 0x80deb1fe + w13; g += t1; c = t1 + (rotr(d, 2) ^ rotr(d, 13) ^ rotr(d, 22)) + ((d & e) ^ (d & f) ^ (e & f));
    t1 = b + (rotr(g, 6) ^ rotr(g, 11) ^ rotr(g, 25)) + ((g & h) ^ (~g & a)) + 0x9bdc06a7 + w14; f += t1; b = t1 + (rotr(c, 2) ^ rotr(c, 13) ^ rotr(c, 22)) + ((c & d) ^ (c & e) ^ (d & e));
    t1 = a + (rotr(f, 6) ^ rotr(f, 11) ^ rotr(f, 25)) + ((f & g) ^ (~f & h)) + 0xc19bf174 + w15; e += t1; a = t1 + (rotr(b, 2) ^ rotr(b, 13) ^ rotr(b, 22)) + ((b & c) ^ (b & d) ^ (c & d));
    w0 += (rotr(w1, 7) ^ rotr(w1, 18) ^ (w1 >>> 3)) + w9 + (rotr(w14, 17) ^ rotr(w14, 19) ^ (w14 >>> 10));
    t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + 0xe49b69c1 + w0; d += t1; h = t1 + (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    w1 += (rotr(w2, 7) ^ rotr(w2, 18) ^ (w2 >>> 3)) + w10 + (rotr(w15, 17) ^ rotr(w15, 19) ^ (w15 >>> 10));
    t1 = g + (rotr(d, 6) ^ rotr(d, 11) ^ rotr(d, 25)) + ((d & e) ^ (~d & f)) + 0xefbe4786 + w1; c += t1; g = t1 + (rotr(h, 2) ^ rotr(h, 13) ^ rotr(h, 22)) + ((h & a) ^ (h & b) ^ (a & b));
    w2 += (rotr(w3, 7) ^ rotr(w3, 18) ^ (w3 >>> 3)) + w11 + (rotr(w0, 17) ^ rotr(w0, 19) ^ (w0 >>> 10));
    t1 = f + (rotr(c, 6) ^ rotr(c, 11) ^ rotr(c, 25)) + ((c & d) ^ (~c & e)) + 0x0fc19dc6 + w2; b += t1; f = t1 + (rotr(g, 2) ^ rotr(g, 13) ^ rotr(g, 22)) + ((g & h) ^ (g & a) ^ (h & a));
    w3 += (rotr(w4, 7) ^ rotr(w4, 18) ^ (w4 >>> 3)) + w12 + (rotr(w1, 17) ^ rotr(w1, 19) ^ (w1 >>> 10));
    t1 = e + (rotr(b, 6) ^ rotr(b, 11) ^ rotr(b, 25)) + ((b & c) ^ (~b & d)) + 0x240ca1cc + w3; a += t1; e = t1 + (rotr(f, 2) ^ rotr(f, 13) ^ rotr(f, 22)) + ((f & g) ^ (f & h) ^ (g & h));
    w4 += (rotr(w5, 7) ^ rotr(w5, 18) ^ (w5 >>> 3)) + w13 + (rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10));
    t1 = d + (rotr(a, 6) ^ rotr(a, 11) ^ rotr(a, 25)) + ((a & b) ^ (~a & c)) + 0x2de92c6f + w4; h += t1; d = t1 + (rotr(e, 2) ^ rotr(e, 13) ^ rotr(e, 22)) + ((e & f) ^ (e & g) ^ (f & g));
    w5 += (rotr(w6, 7) ^ rotr(w6, 18) ^ (w6 >>> 3)) + w14 + (rotr(w3, 17) ^ rotr(w3, 19) ^ (w3 >>> 10));
    t1 = c + (rotr(h, 6) ^ rotr(h, 11) ^ rotr(h, 25)) + ((h & a) ^ (~h & b)) + 0x4a7484aa + w5; g += t1; c = t1 + (rotr(d, 2) ^ rotr(d, 13) ^ rotr(d, 22)) + ((d & e) ^ (d & f) ^ (e & f));
    w6 += (rotr(w7, 7) ^ rotr(w7, 18) ^ (w7 >>> 3)) + w15 + (rotr(w4, 17) ^ rotr(w4, 19) ^ (w4 >>> 10));
    t1 = b + (rotr(g, 6) ^ rotr(g, 11) ^ rotr(g, 25)) + ((g & h) ^ (~g & a)) + 0x5cb0a9dc + w6; f += t1; b = t1 + (rotr(c, 2) ^ rotr(c, 13) ^ rotr(c, 22)) + ((c & d) ^ (c & e) ^ (d & e));
    w7 += (rotr(w8, 7) ^ rotr(w8, 18) ^ (w8 >>> 3)) + w0 + (rotr(w5, 17) ^ rotr(w5, 19) ^ (w5 >>> 10));
    t1 = a + (rotr(f, 6) ^ rotr(f, 11) ^ rotr(f, 25)) + ((f & g) ^ (~f & h)) + 0x76f988da + w7; e += t1; a = t1 + (rotr(b, 2) ^ rotr(b, 13) ^ rotr(b, 22)) + ((b & c) ^ (b & d) ^ (c & d));
    w8 += (rotr(w9, 7) ^ rotr(w9, 18) ^ (w9 >>> 3)) + w1 + (rotr(w6, 17) ^ rotr(w6, 19) ^ (w6 >>> 10));
    t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + 0x983e5152 + w8; d += t1; h = t1 + (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    w9 += (rotr(w10, 7) ^ rotr(w10, 18) ^ (w10 >>> 3)) + w2 + (rotr(w7, 17) ^ rotr(w7, 19) ^ (w7 >>> 10));
    t1 = g + (rotr(d, 6) ^ rotr(d, 11) ^ rotr(d, 25)) + ((d & e) ^ (~d & f)) + 0xa831c66d + w9; c += t1; g = t1 + (rotr(h, 2) ^ rotr(h, 13) ^ rotr(h, 22)) + ((h & a) ^ (h & b) ^ (a & b));
    w10 += (rotr(w11, 7) ^ rotr(w11, 18) ^ (w11 >>> 3)) + w3 + (rotr(w8, 17) ^ rotr(w8, 19) ^ (w8 >>> 10));
    t1 = f + (rotr(c, 6) ^ rotr(c, 11) ^ rotr(c, 25)) + ((c & d) ^ (~c & e)) + 0xb00327c8 + w10; b += t1; f = t1 + (rotr(g, 2) ^ rotr(g, 13) ^ rotr(g, 22)) + ((g & h) ^ (g & a) ^ (h & a));
    w11 += (rotr(w12, 7) ^ rotr(w12, 18) ^ (w12 >>> 3)) + w4 + (rotr(w9, 17) ^ rotr(w9, 19) ^ (w9 >>> 10));
    t1 = e + (rotr(b, 6) ^ rotr(b, 11) ^ rotr(b, 25)) + ((b & c) ^ (~b & d)) + 0xbf597fc7 + w11; a += t1; e = t1 + (rotr(f, 2) ^ rotr(f, 13) ^ rotr(f, 22)) + ((f & g) ^ (f & h) ^ (g & h));
    w12 += (rotr(w13, 7) ^ rotr(w13, 18) ^ (w13 >>> 3)) + w5 + (rotr(w10, 17) ^ rotr(w10, 19) ^ (w10 >>> 10));
    t1 = d + (rotr(a, 6) ^ rotr(a, 11) ^ rotr(a, 25)) + ((a & b) ^ (~a & c)) + 0xc6e00bf3 + w12; h += t1; d = t1 + (rotr(e, 2) ^ rotr(e, 13) ^ rotr(e, 22)) + ((e & f) ^ (e & g) ^ (f & g));
    w13 += (rotr(w14, 7) ^ rotr(w14, 18) ^ (w14 >>> 3)) + w6 + (rotr(w11, 17) ^ rotr(w11, 19) ^ (w11 >>> 10));
    t1 = c + (rotr(h, 6) ^ rotr(h, 11) ^ rotr(h, 25)) + ((h & a) ^ (~h & b)) + 0xd5a79147 + w13; g += t1; c = t1 + (rotr(d, 2) ^ rotr(d, 13) ^ rotr(d, 22)) + ((d & e) ^ (d & f) ^ (e & f));
    w14 += (rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3)) + w7 + (rotr(w12, 17) ^ rotr(w12, 19) ^ (w12 >>> 10));
    t1 = b + (rotr(g, 6) ^ rotr(g, 11) ^ rotr(g, 25)) + ((g & h) ^ (~g & a)) + 0x06ca6351 + w14; f += t1; b = t1 + (rotr(c, 2) ^ rotr(c, 13) ^ rotr(c, 22)) + ((c & d) ^ (c & e) ^ (d & e));
    w15 += (rotr(w0, 7) ^ rotr(w0, 18) ^ (w0 >>> 3)) + w8 + (rotr(w13, 17) ^ rotr(w13, 19) ^ (w13 >>> 10));
    t1 = a + (rotr(f, 6) ^ rotr(f, 11) ^ rotr(f, 25)) + ((f & g) ^ (~f & h)) + 0x14292967 + w15; e += t1; a = t1 + (rotr(b, 2) ^ rotr(b, 13) ^ rotr(b, 22)) + ((b & c) ^ (b & d) ^ (c & d));
    w0 += (rotr(w1, 7) ^ rotr(w1, 18) ^ (w1 >>> 3)) + w9 + (rotr(w14, 17) ^ rotr(w14, 19) ^ (w14 >>> 10));
    t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + 0x27b70a85 + w0; d += t1; h = t1 + (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    w1 += (rotr(w2, 7) ^ rotr(w2, 18) ^ (w2 >>> 3)) + w10 + (rotr(w15, 17) ^ rotr(w15, 19) ^ (w15 >>> 10));
    t1 = g + (rotr(d, 6) ^ rotr(d, 11) ^ rotr(d, 25)) + ((d & e) ^ (~d & f)) + 0x2e1b2138 + w1; c += t1; g = t1 + (rotr(h, 2) ^ rotr(h, 13) ^ rotr(h, 22)) + ((h & a) ^ (h & b) ^ (a & b));
    w2 += (rotr(w3, 7) ^ rotr(w3, 18) ^ (w3 >>> 3)) + w11 + (rotr(w0, 17) ^ rotr(w0, 19) ^ (w0 >>> 10));
    t1 = f + (rotr(c, 6) ^ rotr(c, 11) ^ rotr(c, 25)) + ((c & d) ^ (~c & e)) + 0x4d2c6dfc + w2; b += t1; f = t1 + (rotr(g, 2) ^ rotr(g, 13) ^ rotr(g, 22)) + ((g & h) ^ (g & a) ^ (h & a));
    w3 += (rotr(w4, 7) ^ rotr(w4, 18) ^ (w4 >>> 3)) + w12 + (rotr(w1, 17) ^ rotr(w1, 19) ^ (w1 >>> 10));
    t1 = e + (rotr(b, 6) ^ rotr(b, 11) ^ rotr(b, 25)) + ((b & c) ^ (~b & d)) + 0x53380d13 + w3; a += t1; e = t1 + (rotr(f, 2) ^ rotr(f, 13) ^ rotr(f, 22)) + ((f & g) ^ (f & h) ^ (g & h));
    w4 += (rotr(w5, 7) ^ rotr(w5, 18) ^ (w5 >>> 3)) + w13 + (rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10));
    t1 = d + (rotr(a, 6) ^ rotr(a, 11) ^ rotr(a, 25)) + ((a & b) ^ (~a & c)) + 0x650a7354 + w4; h += t1; d = t1 + (rotr(e, 2) ^ rotr(e, 13) ^ rotr(e, 22)) + ((e & f) ^ (e & g) ^ (f & g));
    w5 += (rotr(w6, 7) ^ rotr(w6, 18) ^ (w6 >>> 3)) + w14 + (rotr(w3, 17) ^ rotr(w3, 19) ^ (w3 >>> 10));
    t1 = c + (rotr(h, 6) ^ rotr(h, 11) ^ rotr(h, 25)) + ((h & a) ^ (~h & b)) + 0x766a0abb + w5; g += t1; c = t1 + (rotr(d, 2) ^ rotr(d, 13) ^ rotr(d, 22)) + ((d & e) ^ (d & f) ^ (e & f));
    w6 += (rotr(w7, 7) ^ rotr(w7, 18) ^ (w7 >>> 3)) + w15 + (rotr(w4, 17) ^ rotr(w4, 19) ^ (w4 >>> 10));
    t1 = b + (rotr(g, 6) ^ rotr(g, 11) ^ rotr(g, 25)) + ((g & h) ^ (~g & a)) + 0x81c2c92e + w6; f += t1; b = t1 + (rotr(c, 2) ^ rotr(c, 13) ^ rotr(c, 22)) + ((c & d) ^ (c & e) ^ (d & e));
    w7 += (rotr(w8, 7) ^ rotr(w8, 18) ^ (w8 >>> 3)) + w0 + (rotr(w5, 17) ^ rotr(w5, 19) ^ (w5 >>> 10));
    t1 = a + (rotr(f, 6) ^ rotr(f, 11) ^ rotr(f, 25)) + ((f & g) ^ (~f & h)) + 0x92722c85 + w7; e += t1; a = t1 + (rotr(b, 2) ^ rotr(b, 13) ^ rotr(b, 22)) + ((b & c) ^ (b & d) ^ (c & d));
    w8 += (rotr(w9, 7) ^ rotr(w9, 18) ^ (w9 >>> 3)) + w1 + (rotr(w6, 17) ^ rotr(w6, 19) ^ (w6 >>> 10));
    t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + 0xa2bfe8a1 + w8; d += t1; h = t1 + (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    w9 += (rotr(w10, 7) ^ rotr(w10, 18) ^ (w10 >>> 3)) + w2 + (rotr(w7, 17) ^ rotr(w7, 19) ^ (w7 >>> 10));
    t1 = g + (rotr(d, 6) ^ rotr(d, 11) ^ rotr(d, 25)) + ((d & e) ^ (~d & f)) + 0xa81a664b + w9; c += t1; g = t1 + (rotr(h, 2) ^ rotr(h, 13) ^ rotr(h, 22)) + ((h & a) ^ (h & b) ^ (a & b));
    w10 += (rotr(w11, 7) ^ rotr(w11, 18) ^ (w11 >>> 3)) + w3 + (rotr(w8, 17) ^ rotr(w8, 19) ^ (w8 >>> 10));
    t1 = f + (rotr(c, 6) ^ rotr(c, 11) ^ rotr(c, 25)) + ((c & d) ^ (~c & e)) + 0xc24b8b70 + w10; b += t1; f = t1 + (rotr(g, 2) ^ rotr(g, 13) ^ rotr(g, 22)) + ((g & h) ^ (g & a) ^ (h & a));
    w11 += (rotr(w12, 7) ^ rotr(w12, 18) ^ (w12 >>> 3)) + w4 + (rotr(w9, 17) ^ rotr(w9, 19) ^ (w9 >>> 10));
    t1 = e + (rotr(b, 6) ^ rotr(b, 11) ^ rotr(b, 25)) + ((b & c) ^ (~b & d)) + 0xc76c51a3 + w11; a += t1; e = t1 + (rotr(f, 2) ^ rotr(f, 13) ^ rotr(f, 22)) + ((f & g) ^ (f & h) ^ (g & h));
    w12 += (rotr(w13, 7) ^ rotr(w13, 18) ^ (w13 >>> 3)) + w5 + (rotr(w10, 17) ^ rotr(w10, 19) ^ (w10 >>> 10));
    t1 = d + (rotr(a, 6) ^ rotr(a, 11) ^ rotr(a, 25)) + ((a & b) ^ (~a & c)) + 0xd192e819 + w12; h += t1; d = t1 + (rotr(e, 2) ^ rotr(e, 13) ^ rotr(e, 22)) + ((e & f) ^ (e & g) ^ (f & g));
    w13 += (rotr(w14, 7) ^ rotr(w14, 18) ^ (w14 >>> 3)) + w6 + (rotr(w11, 17) ^ rotr(w11, 19) ^ (w11 >>> 10));
    t1 = c + (rotr(h, 6) ^ rotr(h, 11) ^ rotr(h, 25)) + ((h & a) ^ (~h & b)) + 0xd6990624 + w13; g += t1; c = t1 + (rotr(d, 2) ^ rotr(d, 13) ^ rotr(d, 22)) + ((d & e) ^ (d & f) ^ (e & f));
    w14 += (rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3)) + w7 + (rotr(w12, 17) ^ rotr(w12, 19) ^ (w12 >>> 10));
    t1 = b + (rotr(g, 6) ^ rotr(g, 11) ^ rotr(g, 25)) + ((g & h) ^ (~g & a)) + 0xf40e3585 + w14; f += t1; b = t1 + (rotr(c, 2) ^ rotr(c, 13) ^ rotr(c, 22)) + ((c & d) ^ (c & e) ^ (d & e));
    w15 += (rotr(w0, 7) ^ rotr(w0, 18) ^ (w0 >>> 3)) + w8 + (rotr(w13, 17) ^ rotr(w13, 19) ^ (w13 >>> 10));
    t1 = a + (rotr(f, 6) ^ rotr(f, 11) ^ rotr(f, 25)) + ((f & g) ^ (~f & h)) + 0x106aa070 + w15; e += t1; a = t1 + (rotr(b, 2) ^ rotr(b, 13) ^ rotr(b, 22)) + ((b & c) ^ (b & d) ^ (c & d));
    w0 += (rotr(w1, 7) ^ rotr(w1, 18) ^ (w1 >>> 3)) + w9 + (rotr(w14, 17) ^ rotr(w14, 19) ^ (w14 >>> 10));
    t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + 0x19a4c116 + w0; d += t1; h = t1 + (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    w1 += (rotr(w2, 7) ^ rotr(w2, 18) ^ (w2 >>> 3)) + w10 + (rotr(w15, 17) ^ rotr(w15, 19) ^ (w15 >>> 10));
    t1 = g + (rotr(d, 6) ^ rotr(d, 11) ^ rotr(d, 25)) + ((d & e) ^ (~d & f)) + 0x1e376c08 + w1; c += t1; g = t1 + (rotr(h, 2) ^ rotr(h, 13) ^ rotr(h, 22)) + ((h & a) ^ (h & b) ^ (a & b));
    w2 += (rotr(w3, 7) ^ rotr(w3, 18) ^ (w3 >>> 3)) + w11 + (rotr(w0, 17) ^ rotr(w0, 19) ^ (w0 >>> 10));
    t1 = f + (rotr(c, 6) ^ rotr(c, 11) ^ rotr(c, 25)) + ((c & d) ^ (~c & e)) + 0x2748774c + w2; b += t1; f = t1 + (rotr(g, 2) ^ rotr(g, 13) ^ rotr(g, 22)) + ((g & h) ^ (g & a) ^ (h & a));
    w3 += (rotr(w4, 7) ^ rotr(w4, 18) ^ (w4 >>> 3)) + w12 + (rotr(w1, 17) ^ rotr(w1, 19) ^ (w1 >>> 10));
    t1 = e + (rotr(b, 6) ^ rotr(b, 11) ^ rotr(b, 25)) + ((b & c) ^ (~b & d)) + 0x34b0bcb5 + w3; a += t1; e = t1 + (rotr(f, 2) ^ rotr(f, 13) ^ rotr(f, 22)) + ((f & g) ^ (f & h) ^ (g & h));
    w4 += (rotr(w5, 7) ^ rotr(w5, 18) ^ (w5 >>> 3)) + w13 + (rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10));
    t1 = d + (rotr(a, 6) ^ rotr(a, 11) ^ rotr(a, 25)) + ((a & b) ^ (~a & c)) + 0x391c0cb3 + w4; h += t1; d = t1 + (rotr(e, 2) ^ rotr(e, 13) ^ rotr(e, 22)) + ((e & f) ^ (e & g) ^ (f & g));
    w5 += (rotr(w6, 7) ^ rotr(w6, 18) ^ (w6 >>> 3)) + w14 + (rotr(w3, 17) ^ rotr(w3, 19) ^ (w3 >>> 10));
    t1 = c + (rotr(h, 6) ^ rotr(h, 11) ^ rotr(h, 25)) + ((h & a) ^ (~h & b)) + 0x4ed8aa4a + w5; g += t1; c = t1 + (rotr(d, 2) ^ rotr(d, 13) ^ rotr(d, 22)) + ((d & e) ^ (d & f) ^ (e & f));
    w6 += (rotr(w7, 7) ^ rotr(w7, 18) ^ (w7 >>> 3)) + w15 + (rotr(w4, 17) ^ rotr(w4, 19) ^ (w4 >>> 10));
    t1 = b + (rotr(g, 6) ^ rotr(g, 11) ^ rotr(g, 25)) + ((g & h) ^ (~g & a)) + 0x5b9cca4f + w6; f += t1; b = t1 + (rotr(c, 2) ^ rotr(c, 13) ^ rotr(c, 22)) + ((c & d) ^ (c & e) ^ (d & e));
    w7 += (rotr(w8, 7) ^ rotr(w8, 18) ^ (w8 >>> 3)) + w0 + (rotr(w5, 17) ^ rotr(w5, 19) ^ (w5 >>> 10));
    t1 = a + (rotr(f, 6) ^ rotr(f, 11) ^ rotr(f, 25)) + ((f & g) ^ (~f & h)) + 0x682e6ff3 + w7; e += t1; a = t1 + (rotr(b, 2) ^ rotr(b, 13) ^ rotr(b, 22)) + ((b & c) ^ (b & d) ^ (c & d));
    w8 += (rotr(w9, 7) ^ rotr(w9, 18) ^ (w9 >>> 3)) + w1 + (rotr(w6, 17) ^ rotr(w6, 19) ^ (w6 >>> 10));
    t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + 0x748f82ee + w8; d += t1; h = t1 + (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    w9 += (rotr(w10, 7) ^ rotr(w10, 18) ^ (w10 >>> 3)) + w2 + (rotr(w7, 17) ^ rotr(w7, 19) ^ (w7 >>> 10));
    t1 = g + (rotr(d, 6) ^ rotr(d, 11) ^ rotr(d, 25)) + ((d & e) ^ (~d & f)) + 0x78a5636f + w9; c += t1; g = t1 + (rotr(h, 2) ^ rotr(h, 13) ^ rotr(h, 22)) + ((h & a) ^ (h & b) ^ (a & b));
    w10 += (rotr(w11, 7) ^ rotr(w11, 18) ^ (w11 >>> 3)) + w3 + (rotr(w8, 17) ^ rotr(w8, 19) ^ (w8 >>> 10));
    t1 = f + (rotr(c, 6) ^ rotr(c, 11) ^ rotr(c, 25)) + ((c & d) ^ (~c & e)) + 0x84c87814 + w10; b += t1; f = t1 + (rotr(g, 2) ^ rotr(g, 13) ^ rotr(g, 22)) + ((g & h) ^ (g & a) ^ (h & a));
    w11 += (rotr(w12, 7) ^ rotr(w12, 18) ^ (w12 >>> 3)) + w4 + (rotr(w9, 17) ^ rotr(w9, 19) ^ (w9 >>> 10));
    t1 = e + (rotr(b, 6) ^ rotr(b, 11) ^ rotr(b, 25)) + ((b & c) ^ (~b & d)) + 0x8cc70208 + w11; a += t1; e = t1 + (rotr(f, 2) ^ rotr(f, 13) ^ rotr(f, 22)) + ((f & g) ^ (f & h) ^ (g & h));
    w12 += (rotr(w13, 7) ^ rotr(w13, 18) ^ (w13 >>> 3)) + w5 + (rotr(w10, 17) ^ rotr(w10, 19) ^ (w10 >>> 10));
    t1 = d + (rotr(a, 6) ^ rotr(a, 11) ^ rotr(a, 25)) + ((a & b) ^ (~a & c)) + 0x90befffa + w12; h += t1; d = t1 + (rotr(e, 2) ^ rotr(e, 13) ^ rotr(e, 22)) + ((e & f) ^ (e & g) ^ (f & g));
    w13 += (rotr(w14, 7) ^ rotr(w14, 18) ^ (w14 >>> 3)) + w6 + (rotr(w11, 17) ^ rotr(w11, 19) ^ (w11 >>> 10));
    t1 = c + (rotr(h, 6) ^ rotr(h, 11) ^ rotr(h, 25)) + ((h & a) ^ (~h & b)) + 0xa4506ceb + w13; g += t1; c = t1 + (rotr(d, 2) ^ rotr(d, 13) ^ rotr(d, 22)) + ((d & e) ^ (d & f) ^ (e & f));
    w14 += (rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3)) + w7 + (rotr(w12, 17) ^ rotr(w12, 19) ^ (w12 >>> 10));
    t1 = b + (rotr(g, 6) ^ rotr(g, 11) ^ rotr(g, 25)) + ((g & h) ^ (~g & a)) + 0xbef9a3f7 + w14; f += t1; b = t1 + (rotr(c, 2) ^ rotr(c, 13) ^ rotr(c, 22)) + ((c & d) ^ (c & e) ^ (d & e));
    w15 += (rotr(w0, 7) ^ rotr(w0, 18) ^ (w0 >>> 3)) + w8 + (rotr(w13, 17) ^ rotr(w13, 19) ^ (w13 >>> 10));
    t1 = a + (rotr(f, 6) ^ rotr(f, 11) ^ rotr(f, 25)) + ((f & g) ^ (~f & h)) + 0xc67178f2 + w15; e += t1; a = t1 + (rotr(b, 2) ^ rotr(b, 13) ^ rotr(b, 22)) + ((b & c) ^ (b & d) ^ (c & d));
    h0 += a; h1 += b; h2 += c; h3 += d; h4 += e; h5 += f; h6 += g; h7 += h;
  }
  store<u32>(DIGEST, bswap<u32>(h0)); store<u32>(DIGEST + 4, bswap<u32>(h1));
  store<u32>(DIGEST + 8, bswap<u32>(h2)); store<u32>(DIGEST + 12, bswap<u32>(h3));
  store<u32>(DIGEST + 16, bswap<u32>(h4)); store<u32>(DIGEST + 20, bswap<u32>(h5));
  store<u32>(DIGEST + 24, bswap<u32>(h6)); store<u32>(DIGEST + 28, bswap<u32>(h7));
}
