/**
 * CRD conversion webhooks against a real API server and a real HTTPS webhook on 127.0.0.1 (its certificate made
 * here, trusted through caBundle, reached through a Service and its Endpoints): Gadgets are stored as v1
 * (spec.size) and served as v2 (spec.dimension) too. Reads, lists (one call), watches, updates and patches through
 * v2 are converted; a webhook that is down and one that renames the object fail as upstream's do.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomResourceDefinitions, Endpoints, Services, type ResourceRef } from '../../../src/client/resources.js';
import { ApiError } from '../../../src/client/rest.js';
import type { KubeObject } from '../../../src/client/types.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';
import { selfSigned } from '../../support/self-signed.js';

const GROUP = 'conv.example.com';
const V1: ResourceRef = { group: GROUP, version: 'v1', plural: 'gadgets', namespaced: true };
const V2: ResourceRef = { group: GROUP, version: 'v2', plural: 'gadgets', namespaced: true };
const BrokenV2: ResourceRef = { group: GROUP, version: 'v2', plural: 'brokens', namespaced: true };

interface Review { request: { uid: string; desiredAPIVersion: string; objects: KubeObject[] } }

let cluster: TestCluster;
let hook: Server;
let caBundle = '';
/** Every review the webhook received. */
const reviews: Review['request'][] = [];
/** What the webhook does besides converting: 'rename' answers with another name. */
let mode: 'convert' | 'rename' = 'convert';

/** v1 spec.size ⇄ v2 spec.dimension, everything else kept. */
function convert(obj: KubeObject, to: string): KubeObject {
  const spec = { ...(obj['spec'] as Record<string, unknown> | undefined) };
  if (to === `${GROUP}/v2` && 'size' in spec) {
    spec['dimension'] = spec['size'];
    delete spec['size'];
  }
  if (to === `${GROUP}/v1` && 'dimension' in spec) {
    spec['size'] = spec['dimension'];
    delete spec['dimension'];
  }
  const out: KubeObject = { ...obj, apiVersion: to, spec };
  if (mode === 'rename') out.metadata = { ...obj.metadata, name: `${obj.metadata?.name ?? ''}-renamed` };
  return out;
}

const schema = (field: string) => ({
  openAPIV3Schema: {
    type: 'object',
    properties: {
      spec: { type: 'object', properties: { [field]: { type: 'integer' }, color: { type: 'string' } } },
      status: { type: 'object', properties: { replicas: { type: 'integer' } } },
    },
  },
});
const scale = (field: string) => ({ scale: { specReplicasPath: `.spec.${field}`, statusReplicasPath: '.status.replicas' } });

const crd = (plural: string, kind: string, clientConfig: Record<string, unknown>): KubeObject => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
    versions: [
      { name: 'v1', served: true, storage: true, schema: schema('size'), subresources: scale('size') },
      // dimension exists in v2 only: selecting on it needs the converted objects.
      { name: 'v2', served: true, storage: false, schema: schema('dimension'), subresources: scale('dimension'), selectableFields: [{ jsonPath: '.spec.dimension' }],
        additionalPrinterColumns: [{ name: 'Dimension', type: 'integer', jsonPath: '.spec.dimension' }] },
    ],
    conversion: { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'], clientConfig: { caBundle, ...clientConfig } } },
  },
});

const gadget = (name: string, version: 'v1' | 'v2', spec: Record<string, unknown>, labels?: Record<string, string>): KubeObject => ({
  apiVersion: `${GROUP}/${version}`, kind: 'Gadget', metadata: { name, namespace: 'default', ...(labels ? { labels } : {}) }, spec,
});

const fail = async (p: Promise<unknown>): Promise<ApiError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
};

