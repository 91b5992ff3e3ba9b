import { afterEach, describe, expect, test } from 'vitest';
import { SharedInformer, SharedInformerFactory } from '../../../src/client/informer.js';
import { FakeClock } from '../../../src/client/clock.js';
import { ApiError, RestClient } from '../../../src/client/rest.js';
import { Pods } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { FakeApi } from './fake-api.js';

const until = async (cond: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
};

let api: FakeApi;
let client: RestClient;
let ac: AbortController;
/** Whether this test called setup(): a test that starts no fake API has nothing to close. */
let started = false;

async function setup(): Promise<void> {
  api = new FakeApi();
  client = new RestClient({ server: await api.listen() });
  ac = new AbortController();
  started = true;
}

afterEach(async () => {
  if (!started) return;
  started = false;
  ac.abort();
  client.close();
  await api.close();
});

function recorder(inf: SharedInformer): string[] {
  const log: string[] = [];
  inf.addEventHandler({
    onAdd: (o, initial) => log.push(`add ${o.metadata?.name}${initial ? ' (initial)' : ''}`),
    onUpdate: (a, b) => log.push(`update ${a.metadata?.resourceVersion}->${b.metadata?.resourceVersion}`),
    onDelete: (o) => log.push(`delete ${o.metadata?.name}`),
  });
  return log;
}

describe('shared informer over HTTP', () => {
  test('lists in pages, syncs, then watches from the list revision with bookmarks; handlers see events in order', async () => {
    await setup();
    for (let i = 0; i < 5; i++) api.write('ADDED', `p${i}`);
    const inf = new SharedInformer(client, Pods, { pageSize: 2 });
    const log = recorder(inf);
    void inf.run(ac.signal);
    expect(await inf.waitForSync()).toBe(true);
    expect(inf.hasSynced()).toBe(true);
    expect(api.lists).toBe(3);
    expect(log).toEqual(['add p0 (initial)', 'add p1 (initial)', 'add p2 (initial)', 'add p3 (initial)', 'add p4 (initial)']);
    await until(() => api.watches.length === 1, 'watch');
    expect(api.watches[0]).toBe('105:true');
    api.write('MODIFIED', 'p1');
    api.write('DELETED', 'p0');
    api.write('ADDED', 'p9');
    await until(() => log.length === 8, 'events');
    expect(log.slice(5)).toEqual(['update 102->106', 'delete p0', 'add p9']);
    expect(inf.lister.get('ns', 'p1')?.metadata?.resourceVersion).toBe('106');
    expect(inf.lister.get('ns', 'p0')).toBeUndefined();
    expect(inf.lister.list('ns').length).toBe(5);
    api.bookmark();
    await until(() => inf.lastSyncResourceVersion === '108', 'bookmark');
  });

  test('a closed watch resumes from the last revision; 410 Expired re-lists and reconciles adds and deletes', async () => {
    await setup();
    api.write('ADDED', 'a');
    api.write('ADDED', 'b');
    const inf = new SharedInformer(client, Pods);
    const log = recorder(inf);
    void inf.run(ac.signal);
    await inf.waitForSync();
    await until(() => api.watches.length === 1, 'first watch');
    api.write('MODIFIED', 'a'); // 103, seen by the watch
    await until(() => log.length === 3, 'update a');
    // In one synchronous step (the reflector cannot react in between): history moves on and is compacted,
    // so resuming at 103 is too old.
    api.compactAndDropWatches();
    api.write('DELETED', 'b');
    api.write('ADDED', 'c');
    api.compactAndDropWatches();
    await until(() => api.lists === 2, 're-list');
    await until(() => log.length === 6, 'reconciled events');
    expect(api.watches[1]).toBe('103:true');
    expect(log.slice(3).sort()).toEqual(['add c', 'delete b', 'update 103->103']);
    expect(inf.indexer.keys().sort()).toEqual(['ns/a', 'ns/c']);
  });

  test('an ERROR event with 410 also re-lists', async () => {
    await setup();
    api.write('ADDED', 'a');
    api.expiredAsEvent = true;
    const inf = new SharedInformer(client, Pods);
    void inf.run(ac.signal);
    await inf.waitForSync();
    await until(() => api.watches.length === 1, 'watch');
    api.compactAndDropWatches();
    api.write('ADDED', 'z');
    api.compactAndDropWatches();
    await until(() => inf.indexer.has('ns/z'), 're-list to see z');
    expect(api.lists).toBe(2);
  });

  test('handlers registered after sync get the cache replayed; a throwing handler does not stop the others', async () => {
    await setup();
    api.write('ADDED', 'a');
    const errors: unknown[] = [];
    const inf = new SharedInformer(client, Pods, { onError: (e) => errors.push(e) });
    void inf.run(ac.signal);
    await inf.waitForSync();
    inf.addEventHandler({ onAdd: () => { throw new Error('boom'); } });
    const late: string[] = [];
    inf.addEventHandler({ onAdd: (o: KubeObject, initial) => late.push(`${o.metadata?.name}:${initial}`) });
    expect(late).toEqual(['a:true']);
    await until(() => api.watches.length === 1, 'watch');
    api.write('ADDED', 'b');
    await until(() => late.length === 2, 'b');
    expect(late[1]).toBe('b:false');
    expect(errors.length).toBe(2);
  });

  test('factory shares one informer per resource and waits for all caches', async () => {
    await setup();
    const f = new SharedInformerFactory(client, { clock: new FakeClock() });
    expect(f.forResource(Pods)).toBe(f.forResource(Pods));
    expect(f.forResource(Pods, { namespace: 'x' })).not.toBe(f.forResource(Pods));
    f.start(ac.signal);
    // The namespaced informer's path 404s on this fake: it never syncs, so the factory is not synced.
    const synced = await Promise.race([f.waitForCacheSync(ac.signal), new Promise((r) => setTimeout(() => r('pending'), 100))]);
    expect(synced).toBe('pending');
    expect(f.forResource(Pods).hasSynced()).toBe(true);
  });

  test('REST errors carry the Status code and reason', async () => {
    await setup();
    const err = await client.get({ group: '', version: 'v1', plural: 'nodes', namespaced: false }, 'n1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(404);
    expect((err as ApiError).reason).toBe('NotFound');
  });
});

describe('request timeout', () => {
  test('a server that never answers fails the request after timeoutMs', async () => {
    const http = await import('node:http');
    const hung = http.createServer(() => {});
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const port = (hung.address() as { port: number }).port;
    const c = new RestClient({ server: `http://127.0.0.1:${port}` }, { timeoutMs: 50 });
    await expect(c.get(Pods, 'x', 'ns')).rejects.toThrow('no response within 50 ms');
    c.close();
    hung.closeAllConnections();
    await new Promise<void>((r) => hung.close(() => r()));
  });
});
