/**
 * The node IPAM's set of per-node subnets of the cluster CIDR (upstream's cidrset): subnets are handed out in
 * order from a rotating cursor, occupied ones (found on nodes at start) are skipped, released ones are reused.
 * IPv4 only for now.
 */
export interface Ipv4Cidr {
  base: number;
  prefix: number;
}

export function parseIpv4Cidr(text: string): Ipv4Cidr {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : NaN;
  if (!m || octets.some((o) => o > 255) || prefix > 32) throw new Error(`invalid CIDR address: ${text}`);
  const ip = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return { base: (ip & mask) >>> 0, prefix };
}

export const formatIpv4 = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
export const formatIpv4Cidr = (c: Ipv4Cidr): string => `${formatIpv4(c.base)}/${c.prefix}`;

export class CidrSet {
  private readonly used: Uint8Array;
  private readonly size: number;
  private next = 0;
  private count = 0;

  constructor(
    readonly cluster: Ipv4Cidr,
    readonly subnetPrefix: number,
  ) {
    if (subnetPrefix < cluster.prefix) throw new Error(`--node-cidr-mask-size ${subnetPrefix} is shorter than the cluster CIDR's /${cluster.prefix}`);
    if (subnetPrefix - cluster.prefix > 20) throw new Error(`--node-cidr-mask-size ${subnetPrefix} gives more than 2^20 node subnets of /${cluster.prefix}`);
    this.size = 2 ** (subnetPrefix - cluster.prefix);
    this.used = new Uint8Array(this.size);
  }

  get allocated(): number {
    return this.count;
  }

  /** The next free subnet, or null when the cluster CIDR is full. */
  allocateNext(): Ipv4Cidr | null {
    for (let i = 0; i < this.size; i++) {
      const idx = (this.next + i) % this.size;
      if (this.used[idx]) continue;
      this.used[idx] = 1;
      this.count++;
      this.next = (idx + 1) % this.size;
      return this.subnet(idx);
    }
    return null;
  }

  /** Marks a subnet found on a node as taken; false when it is not one of this set's subnets. */
  occupy(c: Ipv4Cidr): boolean {
    const idx = this.index(c);
    if (idx < 0) return false;
    if (!this.used[idx]) this.count++;
    this.used[idx] = 1;
    return true;
  }

  release(c: Ipv4Cidr): void {
    const idx = this.index(c);
    if (idx < 0 || !this.used[idx]) return;
    this.used[idx] = 0;
    this.count--;
  }

  private subnet(idx: number): Ipv4Cidr {
    return { base: (this.cluster.base + idx * 2 ** (32 - this.subnetPrefix)) >>> 0, prefix: this.subnetPrefix };
  }

  private index(c: Ipv4Cidr): number {
    if (c.prefix !== this.subnetPrefix) return -1;
    const off = c.base - this.cluster.base;
    if (off < 0) return -1;
    const idx = off / 2 ** (32 - this.subnetPrefix);
    return Number.isInteger(idx) && idx < this.size ? idx : -1;
  }
}
