import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, pod, sleep, type Harness } from './harness.js';
import type { KubeObject } from '../../../src/control/api/resource.js';

interface WatchEvent {
  type: string;
  object: KubeObject & { code?: number; reason?: string };
}

let h: Harness;
let base = '';
beforeAll(async () => {
  h = await startHarness({ bookmarkIntervalMs: 200, engine: { watchCacheSize: 8 } });
  await h.server.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = h.server.app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(async () => h.close());

/** Opens a watch and collects its events; `until` waits for a predicate over everything received. */
async function watch(path: string) {
  const ac = new AbortController();
  const res = await fetch(base + path, { signal: ac.signal });
  const events: WatchEvent[] = [];
  let ended = false;
  const headers = res.headers;
  const pump = (async () => {
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)) as WatchEvent);
          buf = buf.slice(i + 1);
        }
      }
    } catch {
      // aborted
    }
    ended = true;
  })();
  return {
    status: res.status,
    headers,
    events,
    get ended() {
      return ended;
    },
    async until(pred: (evs: WatchEvent[]) => boolean, ms = 3000): Promise<WatchEvent[]> {
      const end = Date.now() + ms;
      while (!pred(events)) {
        if (Date.now() > end) throw new Error(`timed out; got ${JSON.stringify(events.map((e) => `${e.type}:${e.object.metadata?.name ?? e.object.metadata?.resourceVersion}`))}`);
        await sleep(20);
      }
      return events;
    },
    async close() {
      ac.abort();
      await pump;
    },
  };
}

const NS = '/api/v1/namespaces/default';
const named = (evs: WatchEvent[], type: string) => evs.filter((e) => e.type === type).map((e) => e.object.metadata!.name);

