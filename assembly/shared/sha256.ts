// SHA-256 (FIPS 180-4) over a message that callers build in MSG, for kube-proxy's chain-name hashes.
// Messages are short (a service port name, protocol, endpoint): one or two blocks, padded in place.

const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/** Largest message accepted (bytes); names are far shorter (namespace + name + port + endpoint < 250). */
export const MSG_CAP: i32 = 1024;
/** Message buffer: callers write the message here, then call sha256(len). */
export const MSG: usize = memory.data(MSG_CAP + 128);
const W: usize = memory.data(256);
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
  const bits = <u64>len << 3;
  store<u64>(MSG + <usize>total - 8, bswap<u64>(bits));
  let h0: u32 = 0x6a09e667, h1: u32 = 0xbb67ae85, h2: u32 = 0x3c6ef372, h3: u32 = 0xa54ff53a;
  let h4: u32 = 0x510e527f, h5: u32 = 0x9b05688c, h6: u32 = 0x1f83d9ab, h7: u32 = 0x5be0cd19;
  for (let off = 0; off < total; off += 64) {
    const blk = MSG + <usize>off;
    for (let t = 0; t < 16; t++) store<u32>(W + (<usize>t << 2), bswap<u32>(load<u32>(blk + (<usize>t << 2))));
    for (let t = 16; t < 64; t++) {
      const w15 = load<u32>(W + (<usize>(t - 15) << 2));
      const w2 = load<u32>(W + (<usize>(t - 2) << 2));
      const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
      store<u32>(W + (<usize>t << 2), load<u32>(W + (<usize>(t - 16) << 2)) + s0 + load<u32>(W + (<usize>(t - 7) << 2)) + s1);
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let t = 0; t < 64; t++) {
      const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = h + S1 + ch + unchecked(K[t]) + load<u32>(W + (<usize>t << 2));
      const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = S0 + maj;
      h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h0 += a; h1 += b; h2 += c; h3 += d; h4 += e; h5 += f; h6 += g; h7 += h;
  }
  store<u32>(DIGEST, bswap<u32>(h0)); store<u32>(DIGEST + 4, bswap<u32>(h1));
  store<u32>(DIGEST + 8, bswap<u32>(h2)); store<u32>(DIGEST + 12, bswap<u32>(h3));
  store<u32>(DIGEST + 16, bswap<u32>(h4)); store<u32>(DIGEST + 20, bswap<u32>(h5));
  store<u32>(DIGEST + 24, bswap<u32>(h6)); store<u32>(DIGEST + 28, bswap<u32>(h7));
}