const established = (name: string) => eventually(`${name} Established`, async () => {
  const got = await cluster.client.get(CustomResourceDefinitions, name);
  const conds = ((got['status'] as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []);
  return conds.some((x) => x.type === 'Established' && x.status === 'True');
}, 5000, 20);

beforeAll(async () => {
  const tls = selfSigned(['convert.default.svc'], 'skiff-test-conversion');
  caBundle = Buffer.from(tls.cert).toString('base64');
  hook = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const { request } = JSON.parse(body) as Review;
      reviews.push(request);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({
        apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview',
        response: { uid: request.uid, result: { status: 'Success' }, convertedObjects: request.objects.map((o) => convert(o, request.desiredAPIVersion)) },
      }));
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const port = (hook.address() as AddressInfo).port;
  // A port nothing listens on: the "down" webhook.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));

  cluster = await startTestCluster();
  const c = cluster.client;
  await c.create(Services, { metadata: { name: 'convert', namespace: 'default' }, spec: { ports: [{ name: 'https', port: 443, targetPort: port }] } } as KubeObject);
  await c.update(Endpoints, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'convert', namespace: 'default' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port }] }] } as KubeObject);
  await c.create(CustomResourceDefinitions, crd('gadgets', 'Gadget', { service: { namespace: 'default', name: 'convert', path: '/convert' } }));
  await c.create(CustomResourceDefinitions, crd('brokens', 'Broken', { url: `https://127.0.0.1:${deadPort}/convert` }));
  await established(`gadgets.${GROUP}`);
  await established(`brokens.${GROUP}`);
}, 20_000);

afterAll(async () => {
  await cluster?.close();
  hook?.closeAllConnections();
  await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()));
});

