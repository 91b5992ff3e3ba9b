/**
 * pods/binding's fast path (one compare-and-swap against the watch cache's copy) must give what the storage
 * path gives: the same stored object, the same errors, and a cache entry equal to a fresh decode of storage.
 */
import { describe, expect, test } from 'vitest';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { Registry } from '../../../src/control/api/registry.js';
import { resources } from '../../../src/control/api/kinds/index.js';
import { ObjectEngine } from '../../../src/control/api/routes/objects.js';
import { decodeKV, entryJson } from '../../../src/control/api/watch/cache.js';
import { ApiError } from '../../../src/control/api/status.js';
import type { KubeObject } from '../../../src/control/api/resource.js';

const now = new Date('2026-01-02T03:04:05Z');

async function setup() {
  const store = new MemoryStore();
  const registry = new Registry(resources);
  const engine = new ObjectEngine(store, registry, { now: () => now });
  const ns = registry.lookup('', 'v1', 'namespaces')!;
  const pods = registry.lookup('', 'v1', 'pods')!;
  await engine.create(ns, undefined, { metadata: { name: 'default' } });
  const pod = (name: string): KubeObject => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  return { store, engine, pods, pod };
}

const binding = (node: string, extra: Record<string, unknown> = {}) => ({ kind: 'Binding', target: { kind: 'Node', name: node }, ...extra });
const stored = async (store: MemoryStore, key: string) => decodeKV((await store.get(key)).kv!);
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
};

describe('binding from the watch cache', () => {
  test('writes nodeName and PodScheduled; the cache holds exactly what storage holds', async () => {
    const { store, engine, pods, pod } = await setup();
    const cache = engine.cache(pods);
    await cache.start();
    const created = await engine.create(pods, 'default', pod('a'));
    await until(() => cache.get('/registry/pods/default/a') !== undefined);
    await engine.bind(pods, 'default', 'a', binding('n1'), {});
    const fromStore = await stored(store, '/registry/pods/default/a');
    expect(fromStore['spec']).toMatchObject({ nodeName: 'n1' });
    expect((fromStore['status'] as { conditions: unknown[] }).conditions).toEqual([
      { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-02T03:04:05Z' },
    ]);
    expect(fromStore.metadata!.uid).toBe(created.metadata!.uid);
    await until(() => cache.revision >= Number(fromStore.metadata!.resourceVersion));
    const entry = cache.get('/registry/pods/default/a')!;
    expect(entry.object).toEqual(fromStore);
    expect(JSON.parse(entryJson(entry))).toEqual(fromStore);
    await expect(engine.bind(pods, 'default', 'a', binding('n2'), {})).rejects.toThrow(/already assigned to node "n1"/);
    await engine.close();
  });

  test('a stale cached copy never wins: the storage path decides', async () => {
    const { store, engine, pods, pod } = await setup();
    const cache = engine.cache(pods);
    await cache.start();
    await engine.create(pods, 'default', pod('b'));
    await until(() => cache.get('/registry/pods/default/b') !== undefined);
    // Bound behind the cache's back (straight in storage): the cached copy still shows the pod unbound.
    const { kv } = await store.get('/registry/pods/default/b');
    const obj = decodeKV(kv!);
    (obj['spec'] as Record<string, unknown>)['nodeName'] = 'elsewhere';
    delete obj.metadata!.resourceVersion;
    await store.update(kv!.key, Buffer.from(JSON.stringify(obj)), kv!.modRevision);
    await expect(engine.bind(pods, 'default', 'b', binding('n1'), {})).rejects.toThrow(/already assigned to node "elsewhere"/);
    await engine.close();
  });

  test('preconditions and a malformed node name give the storage path answers', async () => {
    const { engine, pods, pod } = await setup();
    await engine.cache(pods).start();
    await engine.create(pods, 'default', pod('c'));
    const err = await engine.bind(pods, 'default', 'c', binding('n1', { metadata: { uid: 'not-it' } }), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(409);
    const bad = await engine.bind(pods, 'default', 'c', binding('Not_A_Name'), {}).catch((e: unknown) => e);
    expect((bad as ApiError).code).toBe(422);
    await engine.close();
  });
});
