/**
 * The watch cache, after kube-apiserver's cacher: one storage watch per resource prefix, the current objects
 * in memory, and a ring of recent events. HTTP watchers subscribe here, so N watchers cost one storage watch,
 * and a re-watch from a recent resourceVersion is a ring scan, not a storage read.
 *
 * Contract:
 * - `revision` is the newest revision the cache reflects; events are applied and fanned out in revision order.
 * - A subscription from revision R gets every event with revision > R exactly once, from the ring and then live,
 *   when R >= `oldest`; below that, `subscribe` starts on a storage watch (410 Expired when compacted) and moves
 *   to the ring once it has caught up with it.
 * - Listeners are called synchronously during fan-out and must not throw or block.
 */
import type { KubeObject } from '../resource.js';
import { CompactedError, type KeyValue, type Store, type Watch } from '../../storage/store.js';
import { expired } from '../status.js';
import { SharedValues } from './shared-values.js';
import { aliasStored, storedMayLackAlias } from './stored-alias.js';

/** One table for every cache of the server: pods, nodes and events repeat each other's strings too. */
const serverValues = new SharedValues();

/**
 * Leases are not slimmed: every node renews its own every 10 s, a few hundred bytes each, so sharing their
 * values would cost the heartbeat path more than it saves (~15 MB at 15,000 nodes).
 */
const UNSLIMMED_PREFIXES = ['/registry/coordination.k8s.io/leases/'];
/**
 * Kinds whose objects the cache does not keep, as upstream's DefaultWatchCacheSizes turns the cacher off for
 * events (core and events.k8s.io, one storage prefix here): gets and lists read storage; watchers still share
 * one storage watch and the ring. Events pile up (one or more per pod, several per node) and a cluster reads
 * them seldom: kept, they were ~0.5 KB of heap each besides their strings, for as long as the server ran.
 */
const WATCH_ONLY_PREFIXES = ['/registry/events/'];
/**
 * A written object is slimmed once it has stayed current this long: a pod is written four or five times in its
 * first seconds (create, bind, kubelet statuses), and slimming costs about what parsing it does, so doing it at
 * every write would put that cost on the write path several times for a saving only the settled object keeps.
 */
const SETTLE_MS = 2000;
/** The newest events of the ring that keep their JSON (see push). */
const JSON_KEPT_EVENTS = 256;
/** Objects slimmed at most per pass, so a burst of settled writes never holds the server's thread for long. */
const SETTLE_BATCH = 2000;

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: EventType;
  revision: number;
  key: string;
  object: KubeObject;
  /** The object before this event (MODIFIED/DELETED), for selector transitions. */
  prev?: KubeObject;
  /** Memoised JSON of `object`, shared by every watcher the event fans out to. */
  json?: string;
}

export interface Entry {
  key: string;
  object: KubeObject;
  /**
   * JSON of `object`, held only by a list's entries read from storage (rawEntry), whose object is parsed on
   * first use. The cache's entries keep none: at 150,000 pods it was ~585 MB; lists serialise, and an event's
   * JSON is made once for all its watchers.
   */
  json?: string;
}

export type Listener = (ev: CacheEvent) => void;
/** Called once when a subscription ends on the cache's side (an ApiError for 410, or undefined). */
export type Ender = (err?: unknown) => void;

export interface Subscription {
  cancel(): void;
}

/** Decodes stored bytes; resourceVersion is the key's modRevision, as kube-apiserver sets it on read. */
export function decodeKV(kv: KeyValue, revision = kv.modRevision): KubeObject {
  const obj = JSON.parse(Buffer.from(kv.value.buffer, kv.value.byteOffset, kv.value.byteLength).toString('utf8')) as KubeObject;
  obj.metadata = obj.metadata ?? {};
  obj.metadata.resourceVersion = String(revision);
  aliasStored(kv.key, obj);
  return obj;
}

/** decodeKV, with the stored text with resourceVersion spliced in as the event's JSON (no re-serialising). */
function decodedEntry(kv: KeyValue): { entry: Entry; json: string | null } {
  const text = Buffer.from(kv.value.buffer, kv.value.byteOffset, kv.value.byteLength).toString('utf8');
  const obj = JSON.parse(text) as KubeObject;
  obj.metadata = obj.metadata ?? {};
  obj.metadata.resourceVersion = String(kv.modRevision);
  // Bytes an older Skiff wrote (a storage watch replaying them) gain the alias; then they are not its JSON.
  const json = aliasStored(kv.key, obj) ? null : withResourceVersion(text, kv.modRevision);
  return { entry: { key: kv.key, object: obj }, json };
}

