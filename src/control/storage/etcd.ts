/**
 * Store on etcd through the etcd3 client's raw KV and Watch RPCs. Compare-and-swap is an etcd transaction on
 * the key's create_revision (create) or mod_revision (update, delete); every revision comes from etcd's
 * response headers. Values are bytes as stored.
 */
import etcd3 from 'etcd3';
import type { IDuplexStream, IKeyValue, IResponseHeader, IWatchRequest, IWatchResponse } from 'etcd3';
import { EventQueue } from './event-queue.js';
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

const { Etcd3 } = etcd3;
type Client = InstanceType<typeof Etcd3>;

const ZERO = Buffer.from([0]);
const COMPACTED = 'required revision has been compacted';
const FUTURE = 'required revision is a future revision';
/** Events a watch holds for a slow consumer before it pauses the etcd stream (and resumes from history). */
const DEFAULT_WATCH_BUFFER = 4096;
const STREAM_RETRIES = 5;

export class EtcdStore implements Store {
  private closed = false;
  private readonly watches = new Set<EtcdWatch>();

  /** Connects and checks that etcd answers. */
  static async connect(endpoints: string[], options: { watchBuffer?: number } = {}): Promise<EtcdStore> {
    const client = new Etcd3({
      hosts: endpoints,
      dialTimeout: 5_000,
      // Lists of many objects exceed gRPC's 4 MiB default (kube-apiserver lifts it too).
      grpcOptions: { 'grpc.max_receive_message_length': -1 },
    });
    const store = new EtcdStore(client, options.watchBuffer ?? DEFAULT_WATCH_BUFFER);
    try {
      await store.currentRevision();
    } catch (err) {
      client.close();
      throw new Error(`cannot reach etcd at ${endpoints.join(', ')}: ${(err as Error).message}`);
    }
    return store;
  }

  private constructor(
    private readonly client: Client,
    private readonly watchBuffer: number,
  ) {}

  async currentRevision(): Promise<number> {
    this.checkOpen();
    const res = await this.client.kv.range({ key: ZERO, limit: 1, count_only: true });
    return rev(res.header);
  }

  async get(key: string, revision?: number): Promise<{ revision: number; kv: KeyValue | null }> {
    this.checkOpen();
    checkKey(key);
    checkReadRevision(revision);
    const res = await this.read(revision, () => this.client.kv.range({ key: Buffer.from(key), revision: revision ?? 0 }));
    const kv = res.kvs[0];
    // etcd's header holds its current revision, not the one read at.
    return { revision: revision || rev(res.header), kv: kv ? kvOf(kv) : null };
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    checkLimit(options.limit);
    checkReadRevision(options.revision);
    const limit = options.limit ?? 0;
    const end = prefixEnd(prefix);
    const after = options.startAfter !== undefined && compareKeys(options.startAfter, prefix) >= 0 ? options.startAfter : null;
    const key = after !== null ? Buffer.concat([Buffer.from(after), ZERO]) : prefix === '' ? ZERO : Buffer.from(prefix);
    const res = await this.read(options.revision, () =>
      this.client.kv.range({ key, range_end: end === null ? ZERO : Buffer.from(end), limit, revision: options.revision ?? 0 }),
    );
    // etcd counts every key in the range, whatever the limit.
    const remaining = limit > 0 ? Math.max(0, Number(res.count) - res.kvs.length) : 0;
    return { revision: options.revision || rev(res.header), items: res.kvs.map(kvOf), more: remaining > 0, remaining };
  }

