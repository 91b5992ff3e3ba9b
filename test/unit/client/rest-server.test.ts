/**
 * The REST client against the real API server (in-process, memory store, loopback): every verb, Status errors,
 * subresources, and a watch that sees a create, an update and a delete in order.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AddressInfo } from 'node:net';
import { buildServer, type ApiServer } from '../../../src/control/api/server.js';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { ApiError, isConflict, isNotFound, RestClient } from '../../../src/client/rest.js';
import { ConfigMaps, Namespaces, Nodes } from '../../../src/client/resources.js';
import type { KubeObject, WatchEvent } from '../../../src/client/types.js';

let server: ApiServer;
let client: RestClient;

beforeAll(async () => {
  server = await buildServer({ store: new MemoryStore() });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  client = new RestClient({ server: `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}` });
  await client.create(Namespaces, { metadata: { name: 'c1' } });
});

afterAll(async () => {
  client?.close();
  await server?.close();
});

describe('RestClient against the API server', () => {
  test('create, get, list, update with a stale version (409), merge patch, delete (404 after)', async () => {
    const cm = await client.create(ConfigMaps, { metadata: { name: 'a', namespace: 'c1' }, data: { k: 'v1' } });
    expect(cm.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect((await client.get(ConfigMaps, 'a', 'c1')).data).toEqual({ k: 'v1' });
    const dup = await client.create(ConfigMaps, { metadata: { name: 'a', namespace: 'c1' } }).catch((e: unknown) => e);
    expect(isConflict(dup)).toBe(true);
    expect((dup as ApiError).reason).toBe('AlreadyExists');

    const updated = await client.update(ConfigMaps, { ...cm, data: { k: 'v2' } });
    const stale = await client.update(ConfigMaps, { ...cm, data: { k: 'v3' } }).catch((e: unknown) => e);
    expect((stale as ApiError).code).toBe(409);
    expect((stale as ApiError).reason).toBe('Conflict');

    const patched = await client.patch(ConfigMaps, 'c1', 'a', { data: { extra: 'x' } }, 'merge');
    expect(patched.data).toEqual({ k: 'v2', extra: 'x' });
    expect(Number(patched.metadata?.resourceVersion)).toBeGreaterThan(Number(updated.metadata?.resourceVersion));

    const list = await client.list(ConfigMaps, { namespace: 'c1' });
    expect(list.items.map((i) => i.metadata?.name)).toContain('a');
    expect(list.metadata.resourceVersion).toMatch(/^\d+$/);

    await client.delete(ConfigMaps, 'c1', 'a');
    expect(isNotFound(await client.get(ConfigMaps, 'a', 'c1').catch((e: unknown) => e))).toBe(true);
  });

  test('status subresource and a cluster-scoped object', async () => {
    await client.create(Nodes, { metadata: { name: 'rest-n1' }, status: { allocatable: { cpu: '1' } } });
    const n = await client.patch(Nodes, undefined, 'rest-n1', { status: { allocatable: { cpu: '2' } } }, 'merge', { subresource: 'status' });
    expect((n.status as { allocatable: { cpu: string } }).allocatable.cpu).toBe('2');
  });

  test('a patch with discardResult resolves with nothing once applied; a refused one is still the ApiError', async () => {
    await client.create(ConfigMaps, { metadata: { name: 'quiet', namespace: 'c1' }, data: { k: 'v1' } });
    expect(await client.patch(ConfigMaps, 'c1', 'quiet', { data: { k: 'v2' } }, 'merge', { discardResult: true })).toBeUndefined();
    expect((await client.get(ConfigMaps, 'quiet', 'c1')).data).toEqual({ k: 'v2' });
    const missing = await client.patch(ConfigMaps, 'c1', 'nope', { data: { k: 'v' } }, 'merge', { discardResult: true }).catch((e: unknown) => e);
    expect(isNotFound(missing)).toBe(true);
    expect((missing as ApiError).reason).toBe('NotFound');
  });

  test('watch from a list revision yields ADDED, MODIFIED, DELETED in order; aborting ends it quietly', async () => {
    const start = await client.list(ConfigMaps, { namespace: 'c1' });
    const ac = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const ev of client.watch(ConfigMaps, { namespace: 'c1', resourceVersion: start.metadata.resourceVersion, signal: ac.signal })) {
        seen.push(`${ev.type} ${(ev as WatchEvent<KubeObject>).object.metadata?.name}`);
        if (seen.length === 3) ac.abort();
      }
    })();
    await client.create(ConfigMaps, { metadata: { name: 'w', namespace: 'c1' } });
    await client.patch(ConfigMaps, 'c1', 'w', { data: { a: 'b' } });
    await client.delete(ConfigMaps, 'c1', 'w');
    await done;
    expect(seen).toEqual(['ADDED w', 'MODIFIED w', 'DELETED w']);
  });

  test('a watch with omitManagedFields sees the same events as one without, less metadata.managedFields', async () => {
    const start = await client.list(ConfigMaps, { namespace: 'c1' });
    const watch = async (omitManagedFields: boolean, ac: AbortController): Promise<WatchEvent<KubeObject>[]> => {
      const seen: WatchEvent<KubeObject>[] = [];
      for await (const ev of client.watch(ConfigMaps, { namespace: 'c1', resourceVersion: start.metadata.resourceVersion, signal: ac.signal, omitManagedFields })) {
        seen.push(ev as WatchEvent<KubeObject>);
        if (seen.length === 2) ac.abort();
      }
      return seen;
    };
    const [ac1, ac2] = [new AbortController(), new AbortController()];
    const whole = watch(false, ac1);
    const cut = watch(true, ac2);
    await client.create(ConfigMaps, { metadata: { name: 'mf', namespace: 'c1', labels: { a: 'b' } }, data: { k: 'v' } }, { fieldManager: 'one' });
    await client.patch(ConfigMaps, 'c1', 'mf', { data: { k: 'w' } }, 'merge', { fieldManager: 'two' });
    const [a, b] = await Promise.all([whole, cut]);
    // A create read the same way: the object as created, less managedFields.
    const created = await client.create(ConfigMaps, { metadata: { name: 'mf2', namespace: 'c1', labels: { a: 'b' } }, data: { k: 'v' } }, { omitManagedFields: true });
    const stored = await client.get(ConfigMaps, 'mf2', 'c1');
    expect(stored.metadata?.managedFields).toHaveLength(1);
    const { managedFields: _mf, ...storedMeta } = stored.metadata!;
    expect(created).toEqual({ ...stored, metadata: storedMeta });
    expect(a.map((e) => e.object.metadata?.managedFields?.length)).toEqual([1, 2]);
    expect(b.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED']);
    for (const [i, ev] of b.entries()) {
      expect(ev.object.metadata).not.toHaveProperty('managedFields');
      const { managedFields: _drop, ...meta } = a[i]!.object.metadata!;
      expect(ev).toEqual({ ...a[i], object: { ...a[i]!.object, metadata: meta } });
    }
  });
});
