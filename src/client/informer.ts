/**
 * Shared informers: one reflector and one cache per resource, fanned out to any number of handlers, as
 * client-go's tools/cache.
 *
 * Contract:
 * - The cache is eventually consistent with the API server: it reflects some recent resourceVersion, never a
 *   future one, and may lag behind a write this process just made.
 * - For one object, handlers see events in resourceVersion order. Across objects, order is the watch's order.
 * - Handlers are called synchronously, one event at a time, in registration order, after the cache has been
 *   updated: a handler reading the lister sees the object it was handed (or newer).
 * - `onAdd(obj, true)` marks objects of the initial list; `hasSynced()` turns true once every one of them has
 *   been delivered. A later re-list (after 410 Expired) delivers updates for objects still present and deletes
 *   for objects gone; such a delete carries the last state this cache knew, which may be stale (client-go wraps
 *   it in DeletedFinalStateUnknown; here it is the object itself).
 * - Handlers must not mutate the objects they receive and must not block: queue a key and return. A handler
 *   that throws is reported to `onError`; later handlers still run.
 */
import { realClock, type Clock } from './clock.js';
import { Reflector, type ReflectorOptions, type ReflectorSink } from './reflector.js';
import type { RestClient } from './rest.js';
import type { ResourceRef } from './resources.js';
import { Indexer, Lister } from './store.js';
import { objectKey, type KubeObject } from './types.js';

export interface ResourceEventHandler<T extends KubeObject> {
  onAdd?(obj: T, isInInitialList: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions<T extends KubeObject> extends ReflectorOptions {
  clock?: Clock;
  /**
   * Applied to each object before it is cached (e.g. drop managedFields to save memory), with the cached version
   * it replaces, if any.
   */
  transform?: (obj: T, previous?: T) => T;
}

export class SharedInformer<T extends KubeObject = KubeObject> implements ReflectorSink<T> {
  readonly indexer = new Indexer<T>();
  readonly lister = new Lister<T>(this.indexer);
  private handlers: ResourceEventHandler<T>[] = [];
  private synced = false;
  private running: Promise<void> | null = null;
  private syncWaiters: (() => void)[] = [];
  private readonly reflector: Reflector<T>;
  lastSyncResourceVersion = '';

  constructor(
    client: RestClient,
    readonly ref: ResourceRef,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.reflector = new Reflector<T>(client, ref, this, opts.clock ?? realClock, opts);
  }

  /** Registers a handler; if the cache already holds objects, they are replayed to it as initial adds. */
  addEventHandler(h: ResourceEventHandler<T>): { remove(): void } {
    this.handlers.push(h);
    if (this.synced) for (const obj of this.indexer.list()) this.call(() => h.onAdd?.(obj, true));
    return { remove: () => (this.handlers = this.handlers.filter((x) => x !== h)) };
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once synced, or when the signal aborts. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    return new Promise((resolve) => {
      this.syncWaiters.push(() => resolve(true));
      signal?.addEventListener('abort', () => resolve(false), { once: true });
    });
  }

  /** Starts the reflector (once); the returned promise settles when the signal aborts. */
  run(signal: AbortSignal): Promise<void> {
    if (!this.running) this.running = this.reflector.run(signal);
    return this.running;
  }

  // ReflectorSink: the reflector feeds these; they update the cache, then tell the handlers.

  replace(items: T[], resourceVersion: string): void {
    const seen = new Set<string>();
    const initial = !this.synced;
    for (const raw of items) {
      const obj = this.tf(raw);
      const key = objectKey(obj);
      seen.add(key);
      const old = this.indexer.set(obj);
      if (old) this.dispatch((h) => h.onUpdate?.(old, obj));
      else this.dispatch((h) => h.onAdd?.(obj, initial));
    }
    for (const key of this.indexer.keys()) {
      if (seen.has(key)) continue;
      const old = this.indexer.delete(key)!;
      this.dispatch((h) => h.onDelete?.(old));
    }
    this.lastSyncResourceVersion = resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  add(raw: T): void {
    const obj = this.tf(raw);
    const old = this.indexer.set(obj);
    if (old) this.dispatch((h) => h.onUpdate?.(old, obj));
    else this.dispatch((h) => h.onAdd?.(obj, false));
  }

  update(raw: T): void {
    const obj = this.tf(raw);
    const old = this.indexer.set(obj);
    if (old) this.dispatch((h) => h.onUpdate?.(old, obj));
    else this.dispatch((h) => h.onAdd?.(obj, false));
  }

  delete(raw: T): void {
    const obj = this.tf(raw);
    const old = this.indexer.delete(objectKey(obj));
    this.dispatch((h) => h.onDelete?.(old ?? obj));
  }

  setResourceVersion(rv: string): void {
    this.lastSyncResourceVersion = rv;
  }

  private tf(obj: T): T {
    return this.opts.transform ? this.opts.transform(obj, this.indexer.get(objectKey(obj))) : obj;
  }

  private dispatch(fn: (h: ResourceEventHandler<T>) => void): void {
    for (const h of this.handlers) this.call(() => fn(h));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (this.opts.onError) this.opts.onError(err);
      else console.error(`informer ${this.ref.plural}: handler failed:`, err);
    }
  }
}

/**
 * The usual informer transform: drops metadata.managedFields, which no component reads and which are most of an
 * object's bytes, so caches of many thousands of objects stay small.
 */
export function dropManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata?.managedFields === undefined) return obj;
  const { managedFields: _drop, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

const refKey = (ref: ResourceRef, o: ReflectorOptions): string =>
  `${ref.group}/${ref.version}/${ref.plural}|${o.namespace ?? ''}|${o.labelSelector ?? ''}|${o.fieldSelector ?? ''}`;

/** One shared informer per resource (and namespace/selector); `start` runs all of them. */
export class SharedInformerFactory {
  private informers = new Map<string, SharedInformer<KubeObject>>();
  private signal: AbortSignal | null = null;

  constructor(
    readonly client: RestClient,
    private readonly defaults: InformerOptions<KubeObject> = {},
  ) {}

  forResource<T extends KubeObject = KubeObject>(ref: ResourceRef, opts: InformerOptions<T> = {}): SharedInformer<T> {
    const merged = { ...(this.defaults as unknown as InformerOptions<T>), ...opts };
    const key = refKey(ref, merged);
    let inf = this.informers.get(key) as SharedInformer<T> | undefined;
    if (!inf) {
      inf = new SharedInformer<T>(this.client, ref, merged);
      this.informers.set(key, inf as unknown as SharedInformer<KubeObject>);
      // Informers asked for after start() start at once, as client-go's factory does on the next Start.
      if (this.signal) void inf.run(this.signal);
    }
    return inf;
  }

  start(signal: AbortSignal): void {
    this.signal = signal;
    for (const inf of this.informers.values()) void inf.run(signal);
  }

  /** True when every informer synced; false if the signal aborted first. */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }
}
