/**
 * The embedded default: SQLite through better-sqlite3 in WAL mode, one append-only table of revisions as kine
 * keeps it. Row id = revision; a key's current state is its newest row (a `deleted` row is a tombstone), and
 * the state at revision R is its newest row with id <= R. Each row also carries the previous value and its
 * revision, so watch events need no second lookup.
 *
 * One process owns the file (exclusive lock): revisions are assigned in memory and watchers are notified
 * in-process after each commit. Writes issued in the same turn of the event loop are committed together
 * (one transaction); each keeps its own compare-and-swap outcome.
 *
 * Durability ('full', the default) is a group commit that does not stall the thread, as kine's: SQLite commits
 * to the WAL without syncing (synchronous=NORMAL) and the WAL is then fdatasync'ed on libuv's thread pool;
 * callers and watchers hear of a write only once a sync that started after its commit has finished, so an
 * acknowledged write survives power loss as with synchronous=FULL. Batches committed while a sync runs share
 * the next one: writes that arrive during a sync are committed together right after it, so there is about one
 * transaction per sync. Reads may see a committed write before its sync ends (never acknowledged before it).
 * While writes keep coming, commits are also spaced COMMIT_SPACING_MS apart (commit-pacer.ts): a commit costs
 * about 100 us of the thread (its WAL frames) whatever it holds, and where syncs are fast a steady stream (node
 * leases) would otherwise commit one write at a time. A write after a quiet spell, or from a lone sequential
 * writer, is committed at once.
 */
import Database from 'better-sqlite3';
import { closeSync, fdatasync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { CommitPacer } from './commit-pacer.js';
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

export interface SqliteOptions {
  /**
   * 'full' (default): a write is acknowledged once the WAL holding it is synced, so it survives power loss as
   * with etcd (the sync runs off the request thread, shared by every batch committed meanwhile);
   * 'normal' acknowledges right after the commit: it survives process crashes only.
   */
  synchronous?: 'full' | 'normal';
  /** Live events held per watch before a slow consumer is switched to reading history. */
  watchBuffer?: number;
  /** Least milliseconds between two commits while writes keep coming (default COMMIT_SPACING_MS; 0: none). */
  commitSpacingMs?: number;
}

interface Row {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  value: Buffer;
  old_value: Buffer | null;
}

/** A key's newest row when it is live. */
type Live = Pick<Row, 'id' | 'name' | 'create_revision' | 'value'>;

/**
 * Keys whose newest row is kept in memory (least recently used go first): a write's compare-and-swap and a
 * current read of a recently touched key skip the table. Values are shared, never mutated. Sized so that a
 * pod created in a burst of ten thousand is still here when the scheduler binds it (about 2 KB each, ~32 MB).
 */
const LATEST_KEYS = 16384;

/**
 * The least time between two commits while writes keep coming: at most 125 transactions a second, so 1,500
 * lease renewals a second are ~12 to a transaction instead of one each; a write waits at most this much longer.
 * Besides the commit (~30 us of WAL frames) each batch costs a WAL sync handed to the thread pool and, per
 * watcher of what it wrote, one socket write of its events (watch/stream.ts writes once per turn): 4 ms measured
 * 15-20% more storage CPU per write than 12 ms at 1,500 writes a second.
 */
const COMMIT_SPACING_MS = 8;

/** A committed batch waiting for its WAL sync. */
interface Committed {
  ops: Op[];
  results: WriteResult[];
  events: WatchEvent[];
}

type Op =
  | { kind: 'create'; key: string; value: Uint8Array; done: Settle }
  | { kind: 'update'; key: string; value: Uint8Array; expected: number; done: Settle }
  | { kind: 'delete'; key: string; expected: number | undefined; done: Settle };

interface Settle {
  resolve(r: WriteResult): void;
  reject(e: unknown): void;
}

/**
 * 16 KiB pages, not SQLite's 4 KiB: a row lives whole in one leaf page when it fits (up to ~4 KB on 4 KiB pages), so
 * two ~2.2 KB rows (a pod with its service-account token volume and managedFields) do not share a 4 KiB page, and each
 * took a page of its own, WAL frame and all. Inserting batches of 32 rows (better-sqlite3, WAL, this machine):
 * 2,200 B rows 13.5-14.6 us a row on 4 KiB pages, 8.8-9.3 on 8 KiB, 7.2-7.8 on 16 KiB; 1,600 B 8.0-8.5 / 7.2-7.4 /
 * 6.6-7.3; 4,000 B 13.5-13.8 / 11.5-12.7 / 10.3-12.0; 700 B (a Lease) 5.2-5.7 / 5.1-5.4 / 5.1-6.2.
 */
const PAGE_SIZE = 16384;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value BLOB NOT NULL,
  old_value BLOB
);
CREATE INDEX IF NOT EXISTS kine_name_id_deleted ON kine (name, id, deleted);
CREATE TABLE IF NOT EXISTS skiff_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

