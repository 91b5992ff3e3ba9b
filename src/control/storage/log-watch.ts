/**
 * Watches over an in-process revision log (memory and sqlite backends), kine's pattern: subscribe first, then
 * read history after the requested revision, then take live events, dropping anything at or below the last
 * revision already queued, so there is neither a gap nor a duplicate.
 *
 * Writers call `LogFeed.publish` synchronously right after their commit, and history reads are synchronous
 * too, so "everything committed" is always either in a history read or published after it.
 * A watcher buffers at most `maxBuffered` live events; past that it stops taking live events and catches up
 * from the log when its consumer asks for more (bounded memory for slow consumers, no lost events).
 */
import type { Watch, WatchEvent } from './store.js';

export interface EventLog {
  /**
   * Up to `limit` events under `prefix` with revision > `after`, in revision order.
   * Throws CompactedError when an event after `after` may have been compacted away.
   */
  eventsAfter(prefix: string, after: number, limit: number): WatchEvent[];
}

const HISTORY_BATCH = 512;
const DEFAULT_MAX_BUFFERED = 4096;

export class LogFeed {
  private readonly watchers = new Set<LogWatch>();

  constructor(
    private readonly log: EventLog,
    private readonly maxBuffered = DEFAULT_MAX_BUFFERED,
  ) {}

  /** Call after commit with the committed events in revision order. */
  publish(events: readonly WatchEvent[]): void {
    if (events.length === 0) return;
    for (const w of this.watchers) w.offer(events);
  }

  watch(prefix: string, fromRevision: number): Watch {
    if (!Number.isSafeInteger(fromRevision) || fromRevision < 0) {
      throw new RangeError(`watch fromRevision must be a non-negative integer, got ${fromRevision}`);
    }
    const w = new LogWatch(this.log, prefix, fromRevision, this.maxBuffered, () => this.watchers.delete(w));
    this.watchers.add(w);
    return w;
  }

  /** Ends every watch (store closing). */
  closeAll(): void {
    for (const w of [...this.watchers]) w.close();
  }

  get size(): number {
    return this.watchers.size;
  }
}

class LogWatch implements Watch {
  private queue: WatchEvent[] = [];
  private head = 0;
  /** Highest revision queued (or delivered); everything at or below it is never queued again. */
  private last: number;
  /** True while live events may be queued; false until history is read and after an overflow. */
  private live = false;
  private closed = false;
  private failed: unknown = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly log: EventLog,
    private readonly prefix: string,
    fromRevision: number,
    private readonly maxBuffered: number,
    private readonly detach: () => void,
  ) {
    this.last = fromRevision;
  }

  offer(events: readonly WatchEvent[]): void {
    if (!this.live || this.closed) return;
    for (const ev of events) {
      if (ev.revision <= this.last || !ev.kv.key.startsWith(this.prefix)) continue;
      if (this.queue.length - this.head >= this.maxBuffered) {
        this.live = false; // slow consumer: the rest comes from the log later
        break;
      }
      this.queue.push(ev);
      this.last = ev.revision;
    }
    this.signal();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detach();
    this.signal();
  }

  private signal(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async next(): Promise<IteratorResult<WatchEvent>> {
    for (;;) {
      if (this.failed !== null) {
        const err = this.failed;
        this.failed = null;
        this.closed = true;
        throw err;
      }
      if (this.closed) return { done: true, value: undefined };
      if (this.head < this.queue.length) {
        const ev = this.queue[this.head++]!;
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        return { done: false, value: ev };
      }
      if (!this.live) {
        this.catchUp();
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Reads one batch of history after `last`; goes live once the log has nothing more. */
  private catchUp(): void {
    let batch: WatchEvent[];
    try {
      batch = this.log.eventsAfter(this.prefix, this.last, HISTORY_BATCH);
    } catch (err) {
      this.failed = err;
      this.detach();
      return;
    }
    for (const ev of batch) this.queue.push(ev);
    if (batch.length > 0) this.last = batch[batch.length - 1]!.revision;
    if (batch.length < HISTORY_BATCH) this.live = true;
  }

  /** One cursor per watch, like a generator: every call returns the same position. */
  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return this.iterator;
  }

  private readonly iterator: AsyncIterator<WatchEvent> = {
    next: () => this.next(),
    return: async () => {
      this.close();
      return { done: true, value: undefined };
    },
  };
}
