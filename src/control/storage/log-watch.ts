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
import { EventQueue } from './event-queue.js';
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
  /** Paused (not taking live events) until history is read, and again after an overflow. */
  private readonly queue: EventQueue;

  constructor(
    private readonly log: EventLog,
    private readonly prefix: string,
    fromRevision: number,
    maxBuffered: number,
    private readonly detach: () => void,
  ) {
    this.queue = new EventQueue(fromRevision, maxBuffered, { resume: () => this.catchUp(), close: () => this.close() });
    this.queue.pause();
  }

  offer(events: readonly WatchEvent[]): void {
    if (this.queue.paused || this.queue.closed) return;
    for (const ev of events) {
      if (ev.revision <= this.queue.last || !ev.kv.key.startsWith(this.prefix)) continue;
      if (this.queue.full) {
        this.queue.pause(); // slow consumer: the rest comes from the log later
        break;
      }
      this.queue.push(ev);
    }
  }

  close(): void {
    if (this.queue.closed) return;
    this.queue.end();
    this.detach();
  }

  /** Reads one batch of history after the last queued revision; stays paused while the log may hold more. */
  private catchUp(): void {
    let batch: WatchEvent[];
    try {
      batch = this.log.eventsAfter(this.prefix, this.queue.last, HISTORY_BATCH);
    } catch (err) {
      this.queue.fail(err);
      this.detach();
      return;
    }
    for (const ev of batch) this.queue.push(ev);
    if (batch.length >= HISTORY_BATCH) this.queue.pause();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return this.queue[Symbol.asyncIterator]();
  }
}