const COLUMNS = 'id, name, created, deleted, create_revision, prev_revision, value, old_value';

export class SqliteStore implements Store, EventLog {
  private readonly db: Database.Database;
  private revision: number;
  private compacted: number;
  private readonly feed: LogFeed;
  private pending: Op[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly applyBatch: (ops: Op[]) => { results: WriteResult[]; events: WatchEvent[] };
  /** synchronous 'full': committed batches wait for a WAL sync before anyone hears of them. */
  private readonly durable: boolean;
  private readonly walFile: string;
  private walFd: number | null = null;
  private syncing = false;
  private committed: Committed[] = [];
  private readonly latest = new Map<string, Live | null>();
  private synced: (() => void)[] = [];
  private readonly pacer: CommitPacer;
  /** The scheduled flush waits for the pacer (so the batch it commits tells whether waiting gathered any). */
  private flushWaited = false;

  /** Opens (creating if needed) the database file; revisions continue where the last process stopped. */
  static open(file: string, options: SqliteOptions = {}): SqliteStore {
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file, { timeout: 0 });
    try {
      // Only a new file takes it (an existing one keeps the size it was made with).
      db.pragma(`page_size = ${PAGE_SIZE}`);
      // Exclusive before WAL: no shared-memory index, and a second server on the same file fails fast below.
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      // NORMAL for both: with 'full' the store syncs the WAL itself, off the thread (see the file comment).
      db.pragma('synchronous = NORMAL');
      db.exec('BEGIN EXCLUSIVE; COMMIT;');
      db.exec(SCHEMA);
    } catch (err) {
      db.close();
      if (err instanceof Error && /locked|busy/i.test(err.message)) {
        throw new Error(`sqlite storage ${file} is in use by another process (${err.message})`);
      }
      throw err;
    }
    return new SqliteStore(db, file, options);
  }

