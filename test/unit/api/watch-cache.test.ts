/**
 * WatchCache: a subscriber from below the ring starts on a storage watch and moves to the ring once caught up,
 * with every event exactly once, in order; a write announced with `expect` is taken as is, not decoded again.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, test } from 'vitest';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { WatchCache, entryJson, type CacheEvent } from '../../../src/control/api/watch/cache.js';
import { SharedValues } from '../../../src/control/api/watch/shared-values.js';

const body = (name: string, v: number) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: String(v) } });
const put = async (store: MemoryStore, key: string, text: string) => {
  const cur = (await store.get(key)).kv;
  const res = cur ? await store.update(key, Buffer.from(text), cur.modRevision) : await store.create(key, Buffer.from(text));
  if (!res.ok) throw new Error('write failed');
  return res.revision;
};
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
};

describe('WatchCache', () => {
  test('a subscriber behind the ring catches up from storage, then is served by the ring', async () => {
    const store = new MemoryStore();
    const start = await store.currentRevision();
    for (let i = 0; i < 10; i++) await put(store, `/registry/configmaps/ns/c${i % 3}`, body(`c${i % 3}`, i));
    const cache = new WatchCache(store, '/registry/configmaps/', 4);
    await cache.start();
    for (let i = 10; i < 20; i++) await put(store, `/registry/configmaps/ns/c${i % 3}`, body(`c${i % 3}`, i));
    await until(() => cache.revision === start + 20);
    expect(cache.oldest).toBeGreaterThan(start);

    const got: CacheEvent[] = [];
    const sub = cache.subscribe(start, (ev) => got.push(ev));
    await until(() => got.length === 20);
    for (let i = 20; i < 30; i++) await put(store, `/registry/configmaps/ns/c${i % 3}`, body(`c${i % 3}`, i));
    await until(() => got.length === 30);
    await new Promise((r) => setTimeout(r, 20));
    expect(got.map((e) => e.revision)).toEqual(Array.from({ length: 30 }, (_, i) => start + 1 + i));
    expect(got.map((e) => (e.object['data'] as { v: string }).v)).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));
    // The last events are the cache's own objects: the subscriber moved to the ring.
    const last = got[got.length - 1]!;
    expect(last.object).toBe(cache.get(last.key)!.object);
    sub.cancel();
    cache.stop();
  });

  test('an announced write is kept as given (with its resourceVersion), a different one is decoded', async () => {
    const store = new MemoryStore();
    const cache = new WatchCache(store, '/registry/configmaps/');
    await cache.start();
    const text = body('a', 1);
    const object = JSON.parse(text) as { metadata: { resourceVersion?: string } };
    const w = { key: '/registry/configmaps/ns/a', bytes: Buffer.from(text), object, text };
    cache.expect(w);
    const rev = await put(store, w.key, text);
    await until(() => cache.revision === rev);
    const e = cache.get(w.key)!;
    // Its parts, under a top-level object of the cache's own: the writer's object is a WeakMap key for its stored
    // JSON (StoredJson), which must not live as long as the cache holds the object.
    expect(e.object).not.toBe(object);
    expect(e.object['data']).toBe((object as Record<string, unknown>)['data']);
    expect(e.object.metadata!.resourceVersion).toBe(String(rev));
    expect(JSON.parse(entryJson(e))).toEqual({ ...JSON.parse(text), metadata: { name: 'a', resourceVersion: String(rev) } });
    // The cache keeps objects, not their JSON too (memory at 150,000 pods).
    expect(e.json).toBeUndefined();

    const other = { ...w, object: JSON.parse(text) as typeof object };
    cache.expect(other);
    const rev2 = await put(store, w.key, body('a', 2));
    await until(() => cache.revision === rev2);
    expect(cache.get(w.key)!.object).not.toBe(other.object);
    expect((cache.get(w.key)!.object['data'] as { v: string }).v).toBe('2');
    cache.forget(other);
    cache.stop();
  });
  /** `writes` announced writes through a cache of `capacity`, replayed from the start by a new subscriber. */
  const replayAnnounced = async (writes: number, capacity?: number) => {
    const store = new MemoryStore();
    const start = await store.currentRevision();
    const cache = new WatchCache(store, '/registry/configmaps/', capacity);
    await cache.start();
    for (let i = 0; i < writes; i++) {
      const text = body(`c${i}`, i);
      const w = { key: `/registry/configmaps/ns/c${i}`, bytes: Buffer.from(text), object: JSON.parse(text) as Record<string, unknown>, text };
      cache.expect(w);
      await put(store, w.key, text);
    }
    await until(() => cache.revision === start + writes);
    const replayed: CacheEvent[] = [];
    const sub = cache.subscribe(start, (ev) => replayed.push(ev));
    await until(() => replayed.length === writes);
    return { cache, sub, replayed };
  };

  test("only the ring's newest events keep their JSON; older ones are serialised again by whoever replays them", async () => {
    const writes = 300;
    const { cache, sub, replayed } = await replayAnnounced(writes);
    expect(replayed).toHaveLength(writes);
    const withJson = replayed.filter((ev) => ev.json !== undefined);
    // The newest 256 (JSON_KEPT_EVENTS), each the JSON of its own object with its resourceVersion.
    expect(withJson.map((ev) => ev.revision)).toEqual(replayed.slice(writes - 256).map((ev) => ev.revision));
    for (const ev of withJson) expect(JSON.parse(ev.json!)).toEqual(JSON.parse(JSON.stringify(ev.object)));
    expect(replayed[0]!.object.metadata!.name).toBe('c0');
    sub.cancel();
    cache.stop();
  });

  test('a ring no longer than the events that keep their JSON keeps every event\'s', async () => {
    const { cache, sub, replayed } = await replayAnnounced(200, 200);
    expect(replayed).toHaveLength(200);
    expect(replayed.filter((ev) => ev.json === undefined)).toEqual([]);
    sub.cancel();
    cache.stop();
  });

  test('a subscriber from a revision the cache has not reached yet (a list storage answered) gets only the events after it', async () => {
    const store = new MemoryStore();
    const cache = new WatchCache(store, '/registry/configmaps/');
    await cache.start();
    const base = cache.revision;
    const got: number[] = [];
    // The lister holds the objects as of base + 2 already: replaying base + 1 and base + 2 would show it older states.
    const sub = cache.subscribe(base + 2, (ev) => got.push(ev.revision));
    for (let i = 1; i <= 4; i++) await put(store, `/registry/configmaps/ns/c${i % 2}`, body(`c${i % 2}`, i));
    await until(() => cache.revision === base + 4);
    expect(got).toEqual([base + 3, base + 4]);
    sub.cancel();
    await put(store, '/registry/configmaps/ns/c0', body('c0', 5));
    await until(() => cache.revision === base + 5);
    expect(got).toEqual([base + 3, base + 4]);
    cache.stop();
  });

  test('getFresh answers only once synced and caught up with this server\'s writes', async () => {
    const store = new MemoryStore();
    await put(store, '/registry/configmaps/ns/a', body('a', 1));
    const cache = new WatchCache(store, '/registry/configmaps/');
    expect(cache.getFresh('/registry/configmaps/ns/a')).toBeUndefined();
    await cache.start();
    expect(cache.getFresh('/registry/configmaps/ns/a')?.entry?.object.metadata?.name).toBe('a');
    expect(cache.getFresh('/registry/configmaps/ns/b')).toEqual({ entry: undefined });
    // A write this server made and the cache has not seen yet: no answer until it has.
    const rev = await put(store, '/registry/configmaps/ns/b', body('b', 2));
    cache.noteWrite(rev);
    if (cache.revision < rev) expect(cache.getFresh('/registry/configmaps/ns/b')).toBeUndefined();
    await until(() => cache.revision >= rev);
    expect(cache.getFresh('/registry/configmaps/ns/b')?.entry?.object.metadata?.name).toBe('b');
    cache.stop();
    expect(cache.getFresh('/registry/configmaps/ns/a')).toBeUndefined();
  });

  test('the writer\'s object is not kept alive by the cache (what is keyed by it, e.g. its stored JSON, goes with it)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const store = new MemoryStore();
    const cache = new WatchCache(store, '/registry/configmaps/');
    await cache.start();
    const byWriter = new WeakMap<object, string>();
    const write = async (): Promise<WeakRef<object>> => {
      const text = body('a', 1);
      const object = JSON.parse(text) as Record<string, unknown>;
      byWriter.set(object, text);
      cache.expect({ key: '/registry/configmaps/ns/a', bytes: Buffer.from(text), object, text });
      const rev = await put(store, '/registry/configmaps/ns/a', text);
      await until(() => cache.revision === rev);
      return new WeakRef(object);
    };
    const ref = await write();
    await new Promise((r) => setTimeout(r, 0));
    gc();
    expect(ref.deref()).toBeUndefined();
    expect(cache.get('/registry/configmaps/ns/a')!.object['data']).toEqual({ v: '1' });
    cache.stop();
  });

  test('a written object is slimmed once it has stayed current for the settle time, not at each write', async () => {
    const store = new MemoryStore();
    const values = new SharedValues();
    const cache = new WatchCache(store, '/registry/configmaps/', 4096, () => {}, values, 400);
    await cache.start();
    const managed = (name: string, v: number) => JSON.stringify({
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, managedFields: [{ manager: 'm', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:v': {} } } }] }, data: { v: String(v) },
    });
    const fields = (key: string) => ((cache.get(key)!.object['metadata'] as { managedFields: Array<{ fieldsV1: object }> }).managedFields[0]!.fieldsV1);
    const rev = await put(store, '/registry/configmaps/ns/a', managed('a', 1));
    await put(store, '/registry/configmaps/ns/b', managed('b', 1));
    await until(() => cache.revision >= rev + 1);
    // Fresh writes: each its own tree, still writable.
    expect(Object.isFrozen(fields('/registry/configmaps/ns/a'))).toBe(false);
    expect(fields('/registry/configmaps/ns/a')).not.toBe(fields('/registry/configmaps/ns/b'));
    for (let i = 0; i < 500 && !Object.isFrozen(fields('/registry/configmaps/ns/b')); i++) await new Promise((r) => setTimeout(r, 10));
    // Settled: one shared frozen tree, and the objects read as written.
    expect(fields('/registry/configmaps/ns/a')).toBe(fields('/registry/configmaps/ns/b'));
    expect(JSON.stringify(cache.get('/registry/configmaps/ns/a')!.object)).toBe(JSON.stringify({ ...JSON.parse(managed('a', 1)), metadata: { ...JSON.parse(managed('a', 1)).metadata, resourceVersion: String(rev) } }));
    cache.stop();
  });

  test('events are watched, not kept: every change fanned out with its previous state, no object held', async () => {
    const store = new MemoryStore();
    const key = '/registry/events/ns/e';
    const event = (count: number) => JSON.stringify({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'ns' }, reason: 'Scheduled', count });
    const before = await put(store, key, event(1));
    const cache = new WatchCache(store, '/registry/events/');
    await cache.start();
    expect(cache.holdsObjects).toBe(false);
    // Started at storage's revision, without listing: what was there before is not in it.
    expect(cache.revision).toBe(before);
    const got: CacheEvent[] = [];
    const sub = cache.subscribe(cache.revision, (ev) => got.push(ev));
    const modified = await put(store, key, event(2));
    const other = await put(store, '/registry/events/ns/f', event(1));
    const cur = (await store.get(key)).kv!;
    const deleted = (await store.delete(key, cur.modRevision)).revision;
    await until(() => got.length === 3);
    expect(got.map((e) => [e.type, e.revision, e.key])).toEqual([['MODIFIED', modified, key], ['ADDED', other, '/registry/events/ns/f'], ['DELETED', deleted, key]]);
    expect(got[0]!.prev?.['count']).toBe(1);
    expect(got[0]!.object['count']).toBe(2);
    expect(got[2]!.prev?.['count']).toBe(2);
    // Nothing to answer from: readers go to storage.
    expect(cache.size).toBe(0);
    expect(cache.get('/registry/events/ns/f')).toBeUndefined();
    expect(cache.getFresh('/registry/events/ns/f')).toBeUndefined();
    // A late subscriber replays from the ring.
    const late: number[] = [];
    cache.subscribe(before, (ev) => late.push(ev.revision)).cancel();
    expect(late).toEqual([modified, other, deleted]);
    const stored = await cache.listStored();
    expect(stored.revision).toBe(deleted);
    expect(stored.entries.map((e) => [e.key, e.object['count'], e.object.metadata?.resourceVersion])).toEqual([['/registry/events/ns/f', 1, String(other)]]);
    sub.cancel();
    cache.stop();
  });
});
