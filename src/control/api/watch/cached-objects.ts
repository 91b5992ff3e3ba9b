/**
 * Stored objects as the server's own readers (admission plugins, authenticators, the aggregator) read them: from
 * the engine's watch caches (upstream's read their informers), waiting only until the cache has seen this server's
 * own writes. One namespace's objects come from a prefix scan of the cache, not a full list.
 */
import type { KubeObject, ResourceType } from '../resource.js';

/** The part of the ObjectEngine its readers need. */
export interface CachingEngine {
  readonly registry: { lookup(group: string, version: string, plural: string): ResourceType | undefined };
  cache(r: ResourceType): {
    waitFresh(timeoutMs?: number): Promise<boolean>;
    /** Defined (synchronously) when the cache is synced and has seen this server's writes. */
    getFresh?(key: string): { entry: { object: KubeObject } | undefined } | undefined;
    list(prefix?: string): { object: KubeObject }[];
    get(key: string): { object: KubeObject } | undefined;
    readonly prefix: string;
  };
}

export interface CachedObjects {
  /** One object (namespace undefined for cluster-scoped kinds). */
  get(namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  /** As `get`, without a promise while the cache is synced and fresh; undefined when `get` would have to wait. */
  getNow(namespace: string | undefined, name: string): { object: KubeObject | undefined } | undefined;
  /** Every object in a namespace. */
  list(namespace: string): Promise<KubeObject[]>;
  /** Every object of the kind. */
  all(): Promise<KubeObject[]>;
  /** As `all`, without a promise while the cache is synced and fresh; undefined when `all` would have to wait. */
  allNow(): KubeObject[] | undefined;
}

export function cachedObjects(engine: CachingEngine, group: string, version: string, plural: string): CachedObjects {
  const cache = () => {
    const r = engine.registry.lookup(group, version, plural);
    return r ? engine.cache(r) : undefined;
  };
  const keyOf = (prefix: string, namespace: string | undefined, name: string): string => `${prefix}${namespace ? `${namespace}/` : ''}${name}`;
  return {
    async get(namespace, name) {
      const c = cache();
      if (!c) return undefined;
      const key = keyOf(c.prefix, namespace, name);
      // The common case answers without waiting a tick: the cache is synced and fresh.
      const fresh = c.getFresh?.(key);
      if (fresh) return fresh.entry?.object;
      await c.waitFresh();
      return c.get(key)?.object;
    },
    getNow(namespace, name) {
      const c = cache();
      if (!c) return { object: undefined };
      const fresh = c.getFresh?.(keyOf(c.prefix, namespace, name));
      return fresh ? { object: fresh.entry?.object } : undefined;
    },
    async list(namespace) {
      const c = cache();
      if (!c) return [];
      const prefix = `${c.prefix}${namespace}/`;
      if (!c.getFresh?.(prefix)) await c.waitFresh();
      return c.list(prefix).map((e) => e.object);
    },
    async all() {
      const c = cache();
      if (!c) return [];
      if (!c.getFresh?.(c.prefix)) await c.waitFresh();
      return c.list().map((e) => e.object);
    },
    allNow() {
      const c = cache();
      if (!c) return [];
      return c.getFresh?.(c.prefix) ? c.list().map((e) => e.object) : undefined;
    },
  };
}
