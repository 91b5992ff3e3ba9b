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

export interface WorkQueueOptions<K> {
  clock?: Clock;
  rateLimiter?: RateLimiter<K>;
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

  constructor(opts: WorkQueueOptions<K> = {}) {
    this.clock = opts.clock ?? realClock;
    this.rateLimiter = opts.rateLimiter ?? new ExponentialFailureRateLimiter<K>();
  }

  add(item: K): void {
    if (this.shutdown || this.dirty.has(item)) return;
    this.dirty.add(item);
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
    return item;
  }
}
