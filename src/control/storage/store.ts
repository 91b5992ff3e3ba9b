/**
 * The storage seam, modelled on etcd's data model as kine does. It knows keys, bytes and revisions,
 * nothing of HTTP or of Kubernetes objects. Backends: memory.ts, sqlite.ts, etcd.ts; pick one with
 * `openStore` (index.ts).
 *
 * Contract:
 * - Every write gets a new, strictly increasing store-wide revision; a key's `modRevision` is the revision of
 *   its last write and `createRevision` the revision that created it. An empty store is at revision 1 (as etcd).
 * - Keys are ordered as bytes (etcd's order); Kubernetes keys are ASCII, where this is plain string order.
 * - `update`/`delete` with an expected modRevision are compare-and-swap: a stale revision is an ordinary outcome
 *   (`{ ok: false, current }`), not an exception. A missing key gives `{ ok: false, current: null }`.
 *   A delete's `kv` (result and event) is the key's last value with `modRevision` = the delete's revision.
 * - `watch(prefix, fromRevision)` delivers every event with revision > fromRevision, in revision order, exactly
 *   once, with no gap between history and live events. Each event carries the previous value (null on create).
 *   `watch()` returns at once (it throws only on invalid arguments); errors, including `CompactedError`, surface
 *   as a rejection of the iterator's `next()` (the first one when fromRevision is already compacted), after which
 *   the iterator is done.
 *   A watch has one consumer; events are shared between watchers and must not be mutated.
 *   Slow consumers: a backend buffers a bounded number of events per watch; beyond that it stops taking live
 *   events and later re-reads its history from the last buffered revision, so a slow consumer costs bounded
 *   memory and still sees every event, unless that history was compacted meanwhile (then `CompactedError`).
 * - `compact(R)` discards history before R (as etcd): reading at a revision < R, or watching from a
 *   fromRevision < R, fails with `CompactedError`; the state at R and every event after R (with its previous
 *   value) stay available. Compacting at or below the compacted revision is a no-op; above the current
 *   revision it is a `FutureRevisionError`, as is reading at a revision above the current one.
 * - Lists with a limit are served at one revision: pass the first page's `revision` with `startAfter` to get
 *   later pages as of that revision. `remaining` counts keys under the prefix after the last returned one at
 *   that revision (0 when `more` is false).
 */

export interface KeyValue {
  key: string;
  value: Uint8Array;
  createRevision: number;
  modRevision: number;
}

export interface ListOptions {
  /** Maximum keys to return; 0 or absent = all. */
  limit?: number;
  /** Return keys strictly greater than this one (the continue token's key). */
  startAfter?: string;
  /** Read as of this revision; 0 or absent = current. */
  revision?: number;
  /**
   * false: the caller has no use for `remaining` (a filtered list reports no remainingItemCount), so a backend
   * that pays per counted key may skip the count; `more` stays exact and `remaining` is then at least 1 when
   * `more`. Default true.
   */
  countRemaining?: boolean;
}

export interface ListResult {
  /** The revision the list was read at. */
  revision: number;
  items: KeyValue[];
  /** True when more keys under the prefix follow the last returned one. */
  more: boolean;
  /** Total keys under the prefix at `revision` after the returned ones (remainingItemCount; see countRemaining). */
  remaining: number;
}

export type WriteResult =
  | { ok: true; revision: number; kv: KeyValue }
  | { ok: false; revision: number; current: KeyValue | null };

export interface WatchEvent {
  type: 'PUT' | 'DELETE';
  revision: number;
  kv: KeyValue;
  prev: KeyValue | null;
}

export interface Watch extends AsyncIterable<WatchEvent> {
  /** Stops the watch; the iterator ends. */
  close(): void;
}

export interface Store {
  currentRevision(): Promise<number>;
  get(key: string, revision?: number): Promise<{ revision: number; kv: KeyValue | null }>;
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** Fails (ok: false, current) if the key exists. */
  create(key: string, value: Uint8Array): Promise<WriteResult>;
  /** Compare-and-swap on modRevision. */
  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<WriteResult>;
  /** Deletes the key; with an expected modRevision, only if it still matches. */
  delete(key: string, expectedModRevision?: number): Promise<WriteResult>;
  /** Events after `fromRevision` (exclusive); see the contract above for compaction and slow consumers. */
  watch(prefix: string, fromRevision: number): Watch;
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
  /**
   * Optional (a transforming store such as encryption/): true when the value of `key` at this modRevision is kept
   * in a form the store no longer writes (an old key), so an update must store it again even when unchanged.
   */
  isStale?(key: string, modRevision: number): boolean;
}

export class CompactedError extends Error {
  constructor(
    readonly requested: number,
    readonly compacted: number,
  ) {
    super(`required revision ${requested} has been compacted (compacted revision ${compacted})`);
    this.name = 'CompactedError';
  }
}

export class FutureRevisionError extends Error {
  constructor(
    readonly requested: number,
    readonly current: number,
  ) {
    super(`required revision ${requested} is a future revision (current ${current})`);
    this.name = 'FutureRevisionError';
  }
}
