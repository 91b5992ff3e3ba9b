/**
 * A work queue of keys, as client-go's util/workqueue:
 * - an item added while it waits is not added twice (dedupe);
 * - an item is never handed to two workers at once: added while being processed, it is queued again only after
 *   `done`;
 * - `addAfter` delays an item on the injected clock (the earliest pending time wins);
 * - `addRateLimited` delays by the rate limiter (per-item exponential backoff), `forget` resets it.
 * Workers loop `const k = await q.get(); if (k === undefined) return; try { … } finally { q.done(k) }`.
 */
import { realClock, type Clock, type TimerHandle } from './clock.js';

export interface RateLimiter<K> {
  /** How long to wait before the next retry of `item` (and count this failure). */
  when(item: K): number;
  forget(item: K): void;
  numRequeues(item: K): number;
}

/** client-go's ItemExponentialFailureRateLimiter: base·2^failures, capped. Defaults 5 ms and 1000 s as upstream. */
export class ExponentialFailureRateLimiter<K> implements RateLimiter<K> {
  private failures = new Map<K, number>();

  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 1_000_000,
  ) {}

  when(item: K): number {
    const n = this.failures.get(item) ?? 0;
    this.failures.set(item, n + 1);
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }

  forget(item: K): void {
    this.failures.delete(item);
  }

  numRequeues(item: K): number {
    return this.failures.get(item) ?? 0;
  }
}

/**
 * client-go's BucketRateLimiter: one token bucket shared by every item (overall retry rate), refilled at `qps`
 * up to `burst`. `when` reserves a token and answers how long until it is due.
 */
export class BucketRateLimiter<K> implements RateLimiter<K> {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps = 10,
    private readonly burst = 100,
    private readonly clock: Pick<Clock, 'now'> = realClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }

  when(_item: K): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  /** client-go's TryAccept: a token now, or false and nothing reserved. */
  tryAccept(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  forget(_item: K): void {}

  numRequeues(_item: K): number {
    return 0;
  }
}

/** The longest delay of several limiters (client-go's MaxOfRateLimiter); requeues as the first counts them. */
export class MaxOfRateLimiter<K> implements RateLimiter<K> {
  private readonly limiters: RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    this.limiters = limiters;
  }

  when(item: K): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(item));
    return max;
  }

  forget(item: K): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: K): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(item));
    return max;
  }
}

/** client-go's DefaultControllerRateLimiter: per item 5 ms doubling to 1000 s, overall 10 qps with a burst of 100. */
export function defaultControllerRateLimiter<K>(clock: Clock = realClock): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(new ExponentialFailureRateLimiter<K>(5, 1_000_000), new BucketRateLimiter<K>(10, 100, clock));
}

/** What a queue reports for /metrics (client-go's workqueue metrics): adds, depth, time waiting and in work. */
export interface QueueMetrics {
  adds: number;
  retries: number;
  /** Seconds items waited in the queue, and spent being processed (sum and count, for a Prometheus summary). */
  queueSeconds: { sum: number; count: number };
  workSeconds: { sum: number; count: number };
}

export interface WorkQueueOptions<K> {
  clock?: Clock;
  rateLimiter?: RateLimiter<K>;
  /** Names the queue in metrics. */
  name?: string;
}

export class WorkQueue<K> {
  private queue: K[] = [];
  private head = 0;
  private dirty = new Set<K>();
  private processing = new Set<K>();
  private waiting = new Map<K, { at: number; handle: TimerHandle }>();
  private waiters: ((k: K | undefined) => void)[] = [];
  private shutdown = false;
  private readonly clock: Clock;
  readonly rateLimiter: RateLimiter<K>;
  readonly name: string;
  readonly metrics: QueueMetrics = { adds: 0, retries: 0, queueSeconds: { sum: 0, count: 0 }, workSeconds: { sum: 0, count: 0 } };
  private addedAt = new Map<K, number>();
  private startedAt = new Map<K, number>();

  constructor(opts: WorkQueueOptions<K> = {}) {
    this.clock = opts.clock ?? realClock;
    this.rateLimiter = opts.rateLimiter ?? new ExponentialFailureRateLimiter<K>();
    this.name = opts.name ?? '';
  }

  add(item: K): void {
    if (this.shutdown || this.dirty.has(item)) return;
    this.dirty.add(item);
    this.metrics.adds++;
    this.addedAt.set(item, this.clock.now());
    if (this.processing.has(item)) return;
    this.push(item);
  }

  addAfter(item: K, delayMs: number): void {
    if (this.shutdown) return;
    if (delayMs <= 0) return this.add(item);
    const at = this.clock.now() + delayMs;
    const prev = this.waiting.get(item);
    if (prev && prev.at <= at) return;
    if (prev) this.clock.clearTimeout(prev.handle);
    const handle = this.clock.setTimeout(() => {
      this.waiting.delete(item);
      this.add(item);
    }, delayMs);
    this.waiting.set(item, { at, handle });
  }

  addRateLimited(item: K): void {
    this.metrics.retries++;
    this.addAfter(item, this.rateLimiter.when(item));
  }

  forget(item: K): void {
    this.rateLimiter.forget(item);
  }

  numRequeues(item: K): number {
    return this.rateLimiter.numRequeues(item);
  }

  /** Next item, waiting if none; undefined once shut down and drained of waiters. */
  get(): Promise<K | undefined> {
    if (this.head < this.queue.length) return Promise.resolve(this.take());
    if (this.shutdown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `item` processed; if it was added meanwhile, it is queued again now. */
  done(item: K): void {
    this.processing.delete(item);
    const started = this.startedAt.get(item);
    if (started !== undefined) {
      this.startedAt.delete(item);
      this.metrics.workSeconds.sum += (this.clock.now() - started) / 1000;
      this.metrics.workSeconds.count++;
    }
    if (this.dirty.has(item)) this.push(item);
  }

  /** Items waiting (not delayed, not processing). */
  len(): number {
    return this.queue.length - this.head;
  }

  shutDown(): void {
    this.shutdown = true;
    for (const w of this.waiting.values()) this.clock.clearTimeout(w.handle);
    this.waiting.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  get shuttingDown(): boolean {
    return this.shutdown;
  }

  private push(item: K): void {
    const w = this.waiters.shift();
    if (w) {
      this.processing.add(item);
      this.dirty.delete(item);
      this.started(item);
      w(item);
      return;
    }
    this.queue.push(item);
  }

  private take(): K {
    const item = this.queue[this.head++];
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.processing.add(item);
    this.dirty.delete(item);
    this.started(item);
    return item;
  }

  private started(item: K): void {
    const now = this.clock.now();
    const added = this.addedAt.get(item);
    if (added !== undefined) {
      this.addedAt.delete(item);
      this.metrics.queueSeconds.sum += (now - added) / 1000;
      this.metrics.queueSeconds.count++;
    }
    this.startedAt.set(item, now);
  }
}
