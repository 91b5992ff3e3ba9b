/**
 * The pods' watch cache shares equal parts between its objects (frozen, as the informers' are). No write may
 * change a cached object: here the cached pods are deep-frozen whole (any write through them throws) and every
 * kind of pod write (status patch, patch, strategic merge patch, PUT, binding, graceful delete) must succeed,
 * store what storage decodes to, and leave both the written pod's cached object and its part-sharing neighbour
 * exactly as they were.
 */
import { describe, expect, test } from 'vitest';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { Registry } from '../../../src/control/api/registry.js';
import { resources } from '../../../src/control/api/kinds/index.js';
import { ObjectEngine } from '../../../src/control/api/routes/objects.js';
import { decodeKV } from '../../../src/control/api/watch/cache.js';
import { leavesCurrent } from '../../../src/control/api/routes/engine/guaranteed-update.js';
import { applyPatch } from '../../../src/control/api/patch/index.js';
import type { KubeObject } from '../../../src/control/api/resource.js';

const now = new Date('2026-01-02T03:04:05Z');
const MERGE = 'application/merge-patch+json';
const STRATEGIC = 'application/strategic-merge-patch+json';
const NAMES = ['status', 'merge', 'strategic', 'put', 'bind', 'bound'];

function deepFreeze(v: unknown): void {
  if (typeof v !== 'object' || v === null) return;
  Object.freeze(v);
  for (const x of Object.values(v)) deepFreeze(x);
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
};

async function setup() {
  const store = new MemoryStore();
  const registry = new Registry(resources);
  const engine = new ObjectEngine(store, registry, { now: () => now });
  const ns = registry.lookup('', 'v1', 'namespaces')!;
  const pods = registry.lookup('', 'v1', 'pods')!;
  await engine.create(ns, undefined, { metadata: { name: 'default' } });
  const pod = (name: string, nodeName?: string): KubeObject => ({
    metadata: { name, labels: { app: 'web' }, ...(nodeName ? { finalizers: ['example.com/hold'] } : {}) },
    spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '10m' } } }], tolerations: [{ key: 'k', operator: 'Exists' }], ...(nodeName ? { nodeName } : {}) },
  });
  // One pod per kind of write, so each starts from a cached object whose parts are shared; the last one bound and
  // held by a finalizer, so its delete is an update (deletionTimestamp).
  for (const n of NAMES) await engine.create(pods, 'default', pod(n, n === 'bound' ? 'n1' : undefined), { fieldManager: 'test' });
  // Stored without the defaults a write gives (by an older server, or another writer of storage): a write's
  // defaulting fills them in, which must happen in a copy, not in the cached object.
  for (const n of ['raw1', 'raw2']) {
    const raw = { apiVersion: 'v1', kind: 'Pod', metadata: { name: n, namespace: 'default', uid: `u-${n}`, creationTimestamp: '2026-01-02T03:04:05Z' }, spec: { containers: [{ name: 'c', image: 'x' }] } };
    await store.create(`/registry/pods/default/${n}`, new TextEncoder().encode(JSON.stringify(raw)));
  }
  // Started after the writes: its initial list slims (shares parts) at once, as a restarted server's does.
  const cache = engine.cache(pods);
  await cache.start();
  const cached = (name: string) => cache.get(`/registry/pods/default/${name}`)!.object;
  return { store, engine, pods, cache, cached };
}

describe('the pods cache shares parts and no write changes a cached object', () => {
  test('equal parts are one frozen value; the cache says so', async () => {
    const { engine, cache, cached } = await setup();
    const [a, b] = [cached('status'), cached('merge')];
    const spec = (o: KubeObject) => o['spec'] as { containers: object; tolerations: object };
    expect(spec(a).tolerations).toBe(spec(b).tolerations);
    expect(a.metadata!.labels).toBe(b.metadata!.labels);
    expect(Object.isFrozen(spec(a).tolerations)).toBe(true);
    // Containers are not shared (each pod's service-account volume mount makes them unique in a real cluster).
    expect(spec(a).containers).not.toBe(spec(b).containers);
    expect(cache.sharesParts()).toBe(true);
    await engine.close();
  });

  test('status patch, patches, PUT, binding and graceful delete leave deep-frozen cached pods as they were', async () => {
    const { store, engine, pods, cache, cached } = await setup();
    const written: KubeObject[] = [];
    const check = async (name: string, write: () => Promise<KubeObject | void>) => {
      const before = [...NAMES, 'raw1', 'raw2'].map(cached);
      deepFreeze(before);
      const text = JSON.stringify(before);
      const out = await write();
      if (out) written.push(out);
      const kv = (await store.get(`/registry/pods/default/${name}`)).kv!;
      await until(() => cache.revision >= kv.modRevision);
      expect(cached(name)).toEqual(decodeKV(kv));
      expect(JSON.stringify(before)).toBe(text);
    };
    const patch = (name: string, type: string, body: unknown, sub: '' | 'status' = '') => () =>
      engine.patch(pods, 'default', name, leavesCurrent((cur) => applyPatch(type, cur, body, pods.definition)), { fieldManager: 'test' }, sub);

    await check('status', patch('status', MERGE, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, 'status'));
    await check('merge', patch('merge', MERGE, { metadata: { labels: { app: 'web', tier: 'front' } } }));
    await check('strategic', patch('strategic', STRATEGIC, { spec: { containers: [{ name: 'c', image: 'y' }] } }));
    await check('put', async () => {
      const cur = await engine.get(pods, 'default', 'put');
      const body = { ...cur, metadata: { ...cur.metadata, annotations: { a: 'b' } } };
      return (await engine.update(pods, 'default', 'put', body, { fieldManager: 'test' })).object;
    });
    await check('bind', () => engine.bind(pods, 'default', 'bind', { kind: 'Binding', target: { kind: 'Node', name: 'n1' } }, {}));
    await check('bound', async () => (await engine.delete(pods, 'default', 'bound', { gracePeriodSeconds: 30 })).object);
    await check('raw1', patch('raw1', MERGE, { status: { phase: 'Running' } }, 'status'));
    // Bound on the fast path (no deep copy: its object keeps the shared parts), then written again before it settles.
    await check('raw2', () => engine.bind(pods, 'default', 'raw2', { kind: 'Binding', target: { kind: 'Node', name: 'n1' } }, {}));
    await check('raw2', patch('raw2', MERGE, { status: { phase: 'Running' } }, 'status'));
    expect(written.map((o) => o.metadata!.name)).toEqual(['status', 'merge', 'strategic', 'put', 'bound', 'raw1', 'raw2']);
    expect((written[5]!['spec'] as { containers: { imagePullPolicy?: string }[] }).containers[0]!.imagePullPolicy).toBe('Always');
    expect((written[6]!['spec'] as { containers: { imagePullPolicy?: string }[] }).containers[0]!.imagePullPolicy).toBe('Always');
    expect((written[2]!['spec'] as { containers: { image: string }[] }).containers[0]!.image).toBe('y');
    expect(written[4]!.metadata!.deletionTimestamp).toBeDefined();
    await engine.close();
  });
});
