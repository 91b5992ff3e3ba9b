import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, pod, type Harness } from './harness.js';
import type { KubeObject } from '../../../src/control/api/resource.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.json('POST', '/api/v1/namespaces', { metadata: { name: 'other' } });
  const specs: [string, Record<string, string>, string?][] = [
    ['p1', { app: 'web', tier: 'fe' }, 'n1'],
    ['p2', { app: 'web', tier: 'be' }, 'n2'],
    ['p3', { app: 'db' }, 'n1'],
    ['p4', {}],
  ];
  for (const [name, labels, node] of specs) {
    const body = pod(name, {}, labels);
    if (node) (body['spec'] as Record<string, unknown>)['nodeName'] = node;
    expect((await h.json('POST', '/api/v1/namespaces/default/pods', body)).status).toBe(201);
  }
  await h.json('POST', '/api/v1/namespaces/other/pods', pod('o1', {}, { app: 'web' }));
});
afterAll(async () => h.close());

type List = { kind: string; metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number }; items: KubeObject[] };
const names = (l: List) => l.items.map((i) => i.metadata!.name);
const list = async (url: string) => (await h.json<List>('GET', url)).body;

describe('label selectors', () => {
  const cases: [string, string[]][] = [
    ['app=web', ['p1', 'p2']],
    ['app==web', ['p1', 'p2']],
    ['app!=web', ['p3', 'p4']],
    ['app in (web,db)', ['p1', 'p2', 'p3']],
    ['app notin (web)', ['p3', 'p4']],
    ['tier', ['p1', 'p2']],
    ['!tier', ['p3', 'p4']],
    ['app=web,tier=be', ['p2']],
  ];
  for (const [sel, want] of cases) {
    test(sel, async () => {
      expect(names(await list(`/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(sel)}`))).toEqual(want);
    });
  }
  test('a malformed selector is 400', async () => {
    expect((await h.json('GET', `/api/v1/pods?labelSelector=${encodeURIComponent('app in (')}`)).status).toBe(400);
  });
  test('across namespaces from /api/v1/pods', async () => {
    expect(names(await list('/api/v1/pods?labelSelector=app%3Dweb'))).toEqual(['p1', 'p2', 'o1']);
  });
});

describe('field selectors', () => {
  test('spec.nodeName, metadata.name, status.phase, metadata.namespace', async () => {
    expect(names(await list('/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3Dn1'))).toEqual(['p1', 'p3']);
    expect(names(await list('/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3D'))).toEqual(['p4']);
    expect(names(await list('/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dp2'))).toEqual(['p2']);
    expect(names(await list('/api/v1/namespaces/default/pods?fieldSelector=metadata.name!%3Dp2'))).toEqual(['p1', 'p3', 'p4']);
    expect(names(await list('/api/v1/pods?fieldSelector=status.phase%3DPending,metadata.namespace%3Dother'))).toEqual(['o1']);
  });
  test('an unsupported field is 400 "field label not supported"', async () => {
    const res = await h.json('GET', '/api/v1/namespaces/default/pods?fieldSelector=spec.foo%3Dx');
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('field label not supported: spec.foo');
  });
});

describe('pagination', () => {
  test('limit/continue walk every item once at one revision, with remainingItemCount', async () => {
    const first = await list('/api/v1/namespaces/default/pods?limit=3');
    expect(names(first)).toEqual(['p1', 'p2', 'p3']);
    expect(first.metadata.remainingItemCount).toBe(1);
    expect(first.metadata.continue).toBeTruthy();
    // A write between pages does not show up in later pages (the list is at the first page's revision).
    await h.json('POST', '/api/v1/namespaces/default/pods', pod('p5'));
    const second = await list(`/api/v1/namespaces/default/pods?limit=3&continue=${encodeURIComponent(first.metadata.continue!)}`);
    expect(names(second)).toEqual(['p4']);
    expect(second.metadata.continue).toBeUndefined();
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
  });

  test('consistent pages come from the watch cache while it is at the token revision, then from storage', async () => {
    const store = h.store as { list: (...a: unknown[]) => unknown };
    const original = store.list;
    let storageLists = 0;
    store.list = (...a: unknown[]) => {
      storageLists++;
      return original.apply(h.store, a);
    };
    try {
      const first = await list('/api/v1/namespaces/default/pods?limit=2');
      const second = await list(`/api/v1/namespaces/default/pods?limit=2&continue=${encodeURIComponent(first.metadata.continue!)}`);
      expect(storageLists).toBe(0);
      expect(first.metadata.remainingItemCount).toBe(second.items.length + (second.metadata.remainingItemCount ?? 0));
      expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
      // Once the cache has moved past the token's revision, the next page is read from storage at that revision.
      expect(second.metadata.continue).toBeTruthy();
      await h.json('POST', '/api/v1/namespaces/default/pods', pod('between-pages'));
      const third = await list(`/api/v1/namespaces/default/pods?limit=2&continue=${encodeURIComponent(second.metadata.continue!)}`);
      expect(names(third)).not.toContain('between-pages');
      expect(storageLists).toBeGreaterThan(0);
    } finally {
      store.list = original;
    }
  });

  test('with a selector, pages still fill', async () => {
    const first = await list('/api/v1/namespaces/default/pods?limit=1&labelSelector=app%3Dweb');
    expect(names(first)).toEqual(['p1']);
    const second = await list(`/api/v1/namespaces/default/pods?limit=1&labelSelector=app%3Dweb&continue=${encodeURIComponent(first.metadata.continue!)}`);
    expect(names(second)).toEqual(['p2']);
  });

  test('a garbage continue token is 400; a compacted one is 410 Expired', async () => {
    expect((await h.json('GET', '/api/v1/namespaces/default/pods?limit=1&continue=zzz')).status).toBe(400);
    const first = await list('/api/v1/namespaces/default/pods?limit=1');
    await h.json('POST', '/api/v1/namespaces/default/pods', pod('p6'));
    await h.store.compact(await h.store.currentRevision());
    const res = await h.json('GET', `/api/v1/namespaces/default/pods?limit=1&continue=${encodeURIComponent(first.metadata.continue!)}`);
    expect(res.status).toBe(410);
    expect(res.body.reason).toBe('Expired');
  });
});

