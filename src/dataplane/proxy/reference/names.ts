/**
 * kube-proxy's chain names and number formats, in plain TypeScript (node:crypto): the oracle for the WASM
 * versions in assembly/shared and assembly/proxy.
 */
import { createHash } from 'node:crypto';
import { hostPort } from '../../../net/host-port.js';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** First 16 characters of base32(sha256(s)): the first 10 digest bytes are exactly 16 base32 digits. */
export function hash16(s: string): string {
  const d = createHash('sha256').update(s).digest();
  let out = '';
  for (let g = 0; g < 10; g += 5) {
    // 5 bytes = 40 bits = 8 digits; split in two 20-bit halves to stay within 32-bit integer arithmetic.
    const hi = (d[g]! << 12) | (d[g + 1]! << 4) | (d[g + 2]! >> 4);
    const lo = ((d[g + 2]! & 15) << 16) | (d[g + 3]! << 8) | d[g + 4]!;
    out += B32[hi >> 15]! + B32[(hi >> 10) & 31]! + B32[(hi >> 5) & 31]! + B32[hi & 31]!;
    out += B32[lo >> 15]! + B32[(lo >> 10) & 31]! + B32[(lo >> 5) & 31]! + B32[lo & 31]!;
  }
  return out;
}

/** "ip:port", IPv6 in brackets (Go's net.JoinHostPort). */
export function endpointString(ip: string, port: number): string {
  return hostPort(ip, port);
}

/**
 * A service or endpoint chain name: prefix (KUBE-SVC-, KUBE-SVL-, KUBE-EXT-, KUBE-FW-, KUBE-SEP-) + hash16 of
 * servicePortName + lower-case protocol (+ "ip:port" for endpoint chains).
 */
export function referenceChainName(prefix: string, servicePortName: string, protocol: string, endpoint?: string): string {
  return prefix + hash16(servicePortName + protocol.toLowerCase() + (endpoint ?? ''));
}

/**
 * Go's fmt.Sprintf("%0.10f", 1.0/float64(k)) for k ≥ 1: round to nearest of the double's exact value, ties to
 * even. Exact ties happen (k = 2048 gives 0.00048828125), so this does exact arithmetic, not toFixed (which
 * rounds ties up).
 */
export function probability(k: number): string {
  if (k <= 1) return '1.0000000000';
  const SCALE = 10_000_000_000;
  let m = Math.floor(SCALE / k);
  const r = SCALE - m * k;
  let up: boolean;
  if (2 * r !== k) up = 2 * r > k;
  else {
    // 1/k lies exactly on the tie; the double nearest 1/k decides (above: up, exact: to even).
    const d = 1 / k;
    const buf = new DataView(new ArrayBuffer(8));
    buf.setFloat64(0, d);
    const bits = buf.getBigUint64(0);
    const exp = Number((bits >> 52n) & 0x7ffn) - 1075;
    const mant = (bits & 0xfffffffffffffn) | 0x10000000000000n;
    // d = mant * 2^exp with exp < 0: compare mant*k with 2^-exp.
    const lhs = mant * BigInt(k);
    const rhs = 1n << BigInt(-exp);
    up = lhs > rhs ? true : lhs < rhs ? false : m % 2 === 1;
  }
  if (up) m++;
  return m >= SCALE ? '1.0000000000' : '0.' + String(m).padStart(10, '0');
}

/** Go's fmt.Sprintf("%#08x", v): "0x" then at least 8 hex digits (0x4000 → 0x00004000). */
export function masqueradeMark(bit: number): string {
  return '0x' + (2 ** bit).toString(16).padStart(8, '0');
}

function ipv4(s: string): number | null {
  const p = s.split('.');
  if (p.length !== 4) return null;
  let v = 0;
  for (const x of p) {
    if (!/^\d{1,3}$/.test(x) || Number(x) > 255) return null;
    v = v * 256 + Number(x);
  }
  return v;
}

/** Whether IPv4 `ip` lies in `cidr` (a bare address counts as /32); false for anything not IPv4. */
export function cidrContains(cidr: string, ip: string): boolean {
  const [addr, bitsS] = cidr.split('/');
  const a = ipv4(addr ?? '');
  const b = ipv4(ip);
  const bits = bitsS === undefined ? 32 : Number(bitsS);
  if (a === null || b === null || !(bits >= 0 && bits <= 32)) return false;
  if (bits === 0) return true;
  const shift = 32 - bits;
  return Math.floor(a / 2 ** shift) === Math.floor(b / 2 ** shift);
}