export const entryJson = (e: Entry): string => e.json ?? JSON.stringify(e.object);

/** Stored JSON that starts `{"apiVersion":"…","kind":"…","metadata":{` (as the engine writes it). */
const STORED_HEAD = /^\{"apiVersion":"[^"\\]*","kind":"[^"\\]*","metadata":\{/;

/**
 * An Entry whose JSON is the stored bytes with `"resourceVersion"` spliced into metadata, parsed only if
 * someone reads `object`; null when the bytes are not in the engine's layout or may lack the serviceAccount alias
 * (then decode normally).
 */
export function rawEntry(kv: KeyValue): Entry | null {
  const text = Buffer.from(kv.value.buffer, kv.value.byteOffset, kv.value.byteLength).toString('utf8');
  if (storedMayLackAlias(kv.key, text)) return null;
  const json = withResourceVersion(text, kv.modRevision);
  if (json === null) return null;
  let parsed: KubeObject | undefined;
  return {
    key: kv.key,
    json,
    get object(): KubeObject {
      return (parsed ??= JSON.parse(json) as KubeObject);
    },
  };
}

/** A write this server is making: the object it encodes and the exact bytes it stores (see `expect`). */
export interface ExpectedWrite {
  key: string;
  bytes: Uint8Array;
  object: KubeObject;
  /** The stored bytes as text (engine layout, no resourceVersion), for the event's JSON. */
  text: string;
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** `text` (stored JSON in the engine's layout) with metadata.resourceVersion spliced in; null when not in it. */
export function withResourceVersion(text: string, revision: number): string | null {
  const m = STORED_HEAD.exec(text);
  if (!m) return null;
  const at = m[0].length;
  const rv = `"resourceVersion":"${revision}"`;
  return text.slice(0, at) + (text[at] === '}' ? rv : `${rv},`) + text.slice(at);
}

export class WatchCache {
  /**
   * False for a watch-only cache (WATCH_ONLY_PREFIXES): it fans out and replays events but keeps no objects, so
   * `get`, `getFresh` and `list` have nothing to answer and readers go to storage.
   */
  readonly holdsObjects: boolean;
  revision = 0;
  /** Subscriptions from a revision >= oldest are served from the ring. */
  oldest = 0;
  private readonly items = new Map<string, Entry>();
  private sortedKeys: string[] | null = null;
  private readonly ring: (CacheEvent | undefined)[];
  private head = 0; // index of the next write
  private count = 0;
  private readonly listeners = new Map<Listener, Ender>();
  private storeWatch: Watch | null = null;
  private ready: Promise<void> | null = null;
  /** The initial list is in and the storage watch runs (false again while a broken watch is rebuilt). */
  private synced = false;
  private stopped = false;
  private waiters: { rev: number; resolve: () => void }[] = [];
  /** The newest revision this server wrote under the prefix: the cache is fresh once it has seen it. */
  private lastWrite = 0;
  /** Writes in flight from this server, by key, whose objects the cache takes instead of decoding the bytes. */
  private readonly expected = new Map<string, ExpectedWrite>();
  /** Shares equal values of an object the cache keeps (see shared-values.ts); undefined when not slimming. */
  private readonly slim: ((obj: KubeObject) => KubeObject) | undefined;
  /** Written entries waiting to settle before they are slimmed, oldest first (a rewrite moves its key last). */
  private readonly settling = new Map<string, { entry: Entry; at: number }>();
  private settleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    readonly prefix: string,
    capacity = 4096,
    private readonly onError: (err: unknown) => void = () => {},
    values: SharedValues | null = UNSLIMMED_PREFIXES.some((p) => prefix.startsWith(p)) ? null : serverValues,
    private readonly settleMs = SETTLE_MS,
  ) {
    this.ring = new Array(capacity);
    this.holdsObjects = !WATCH_ONLY_PREFIXES.some((p) => prefix.startsWith(p));
    this.slim = values && this.holdsObjects ? (o) => values.slim(o) : undefined;
  }

  /** Slims a written entry once it has stayed current for settleMs (SETTLE_MS says why not at once). */
  private settle(key: string, entry: Entry | undefined): void {
    if (!this.slim) return;
    this.settling.delete(key);
    if (!entry) return;
    this.settling.set(key, { entry, at: Date.now() });
    this.settleTimer ??= setTimeout(() => this.slimSettled(), this.settleMs).unref();
  }

  private slimSettled(): void {
    this.settleTimer = null;
    const due = Date.now() - this.settleMs;
    let n = 0;
    for (const [key, s] of this.settling) {
      if (s.at > due || n >= SETTLE_BATCH) {
        this.settleTimer = setTimeout(() => this.slimSettled(), n >= SETTLE_BATCH ? 0 : s.at - due).unref();
        return;
      }
      this.settling.delete(key);
      if (this.items.get(key) === s.entry) this.slim!(s.entry.object);
      n++;
    }
  }

  /** Lists the prefix and starts the storage watch; idempotent. */
  start(): Promise<void> {
    this.ready ??= this.init();
    return this.ready;
  }

  private async init(): Promise<void> {
    if (!this.holdsObjects) {
      const revision = await this.store.currentRevision();
      this.revision = revision;
      this.oldest = revision;
      this.storeWatch = this.store.watch(this.prefix, revision);
      this.synced = true;
      void this.pump(this.storeWatch);
      return;
    }
    const res = await this.store.list(this.prefix);
    this.items.clear();
    for (const kv of res.items) this.items.set(kv.key, { key: kv.key, object: this.slim ? this.slim(decodeKV(kv)) : decodeKV(kv) });
    this.sortedKeys = null;
    this.revision = res.revision;
    this.oldest = res.revision;
    this.storeWatch = this.store.watch(this.prefix, res.revision);
    this.synced = true;
    void this.pump(this.storeWatch);
  }

  private async pump(w: Watch): Promise<void> {
    try {
      for await (const ev of w) {
        if (this.stopped) return;
        if (ev.revision <= this.revision) continue; // duplicate across a restart of the watch
        let out: CacheEvent;
        if (ev.type === 'DELETE') {
          const old = this.items.get(ev.kv.key);
          const prevObj = old?.object ?? (ev.prev ? decodeKV(ev.prev) : undefined);
          if (!prevObj) {
            this.revision = ev.revision;
            continue;
          }
          const obj = { ...prevObj, metadata: { ...prevObj.metadata, resourceVersion: String(ev.revision) } };
          this.items.delete(ev.kv.key);
          this.settle(ev.kv.key, undefined);
          this.expected.delete(ev.kv.key);
          this.sortedKeys = null;
          out = { type: 'DELETED', revision: ev.revision, key: ev.kv.key, object: obj, prev: prevObj };
        } else {
          const { entry, json } = this.taken(ev.kv, ev.revision) ?? decodedEntry(ev.kv);
          let prev: KubeObject | undefined;
          if (this.holdsObjects) {
            this.settle(ev.kv.key, entry);
            prev = this.items.get(ev.kv.key)?.object;
            if (!prev) this.sortedKeys = null;
            this.items.set(ev.kv.key, entry);
          } else if (ev.prev) prev = decodeKV(ev.prev);
          out = { type: prev ? 'MODIFIED' : 'ADDED', revision: ev.revision, key: ev.kv.key, object: entry.object };
          if (json !== null) out.json = json;
          if (prev) out.prev = prev;
        }
        this.push(out);
      }
    } catch (err) {
      if (this.stopped) return;
      this.onError(err);
      // The storage watch broke (e.g. compaction raced the start): rebuild, and end every subscriber so
      // clients re-list, as the cacher does when it re-initialises.
      const enders = [...this.listeners.values()];
      this.listeners.clear();
      for (const end of enders) end();
      this.ready = null;
      this.synced = false;
      this.count = 0;
      setTimeout(() => void this.start().catch((e: unknown) => this.onError(e)), 100);
    }
  }

  private push(ev: CacheEvent): void {
    if (this.count === this.ring.length) {
      const evicted = this.ring[this.head]!;
      this.oldest = evicted.revision;
    } else this.count++;
    this.ring[this.head] = ev;
    // An event's JSON is for the watchers it fans out to now; one resuming from further back serialises it again.
    // Kept for the whole ring, each JSON (a pod's ~2-3 KB) outlived two scavenges and died in the old generation.
    // A ring no longer than that keeps every event's.
    if (this.ring.length > JSON_KEPT_EVENTS) {
      const older = this.ring[(this.head + this.ring.length - JSON_KEPT_EVENTS) % this.ring.length];
      if (older !== undefined) older.json = undefined;
    }
    this.head = (this.head + 1) % this.ring.length;
    this.revision = ev.revision;
    for (const l of this.listeners.keys()) l(ev);
    if (this.waiters.length) {
      const still: typeof this.waiters = [];
      for (const w of this.waiters) (w.rev <= this.revision ? w.resolve() : still.push(w));
      this.waiters = still;
    }
  }

  /**
   * Announces a write about to be made: if the storage event for `key` carries exactly `bytes`, the cache keeps
   * `object` (given up by the caller: never mutated again) and `text` instead of decoding the bytes again.
   * A write that fails must be withdrawn with `forget`.
   */
  expect(w: ExpectedWrite): void {
    // A cache nobody started sees no events to take it from: announcing would only pile up entries.
    if (this.ready) this.expected.set(w.key, w);
  }

  forget(w: ExpectedWrite): void {
    if (this.expected.get(w.key) === w) this.expected.delete(w.key);
  }

  /** The announced object for this stored value, with its resourceVersion set; undefined if none matches. */
  private taken(kv: KeyValue, revision: number): { entry: Entry; json: string | null } | undefined {
    const w = this.expected.get(kv.key);
    if (!w || !sameBytes(w.bytes, kv.value)) return undefined;
    this.expected.delete(kv.key);
    // A new top-level object (its parts shared with the writer's): the writer's own object is remembered with
    // its stored JSON for the response (StoredJson, a WeakMap by object), and would hold that JSON (~4 KB a
    // Running pod) for as long as the cache kept it.
    const object = { ...w.object, metadata: { ...w.object.metadata, resourceVersion: String(revision) } };
    return { entry: { key: kv.key, object }, json: withResourceVersion(w.text, revision) };
  }

  /** Notes a write this server made under the prefix; `waitFresh` waits until the cache has seen it. */
  noteWrite(revision: number): void {
    if (revision > this.lastWrite) this.lastWrite = revision;
  }

  /**
   * Waits (bounded) until the cache reflects every write this server made under the prefix. Storage offers no
   * progress notifications, so this is the freshness the cache can prove: exact with one API server; with
   * several on one etcd, another server's very latest write may still be in flight.
   */
  async waitFresh(timeoutMs = 3000): Promise<boolean> {
    await this.start();
    const want = this.lastWrite;
    if (this.revision >= want) return true;
    return new Promise<boolean>((resolve) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = {
        rev: want,
        resolve: () => {
          clearTimeout(t);
          resolve(true);
        },
      };
      this.waiters.push(waiter);
    });
  }

  get(key: string): Entry | undefined {
    return this.items.get(key);
  }

  /**
   * `key`'s entry when the cache is synced and has seen every write this server made under the prefix (then
   * `{ entry: undefined }` means absent as of that write); undefined when the cache cannot answer yet.
   */
  getFresh(key: string): { entry: Entry | undefined } | undefined {
    if (!this.isFresh()) return undefined;
    return { entry: this.items.get(key) };
  }

  /** Whether getFresh would answer (asked on every request by authorisation: no lookup, nothing allocated). */
  isFresh(): boolean {
    return this.holdsObjects && this.synced && !this.stopped && this.revision >= this.lastWrite;
  }

  /** The objects under `prefix` as storage holds them now, and its revision: a watch-only cache's snapshot. */
  async listStored(prefix = this.prefix): Promise<{ entries: Entry[]; revision: number }> {
    const res = await this.store.list(prefix);
    return { entries: res.items.map((kv) => ({ key: kv.key, object: decodeKV(kv) })), revision: res.revision };
  }

  get size(): number {
    return this.items.size;
  }

  /** Current entries under `prefix` (the cache's own or a namespace's), in key order as storage lists them. */
  list(prefix = this.prefix, after?: string): Entry[] {
    if (!this.sortedKeys) this.sortedKeys = [...this.items.keys()].sort();
    const keys = this.sortedKeys;
    let lo = 0;
    // The first key at or after the prefix, or strictly after `after` (a continue token's last key).
    if (after !== undefined || prefix !== this.prefix) {
      const bound = after ?? prefix;
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (keys[mid]! < bound || (after !== undefined && keys[mid] === bound)) lo = mid + 1;
        else hi = mid;
      }
    }
    const out: Entry[] = [];
    for (let i = lo; i < keys.length; i++) {
      const k = keys[i]!;
      if (!k.startsWith(prefix)) break;
      out.push(this.items.get(k)!);
    }
    return out;
  }

  /**
   * Subscribes from `fromRevision`: replays ring events after it, then live ones. When the ring does not reach
   * back that far, a storage watch serves the subscriber (410 Expired if storage has compacted it).
   */
  subscribe(fromRevision: number, listener: Listener, onEnd: Ender = () => {}): Subscription {
    if (fromRevision >= this.oldest) {
      const start = (this.head - this.count + this.ring.length) % this.ring.length;
      for (let i = 0; i < this.count; i++) {
        const ev = this.ring[(start + i) % this.ring.length]!;
        if (ev.revision > fromRevision) listener(ev);
      }
      // A revision the cache has not reached (a list storage answered while the cache lagged): the events up to
      // it are already the subscriber's; handed on, they would show it older states than it holds.
      const live: Listener = fromRevision > this.revision ? (ev) => {
        if (ev.revision > fromRevision) listener(ev);
      } : listener;
      this.listeners.set(live, onEnd);
      return { cancel: () => void this.listeners.delete(live) };
    }
    return this.subscribeStorage(fromRevision, listener, onEnd);
  }

  private subscribeStorage(fromRevision: number, listener: Listener, onEnd: Ender): Subscription {
    let w: Watch;
    try {
      w = this.store.watch(this.prefix, fromRevision);
    } catch (err) {
      if (err instanceof CompactedError) throw tooOld(fromRevision, err.compacted);
      throw err;
    }
    const objs = new Map<string, KubeObject>();
    let cancelled = false;
    let handedOver: Subscription | null = null;
    const done = (async () => {
      for await (const ev of w) {
        if (cancelled) return;
        // Caught up with what the ring holds (and no further than the cache has applied, so no event comes
        // twice): the cache serves the rest, and storage events stop being decoded a second time.
        if (ev.revision - 1 >= this.oldest && ev.revision - 1 <= this.revision && this.ready && !this.stopped) {
          handedOver = this.subscribe(ev.revision - 1, listener, onEnd);
          return;
        }
        const prevObj = objs.get(ev.kv.key) ?? (ev.prev ? decodeKV(ev.prev) : undefined);
        if (ev.type === 'DELETE') {
          if (!prevObj) continue;
          objs.delete(ev.kv.key);
          const obj = { ...prevObj, metadata: { ...prevObj.metadata, resourceVersion: String(ev.revision) } };
          listener({ type: 'DELETED', revision: ev.revision, key: ev.kv.key, object: obj, prev: prevObj });
        } else {
          const obj = decodeKV(ev.kv);
          objs.set(ev.kv.key, obj);
          const out: CacheEvent = { type: ev.prev ? 'MODIFIED' : 'ADDED', revision: ev.revision, key: ev.kv.key, object: obj };
          if (prevObj) out.prev = prevObj;
          listener(out);
        }
      }
    })();
    done.then(
      () => {
        if (handedOver) w.close();
        else if (!cancelled) onEnd();
      },
      (err: unknown) => !cancelled && onEnd(err instanceof CompactedError ? tooOld(fromRevision, err.compacted) : err),
    );
    return {
      cancel: () => {
        cancelled = true;
        w.close();
        handedOver?.cancel();
      },
    };
  }

  stop(): void {
    this.stopped = true;
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = null;
    this.settling.clear();
    this.storeWatch?.close();
    const enders = [...this.listeners.values()];
    this.listeners.clear();
    for (const end of enders) end();
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }
}

export const tooOld = (requested: number, oldest: number) =>
  expired(`too old resource version: ${requested} (${oldest})`);
