/**
 * events.k8s.io/v1 Events served from the stored core/v1 Events, as kube-apiserver does: one object under
 * /registry/events in two shapes, each version's writes read back in the other, field selectors in the new
 * names for lists and watches, the new API's create rules, and discovery with the core storage version hash.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type RestClient } from '../../../src/client/rest.js';
import type { ResourceRef } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { startTestCluster, type TestCluster } from '../../support/cluster.js';

const NS = 'default';
const CORE: ResourceRef = { group: '', version: 'v1', plural: 'events', namespaced: true };
const V1: ResourceRef = { group: 'events.k8s.io', version: 'v1', plural: 'events', namespaced: true };

let cluster: TestCluster;
let c: RestClient;

const v1Event = (name: string, kind = 'Deployment', extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name, namespace: NS },
  eventTime: '2026-01-01T00:00:00.000000Z', reportingController: 'example.com/ctl', reportingInstance: 'ctl-1',
  action: 'Scale', reason: 'Scaled', note: `note of ${name}`, type: 'Normal',
  regarding: { kind, namespace: NS, name: 'web' }, ...extra,
});

async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
}

beforeAll(async () => {
  cluster = await startTestCluster({ metrics: false, bookmarkIntervalMs: 100 });
  c = cluster.client;
});

afterAll(async () => {
  await cluster?.close();
});

describe('events.k8s.io/v1 over core/v1 Events', () => {
  it('a v1 create is a core Event, and a core Event reads as v1', async () => {
    const created = await c.create(V1, v1Event('a.1'));
    expect(created).toMatchObject({ apiVersion: 'events.k8s.io/v1', note: 'note of a.1', regarding: { kind: 'Deployment' } });
    const core = await c.get(CORE, 'a.1', NS);
    expect(core).toMatchObject({ apiVersion: 'v1', message: 'note of a.1', involvedObject: { kind: 'Deployment', name: 'web' },
      reportingComponent: 'example.com/ctl', action: 'Scale' });
    expect(core.metadata?.uid).toBe(created.metadata?.uid);

    await c.create(CORE, { apiVersion: 'v1', kind: 'Event', metadata: { name: 'p.1', namespace: NS },
      involvedObject: { kind: 'Pod', name: 'p', namespace: NS }, reason: 'Pulled', message: 'pulled', type: 'Normal',
      source: { component: 'kubelet', host: 'n1' }, count: 2, firstTimestamp: '2026-01-01T00:00:00Z', lastTimestamp: '2026-01-01T00:01:00Z' });
    expect(await c.get(V1, 'p.1', NS)).toMatchObject({ apiVersion: 'events.k8s.io/v1', note: 'pulled', eventTime: null,
      deprecatedSource: { component: 'kubelet', host: 'n1' }, deprecatedCount: 2, regarding: { kind: 'Pod' } });
  });

  it('a legacy event may be patched through v1 (the create-only rules do not apply)', async () => {
    const patched = await c.patch(V1, NS, 'p.1', { metadata: { labels: { seen: 'yes' } } }, 'merge');
    expect(patched.metadata?.labels).toEqual({ seen: 'yes' });
    expect((await c.get(CORE, 'p.1', NS)).metadata?.labels).toEqual({ seen: 'yes' });
  });

  it('lists select on the new field names', async () => {
    const pods = await c.list(V1, { namespace: NS, fieldSelector: 'regarding.kind=Pod' });
    expect(pods.items.map((e) => e.metadata?.name)).toEqual(['p.1']);
    const byController = await c.list(V1, { namespace: NS, fieldSelector: 'reportingController=example.com/ctl,type=Normal' });
    expect(byController.items.map((e) => e.metadata?.name)).toEqual(['a.1']);
    expect((await failure(c.list(V1, { namespace: NS, fieldSelector: 'involvedObject.kind=Pod' }))).message)
      .toContain('field label not supported: involvedObject.kind');
  });

  it('watches deliver v1 objects selected on v1 fields', async () => {
    const start = (await c.list(V1, { namespace: NS })).metadata?.resourceVersion;
    const ac = new AbortController();
    const seen: KubeObject[] = [];
    const done = (async () => {
      for await (const ev of c.watch(V1, { namespace: NS, resourceVersion: start, fieldSelector: 'regarding.kind=Node', signal: ac.signal })) {
        const e = ev as { type: string; object: KubeObject };
        if (e.type === 'ADDED') seen.push(e.object);
        if (seen.length) break;
      }
    })();
    await c.create(V1, v1Event('skip.1', 'Deployment'));
    await c.create(V1, v1Event('node.1', 'Node', { regarding: { kind: 'Node', name: 'n1' } }));
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error('no watch event')), 5000))]);
    ac.abort();
    expect(seen.map((o) => [o.apiVersion, o.metadata?.name, (o['regarding'] as { kind: string }).kind])).toEqual([['events.k8s.io/v1', 'node.1', 'Node']]);
  });

  it('creates through v1 follow the new API\'s rules (422 in upstream words)', async () => {
    const err = await failure(c.create(V1, { ...v1Event('bad.1'), eventTime: undefined, deprecatedCount: 3 }));
    expect(err.code).toBe(422);
    expect(err.message).toContain('Event.events.k8s.io "bad.1" is invalid: [eventTime: Required value, deprecatedCount: Invalid value: "": needs to be unset]');
    // The same object is fine through core/v1, which keeps the legacy rules.
    await c.create(CORE, { apiVersion: 'v1', kind: 'Event', metadata: { name: 'bad.1', namespace: NS }, involvedObject: { namespace: NS }, count: 3 });
  });

  it('discovery: events.k8s.io/v1 with core Events\' storage version hash', async () => {
    const list = await c.request<{ resources: Array<{ name: string; shortNames?: string[]; storageVersionHash?: string }> }>('GET', '/apis/events.k8s.io/v1');
    const coreList = await c.request<{ resources: Array<{ name: string; storageVersionHash?: string }> }>('GET', '/api/v1');
    const ev = list.resources.find((r) => r.name === 'events')!;
    expect(ev.shortNames).toEqual(['ev']);
    expect(ev.storageVersionHash).toBe(coreList.resources.find((r) => r.name === 'events')!.storageVersionHash);
  });
});