  private constructor(db: Database.Database, file: string, options: SqliteOptions) {
    this.db = db;
    this.durable = options.synchronous !== 'normal';
    this.pacer = new CommitPacer({ spacingMs: options.commitSpacingMs ?? COMMIT_SPACING_MS });
    this.walFile = `${file}-wal`;
    this.feed = new LogFeed(this, options.watchBuffer);
    const seq = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'kine'`).get() as { seq: number } | undefined;
    this.revision = Math.max(1, seq?.seq ?? 0);
    const meta = db.prepare(`SELECT value FROM skiff_meta WHERE name = 'compact_revision'`).get() as { value: number } | undefined;
    this.compacted = meta?.value ?? 0;
    this.applyBatch = db.transaction((ops: Op[]) => {
      const results: WriteResult[] = [];
      const events: WatchEvent[] = [];
      for (const op of ops) results.push(this.applyOne(op, events));
      return { results, events };
    });
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.revision;
  }

  async get(key: string, revision?: number): Promise<{ revision: number; kv: KeyValue | null }> {
    this.checkOpen();
    checkKey(key);
    const rev = this.readRevision(revision);
    if (rev === this.revision) {
      const live = this.latestOf(key);
      return { revision: rev, kv: live && kvOf(live) };
    }
    // Not old_value: a read needs the key's value only.
    const row = this.stmt(`SELECT id, name, deleted, create_revision, value FROM kine WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1`).get(
      key,
      rev,
    ) as Pick<Row, 'id' | 'name' | 'deleted' | 'create_revision' | 'value'> | undefined;
    return { revision: rev, kv: row && !row.deleted ? kvOf(row) : null };
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    checkLimit(options.limit);
    const rev = this.readRevision(options.revision);
    const limit = options.limit ?? 0;
    const end = prefixEnd(prefix);
    const after = options.startAfter !== undefined && compareKeys(options.startAfter, prefix) >= 0 ? options.startAfter : null;
    const latest = latestPerKey(after !== null, end !== null);
    // Raw rows (arrays): a third faster than row objects on large lists.
    const query = this.stmt(
      `SELECT kv.id, kv.name, kv.create_revision, kv.value FROM (${latest} ORDER BY name LIMIT ?) AS m ` +
        `JOIN kine AS kv ON kv.id = m.id ORDER BY m.name`,
      true,
    );
    const rowLimit = limit === 0 ? -1 : limit + (options.countRemaining === false ? 1 : 0);
    const rows = query.all(...bounds(after ?? prefix, end), rev, rowLimit) as [number, string, number, Buffer][];
    const items = rows.map(([id, name, createRevision, value]): KeyValue => ({ key: name, value, createRevision, modRevision: id }));
    // Counting walks every remaining key of the range: with no use for the count, one row past the page says
    // whether more follow.
    if (limit > 0 && options.countRemaining === false) {
      const more = items.length > limit;
      if (more) items.pop();
      return { revision: rev, items, more, remaining: more ? 1 : 0 };
    }
    let remaining = 0;
    if (limit > 0 && items.length === limit) {
      const last = items[items.length - 1]!.key;
      const count = this.stmt(`SELECT COUNT(*) AS n FROM (${latestPerKey(true, end !== null)})`).get(...bounds(last, end), rev) as {
        n: number;
      };
      remaining = count.n;
    }
    return { revision: rev, items, more: remaining > 0, remaining };
  }

  async create(key: string, value: Uint8Array): Promise<WriteResult> {
    checkKey(key);
    checkValue(value);
    return this.enqueue((done) => ({ kind: 'create', key, value, done }));
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<WriteResult> {
    checkKey(key);
    checkValue(value);
    checkModRevision(expectedModRevision);
    return this.enqueue((done) => ({ kind: 'update', key, value, expected: expectedModRevision, done }));
  }

  async delete(key: string, expectedModRevision?: number): Promise<WriteResult> {
    checkKey(key);
    if (expectedModRevision !== undefined) checkModRevision(expectedModRevision);
    return this.enqueue((done) => ({ kind: 'delete', key, expected: expectedModRevision, done }));
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
    const from = this.compacted;
    this.db.transaction(() => {
      // Rows replaced by a later write at or below `revision` are no one's state at or after it.
      this.stmt(
        `DELETE FROM kine WHERE id IN (SELECT prev_revision FROM kine WHERE id > ? AND id <= ? AND prev_revision > 0)`,
      ).run(from, revision);
      // Tombstones at or below `revision`: the key is simply absent from then on.
      this.stmt(`DELETE FROM kine WHERE deleted = 1 AND id > ? AND id <= ?`).run(from, revision);
      this.stmt(`INSERT INTO skiff_meta (name, value) VALUES ('compact_revision', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`).run(
        revision,
      );
    })();
    this.compacted = revision;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    // Writes already committed are still acknowledged once synced.
    if (this.syncing) await new Promise<void>((r) => this.synced.push(r));
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
    this.feed.closeAll();
    this.db.close();
  }

  eventsAfter(prefix: string, after: number, limit: number): WatchEvent[] {
    if (after < this.compacted) throw new CompactedError(after, this.compacted);
    const end = prefixEnd(prefix);
    // Walks the log by id (+name keeps the planner off the name index): watchers usually read recent history.
    const sql = `SELECT ${COLUMNS} FROM kine WHERE id > ? AND +name >= ?${end !== null ? ' AND +name < ?' : ''} ORDER BY id LIMIT ?`;
    const rows = this.stmt(sql).all(after, ...bounds(prefix, end), limit) as Row[];
    return rows.map(eventOf);
  }

  private enqueue(make: (done: Settle) => Op): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new Error('storage is closed'));
    return new Promise<WriteResult>((resolve, reject) => {
      this.pending.push(make({ resolve, reject }));
      // While a WAL sync runs, writes gather for the commit that follows it (one transaction per sync).
      if (!this.flushScheduled && !this.syncing) this.scheduleFlush();
    });
  }

  /** The next commit: after this turn (setImmediate), or later when the pacer spaces commits. */
  private scheduleFlush(): void {
    this.flushScheduled = true;
    const wait = this.pacer.delay(performance.now());
    this.flushWaited = wait > 0;
    if (wait <= 0) setImmediate(() => this.flush());
    else setTimeout(() => this.flush(), Math.ceil(wait));
  }

  /** Commits every queued write in one transaction, then notifies watchers and callers. */
  private flush(): void {
    this.flushScheduled = false;
    const ops = this.pending;
    if (ops.length === 0 || this.closed) return;
    this.pending = [];
    this.pacer.committed(performance.now(), ops.length, this.flushWaited);
    this.flushWaited = false;
    const before = this.revision;
    let outcome: { results: WriteResult[]; events: WatchEvent[] };
    try {
      outcome = this.applyBatch(ops);
    } catch (err) {
      this.revision = before; // rolled back: those revisions were never written
      this.latest.clear(); // it may hold rows of the rolled-back batch
      for (const op of ops) op.done.reject(err);
      return;
    }
    if (!this.durable) return this.settle({ ops, ...outcome });
    this.committed.push({ ops, ...outcome });
    if (!this.syncing) this.syncWal();
  }

  private settle(b: Committed): void {
    this.feed.publish(b.events);
    b.ops.forEach((op, i) => op.done.resolve(b.results[i]!));
  }

  /** Syncs the WAL for every batch committed so far, then acknowledges them; one sync in flight at a time. */
  private syncWal(): void {
    const batches = this.committed;
    this.committed = [];
    let fd: number;
    try {
      // The WAL exists from the first commit on and keeps its inode while the store holds the file.
      fd = this.walFd ??= openSync(this.walFile, 'r');
    } catch (err) {
      for (const b of batches) for (const op of b.ops) op.done.reject(err);
      return;
    }
    this.syncing = true;
    fdatasync(fd, (err) => {
      this.syncing = false;
      for (const b of batches) {
        if (err) for (const op of b.ops) op.done.reject(new Error(`sqlite storage: syncing the WAL failed: ${err.message}`));
        else this.settle(b);
      }
      if (this.pending.length && !this.flushScheduled) this.scheduleFlush();
      if (this.committed.length && !this.syncing) this.syncWal();
      else if (!this.syncing) for (const r of this.synced.splice(0)) r();
    });
  }

  /** A key's live row (null when absent or deleted), from the recent-keys cache or the table. */
  private latestOf(key: string): Live | null {
    const hit = this.latest.get(key);
    if (hit !== undefined) return hit;
    const row = this.stmt(`SELECT id, name, deleted, create_revision, value FROM kine WHERE name = ? ORDER BY id DESC LIMIT 1`).get(key) as
      | (Live & { deleted: number })
      | undefined;
    const live = row && !row.deleted ? { id: row.id, name: row.name, create_revision: row.create_revision, value: row.value } : null;
    this.remember(key, live);
    return live;
  }

  private remember(key: string, live: Live | null): void {
    this.latest.delete(key);
    this.latest.set(key, live);
    if (this.latest.size > LATEST_KEYS) this.latest.delete(this.latest.keys().next().value as string);
  }

  private applyOne(op: Op, events: WatchEvent[]): WriteResult {
    const live = this.latestOf(op.key);
    if (op.kind === 'create') {
      if (live) return { ok: false, revision: this.revision, current: kvOf(live) };
    } else {
      if (!live) return { ok: false, revision: this.revision, current: null };
      if (op.expected !== undefined && live.id !== op.expected) return { ok: false, revision: this.revision, current: kvOf(live) };
    }
    const id = this.revision + 1;
    // Copied: the caller may reuse its buffer, and the event shares this one.
    const value = op.kind === 'delete' ? live!.value : ownCopy(op.value);
    const row: Row = {
      id,
      name: op.key,
      created: live ? 0 : 1,
      deleted: op.kind === 'delete' ? 1 : 0,
      create_revision: live ? live.create_revision : id,
      prev_revision: live ? live.id : 0,
      value,
      old_value: live ? live.value : null,
    };
    this.stmt(`INSERT INTO kine (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(
      row.id,
      row.name,
      row.created,
      row.deleted,
      row.create_revision,
      row.prev_revision,
      row.value,
      row.old_value,
    );
    this.revision = id;
    this.remember(op.key, row.deleted ? null : { id, name: op.key, create_revision: row.create_revision, value });
    const event = eventOf(row);
    events.push(event);
    return { ok: true, revision: id, kv: event.kv };
  }

  private readRevision(revision: number | undefined): number {
    checkReadRevision(revision);
    if (!revision) return this.revision;
    if (revision > this.revision) throw new FutureRevisionError(revision, this.revision);
    if (revision < this.compacted) throw new CompactedError(revision, this.compacted);
    return revision;
  }

  private stmt(sql: string, raw = false): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      if (raw) s.raw(true);
      this.statements.set(sql, s);
    }
    return s;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('storage is closed');
  }
}

