/**
 * Upstream's zoneNoExecuteTainter (a RateLimitedTimedQueue per zone): unready nodes wait in their zone's queue,
 * in arrival order, until the zone's token bucket (burst 1) lets the next one be tainted NoExecute. Time is the
 * caller's clock in ms.
 */
import type { Clock } from '../../../client/clock.js';
import { BucketRateLimiter } from '../../../client/workqueue.js';

interface Zone {
  queue: Set<string>;
  /** Burst 1 at the zone's rate; none at rate 0 (upstream's never-accepting limiter). */
  bucket: BucketRateLimiter<string> | undefined;
}

export class ZoneTainter {
  private readonly zones = new Map<string, Zone>();
  private readonly zoneOf = new Map<string, string>();

  /** `initialQps`: a new zone's rate until the zone states say otherwise (upstream: --node-eviction-rate). */
  constructor(private readonly clock: Pick<Clock, 'now'>, private readonly initialQps: number) {}

  private limiter(qps: number): BucketRateLimiter<string> | undefined {
    return qps > 0 ? new BucketRateLimiter<string>(qps, 1, this.clock) : undefined;
  }

  /** Queues a node for tainting; a node already queued keeps its place. */
  add(zone: string, name: string): void {
    const was = this.zoneOf.get(name);
    if (was === zone) return;
    if (was !== undefined) this.remove(name);
    let z = this.zones.get(zone);
    if (!z) this.zones.set(zone, (z = { queue: new Set(), bucket: this.limiter(this.initialQps) }));
    z.queue.add(name);
    this.zoneOf.set(name, zone);
  }

  remove(name: string): void {
    const zone = this.zoneOf.get(name);
    if (zone === undefined) return;
    this.zones.get(zone)?.queue.delete(name);
    this.zoneOf.delete(name);
  }

  /** Nodes waiting in any zone. */
  pending(): number {
    return this.zoneOf.size;
  }

  /** A new rate for a zone; as upstream's SwapLimiter, the new bucket starts with its one token. */
  setRate(zone: string, qps: number): void {
    const z = this.zones.get(zone);
    const bucket = this.limiter(qps);
    if (z) z.bucket = bucket;
    else this.zones.set(zone, { queue: new Set(), bucket });
  }

  /** The nodes whose turn came, taken off their queues: each zone gives nodes while its bucket has tokens. */
  take(): string[] {
    const out: string[] = [];
    for (const z of this.zones.values()) {
      for (const name of z.queue) {
        if (!z.bucket?.tryAccept()) break;
        z.queue.delete(name);
        this.zoneOf.delete(name);
        out.push(name);
      }
    }
    return out;
  }
}