  async create(key: string, value: Uint8Array): Promise<WriteResult> {
    this.checkOpen();
    checkKey(key);
    checkValue(value);
    const k = Buffer.from(key);
    const v = Buffer.from(value);
    const res = await this.client.kv.txn({
      compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key: k, value: v } }],
      failure: [{ request_range: { key: k } }],
    });
    const revision = rev(res.header);
    if (!res.succeeded) return { ok: false, revision, current: currentOf(res.responses[0]?.response_range.kvs) };
    return { ok: true, revision, kv: { key, value: v, createRevision: revision, modRevision: revision } };
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<WriteResult> {
    this.checkOpen();
    checkKey(key);
    checkValue(value);
    checkModRevision(expectedModRevision);
    const k = Buffer.from(key);
    const v = Buffer.from(value);
    const res = await this.client.kv.txn({
      compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision }],
      success: [{ request_put: { key: k, value: v, prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    const revision = rev(res.header);
    if (!res.succeeded) return { ok: false, revision, current: currentOf(res.responses[0]?.response_range.kvs) };
    const prev = res.responses[0]!.response_put.prev_kv;
    return { ok: true, revision, kv: { key, value: v, createRevision: Number(prev.create_revision), modRevision: revision } };
  }

  async delete(key: string, expectedModRevision?: number): Promise<WriteResult> {
    this.checkOpen();
    checkKey(key);
    const k = Buffer.from(key);
    if (expectedModRevision === undefined) {
      const res = await this.client.kv.deleteRange({ key: k, prev_kv: true });
      return deleted(key, rev(res.header), res.prev_kvs[0]);
    }
    checkModRevision(expectedModRevision);
    const res = await this.client.kv.txn({
      compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision }],
      success: [{ request_delete_range: { key: k, prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    const revision = rev(res.header);
    if (!res.succeeded) return { ok: false, revision, current: currentOf(res.responses[0]?.response_range.kvs) };
    return deleted(key, revision, res.responses[0]!.response_delete_range.prev_kvs[0]);
  }

  watch(prefix: string, fromRevision: number): Watch {
    this.checkOpen();
    checkReadRevision(fromRevision);
    const end = prefixEnd(prefix);
    const w = new EtcdWatch(
      this.client,
      { key: prefix === '' ? ZERO : Buffer.from(prefix), range_end: end === null ? ZERO : Buffer.from(end) },
      fromRevision,
      this.watchBuffer,
      () => this.watches.delete(w),
    );
    this.watches.add(w);
    return w;
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    checkReadRevision(revision);
    if (revision < 1) return; // nothing precedes revision 1
    try {
      await this.client.kv.compact({ revision, physical: true });
    } catch (err) {
      if (messageOf(err).includes(COMPACTED)) return; // at or below etcd's compacted revision: nothing to do
      if (messageOf(err).includes(FUTURE)) throw new FutureRevisionError(revision, await this.currentRevision());
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches]) w.close();
    this.client.close();
  }

  /** Runs a read at `revision`, turning etcd's compacted/future errors into ours. */
  private async read<T>(revision: number | undefined, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      const requested = revision ?? 0;
      if (messageOf(err).includes(COMPACTED)) throw new CompactedError(requested, await this.compactedRevision());
      if (messageOf(err).includes(FUTURE)) throw new FutureRevisionError(requested, await this.currentRevision());
      throw err;
    }
  }

  /**
   * etcd reports its compacted revision only to watchers: ask from revision 1 and read the answer
   * (only on the error path, where a compaction is known to have happened). 0 when it cannot tell.
   */
  private async compactedRevision(): Promise<number> {
    const stream = await this.client.watchClient.watch();
    try {
      return await new Promise<number>((resolve) => {
        const timer = setTimeout(() => resolve(0), 2_000);
        stream.on('data', (res: IWatchResponse) => {
          if (res.compact_revision && res.compact_revision !== '0') {
            clearTimeout(timer);
            resolve(Number(res.compact_revision));
          }
        });
        stream.on('error', () => resolve(0));
        stream.write({ create_request: { key: ZERO, start_revision: 1 } });
      });
    } finally {
      endStream(stream);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('storage is closed');
  }
}

/**
 * One etcd watch stream per Watch, started at fromRevision with previous values. A consumer that falls
 * `watchBuffer` events behind pauses the stream; once it has drained them the stream reopens after the last
 * buffered revision. Lost streams reopen the same way (a few times, with backoff) before the watch fails.
 */
class EtcdWatch implements Watch {
  /** Its `last` is where a reopened stream starts; paused while the stream is stopped for a slow consumer. */
  private readonly queue: EventQueue;
  private stream: IDuplexStream<IWatchRequest, IWatchResponse> | null = null;
  /** Bumped whenever a stream is abandoned, so its late callbacks are ignored. */
  private generation = 0;
  private retries = 0;

  constructor(
    private readonly client: Client,
    private readonly range: { key: Buffer; range_end: Buffer },
    fromRevision: number,
    maxBuffered: number,
    private readonly detach: () => void,
  ) {
    this.queue = new EventQueue(fromRevision, maxBuffered, { resume: () => this.open(), close: () => this.close() });
    this.open();
  }

  close(): void {
    if (this.queue.closed) return;
    this.queue.end();
    this.stopStream();
    this.detach();
  }

  private open(): void {
    const gen = ++this.generation;
    this.client.watchClient.watch().then(
      (stream) => {
        if (gen !== this.generation) return endStream(stream);
        this.stream = stream;
        stream.on('data', (res: IWatchResponse) => this.onResponse(gen, res));
        stream.on('error', (err: Error) => this.onStreamLost(gen, err));
        stream.on('end', () => this.onStreamLost(gen, new Error('etcd closed the watch stream')));
        // Start at `last` itself (its event is dropped as already seen) so etcd reports a compaction exactly when
        // last < compacted, the Store rule; etcd alone would accept last = compacted - 1, without that event's
        // previous value. Revision 0 would mean "now" to etcd: the first revision is 1.
        stream.write({ create_request: { ...this.range, start_revision: Math.max(this.queue.last, 1), prev_kv: true } });
      },
      (err: unknown) => this.onStreamLost(gen, err),
    );
  }

  private stopStream(): void {
    this.generation++;
    const s = this.stream;
    this.stream = null;
    if (s) endStream(s);
  }

  private onResponse(gen: number, res: IWatchResponse): void {
    if (gen !== this.generation) return;
    if (res.compact_revision && res.compact_revision !== '0') {
      return this.fail(new CompactedError(this.queue.last, Number(res.compact_revision)));
    }
    if (res.canceled) return this.fail(new Error(`etcd cancelled the watch: ${res.cancel_reason || 'no reason given'}`));
    this.retries = 0;
    for (const ev of res.events ?? []) {
      // The queue drops revisions already queued before a reopen.
      this.queue.push(eventOf(ev.type, Number(ev.kv.mod_revision), ev.kv, ev.prev_kv));
    }
    if (this.queue.full) {
      this.queue.pause();
      this.stopStream();
    }
  }

  private onStreamLost(gen: number, err: unknown): void {
    if (gen !== this.generation || this.queue.closed) return;
    this.stream = null;
    if (++this.retries > STREAM_RETRIES) return this.fail(err);
    const retryGen = ++this.generation; // ignore anything else from the lost stream meanwhile
    setTimeout(() => {
      if (retryGen === this.generation && !this.queue.closed) this.open();
    }, 100 * 2 ** this.retries).unref();
  }

  private fail(err: unknown): void {
    this.queue.fail(err);
    this.stopStream();
    this.detach();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return this.queue[Symbol.asyncIterator]();
  }
}

/**
 * Ends a watch stream we no longer want. Half-close first: the etcd3 client counts an error on a still
 * writable stream (which cancel() causes) as a host failure, and three in a row open its circuit breaker.
 */
function endStream(stream: IDuplexStream<IWatchRequest, IWatchResponse>): void {
  stream.on('error', () => {}); // the CANCELLED status that cancel() reports
  stream.end();
  stream.cancel();
}

function rev(header: IResponseHeader): number {
  return Number(header.revision);
}

function kvOf(kv: IKeyValue): KeyValue {
  return { key: kv.key.toString(), value: kv.value, createRevision: Number(kv.create_revision), modRevision: Number(kv.mod_revision) };
}

function currentOf(kvs: IKeyValue[] | undefined): KeyValue | null {
  const kv = kvs?.[0];
  return kv ? kvOf(kv) : null;
}

function deleted(key: string, revision: number, prev: IKeyValue | undefined): WriteResult {
  if (!prev) return { ok: false, revision, current: null };
  return { ok: true, revision, kv: { key, value: prev.value, createRevision: Number(prev.create_revision), modRevision: revision } };
}

/** etcd's delete events carry an empty kv: ours carry the deleted value, as the other backends do. */
function eventOf(type: string, revision: number, kv: IKeyValue, prev: IKeyValue | undefined): WatchEvent {
  const prevKv = prev ? kvOf(prev) : null;
  if (type === 'Delete') {
    const key = kv.key.toString();
    return {
      type: 'DELETE',
      revision,
      kv: { key, value: prevKv?.value ?? new Uint8Array(0), createRevision: prevKv?.createRevision ?? 0, modRevision: revision },
      prev: prevKv,
    };
  }
  return { type: 'PUT', revision, kv: kvOf(kv), prev: prevKv };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
