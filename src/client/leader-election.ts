/**
 * Leader election on a coordination.k8s.io Lease, as client-go's leaderelection: a candidate takes the lease when
 * it is free or its holder has not renewed it for leaseDuration (timed on the candidate's own clock from when it
 * last saw the record change, never from the holder's timestamps, so clock skew between hosts does not matter),
 * then renews every retryPeriod; a leader that cannot renew within renewDeadline stops leading. Upstream's
 * kube-controller-manager defaults: 15 s, 10 s, 2 s.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { realClock, sleep, type Clock } from './clock.js';
import { ApiError, isConflict, isNotFound, type RestClient } from './rest.js';
import { Leases } from './resources.js';
import type { KubeObject } from './types.js';

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  /** Default `<hostname>_<uuid>`, as upstream components. */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  onError?: (err: unknown) => void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

type Lease = KubeObject & { spec?: LeaseSpec };

/** MicroTime, as Lease times serialise: RFC 3339 with microseconds. */
const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/**
 * Whether a candidate may take the lease now. Pure: `observedAt` is when this candidate last saw the record
 * change (its own clock).
 */
export function canAcquire(spec: LeaseSpec | undefined, identity: string, observedAt: number, now: number, leaseDurationMs: number): boolean {
  if (!spec?.holderIdentity) return true;
  if (spec.holderIdentity === identity) return true;
  return now >= observedAt + leaseDurationMs;
}

export class LeaderElector {
  readonly identity: string;
  private readonly clock: Clock;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private observed: { record: string; at: number } | null = null;
  private leading = false;

  constructor(
    private readonly client: RestClient,
    private readonly cfg: LeaderElectionConfig,
  ) {
    this.identity = cfg.identity ?? `${hostname()}_${randomUUID()}`;
    this.clock = cfg.clock ?? realClock;
    this.leaseDurationMs = cfg.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = cfg.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = cfg.retryPeriodMs ?? 2_000;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /**
   * Campaigns until leading, then runs `lead` with a signal that aborts when leadership is lost (or `signal`
   * aborts). Resolves when `signal` aborts or leadership ends; upstream components exit then, and so do callers.
   */
  async run(signal: AbortSignal, lead: (leading: AbortSignal) => Promise<void> | void): Promise<void> {
    while (!signal.aborted && !(await this.tryAcquireOrRenew())) await sleep(this.clock, this.retryPeriodMs, signal);
    if (signal.aborted) return;
    this.leading = true;
    const lost = new AbortController();
    const onAbort = (): void => lost.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const work = Promise.resolve().then(() => lead(lost.signal));
    try {
      let lastRenew = this.clock.now();
      while (!lost.signal.aborted) {
        await sleep(this.clock, this.retryPeriodMs, lost.signal);
        if (lost.signal.aborted) break;
        if (await this.tryAcquireOrRenew()) lastRenew = this.clock.now();
        else if (this.clock.now() - lastRenew >= this.renewDeadlineMs) lost.abort();
      }
    } finally {
      this.leading = false;
      signal.removeEventListener('abort', onAbort);
      lost.abort();
      await work.catch((err: unknown) => this.cfg.onError?.(err));
      if (signal.aborted) await this.release();
    }
  }

  /** One attempt; true when this candidate holds the lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const spec: LeaseSpec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.round(this.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    try {
      let cur: Lease;
      try {
        cur = await this.client.get<Lease>(Leases, this.cfg.name, this.cfg.namespace);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await this.client.create(Leases, { metadata: { name: this.cfg.name, namespace: this.cfg.namespace }, spec });
        this.observe(JSON.stringify(spec), now);
        return true;
      }
      const record = JSON.stringify(cur.spec ?? {});
      if (this.observed?.record !== record) this.observe(record, now);
      if (!canAcquire(cur.spec, this.identity, this.observed!.at, now, this.leaseDurationMs)) return false;
      const mine = cur.spec?.holderIdentity === this.identity;
      const next: LeaseSpec = {
        ...spec,
        acquireTime: mine ? (cur.spec?.acquireTime ?? spec.acquireTime) : spec.acquireTime,
        leaseTransitions: (cur.spec?.leaseTransitions ?? 0) + (mine ? 0 : 1),
      };
      await this.client.update(Leases, { ...cur, spec: next });
      this.observe(JSON.stringify(next), now);
      return true;
    } catch (err) {
      if (!isConflict(err) && !(err instanceof ApiError && err.code === 409)) this.cfg.onError?.(err);
      return false;
    }
  }

  /** Gives the lease up on a clean stop so a peer takes over at once (upstream's ReleaseOnCancel). */
  private async release(): Promise<void> {
    try {
      const cur = await this.client.get<Lease>(Leases, this.cfg.name, this.cfg.namespace);
      if (cur.spec?.holderIdentity !== this.identity) return;
      await this.client.update(Leases, { ...cur, spec: { ...cur.spec, holderIdentity: '', leaseDurationSeconds: 1 } });
    } catch {
      // Best effort: the lease expires on its own.
    }
  }

  private observe(record: string, at: number): void {
    this.observed = { record, at };
  }
}
