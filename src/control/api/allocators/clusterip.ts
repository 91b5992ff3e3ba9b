/**
 * Service ClusterIP allocation from a CIDR (default 10.96.0.0/12), as kube-apiserver's ipallocator: the
 * network and broadcast addresses are never handed out, the first host address is the `kubernetes` Service's,
 * dynamic picks are random (injectable), explicit requests are checked for range and use.
 *
 * State is in memory and rebuilt from stored Services at start (server.ts); one API server owns a range, so
 * several servers sharing one etcd could race on a dynamic pick (upstream keeps a bitmap in etcd instead).
 */
export class IPRangeError extends Error {}

const toInt = (ip: string): number => {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return NaN;
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
};
const toIP = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

export const isIPv4 = (s: string): boolean => !Number.isNaN(toInt(s));

export class ClusterIPAllocator {
  readonly base: number;
  readonly size: number;
  private readonly used = new Set<number>();

  constructor(
    readonly cidr = '10.96.0.0/12',
    private readonly random: () => number = Math.random,
  ) {
    const [ip, bits] = cidr.split('/');
    const prefix = Number(bits);
    const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
    this.base = (toInt(ip!) & mask) >>> 0;
    this.size = 2 ** (32 - prefix);
  }

  /** The first host address, reserved for the `kubernetes` Service in default. */
  get first(): string {
    return toIP(this.base + 1);
  }

  contains(ip: string): boolean {
    const n = toInt(ip);
    return !Number.isNaN(n) && n > this.base && n < this.base + this.size - 1;
  }

  isUsed(ip: string): boolean {
    return this.used.has(toInt(ip));
  }

  /** Records an address already held by a stored Service. */
  markUsed(ip: string): void {
    const n = toInt(ip);
    if (!Number.isNaN(n)) this.used.add(n);
  }

  /** Allocates the given address or a random free one; throws IPRangeError with upstream's wording. */
  allocate(requested?: string): string {
    if (requested) {
      if (!this.contains(requested)) {
        throw new IPRangeError(
          `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${this.cidr}`,
        );
      }
      if (this.isUsed(requested)) throw new IPRangeError(`failed to allocate IP ${requested}: provided IP is already allocated`);
      this.used.add(toInt(requested));
      return requested;
    }
    // Usable hosts exclude network, broadcast and the first address (the kubernetes Service's).
    const hosts = this.size - 3;
    if (this.used.size >= hosts) throw new IPRangeError('failed to allocate a serviceIP: range is full');
    const start = Math.floor(this.random() * hosts);
    for (let i = 0; i < hosts; i++) {
      const n = this.base + 2 + ((start + i) % hosts);
      if (!this.used.has(n)) {
        this.used.add(n);
        return toIP(n);
      }
    }
    throw new IPRangeError('failed to allocate a serviceIP: range is full');
  }

  release(ip: string): void {
    this.used.delete(toInt(ip));
  }
}