describe('watch', () => {
  test('streams ADDED/MODIFIED/DELETED as chunked JSON lines', async () => {
    const w = await watch(`${NS}/configmaps?watch=1&resourceVersion=${await rv()}`);
    expect(w.status).toBe(200);
    expect(w.headers.get('content-type')).toBe('application/json');
    expect(w.headers.get('transfer-encoding')).toBe('chunked');
    await h.json('POST', `${NS}/configmaps`, { metadata: { name: 'w1' }, data: { a: '1' } });
    await h.json('PATCH', `${NS}/configmaps/w1`, { data: { a: '2' } }, { 'content-type': 'application/merge-patch+json' });
    await h.json('DELETE', `${NS}/configmaps/w1`);
    const evs = await w.until((e) => e.length >= 3);
    expect(evs.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(Number(evs[2]!.object.metadata!.resourceVersion)).toBeGreaterThan(Number(evs[1]!.object.metadata!.resourceVersion));
    await w.close();
  });

  test('without resourceVersion: current objects as ADDED first', async () => {
    await h.json('POST', `${NS}/configmaps`, { metadata: { name: 'exists' } });
    const w = await watch(`${NS}/configmaps?watch=true`);
    await w.until((e) => named(e, 'ADDED').includes('exists'));
    await w.close();
  });

  test('from a past resourceVersion replays what happened after it', async () => {
    const from = await rv();
    await h.json('POST', `${NS}/configmaps`, { metadata: { name: 'past1' } });
    await h.json('POST', `${NS}/configmaps`, { metadata: { name: 'past2' } });
    const w = await watch(`${NS}/configmaps?watch=1&resourceVersion=${from}`);
    const evs = await w.until((e) => e.length >= 2);
    expect(named(evs, 'ADDED')).toEqual(['past1', 'past2']);
    await w.close();
  });

  test('selectors: leaving the selector is DELETED, entering is ADDED', async () => {
    const w = await watch(`${NS}/configmaps?watch=1&resourceVersion=${await rv()}&labelSelector=sel%3Dyes`);
    await h.json('POST', `${NS}/configmaps`, { metadata: { name: 's1', labels: { sel: 'no' } } });
    await h.json('PATCH', `${NS}/configmaps/s1`, { metadata: { labels: { sel: 'yes' } } }, { 'content-type': 'application/merge-patch+json' });
    await h.json('PATCH', `${NS}/configmaps/s1`, { metadata: { labels: { sel: 'no' } } }, { 'content-type': 'application/merge-patch+json' });
    const evs = await w.until((e) => e.length >= 2);
    expect(evs.map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
    await w.close();
  });

  test('a watch on one name (kubectl get -w x) sees only it', async () => {
    await h.json('POST', `${NS}/pods`, pod('one'));
    const w = await watch(`${NS}/pods?watch=1&fieldSelector=metadata.name%3Done`);
    await h.json('POST', `${NS}/pods`, pod('two'));
    await h.json('PATCH', `${NS}/pods/one`, { metadata: { labels: { x: 'y' } } }, { 'content-type': 'application/merge-patch+json' });
    const evs = await w.until((e) => e.some((x) => x.type === 'MODIFIED'));
    expect(evs.every((e) => e.object.metadata!.name === 'one')).toBe(true);
    await w.close();
  });

  test('allowWatchBookmarks: BOOKMARK events carry only kind, apiVersion and resourceVersion', async () => {
    const w = await watch(`${NS}/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion=${await rv()}`);
    const evs = await w.until((e) => e.some((x) => x.type === 'BOOKMARK'));
    const b = evs.find((x) => x.type === 'BOOKMARK')!;
    expect(Object.keys(b.object).sort()).toEqual(['apiVersion', 'kind', 'metadata']);
    expect(b.object.kind).toBe('ConfigMap');
    expect(Object.keys(b.object.metadata!)).toEqual(['resourceVersion']);
    await w.close();
  });

  test('sendInitialEvents ends the initial ADDED events with an initial-events-end bookmark', async () => {
    const w = await watch(`${NS}/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`);
    const evs = await w.until((e) => e.some((x) => x.type === 'BOOKMARK'));
    const idx = evs.findIndex((x) => x.type === 'BOOKMARK');
    expect(evs.slice(0, idx).every((x) => x.type === 'ADDED')).toBe(true);
    expect(named(evs.slice(0, idx), 'ADDED')).toContain('exists');
    expect(evs[idx]!.object.metadata!.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    await w.close();
  });

  test('sendInitialEvents without NotOlderThan is 422', async () => {
    const res = await h.json('GET', `${NS}/configmaps?watch=1&sendInitialEvents=true`);
    expect(res.status).toBe(422);
  });

  test('timeoutSeconds ends the stream', async () => {
    const w = await watch(`${NS}/configmaps?watch=1&timeoutSeconds=1&resourceVersion=${await rv()}`);
    const start = Date.now();
    while (!w.ended && Date.now() - start < 4000) await sleep(50);
    expect(w.ended).toBe(true);
    await w.close();
  });

  test('a revision older than the ring but not compacted is served from storage', async () => {
    const old = await rv();
    for (let i = 0; i < 12; i++) await h.json('POST', `${NS}/configmaps`, { metadata: { name: `ring${i}` } });
    const w = await watch(`${NS}/configmaps?watch=1&resourceVersion=${old}`);
    const evs = await w.until((e) => e.length >= 12);
    expect(named(evs, 'ADDED')).toEqual(Array.from({ length: 12 }, (_, i) => `ring${i}`));
    await w.close();
  });

  test('a compacted resourceVersion gives one ERROR event with a 410 Expired Status', async () => {
    const old = await rv();
    // More events than the ring holds (8), then compaction: neither the cache nor storage has the history.
    for (let i = 0; i < 12; i++) await h.json('POST', `${NS}/configmaps`, { metadata: { name: `churn${i}` } });
    await h.store.compact(await h.store.currentRevision());
    const w = await watch(`${NS}/configmaps?watch=1&resourceVersion=${old}`);
    const evs = await w.until((e) => e.length >= 1);
    expect(evs[0]!.type).toBe('ERROR');
    expect(evs[0]!.object).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
    await w.until(() => w.ended);
    await w.close();
  });

  test('a hundred watchers share one cache and all see the event', async () => {
    const from = await rv();
    const ws = await Promise.all(Array.from({ length: 100 }, () => watch(`${NS}/secrets?watch=1&resourceVersion=${from}`)));
    await h.json('POST', `${NS}/secrets`, { metadata: { name: 'fan' }, data: {} });
    await Promise.all(ws.map((w) => w.until((e) => e.length >= 1)));
    expect(ws.every((w) => w.events[0]!.object.metadata!.name === 'fan')).toBe(true);
    await Promise.all(ws.map((w) => w.close()));
  });

  test('events are read from storage, not an object cache, and watched with the same semantics', async () => {
    const event = (name: string, count: number) => ({ metadata: { name }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'Pulled', message: 'pulled', type: 'Normal', count });
    await h.json('POST', `${NS}/events`, event('ev1', 1));
    // Any version (0) and not older than the list's: at once, from storage.
    const get = await h.json<KubeObject>('GET', `${NS}/events/ev1?resourceVersion=0`);
    expect([get.status, get.body['count']]).toEqual([200, 1]);
    const list = await h.json<{ items: KubeObject[]; metadata: { resourceVersion: string } }>('GET', `${NS}/events?resourceVersion=0`);
    expect(list.body.items.map((e) => e.metadata!.name)).toEqual(['ev1']);
    expect(h.server.engine.cache(h.server.engine.registry.lookup('', 'v1', 'events')!).size).toBe(0);
    // A watch from 0 starts with the stored events, then every change once; one from the list's revision only the changes.
    const initial = await watch(`${NS}/events?watch=1&resourceVersion=0`);
    const after = await watch(`${NS}/events?watch=1&resourceVersion=${list.body.metadata.resourceVersion}`);
    await initial.until((e) => e.length >= 1);
    await h.json('PATCH', `${NS}/events/ev1`, { count: 2 }, { 'content-type': 'application/merge-patch+json' });
    await h.json('POST', `${NS}/events`, event('ev2', 1));
    await h.json('DELETE', `${NS}/events/ev1`);
    const seen = (w: typeof initial) => w.events.map((e) => `${e.type}:${e.object.metadata!.name}:${String(e.object['count'])}`);
    await initial.until((e) => e.length >= 4);
    await after.until((e) => e.length >= 3);
    await sleep(100);
    expect(seen(initial)).toEqual(['ADDED:ev1:1', 'MODIFIED:ev1:2', 'ADDED:ev2:1', 'DELETED:ev1:2']);
    expect(seen(after)).toEqual(['MODIFIED:ev1:2', 'ADDED:ev2:1', 'DELETED:ev1:2']);
    await initial.close();
    await after.close();
    await h.json('DELETE', `${NS}/events/ev2`);
  });

  test('shutdown ends open watches', async () => {
    const w = await watch(`${NS}/configmaps?watch=1&resourceVersion=${await rv()}`);
    await sleep(50);
    expect(h.server.watches.size).toBeGreaterThan(0);
    h.server.watches.closeAll();
    await w.until(() => w.ended);
    await w.close();
  });
});

async function rv(): Promise<string> {
  return (await h.json<{ metadata: { resourceVersion: string } }>('GET', `${NS}/configmaps`)).body.metadata.resourceVersion;
}

describe('watch as Table (kubectl get -w)', () => {
  test('events carry one-row Tables; only the first has column definitions', async () => {
    const ac = new AbortController();
    const res = await fetch(`${base}${NS}/pods?watch=1`, { signal: ac.signal, headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' } });
    const reader = res.body!.getReader();
    let text = '';
    const dec = new TextDecoder();
    await h.json('POST', `${NS}/pods`, pod('tabled'));
    const end = Date.now() + 3000;
    while ((text.match(/\n/g) ?? []).length < 2 && Date.now() < end) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value, { stream: true });
    }
    ac.abort();
    const evs = text.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { kind: string; columnDefinitions: unknown[]; rows: unknown[] } });
    expect(evs.length).toBeGreaterThanOrEqual(2);
    expect(evs.every((e) => e.object.kind === 'Table' && e.object.rows.length === 1)).toBe(true);
    expect(evs[0]!.object.columnDefinitions.length).toBeGreaterThan(0);
    expect(evs[1]!.object.columnDefinitions).toEqual([]);
  });
});
