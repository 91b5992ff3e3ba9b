/**
 * The storage seam, modelled on etcd's data model as kine does. It knows keys, bytes and revisions,
 * nothing of HTTP or of Kubernetes objects.
 *
 * Contract:
 * - Every write gets a new, strictly increasing store-wide revision; a key's `modRevision` is the revision of
 *   its last write and `createRevision` the revision that created it.
 * - `update`/`delete` with an expected modRevision are compare-and-swap: a stale revision is an ordinary outcome
 *   (`{ ok: false, current }`), not an exception.
 * - `watch(prefix, fromRevision)` delivers every event with revision > fromRevision, in revision order, exactly
 *   once, with no gap between history and live events. Each event carries the previous value.
 * - A revision at or below the compacted revision cannot be watched or listed: `CompactedError`.
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
}

export interface ListResult {
  /** The revision the list was read at. */
  revision: number;
  items: KeyValue[];
  /** True when more keys under the prefix follow the last returned one. */
  more: boolean;
  /** Total keys under the prefix at `revision` after the returned ones (remainingItemCount). */
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
  /** Events after `fromRevision` (exclusive). Throws CompactedError if fromRevision < compacted revision. */
  watch(prefix: string, fromRevision: number): Watch;
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
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
