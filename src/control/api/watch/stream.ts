/**
 * One HTTP watch: `?watch=1` answered as a chunked stream of JSON events, one per line, from the watch cache.
 *
 * Semantics (as kube-apiserver):
 * - resourceVersion unset or "0" (and sendInitialEvents not false): synthetic ADDED events for the current
 *   objects, then changes. With sendInitialEvents=true those initial events end with a BOOKMARK annotated
 *   `k8s.io/initial-events-end: "true"`.
 * - resourceVersion N: every change after N; older than the history kept → one ERROR event (410 Expired).
 * - Selectors filter per event; an object moving out of a selector is a DELETED event, into it an ADDED one.
 * - allowWatchBookmarks: periodic BOOKMARK events carrying only kind, apiVersion and metadata.resourceVersion.
 * - timeoutSeconds ends the stream; unset, a random 30-60 minutes as the server's minRequestTimeout.
 */
import type { ServerResponse } from 'node:http';
import { groupVersion, storageOf, storagePrefix, type KubeObject, type ResourceType } from '../resource.js';
import { entryJson, type Entry, type WatchCache, type CacheEvent, type Subscription } from './cache.js';
import { ApiError, internalError, type Status } from '../status.js';
import { encodeProtobuf, NotEncodable } from '../protobuf/encode.js';
import { PROTOBUF_WATCH_MEDIA_TYPE, watchEventFrame } from '../protobuf/watch-frame.js';

export interface WatchParams {
  namespace: string | undefined;
  resourceVersion: string | undefined;
  sendInitialEvents: boolean | undefined;
  allowWatchBookmarks: boolean;
  timeoutSeconds: number | undefined;
  match: (obj: KubeObject) => boolean;
  /** Renders an event's object (JSON object or a Table); undefined = the object as is (memoised JSON). */
  render?: (obj: KubeObject) => unknown;
  /** The kind and apiVersion bookmarks carry when events are converted (PartialObjectMetadata); default the resource's. */
  bookmarkAs?: { kind: string; apiVersion: string };
  /**
   * Awaited before `match` and `render` see objects (an asynchronous conversion: a CRD's conversion webhook), with
   * an event's object and its previous state; events then wait for it in order, and a failure ends the watch
   * with an ERROR event. Absent, nothing waits.
   */
  prepare?: (objects: KubeObject[], previous: KubeObject[]) => Promise<void>;
  /**
   * Frame events in protobuf (length-prefixed meta/v1 WatchEvents, protobuf/watch-frame.ts) instead of JSON lines;
   * the caller checked that the kind has a wire form. An object that turns out to have none ends the watch with an
   * ERROR event (410 Expired), so the client lists again (lists fall back to JSON) and watches on from there.
   */
  protobuf?: boolean;
}

