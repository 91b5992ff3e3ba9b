// RFC 4648 base32 (Go's base32.StdEncoding) of the first 10 bytes of a buffer: exactly 16 digits, no padding,
// which is all kube-proxy keeps of a chain-name hash.

// @ts-ignore: decorator
@inline function digit(v: u32): u8 {
  return <u8>(v < 26 ? 65 + v : 24 + v); // 'A'..'Z', then '2'..'7' (50 = 24 + 26)
}

export function base32x16(src: usize, dst: usize): void {
  for (let g: usize = 0; g < 2; g++) {
    const s = src + g * 5;
    // 40 bits as a u64, big-endian.
    const v: u64 = (<u64>load<u8>(s) << 32) | (<u64>load<u8>(s + 1) << 24) | (<u64>load<u8>(s + 2) << 16) |
      (<u64>load<u8>(s + 3) << 8) | <u64>load<u8>(s + 4);
    const d = dst + g * 8;
    for (let i: usize = 0; i < 8; i++) store<u8>(d + i, digit(<u32>((v >> (35 - 5 * i)) & 31)));
  }
}
