/** FNV-1a, 32 bits: the hash upstream's pod-template-hash uses, and a cheap fingerprint elsewhere. */

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

/** FNV-1a over bytes, continuing from `h`. */
export function fnv32a(bytes: Uint8Array, h = FNV32_OFFSET): number {
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, FNV32_PRIME) >>> 0;
  }
  return h >>> 0;
}

/**
 * FNV-1a over a string's UTF-16 code units, with no encoding first (hot paths hash JSON texts with it); for ASCII
 * text it equals fnv32a of the text's bytes.
 */
export function fnv32aString(text: string, h = FNV32_OFFSET): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV32_PRIME);
  return h >>> 0;
}