export interface WatchSettings {
  bookmarkIntervalMs: number;
  /** A watcher whose socket buffers more than this is ended (clients re-watch), as the cacher drops slow ones. */
  maxBufferedBytes: number;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/**
 * An event's object in protobuf, encoded once for all its protobuf watchers (as ev.json is for JSON ones); keyed by
 * the event, so it lives only as long as the event is being fanned out.
 */
const envelopes = new WeakMap<CacheEvent, Buffer>();

/** Active watches, so shutdown can end them all. */
export class WatchSet {
  private readonly ends = new Set<() => void>();
  add(end: () => void): () => void {
    this.ends.add(end);
    return () => this.ends.delete(end);
  }
  get size(): number {
    return this.ends.size;
  }
  closeAll(): void {
    for (const end of [...this.ends]) end();
    this.ends.clear();
  }
}

/** Gathered event text is written at once past this many characters. */
const FLUSH_AT = 64 * 1024;

const line = (type: EventType, objectJson: string): string => `{"type":"${type}","object":${objectJson}}\n`;

export function errorEventLine(status: Status): string {
  return line('ERROR', JSON.stringify(status));
}

/**
 * Serves the watch on `res` (already hijacked from fastify). Resolves once the stream is set up; the stream
 * runs until timeout, client close, or `watches.closeAll()`.
 */
export async function serveWatch(
  res: ServerResponse, r: ResourceType, cache: WatchCache, p: WatchParams, settings: WatchSettings, watches: WatchSet,
): Promise<void> {
  // A converted version watches its storage version's keys (events.k8s.io Events live under core's /registry/events).
  const prefix = storagePrefix(storageOf(r), p.namespace);
  const inScope = (key: string) => key.startsWith(prefix);
  const gv = groupVersion(r);
  let lastRV = 0;
  let servedByCache = true;
  let ended = false;
  let sub: Subscription | null = null;
  const timers: NodeJS.Timeout[] = [];

  // Events are gathered and written once per turn of the event loop: one socket write for a batch of events
  // instead of one per event.
  let pending = '';
  // Protobuf frames gathered the same way (p.protobuf).
  let pendingFrames: Buffer[] = [];
  let pendingBytes = 0;
  let flushScheduled = false;
  const end = () => {
    if (ended) return;
    ended = true;
    sub?.cancel();
    for (const t of timers) clearTimeout(t);
    unregister();
    if (pending && !res.destroyed && !res.writableEnded) res.write(pending);
    pending = '';
    if (pendingBytes && !res.destroyed && !res.writableEnded) res.write(Buffer.concat(pendingFrames, pendingBytes));
    pendingFrames = [];
    pendingBytes = 0;
    if (!res.writableEnded) res.end();
  };
  const unregister = watches.add(end);
  res.on('close', end);

  // With p.prepare, each step (initial events, an event, a bookmark) runs once the ones before it have been
  // prepared and written; without it, at once.
  let chain: Promise<void> = Promise.resolve();
  const prepare = p.prepare;
  const inOrder = (objects: KubeObject[], previous: KubeObject[], step: () => void): void => {
    if (!prepare) return step();
    chain = chain.then(async () => {
      if (ended) return;
      try {
        await prepare(objects, previous);
        if (!ended) step();
      } catch (err) {
        // Nothing may escape the chain: a rejection no one awaits would end the process.
        onEnd(err);
      }
    });
  };

  const flush = () => {
    flushScheduled = false;
    if (ended || (!pending && !pendingBytes)) return;
    if (pendingBytes) {
      const frames = Buffer.concat(pendingFrames, pendingBytes);
      pendingFrames = [];
      pendingBytes = 0;
      res.write(frames);
    }
    if (pending) {
      const text = pending;
      pending = '';
      res.write(text);
    }
    if (res.writableLength > settings.maxBufferedBytes) end();
  };
  const write = (text: string) => {
    if (ended) return;
    pending += text;
    if (pending.length >= FLUSH_AT) flush();
    else if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };
  const writeFrame = (frame: Buffer) => {
    if (ended) return;
    pendingFrames.push(frame);
    pendingBytes += frame.length;
    if (pendingBytes >= FLUSH_AT) flush();
    else if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };
  // A protobuf frame of one event (`object` already rendered); an object without a wire form ends the watch.
  const emitFrame = (type: EventType, object: unknown, ev?: CacheEvent) => {
    let frame: Buffer;
    try {
      let envelope = ev && envelopes.get(ev);
      if (!envelope) {
        envelope = encodeProtobuf(object);
        if (ev) envelopes.set(ev, envelope);
      }
      frame = watchEventFrame(type, object, envelope);
    } catch (err) {
      if (type === 'ERROR') return;
      onEnd(err instanceof NotEncodable ? new ApiError(410, 'Expired', `unable to encode watch object ${r.kind} as protobuf (${err.message}): list again`) : err);
      return;
    }
    writeFrame(frame);
  };
  // One object event in the stream's framing: a JSON line, or a protobuf frame.
  const emit = (type: EventType, obj: KubeObject, ev?: CacheEvent) => {
    // Shared encodings only of the event's own object (a rendered one is this watcher's).
    if (p.protobuf) emitFrame(type, p.render ? p.render(obj) : obj, !p.render && ev?.object === obj ? ev : undefined);
    else write(line(type, objectJson(obj, ev)));
  };
  const objectJson = (obj: KubeObject, ev?: CacheEvent): string => {
    if (p.render) return JSON.stringify(p.render(obj));
    if (ev && ev.object === obj) return (ev.json ??= JSON.stringify(obj));
    return JSON.stringify(obj);
  };
  const bookmark = (rv: number, initialEnd = false) => {
    const meta: Record<string, unknown> = { resourceVersion: String(rv) };
    if (initialEnd) meta['annotations'] = { 'k8s.io/initial-events-end': 'true' };
    const type = p.bookmarkAs ?? { kind: r.kind, apiVersion: gv };
    const object = { kind: type.kind, apiVersion: type.apiVersion, metadata: meta };
    if (p.protobuf) emitFrame('BOOKMARK', object);
    else write(line('BOOKMARK', JSON.stringify(object)));
  };

  const onEvent = (ev: CacheEvent) => {
    if (ended || !inScope(ev.key)) return;
    lastRV = ev.revision;
    if (!prepare) deliver(ev);
    else inOrder([ev.object], ev.prev ? [ev.prev] : [], () => deliver(ev));
  };
  const deliver = (ev: CacheEvent) => {
    const now = p.match(ev.object);
    const before = ev.prev ? p.match(ev.prev) : false;
    if (ev.type === 'ADDED') {
      if (now) emit('ADDED', ev.object, ev);
    } else if (ev.type === 'DELETED') {
      if (before || now) emit('DELETED', ev.object, ev);
    } else if (now && before) emit('MODIFIED', ev.object, ev);
    else if (now) emit('ADDED', ev.object, ev);
    else if (before) emit('DELETED', ev.object, ev);
  };
  const onEnd = (err?: unknown) => {
    if (err) {
      const status = err instanceof ApiError ? err.toStatus() : internalError(err).toStatus();
      if (p.protobuf) emitFrame('ERROR', status);
      else write(errorEventLine(status));
    }
    end();
  };

  res.writeHead(200, {
    'Content-Type': p.protobuf ? PROTOBUF_WATCH_MEDIA_TYPE : 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
  });
  res.flushHeaders();

  await cache.start();
  const rvText = p.resourceVersion ?? '';
  const initial = p.sendInitialEvents ?? (rvText === '' || rvText === '0');
  try {
    if (initial) {
      let snapshot: Entry[];
      let at: number;
      if (cache.holdsObjects) {
        if (rvText !== '0') await cache.waitFresh();
        if (ended) return;
        // Snapshot and subscribe in one synchronous step: no event can fall between them.
        snapshot = cache.list(prefix);
        at = cache.revision;
      } else {
        // A watch-only cache (events): storage's list at its revision; the subscription replays what followed.
        ({ entries: snapshot, revision: at } = await cache.listStored(prefix));
        if (ended) return;
      }
      inOrder(snapshot.map((e) => e.object), [], () => {
        for (const e of snapshot) {
          if (!p.match(e.object)) continue;
          if (p.protobuf) emit('ADDED', e.object);
          else write(line('ADDED', p.render ? objectJson(e.object) : entryJson(e)));
        }
        // The end-of-initial-events bookmark is a bookmark: only for watchers that allow them (as the cacher).
        if (p.sendInitialEvents && p.allowWatchBookmarks) bookmark(at, true);
      });
      lastRV = at;
      // Storage may have listed past what the cache has fanned out yet: the cache leaves out the events up to it.
      sub = cache.subscribe(at, onEvent, onEnd);
    } else if (rvText === '') {
      await cache.waitFresh();
      if (ended) return;
      lastRV = cache.revision;
      sub = cache.subscribe(cache.revision, onEvent, onEnd);
    } else {
      const from = Number(rvText);
      lastRV = from;
      servedByCache = from >= cache.oldest;
      sub = cache.subscribe(from, onEvent, onEnd);
    }
  } catch (err) {
    onEnd(err);
    return;
  }

  if (p.allowWatchBookmarks) {
    const tick = () => {
      if (ended) return;
      // The cache has delivered every event up to its revision to this watcher.
      if (servedByCache && cache.revision > lastRV) lastRV = cache.revision;
      // Every event up to lastRV is queued before this bookmark: it is written after them.
      const rv = lastRV;
      inOrder([], [], () => bookmark(rv));
      timers.push(setTimeout(tick, settings.bookmarkIntervalMs).unref());
    };
    timers.push(setTimeout(tick, settings.bookmarkIntervalMs).unref());
  }
  const timeoutMs = p.timeoutSeconds !== undefined ? p.timeoutSeconds * 1000 : (1800 + Math.random() * 1800) * 1000;
  timers.push(setTimeout(end, timeoutMs).unref());
}
