/**
 * NodePort allocation from a port range (default 30000-32767), as kube-apiserver's portallocator: random free
 * ports for ports without one, explicit ports checked for range and use. In memory, rebuilt from stored
 * Services at start (same single-server caveat as the ClusterIP allocator).
 */
export class PortRangeError extends Error {}

export class NodePortAllocator {
  private readonly used = new Set<number>();

  constructor(
    readonly min = 30000,
    readonly max = 32767,
    private readonly random: () => number = Math.random,
  ) {}

  isUsed(port: number): boolean {
    return this.used.has(port);
  }

  markUsed(port: number): void {
    this.used.add(port);
  }

  allocate(requested?: number): number {
    if (requested !== undefined && requested !== 0) {
      if (requested < this.min || requested > this.max) {
        throw new PortRangeError(
          `provided port is not in the valid range. The range of valid ports is ${this.min}-${this.max}`,
        );
      }
      if (this.used.has(requested)) throw new PortRangeError('provided port is already allocated');
      this.used.add(requested);
      return requested;
    }
    const n = this.max - this.min + 1;
    const start = Math.floor(this.random() * n);
    for (let i = 0; i < n; i++) {
      const p = this.min + ((start + i) % n);
      if (!this.used.has(p)) {
        this.used.add(p);
        return p;
      }
    }
    throw new PortRangeError('range is full');
  }

  release(port: number): void {
    this.used.delete(port);
  }
}
