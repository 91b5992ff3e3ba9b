/**
 * Pod IPs from the node's podCIDR (IPv4), as host-local IPAM hands them out: the network address and the
 * gateway (.1) are never given, nor the broadcast address; allocation goes round-robin from the last one given,
 * so a freed IP comes back once the range wraps (and at once when it is the only free one).
 */
export interface CIDR {
  base: number;
  prefix: number;
}

export function parseCIDR(text: string): CIDR {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!m) throw new Error(`podCIDR: ${JSON.stringify(text)} is not an IPv4 CIDR (a.b.c.d/n)`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 30) throw new Error(`podCIDR: ${JSON.stringify(text)} is not a usable IPv4 CIDR (prefix at most /30)`);
  const ip = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (ip & mask) >>> 0, prefix };
}

export function ipToString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

export function parseIP(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const o = m.slice(1, 5).map(Number);
  if (o.some((x) => x > 255)) return null;
  return ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
}

export class PodIPAllocator {
  readonly first: number;
  readonly last: number;
  private readonly used = new Set<number>();
  private cursor: number;

  constructor(readonly cidr: CIDR) {
    const size = 2 ** (32 - cidr.prefix);
    this.first = cidr.base + 2; // skip the network address and the gateway
    this.last = cidr.base + size - 2; // skip broadcast
    this.cursor = this.last; // so the first allocation is `first`
  }

  get capacity(): number {
    return Math.max(0, this.last - this.first + 1);
  }

  get allocated(): number {
    return this.used.size;
  }

  contains(ip: number): boolean {
    return ip >= this.first && ip <= this.last;
  }

  /** The next free IP after the last one given, or null when the range is full. */
  allocate(): number | null {
    const n = this.capacity;
    if (this.used.size >= n) return null;
    let ip = this.cursor;
    for (let i = 0; i < n; i++) {
      ip = ip >= this.last ? this.first : ip + 1;
      if (!this.used.has(ip)) {
        this.used.add(ip);
        this.cursor = ip;
        return ip;
      }
    }
    return null;
  }

  /** Marks an IP as taken (a pod found running with it). False when outside the range or already taken. */
  reserve(ip: number): boolean {
    if (!this.contains(ip) || this.used.has(ip)) return false;
    this.used.add(ip);
    return true;
  }

  release(ip: number): void {
    this.used.delete(ip);
  }

  /** Continue round-robin after `ip` (the last one given before a restart, as host-local keeps it on disk). */
  resumeAfter(ip: number): void {
    if (this.contains(ip)) this.cursor = ip;
  }
}
