/**
 * Name and address helpers for the cluster DNS: normalised names (lower case, no trailing dot, as the
 * specification compares names case-insensitively), zone membership, endpoint hostnames and reverse names
 * (in-addr.arpa / ip6.arpa) to and from addresses.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Lower case, without the trailing dot; the root is ''. */
export function normalizeName(name: string): string {
  const n = name.toLowerCase();
  return n === '.' ? '' : n.replace(/\.$/, '');
}

/** The labels of `name` before `zone` ([] at the apex), or null when `name` is outside it. Both normalised. */
export function relativeLabels(name: string, zone: string): string[] | null {
  if (name === zone) return [];
  if (zone === '') return name.split('.');
  if (!name.endsWith(`.${zone}`)) return null;
  return name.slice(0, -(zone.length + 1)).split('.');
}

/** Every IPv6 address in one spelling: eight groups of four lower-case hex digits. Null if not IPv6. */
export function expandIPv6(ip: string): string | null {
  if (!isIPv6(ip)) return null;
  let s = ip.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const p = v4[1]!.split('.').map(Number);
    s = s.slice(0, -v4[1]!.length) + `${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

/** The key the reverse index uses for an address: IPv4 as is, IPv6 expanded. Null if neither. */
export function ipKey(ip: string): string | null {
  if (isIPv4(ip)) return ip;
  return expandIPv6(ip);
}

/** The address a reverse name stands for (`4.3.2.1.in-addr.arpa` → 1.2.3.4), or null when it names none. */
export function reverseToIP(name: string): string | null {
  if (name.endsWith('.in-addr.arpa')) {
    const parts = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return null;
    return parts.reverse().join('.');
  }
  if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((x) => /^[0-9a-f]$/.test(x))) return null;
    const hex = nibbles.reverse().join('');
    return hex.match(/.{4}/g)!.join(':');
  }
  return null;
}

/** The reverse zone a name belongs to, if any. */
export function reverseZoneOf(name: string): 'in-addr.arpa' | 'ip6.arpa' | null {
  if (name === 'in-addr.arpa' || name.endsWith('.in-addr.arpa')) return 'in-addr.arpa';
  if (name === 'ip6.arpa' || name.endsWith('.ip6.arpa')) return 'ip6.arpa';
  return null;
}

/**
 * An endpoint's hostname as the specification's "unique, system-assigned identifier" when it has none of its
 * own: its address with dots (or colons) as dashes, as CoreDNS derives it.
 */
export function endpointHostname(hostname: string | undefined | null, ip: string): string {
  if (hostname) return hostname.toLowerCase();
  return ip.toLowerCase().replace(/[.:]/g, '-');
}

/**
 * The address a `pod` label encodes (`10-244-1-5` → 10.244.1.5, `fd00--5` → fd00::5), or null when it encodes
 * none: the deprecated `<a>-<b>-<c>-<d>.<ns>.pod.<zone>` records.
 */
export function podLabelToIP(label: string): string | null {
  const ip = (label.split('-').length === 4 && !label.includes('--')) ? label.replace(/-/g, '.') : label.replace(/-/g, ':');
  return isIPv4(ip) || isIPv6(ip) ? ip : null;
}
