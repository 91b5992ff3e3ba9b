/**
 * Which addresses the API server may dial on a user's behalf (pods/proxy, services/proxy, webhooks and
 * APIServices behind a Service): those it reaches without its default route, i.e. on a directly attached network
 * or inside a prefix the main routing table names (a multi-host pod network routes other nodes' podCIDRs).
 * A simulated node's pod IPs exist nowhere; without this check a request to one would leave the host through
 * the default route.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

const toBig = (ip: string): bigint | undefined => {
  if (isIP(ip) === 4) return ip.split('.').reduce((n, o) => (n << 8n) + BigInt(Number(o)), 0n);
  if (isIP(ip) !== 6) return undefined;
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) + BigInt(parseInt(g, 16) || 0), 0n);
};

/** Whether `ip` lies in the subnet of one of this host's interfaces (so reaching it needs no gateway). */
export function onLink(ip: string, ifaces = networkInterfaces()): boolean {
  const v = isIP(ip);
  const x = toBig(ip.split('%')[0]!);
  if (x === undefined) return false;
  for (const addrs of Object.values(ifaces)) {
    for (const a of addrs ?? []) {
      if ((a.family === 'IPv4' ? 4 : 6) !== v || !a.cidr) continue;
      const bits = Number(a.cidr.split('/')[1]);
      const base = toBig(a.address.split('%')[0]!);
      if (base === undefined || !Number.isInteger(bits)) continue;
      const width = BigInt(v === 4 ? 32 : 128);
      const shift = width - BigInt(bits);
      if (bits > 0 && (x >> shift) === (base >> shift)) return true;
    }
  }
  return false;
}

/** A destination prefix of a route: `bits` leading bits of `base` (version 4 or 6). */
export interface RoutePrefix { version: 4 | 6; base: bigint; bits: number }

/**
 * The main table's routes other than the default ones, from /proc/net/route (little-endian hex IPv4
 * destination and mask) and /proc/net/ipv6_route (hex destination and prefix length); empty where unreadable.
 */
export function routedPrefixes(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): RoutePrefix[] {
  const out: RoutePrefix[] = [];
  const lines = (path: string): string[][] => {
    try { return read(path).split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length > 2); } catch { return []; }
  };
  const le32 = (hex: string) => BigInt(`0x${hex.match(/../g)?.reverse().join('') ?? '0'}`);
  for (const f of lines('/proc/net/route').slice(1)) {
    const mask = le32(f[7] ?? '0');
    const bits = mask.toString(2).replace(/0+$/, '').length;
    if (bits > 0) out.push({ version: 4, base: le32(f[1] ?? '0'), bits });
  }
  for (const f of lines('/proc/net/ipv6_route')) {
    const bits = parseInt(f[1] ?? '0', 16);
    if (bits > 0 && /^[0-9a-f]{32}$/.test(f[0] ?? '')) out.push({ version: 6, base: BigInt(`0x${f[0]}`), bits });
  }
  return out;
}

/** Whether `ip` lies inside one of `prefixes`. */
export function inPrefixes(ip: string, prefixes: readonly RoutePrefix[]): boolean {
  const v = isIP(ip);
  const x = toBig(ip.split('%')[0]!);
  if (x === undefined) return false;
  const width = BigInt(v === 4 ? 32 : 128);
  return prefixes.some((p) => p.version === v && (x >> (width - BigInt(p.bits))) === (p.base >> (width - BigInt(p.bits))));
}

/** The host's interfaces and routes, read at most every 5 s: `kubectl top nodes` checks every node's address. */
let snapshot: { at: number; ifaces: ReturnType<typeof networkInterfaces>; prefixes: RoutePrefix[] } | undefined;
/** onLink, or a non-default route of the main table names it. */
export function reachableWithoutDefaultRoute(ip: string): boolean {
  const now = Date.now();
  if (!snapshot || now - snapshot.at > 5000) snapshot = { at: now, ifaces: networkInterfaces(), prefixes: routedPrefixes() };
  return onLink(ip, snapshot.ifaces) || inPrefixes(ip, snapshot.prefixes);
}