/**
 * The live keys of a key range at a revision: per name the newest row at or below it, unless a tombstone.
 * Runs on the (name, id, deleted) index alone, in name order, so a LIMIT stops the scan early; `deleted` is
 * SQLite's bare column of the MAX(id) row. Parameters: lower bound, [upper bound], revision.
 */
function latestPerKey(exclusiveLower: boolean, upper: boolean): string {
  const range = `name ${exclusiveLower ? '>' : '>='} ?${upper ? ' AND name < ?' : ''}`;
  return `SELECT name, MAX(id) AS id, deleted FROM kine WHERE ${range} AND id <= ? GROUP BY name HAVING deleted = 0`;
}

function bounds(lower: string, upper: string | null): string[] {
  return upper === null ? [lower] : [lower, upper];
}

/**
 * A copy in a buffer of its own. Buffer.from(bytes) slices values under 4 KB out of Node's shared 8 KB pool, and
 * each one kept (the recent-keys cache, events) held its whole slab: 3,635 slabs, 28 MB, at 3,000 pods.
 */
function ownCopy(bytes: Uint8Array): Buffer {
  const b = Buffer.allocUnsafeSlow(bytes.byteLength);
  b.set(bytes);
  return b;
}

function kvOf(row: Pick<Row, 'id' | 'name' | 'create_revision' | 'value'>): KeyValue {
  return { key: row.name, value: row.value, createRevision: row.create_revision, modRevision: row.id };
}

function eventOf(row: Row): WatchEvent {
  return {
    type: row.deleted ? 'DELETE' : 'PUT',
    revision: row.id,
    kv: kvOf(row),
    prev: row.created ? null : { key: row.name, value: row.old_value!, createRevision: row.create_revision, modRevision: row.prev_revision },
  };
}
