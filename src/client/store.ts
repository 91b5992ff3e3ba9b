/**
 * The informer's local cache: objects keyed `namespace/name` (client-go's Indexer with MetaNamespaceKeyFunc),
 * optional secondary indexes, and a read-only Lister view. Objects in it are shared: callers must not mutate them.
 */
import { objectKey, type KubeObject } from './types.js';

export type IndexFunc<T> = (obj: T) => string[];

export class Indexer<T extends KubeObject> {
  private items = new Map<string, T>();
  private indexFns = new Map<string, IndexFunc<T>>();
  /**
   * index name → index value → key → object. The objects themselves, not their keys: a controller reading its
   * 10,000 pods per sync would otherwise look each key up again in `items`.
   */
  private indices = new Map<string, Map<string, Map<string, T>>>();

  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.indexFns.has(name)) throw new Error(`indexer ${name} already exists`);
    this.indexFns.set(name, fn);
    const idx = new Map<string, Map<string, T>>();
    this.indices.set(name, idx);
    for (const [key, obj] of this.items) for (const v of fn(obj)) addTo(idx, v, key, obj);
  }

  /** Adds the index unless one of that name exists (informers are shared: two controllers may want the same index). */
  ensureIndexer(name: string, fn: IndexFunc<T>): void {
    if (!this.indexFns.has(name)) this.addIndexer(name, fn);
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  get size(): number {
    return this.items.size;
  }

  byIndex(name: string, value: string): T[] {
    const idx = this.indices.get(name);
    if (!idx) throw new Error(`no index named ${name}`);
    const objs = idx.get(value);
    return objs ? [...objs.values()] : [];
  }

  /** Stores `obj`; returns the previous object under its key. */
  set(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    return old;
  }

  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of this.indexFns) for (const v of fn(obj)) addTo(this.indices.get(name)!, v, key, obj);
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexFns) {
      const idx = this.indices.get(name)!;
      for (const v of fn(obj)) {
        const s = idx.get(v);
        s?.delete(key);
        if (s && s.size === 0) idx.delete(v);
      }
    }
  }
}

function addTo<T>(idx: Map<string, Map<string, T>>, value: string, key: string, obj: T): void {
  let m = idx.get(value);
  if (!m) idx.set(value, (m = new Map()));
  m.set(key, obj);
}

/** Read-only access to an informer's cache. */
export class Lister<T extends KubeObject> {
  constructor(private readonly indexer: Indexer<T>) {}

  get(namespace: string | undefined, name: string): T | undefined {
    return this.indexer.get(namespace ? `${namespace}/${name}` : name);
  }

  /** All objects, or those of one namespace. */
  list(namespace?: string): T[] {
    const all = this.indexer.list();
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }
}
