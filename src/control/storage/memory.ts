/**
 * In-memory Store for tests: an append-only revision log (the same rows the sqlite backend writes) with a
 * per-key history index, compaction and watch. Nothing survives the process.
 */
import { LogFeed, type EventLog } from './log-watch.js';
import { checkKey, checkLimit, checkModRevision, checkReadRevision, checkValue, compareKeys, prefixEnd } from './keys.js';
import {
  CompactedError,
  FutureRevisionError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type Watch,
  type WatchEvent,
  type WriteResult,
} from './store.js';

/** One write (a kine row); its event carries the new kv and the previous one. */
interface Row {
  revision: number;
  key: string;
  deleted: boolean;
  createRevision: number;
  event: WatchEvent;
}

export class MemoryStore implements Store, EventLog {
  private revision = 1;
  private compacted = 0;
  private log: Row[] = [];
  private readonly history = new Map<string, Row[]>();
  /** Every key with history, sorted. */
  private keys: string[] = [];
  private readonly feed: LogFeed;
  private closed = false;

  /** `watchBuffer`: live events held per watch before a slow consumer is switched to reading history. */
  constructor(options: { watchBuffer?: number } = {}) {
    this.feed = new LogFeed(this, options.watchBuffer);
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.revision;
  }

  async get(key: string, revision?: number): Promise<{ revision: number; kv: KeyValue | null }> {
    this.checkOpen();
    checkKey(key);
    const rev = this.readRevision(revision);
    const row = this.rowAt(key, rev);
    return { revision: rev, kv: row && !row.deleted ? row.event.kv : null };
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    checkLimit(options.limit);
    const rev = this.readRevision(options.revision);
    const limit = options.limit ?? 0;
    const end = prefixEnd(prefix);
    const from = options.startAfter !== undefined && compareKeys(options.startAfter, prefix) >= 0 ? options.startAfter : null;
    let i = from === null ? this.lowerBound(prefix) : this.upperBound(from);
    const items: KeyValue[] = [];
    let remaining = 0;
    for (; i < this.keys.length; i++) {
      const key = this.keys[i]!;
      if (end !== null && compareKeys(key, end) >= 0) break;
      const row = this.rowAt(key, rev);
      if (!row || row.deleted) continue;
      if (limit === 0 || items.length < limit) items.push(row.event.kv);
      else remaining++;
    }
    return { revision: rev, items, more: remaining > 0, remaining };
  }

  async create(key: string, value: Uint8Array): Promise<WriteResult> {
    this.checkOpen();
    checkKey(key);
    checkValue(value);
    const latest = this.latest(key);
    if (latest && !latest.deleted) return { ok: false, revision: this.revision, current: latest.event.kv };
    const row = this.append(key, value, null);
    return { ok: true, revision: row.revision, kv: row.event.kv };
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<WriteResult> {
    this.checkOpen();
    checkKey(key);
    checkValue(value);
    checkModRevision(expectedModRevision);
    const latest = this.latest(key);
    if (!latest || latest.deleted) return { ok: false, revision: this.revision, current: null };
    if (latest.revision !== expectedModRevision) return { ok: false, revision: this.revision, current: latest.event.kv };
    const row = this.append(key, value, latest);
    return { ok: true, revision: row.revision, kv: row.event.kv };
  }

  async delete(key: string, expectedModRevision?: number): Promise<WriteResult> {
    this.checkOpen();
    checkKey(key);
    if (expectedModRevision !== undefined) checkModRevision(expectedModRevision);
    const latest = this.latest(key);
    if (!latest || latest.deleted) return { ok: false, revision: this.revision, current: null };
    if (expectedModRevision !== undefined && latest.revision !== expectedModRevision) {
      return { ok: false, revision: this.revision, current: latest.event.kv };
    }
    const row = this.append(key, null, latest);
    return { ok: true, revision: row.revision, kv: row.event.kv };
  }

  watch(prefix: string, fromRevision: number): Watch {
    this.checkOpen();
    return this.feed.watch(prefix, fromRevision);
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    checkReadRevision(revision);
    if (revision > this.revision) throw new FutureRevisionError(revision, this.revision);
    if (revision <= this.compacted) return;
    const dropped = new Set<Row>();
    for (const [key, rows] of this.history) {
      // Keep the newest row at or below `revision` (the state at it) unless it is a tombstone.
      let keepFrom = rows.length;
      while (keepFrom > 0 && rows[keepFrom - 1]!.revision > revision) keepFrom--;
      if (keepFrom > 0 && !rows[keepFrom - 1]!.deleted) keepFrom--;
      if (keepFrom === 0) continue;
      for (let i = 0; i < keepFrom; i++) dropped.add(rows[i]!);
      if (keepFrom === rows.length) this.history.delete(key);
      else this.history.set(key, rows.slice(keepFrom));
    }
    if (dropped.size > 0) {
      this.log = this.log.filter((r) => !dropped.has(r));
      this.keys = this.keys.filter((k) => this.history.has(k));
    }
    this.compacted = revision;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.feed.closeAll();
  }

  eventsAfter(prefix: string, after: number, limit: number): WatchEvent[] {
    if (after < this.compacted) throw new CompactedError(after, this.compacted);
    const out: WatchEvent[] = [];
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.log[mid]!.revision <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.log.length && out.length < limit; i++) {
      const row = this.log[i]!;
      if (row.key.startsWith(prefix)) out.push(row.event);
    }
    return out;
  }

  private append(key: string, value: Uint8Array | null, prev: Row | null): Row {
    const revision = ++this.revision;
    const live = prev && !prev.deleted ? prev : null;
    const deleted = value === null;
    const createRevision = live ? live.createRevision : revision;
    // Copied so a caller reusing its buffer cannot change stored history.
    const stored = deleted ? live!.event.kv.value : value.slice();
    const kv: KeyValue = { key, value: stored, createRevision, modRevision: revision };
    const row: Row = {
      revision,
      key,
      deleted,
      createRevision,
      event: { type: deleted ? 'DELETE' : 'PUT', revision, kv, prev: live ? live.event.kv : null },
    };
    this.log.push(row);
    const rows = this.history.get(key);
    if (rows) rows.push(row);
    else {
      this.history.set(key, [row]);
      this.keys.splice(this.lowerBound(key), 0, key);
    }
    this.feed.publish([row.event]);
    return row;
  }

  private latest(key: string): Row | null {
    const rows = this.history.get(key);
    return rows ? rows[rows.length - 1]! : null;
  }

  private rowAt(key: string, rev: number): Row | null {
    const rows = this.history.get(key);
    if (!rows) return null;
    for (let i = rows.length - 1; i >= 0; i--) if (rows[i]!.revision <= rev) return rows[i]!;
    return null;
  }

  private readRevision(revision: number | undefined): number {
    checkReadRevision(revision);
    if (!revision) return this.revision;
    if (revision > this.revision) throw new FutureRevisionError(revision, this.revision);
    if (revision < this.compacted) throw new CompactedError(revision, this.compacted);
    return revision;
  }

  /** First index whose key is >= k. */
  private lowerBound(k: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.keys[mid]!, k) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose key is > k. */
  private upperBound(k: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.keys[mid]!, k) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('storage is closed');
  }
}