describe('resourceVersion on list and get', () => {
  test('resourceVersion=0 is served from the watch cache, including a just-made write', async () => {
    await h.json('POST', '/api/v1/namespaces/default/pods', pod('fresh'));
    const l = await list('/api/v1/namespaces/default/pods?resourceVersion=0');
    expect(names(l)).toContain('fresh');
    expect((await h.json('GET', '/api/v1/namespaces/default/pods/fresh?resourceVersion=0')).status).toBe(200);
  });
  test('Exact at an old revision reads the past', async () => {
    const before = await list('/api/v1/namespaces/default/pods');
    await h.json('POST', '/api/v1/namespaces/default/pods', pod('later'));
    const exact = await list(`/api/v1/namespaces/default/pods?resourceVersion=${before.metadata.resourceVersion}&resourceVersionMatch=Exact`);
    expect(names(exact)).not.toContain('later');
    expect(names(exact)).toEqual(names(before));
  });
  test('a malformed resourceVersion is 400', async () => {
    expect((await h.json('GET', '/api/v1/namespaces/default/pods?resourceVersion=abc&resourceVersionMatch=Exact')).status).toBe(400);
  });
});

describe('deletecollection', () => {
  test('deletes what the selector matches and returns it', async () => {
    const res = await h.json<List>('DELETE', '/api/v1/namespaces/other/pods?labelSelector=app%3Dweb');
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('PodList');
    expect(names(res.body)).toEqual(['o1']);
    expect(names(await list('/api/v1/namespaces/other/pods'))).toEqual([]);
  });
});

describe('output formats', () => {
  test('Accept as=Table returns a meta.k8s.io/v1 Table', async () => {
    const res = await h.json<{ kind: string; apiVersion: string; rows: unknown[]; columnDefinitions: { name: string }[] }>(
      'GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb',
      undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json' },
    );
    expect(res.body.kind).toBe('Table');
    expect(res.body.apiVersion).toBe('meta.k8s.io/v1');
    expect(res.body.rows).toHaveLength(2);
    expect(res.body.columnDefinitions[0]!.name).toBe('Name');
  });
  test('Accept application/yaml returns YAML', async () => {
    const res = await h.req('GET', '/api/v1/namespaces/default/pods/p1', undefined, { accept: 'application/yaml' });
    expect(res.headers['content-type']).toContain('application/yaml');
    expect(res.body).toContain('kind: Pod');
  });
});

describe('list output', () => {
  test('every listed object carries the resourceVersion a get returns', async () => {
    const l = await list('/api/v1/namespaces/default/pods');
    expect(l.items.length).toBeGreaterThan(3);
    for (const item of l.items) {
      const got = (await h.json('GET', `/api/v1/namespaces/default/pods/${item.metadata!.name}`)).body;
      expect(item).toEqual(got);
    }
  });
});

describe('large lists', () => {
  test('a list over the streaming threshold is complete, valid JSON, from storage and from the cache', async () => {
    await h.json('POST', '/api/v1/namespaces', { metadata: { name: 'big' } });
    const n = 2500;
    for (let i = 0; i < n; i++) {
      const name = `cm-${String(i).padStart(5, '0')}`;
      const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'big', uid: `u${i}`, creationTimestamp: '2026-01-01T00:00:00Z' }, data: { i: String(i) } };
      expect((await h.store.create(`/registry/configmaps/big/${name}`, Buffer.from(JSON.stringify(obj)))).ok).toBe(true);
    }
    for (const q of ['', '?resourceVersion=0']) {
      const res = await h.req('GET', `/api/v1/namespaces/big/configmaps${q}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/json');
      const l = JSON.parse(res.body) as List;
      expect(l.kind).toBe('ConfigMapList');
      expect(l.items).toHaveLength(n);
      expect(l.items[n - 1]!.metadata!.name).toBe('cm-02499');
      expect(Number(l.items[0]!.metadata!.resourceVersion)).toBeGreaterThan(0);
    }
  });
});