describe('CRD conversion webhook', () => {
  it('serves an object created in v1 in v2, converted by the webhook; v1 reads call nothing', async () => {
    const c = cluster.client;
    const made = await c.create(V1, gadget('alpha', 'v1', { size: 3, color: 'red' }), { namespace: 'default' });
    expect(made.apiVersion).toBe(`${GROUP}/v1`);
    const before = reviews.length;
    expect((await c.get(V1, 'alpha', 'default'))['spec']).toEqual({ size: 3, color: 'red' });
    expect(reviews.length).toBe(before);
    const got = await c.get(V2, 'alpha', 'default');
    expect(got.apiVersion).toBe(`${GROUP}/v2`);
    expect(got['spec']).toEqual({ dimension: 3, color: 'red' });
    // The server keeps its own metadata: the uid and resourceVersion are the stored object's.
    expect(got.metadata?.uid).toBe(made.metadata?.uid);
    expect(got.metadata?.resourceVersion).toBe(made.metadata?.resourceVersion);
    const last = reviews.at(-1)!;
    expect(last.desiredAPIVersion).toBe(`${GROUP}/v2`);
    expect(last.objects.map((o) => o.metadata?.name)).toEqual(['alpha']);
  });

  it('lists in v2 with one webhook call for all the items', async () => {
    const c = cluster.client;
    await c.create(V1, gadget('beta', 'v1', { size: 5 }), { namespace: 'default' });
    await c.create(V1, gadget('gamma', 'v1', { size: 7 }), { namespace: 'default' });
    const before = reviews.length;
    const list = await c.list(V2, { namespace: 'default' });
    expect(reviews.length).toBe(before + 1);
    expect(reviews.at(-1)!.objects.length).toBe(list.items.length);
    const sizes = Object.fromEntries(list.items.map((i) => [i.metadata?.name, (i['spec'] as { dimension?: number }).dimension]));
    expect(sizes).toMatchObject({ alpha: 3, beta: 5, gamma: 7 });
    for (const i of list.items) expect(i.apiVersion).toBe(`${GROUP}/v2`);
    // A field of v2 alone selects on the converted objects.
    const five = await c.list(V2, { namespace: 'default', fieldSelector: 'spec.dimension=5' });
    expect(five.items.map((i) => i.metadata?.name)).toEqual(['beta']);
    const notFive = await c.list(V2, { namespace: 'default', fieldSelector: 'spec.dimension!=5,metadata.name!=alpha' });
    expect(notFive.items.map((i) => i.metadata?.name).sort()).toEqual(['gamma']);
    // kubectl's Table: v2's columns over the converted objects.
    const res = await fetch(`${cluster.url}/apis/${GROUP}/v2/namespaces/default/gadgets`, { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });
    const table = await res.json() as { columnDefinitions: Array<{ name: string }>; rows: Array<{ cells: unknown[] }> };
    expect(table.columnDefinitions.map((d) => d.name)).toEqual(['Name', 'Dimension']);
    expect(table.rows.map((r) => r.cells.slice(0, 2))).toEqual([['alpha', 3], ['beta', 5], ['gamma', 7]]);
  });

  it('serves the scale subresource in v2 terms', async () => {
    const c = cluster.client;
    const s = await c.get(V2, 'gamma', 'default', 'scale');
    expect(s['spec']).toEqual({ replicas: 7 });
    await c.patch(V2, 'default', 'gamma', { spec: { replicas: 8 } }, 'merge', { subresource: 'scale' });
    expect((await c.get(V1, 'gamma', 'default'))['spec']).toEqual({ size: 8 });
  });

  it('creates and updates through v2, stored as v1', async () => {
    const c = cluster.client;
    const made = await c.create(V2, gadget('delta', 'v2', { dimension: 2 }), { namespace: 'default' });
    expect(made.apiVersion).toBe(`${GROUP}/v2`);
    expect(made['spec']).toEqual({ dimension: 2 });
    expect((await c.get(V1, 'delta', 'default'))['spec']).toEqual({ size: 2 });

    const cur = await c.get(V2, 'delta', 'default');
    const updated = await c.update(V2, { ...cur, spec: { dimension: 9, color: 'blue' } });
    expect(updated['spec']).toEqual({ dimension: 9, color: 'blue' });
    const stored = await c.get(V1, 'delta', 'default');
    expect(stored['spec']).toEqual({ size: 9, color: 'blue' });
    expect(stored.metadata?.generation).toBe(2);
    // managedFields record the writes in v2, the version they were made in.
    const entries = updated.metadata?.managedFields ?? [];
    expect(entries.map((m) => `${m.operation}/${m.apiVersion}`)).toEqual([`Update/${GROUP}/v2`]);
    expect(entries[0]!.fieldsV1).toEqual({ 'f:spec': { 'f:color': {}, 'f:dimension': {} } });

    // A stale resourceVersion through v2 is the ordinary conflict.
    const stale = await fail(c.update(V2, { ...cur, spec: { dimension: 1 } }));
    expect(stale.code).toBe(409);

    // A merge patch in v2's fields.
    const patched = await c.patch(V2, 'default', 'delta', { spec: { dimension: 4 } }, 'merge');
    expect(patched['spec']).toEqual({ dimension: 4, color: 'blue' });
    expect((await c.get(V1, 'delta', 'default'))['spec']).toEqual({ size: 4, color: 'blue' });
  });

  it('server-side apply through v2 creates and updates, stored as v1', async () => {
    const c = cluster.client;
    const body = { apiVersion: `${GROUP}/v2`, kind: 'Gadget', metadata: { name: 'zeta', namespace: 'default' }, spec: { dimension: 6 } };
    const made = await c.patch(V2, 'default', 'zeta', body, 'apply', { fieldManager: 'tester' });
    expect(made['spec']).toEqual({ dimension: 6 });
    const again = await c.patch(V2, 'default', 'zeta', { ...body, spec: { dimension: 6, color: 'red' } }, 'apply', { fieldManager: 'tester' });
    expect(again['spec']).toEqual({ dimension: 6, color: 'red' });
    expect((await c.get(V1, 'zeta', 'default'))['spec']).toEqual({ size: 6, color: 'red' });
    const managers = (again.metadata?.managedFields ?? []).map((m) => `${m.manager}/${m.operation}/${m.apiVersion}`);
    expect(managers).toEqual([`tester/Apply/${GROUP}/v2`]);
    await c.delete(V2, 'default', 'zeta');
  });

  it('watches in v2: initial and later events converted, selectors judged in v2', async () => {
    const c = cluster.client;
    const ac = new AbortController();
    const seen: Array<{ type: string; name?: string; spec: unknown; apiVersion?: string }> = [];
    const done = (async () => {
      for await (const ev of c.watch(V2, { namespace: 'default', labelSelector: 'watched=yes', signal: ac.signal })) {
        seen.push({ type: ev.type, name: ev.object.metadata?.name, spec: ev.object['spec'], apiVersion: ev.object.apiVersion });
      }
    })();
    await c.create(V1, gadget('epsilon', 'v1', { size: 11 }, { watched: 'yes' }), { namespace: 'default' });
    await c.patch(V1, 'default', 'epsilon', { spec: { size: 12 } }, 'merge');
    await c.delete(V1, 'default', 'epsilon');
    await eventually('three converted events', () => seen.length >= 3, 5000, 20);
    ac.abort();
    await done;
    expect(seen.slice(0, 3)).toEqual([
      { type: 'ADDED', name: 'epsilon', spec: { dimension: 11 }, apiVersion: `${GROUP}/v2` },
      { type: 'MODIFIED', name: 'epsilon', spec: { dimension: 12 }, apiVersion: `${GROUP}/v2` },
      { type: 'DELETED', name: 'epsilon', spec: { dimension: 12 }, apiVersion: `${GROUP}/v2` },
    ]);

    // A watch from now lists what exists first (one batch), converted.
    const ac2 = new AbortController();
    const initial: KubeObject[] = [];
    const done2 = (async () => {
      for await (const ev of c.watch(V2, { namespace: 'default', signal: ac2.signal })) if (ev.type === 'ADDED') initial.push(ev.object);
    })();
    await eventually('initial events', () => initial.length >= 4, 5000, 20);
    ac2.abort();
    await done2;
    expect(initial.find((o) => o.metadata?.name === 'alpha')?.['spec']).toEqual({ dimension: 3, color: 'red' });
  });

  it('a webhook that cannot be reached fails the read with upstream\'s message; reads in the stored version still work', async () => {
    const c = cluster.client;
    const Broken1: ResourceRef = { ...BrokenV2, version: 'v1' };
    await c.create(Broken1, { apiVersion: `${GROUP}/v1`, kind: 'Broken', metadata: { name: 'one', namespace: 'default' }, spec: { size: 1 } }, { namespace: 'default' });
    expect((await c.get(Broken1, 'one', 'default'))['spec']).toEqual({ size: 1 });
    const err = await fail(c.get(BrokenV2, 'one', 'default'));
    expect(err.code).toBe(500);
    expect(err.status?.reason).toBe('InternalError');
    expect(err.status?.message).toMatch(/^Internal error occurred: conversion webhook for conv\.example\.com\/v1, Kind=Broken failed: Post "https:\/\/127\.0\.0\.1:\d+\/convert\?timeout=30s": .*ECONNREFUSED/);
    const listErr = await fail(c.list(BrokenV2, { namespace: 'default' }));
    expect(listErr.code).toBe(500);
    expect(listErr.status?.message).toContain('conversion webhook for conv.example.com/v1, Kind=BrokenList failed');
    const createErr = await fail(c.create(BrokenV2, { apiVersion: `${GROUP}/v2`, kind: 'Broken', metadata: { name: 'two' }, spec: { dimension: 2 } }, { namespace: 'default' }));
    expect(createErr.code).toBe(500);
    expect(createErr.status?.message).toContain('conversion webhook for conv.example.com/v2, Kind=Broken failed');
    await fail(c.get(Broken1, 'two', 'default')).then((e) => expect(e.code).toBe(404));

    // A watch ends with an ERROR event carrying the same Status.
    const events: Array<{ type: string; object: KubeObject }> = [];
    for await (const ev of c.watch(BrokenV2, { namespace: 'default', timeoutSeconds: 5 })) events.push(ev as { type: string; object: KubeObject });
    expect(events.map((e) => e.type)).toEqual(['ERROR']);
    expect(events[0]!.object['code']).toBe(500);
    expect(String(events[0]!.object['message'])).toContain('conversion webhook for conv.example.com/v1, Kind=Broken failed');
  });

  it('refuses a converted object whose name changed', async () => {
    mode = 'rename';
    try {
      const err = await fail(cluster.client.get(V2, 'alpha', 'default'));
      expect(err.code).toBe(500);
      expect(err.status?.message).toBe('Internal error occurred: conversion webhook for conv.example.com/v1, Kind=Gadget returned invalid object: must have the same name: alpha != alpha-renamed');
    } finally {
      mode = 'convert';
    }
    expect((await cluster.client.get(V2, 'alpha', 'default'))['spec']).toEqual({ dimension: 3, color: 'red' });
  });
});
