/**
 * kube-apiserver's --event-ttl (default 1 h): an Event is removed from storage one TTL after its last write.
 * Upstream gives each Event write an etcd lease of that length; the storage seam here has no leases, so this does
 * what kine does for them: it follows the events prefix's storage watch, keeps (key, modRevision, expiry) in write
 * order, and deletes what expired with that modRevision as precondition, so an Event written again meanwhile stays
 * (its later write is further down the queue). Deletions go straight to storage, as a lease expiry does: the watch
 * cache and watchers see an ordinary DELETED. Events found at start get their expiry from their own latest
 * timestamp (the lease's start is not stored), never later than one TTL from now.
 */
import type { Store, WatchEvent } from '../storage/store.js';

export const EVENTS_PREFIX = '/registry/events/';
/** kube-apiserver's default --event-ttl. */
export const DEFAULT_EVENT_TTL_MS = 60 * 60_000;
const PAGE = 500;

export interface EventExpiryOptions {
  ttlMs: number;
  /** How often expired Events are looked for. */
  sweepMs?: number;
  /**
   * The queue holds expiry times in write order, so its clock must not step back. Default: wall time at process
   * start, advancing monotonically (a wall clock set back would hold later expiries behind earlier ones).
   */
  now?: () => number;
  onError?: (err: unknown) => void;
}

/** The latest of an Event's own times (core/v1 and events.k8s.io/v1 field names), in ms; undefined if none parses. */
export function lastActivityMs(event: Record<string, unknown>): number | undefined {
  const meta = event['metadata'] as Record<string, unknown> | undefined;
  const series = event['series'] as Record<string, unknown> | undefined;
  const times = [event['lastTimestamp'], event['eventTime'], event['firstTimestamp'], series?.['lastObservedTime'], event['deprecatedLastTimestamp'], meta?.['creationTimestamp']];
  let latest: number | undefined;
  for (const t of times) {
    if (typeof t !== 'string') continue;
    const ms = Date.parse(t);
    if (Number.isFinite(ms) && (latest === undefined || ms > latest)) latest = ms;
  }
  return latest;
}

/** Expiry times in write order: parallel arrays with a moving head, compacted when half is spent. */
class ExpiryQueue {
  private keys: string[] = [];
  private revisions: number[] = [];
  private expiries: number[] = [];
  private head = 0;

  push(key: string, modRevision: number, expiresAt: number): void {
    this.keys.push(key);
    this.revisions.push(modRevision);
    this.expiries.push(expiresAt);
  }

  /** Takes the entries expired at `now`, oldest first. */
  takeExpired(now: number): Array<{ key: string; modRevision: number }> {
    const out: Array<{ key: string; modRevision: number }> = [];
    while (this.head < this.keys.length && this.expiries[this.head]! <= now) {
      out.push({ key: this.keys[this.head]!, modRevision: this.revisions[this.head]! });
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.keys.length) {
      this.keys = this.keys.slice(this.head);
      this.revisions = this.revisions.slice(this.head);
      this.expiries = this.expiries.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  get size(): number {
    return this.keys.length - this.head;
  }

  clear(): void {
    this.keys = [];
    this.revisions = [];
    this.expiries = [];
    this.head = 0;
  }
}

export class EventExpiry {
  private readonly queue = new ExpiryQueue();
  private readonly now: () => number;
  private watch: ReturnType<Store['watch']> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private sweeping: Promise<void> = Promise.resolve();
  private following: Promise<void> = Promise.resolve();

  constructor(private readonly store: Store, private readonly opts: EventExpiryOptions) {
    this.now = opts.now ?? (() => performance.timeOrigin + performance.now());
  }

  /** Reads what is stored, then follows the watch; resolves once the stored Events are queued. */
  async start(): Promise<void> {
    const revision = await this.seed();
    this.following = this.follow(revision);
    const every = this.opts.sweepMs ?? Math.min(60_000, Math.max(1000, this.opts.ttlMs / 10));
    const tick = () => {
      this.sweeping = this.sweep().then(() => undefined, (err: unknown) => this.opts.onError?.(err)).finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, every).unref();
      });
    };
    this.timer = setTimeout(tick, every).unref();
  }

  /** Events waiting to expire (for tests and metrics). */
  get pending(): number {
    return this.queue.size;
  }

  /** Deletes every Event whose TTL ran out; returns how many went. */
  async sweep(): Promise<number> {
    let deleted = 0;
    for (const { key, modRevision } of this.queue.takeExpired(this.now())) {
      if (this.stopped) break;
      // Not ok: written again since (a later entry covers it) or already deleted.
      if ((await this.store.delete(key, modRevision)).ok) deleted++;
    }
    return deleted;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.watch?.close();
    await Promise.allSettled([this.sweeping, this.following]);
  }

  /** Queues every stored Event by its own latest time, oldest first; returns the revision read at. */
  private async seed(): Promise<number> {
    const now = this.now();
    const found: Array<{ key: string; modRevision: number; expiresAt: number }> = [];
    let revision = 0;
    let startAfter: string | undefined;
    for (;;) {
      const page = await this.store.list(EVENTS_PREFIX, { limit: PAGE, revision, countRemaining: false, ...(startAfter ? { startAfter } : {}) });
      revision = page.revision;
      for (const kv of page.items) {
        let last: number | undefined;
        try {
          last = lastActivityMs(JSON.parse(Buffer.from(kv.value).toString('utf8')) as Record<string, unknown>);
        } catch {
          last = undefined;
        }
        found.push({ key: kv.key, modRevision: kv.modRevision, expiresAt: Math.min(last ?? now, now) + this.opts.ttlMs });
      }
      if (!page.more || page.items.length === 0) break;
      startAfter = page.items[page.items.length - 1]!.key;
    }
    found.sort((a, b) => a.expiresAt - b.expiresAt);
    this.queue.clear();
    for (const f of found) this.queue.push(f.key, f.modRevision, f.expiresAt);
    return revision;
  }

  /** Queues each write seen on the watch at now + TTL; after a watch error (compaction) it seeds again. */
  private async follow(fromRevision: number): Promise<void> {
    let revision = fromRevision;
    while (!this.stopped) {
      this.watch = this.store.watch(EVENTS_PREFIX, revision);
      try {
        for await (const ev of this.watch as AsyncIterable<WatchEvent>) {
          if (ev.type === 'PUT') this.queue.push(ev.kv.key, ev.kv.modRevision, this.now() + this.opts.ttlMs);
          revision = ev.revision;
        }
        if (this.stopped) return;
      } catch (err) {
        if (this.stopped) return;
        this.opts.onError?.(err);
      }
      try {
        revision = await this.seed();
      } catch (err) {
        this.opts.onError?.(err);
        await new Promise((r) => setTimeout(r, 1000).unref());
      }
    }
  }
}
