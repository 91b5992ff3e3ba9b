/**
 * The buffer between a watch's producer and its one consumer, shared by the log watch (memory, sqlite) and the
 * etcd watch, which differ only in where events come from.
 *
 * - Events come out in the order pushed; a revision at or below the last one taken is dropped, so a history
 *   read overlapping live events, or a reopened stream, yields each event once.
 * - `fail(err)`: the events already buffered come first, then one `next()` rejects with err, then it is done.
 * - `end()`: `next()` is done at once, also one already waiting; buffered events are dropped.
 * - `pause()`: the producer stopped taking events (history not read yet, or a slow consumer reached `capacity`);
 *   once the consumer has taken everything buffered, `next()` lifts the pause and calls `resume` to catch up.
 *   The queue never refuses a push for room: `full` tells the producer when to pause.
 * One consumer: a second `next()` while one waits is not supported (as the Store contract says).
 */
import type { WatchEvent } from './store.js';

export interface EventQueueHooks {
  /**
   * Runs inside `next()` when the buffer is empty and the queue was paused (the pause is already lifted). It may
   * push, fail or pause again synchronously (`next()` looks again), or start something that pushes later.
   */
  resume(): void;
  /** The consumer stopped iterating early (`iterator.return()`, as a `break` in for-await does). */
  close(): void;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
/** Taken events are dropped from the array's front in chunks, not one shift() per event. */
const COMPACT_AFTER = 1024;

export class EventQueue implements AsyncIterable<WatchEvent> {
  private items: WatchEvent[] = [];
  private head = 0;
  private lastRevision: number;
  private isPaused = false;
  private isClosed = false;
  private failure: { error: unknown } | null = null;
  private wake: (() => void) | null = null;

  /** `after`: events at or below this revision are dropped (the watch's fromRevision). */
  constructor(
    after: number,
    readonly capacity: number,
    private readonly hooks: EventQueueHooks,
  ) {
    this.lastRevision = after;
  }

  /** Highest revision taken (buffered or delivered); a producer catching up reads after it. */
  get last(): number {
    return this.lastRevision;
  }

  /** Events buffered and not yet taken by the consumer. */
  get size(): number {
    return this.items.length - this.head;
  }

  get full(): boolean {
    return this.size >= this.capacity;
  }

  get paused(): boolean {
    return this.isPaused;
  }

  /** True after `end()`, or once the failure was delivered: nothing more comes out. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Buffers `ev` unless its revision was already taken (or the queue is closed); says whether it did. */
  push(ev: WatchEvent): boolean {
    if (this.isClosed || ev.revision <= this.lastRevision) return false;
    this.items.push(ev);
    this.lastRevision = ev.revision;
    this.signal();
    return true;
  }

  pause(): void {
    this.isPaused = true;
    this.signal();
  }

  fail(error: unknown): void {
    if (this.isClosed || this.failure !== null) return;
    this.failure = { error };
    this.signal();
  }

  end(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.failure = null;
    this.items = [];
    this.head = 0;
    this.signal();
  }

  private signal(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async next(): Promise<IteratorResult<WatchEvent>> {
    for (;;) {
      if (this.isClosed) return DONE;
      if (this.head < this.items.length) {
        const ev = this.items[this.head++]!;
        if (this.head > COMPACT_AFTER && this.head * 2 > this.items.length) {
          this.items = this.items.slice(this.head);
          this.head = 0;
        }
        return { done: false, value: ev };
      }
      if (this.failure !== null) {
        const { error } = this.failure;
        this.failure = null;
        this.isClosed = true;
        throw error;
      }
      if (this.isPaused) {
        this.isPaused = false;
        this.hooks.resume();
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** One cursor per queue, like a generator: every call returns the same position. */
  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return this.iterator;
  }

  private readonly iterator: AsyncIterator<WatchEvent> = {
    next: () => this.next(),
    return: async () => {
      this.hooks.close();
      return DONE;
    },
  };
}
