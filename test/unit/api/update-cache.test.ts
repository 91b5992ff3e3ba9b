/**
 * Updates start from the watch cache's copy (upstream's cached first guess) and hand the cache the object they
 * stored: results, errors and the cache's entry must be what the storage path gives, a stale cached copy never
 * decides a conflict, and the shared cached object is never handed out or modified.
 */
import { describe, expect, test } from 'vitest';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { Registry } from '../../../src/control/api/registry.js';
import { resources } from '../../../src/control/api/kinds/index.js';
import { ObjectEngine } from '../../../src/control/api/routes/objects.js';
import { decodeKV, entryJson } from '../../../src/control/api/watch/cache.js';
import { encode } from '../../../src/control/api/routes/engine/stored-form.js';
import { ApiError } from '../../../src/control/api/status.js';
import type { KubeObject } from '../../../src/control/api/resource.js';

let t = Date.parse('2026-01-02T03:04:05Z');
const KEY = '/registry/coordination.k8s.io/leases/kube-node-lease/n1';

async function setup() {
  const store = new MemoryStore();
  const registry = new Registry(resources);
  const engine = new ObjectEngine(store, registry, { now: () => new Date(t) });
  const ns = registry.lookup('', 'v1', 'namespaces')!;
  const leases = registry.lookup('coordination.k8s.io', 'v1', 'leases')!;
  await engine.create(ns, undefined, { metadata: { name: 'kube-node-lease' } });
  const cache = engine.cache(leases);
  await cache.start();
  const created = await engine.create(leases, 'kube-node-lease', lease('2026-01-02T03:04:05.000000Z'), { fieldManager: 'kubelet' });
  await until(() => cache.get(KEY) !== undefined);
  return { store, engine, leases, cache, created };
}

const lease = (renewTime: string, rv?: string): KubeObject => ({
  apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
  metadata: { name: 'n1', namespace: 'kube-node-lease', ...(rv ? { resourceVersion: rv } : {}) },
  spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime },
});
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
};

describe('update from the watch cache', () => {
  test('a renewal stores what the storage path would; the cache entry equals a fresh decode; managedFields time moves', async () => {
    const { store, engine, leases, cache, created } = await setup();
    t += 65_000;
    const res = await engine.update(leases, 'kube-node-lease', 'n1', lease('2026-01-02T03:05:10.000000Z', created.metadata!.resourceVersion), { fieldManager: 'kubelet' });
    expect(res.created).toBe(false);
    const fromStore = decodeKV((await store.get(KEY)).kv!);
    expect(res.object).toEqual(fromStore);
    expect(fromStore.metadata!.managedFields).toEqual([{
      manager: 'kubelet', operation: 'Update', apiVersion: 'coordination.k8s.io/v1', time: '2026-01-02T03:05:10Z', fieldsType: 'FieldsV1',
      fieldsV1: { 'f:spec': { 'f:holderIdentity': {}, 'f:leaseDurationSeconds': {}, 'f:renewTime': {} } },
    }]);
    await until(() => cache.revision >= Number(fromStore.metadata!.resourceVersion));
    expect(cache.get(KEY)!.object).toEqual(fromStore);
    expect(JSON.parse(entryJson(cache.get(KEY)!))).toEqual(fromStore);
    await engine.close();
  });

  test('a stale resourceVersion is a 409; one the cache has not seen yet (written behind its back) is not', async () => {
    const { store, engine, leases, created } = await setup();
    await expect(engine.update(leases, 'kube-node-lease', 'n1', lease('2026-01-02T03:06:00.000000Z', '1'), { fieldManager: 'kubelet' }))
      .rejects.toSatisfy((e: unknown) => e instanceof ApiError && e.code === 409);
    // Another writer (as a second API server would): the cache may not have it, the client does.
    const cur = decodeKV((await store.get(KEY)).kv!);
    const other = await store.update(KEY, encode({ ...cur, spec: { ...(cur['spec'] as object), holderIdentity: 'other' } }), Number(created.metadata!.resourceVersion));
    expect(other.ok).toBe(true);
    const res = await engine.update(leases, 'kube-node-lease', 'n1', lease('2026-01-02T03:06:00.000000Z', String(other.revision)), { fieldManager: 'kubelet' });
    expect((res.object['spec'] as { holderIdentity: string }).holderIdentity).toBe('n1');
    expect(Number(res.object.metadata!.resourceVersion)).toBeGreaterThan(other.revision);
    await engine.close();
  });

  test('an update that changes nothing returns a copy, not the cached object', async () => {
    const { engine, leases, cache, created } = await setup();
    const body = { ...created, metadata: { ...created.metadata } } as KubeObject;
    const res = await engine.update(leases, 'kube-node-lease', 'n1', body, { fieldManager: 'kubelet' });
    expect(res.object.metadata!.resourceVersion).toBe(created.metadata!.resourceVersion);
    expect(res.object).not.toBe(cache.get(KEY)!.object);
    (res.object['spec'] as { holderIdentity: string }).holderIdentity = 'mutated';
    expect((cache.get(KEY)!.object['spec'] as { holderIdentity: string }).holderIdentity).toBe('n1');
    await engine.close();
  });

  test('a PUT of a missing lease creates it (201) whether or not the cache answers', async () => {
    const { engine, leases } = await setup();
    const res = await engine.update(leases, 'kube-node-lease', 'n2', { ...lease('2026-01-02T03:04:05.000000Z'), metadata: { name: 'n2' } }, { fieldManager: 'kubelet' });
    expect(res.created).toBe(true);
    await engine.close();
  });
});
