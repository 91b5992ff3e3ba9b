/**
 * /openapi/v2 for custom resources against a real API server: a CRD whose root keeps unknown fields is published
 * to v2 as a bare object while /openapi/v3 keeps its schema; v2 carries an ETag and answers If-None-Match with
 * 304 until a CRD changes the document (e2e's CustomResourcePublishOpenAPI tests poll it that way).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestCluster, eventually, type TestCluster } from '../../support/cluster.js';
import { CustomResourceDefinitions } from '../../../src/client/resources.js';

let c: TestCluster;
beforeAll(async () => { c = await startTestCluster(); });
afterAll(async () => c.close());

const crd = (group: string, schema: Record<string, unknown>) => ({
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
  metadata: { name: `things.${group}` },
  spec: {
    group, scope: 'Namespaced', names: { plural: 'things', singular: 'thing', kind: 'Thing', listKind: 'ThingList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }],
  },
});

type Doc = { definitions: Record<string, Record<string, unknown>> };
const v2 = async (headers: Record<string, string> = {}) => fetch(`${c.url}/openapi/v2`, { headers });

describe('custom resources in /openapi/v2', () => {
  test('a root that keeps unknown fields is a bare object in v2 and whole in v3', async () => {
    await c.client.create(CustomResourceDefinitions, crd('open.example.com', { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }));
    const def = await eventually('definition published', async () => ((await (await v2()).json()) as Doc).definitions['com.example.open.v1.Thing']);
    expect(def).toEqual({ type: 'object', 'x-kubernetes-group-version-kind': [{ group: 'open.example.com', version: 'v1', kind: 'Thing' }] });
    const index = (await (await fetch(`${c.url}/openapi/v3`)).json()) as { paths: Record<string, { serverRelativeURL: string }> };
    const doc = (await (await fetch(c.url + index.paths['apis/open.example.com/v1']!.serverRelativeURL)).json()) as { components: { schemas: Record<string, { properties?: Record<string, unknown>; 'x-kubernetes-preserve-unknown-fields'?: boolean }> } };
    const v3 = doc.components.schemas['com.example.open.v1.Thing']!;
    expect(v3['x-kubernetes-preserve-unknown-fields']).toBe(true);
    expect(Object.keys(v3.properties ?? {})).toEqual(['apiVersion', 'kind', 'metadata']);
  });

  test('ETag and If-None-Match: 304 while unchanged, a new ETag after a CRD is added', async () => {
    const first = await v2();
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[0-9A-F]{128}"$/);
    await first.arrayBuffer();
    const again = await v2({ 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect((await v2({ 'if-none-match': '"other"' })).status).toBe(200);
    await c.client.create(CustomResourceDefinitions, crd('closed.example.com', { type: 'object', properties: { spec: { type: 'object', description: 'the spec' } } }));
    const changed = await eventually('document changed', async () => {
      const r = await v2({ 'if-none-match': etag! });
      return r.status === 200 && r;
    });
    expect(changed.headers.get('etag')).not.toBe(etag);
    const doc = (await changed.json()) as Doc;
    expect((doc.definitions['com.example.closed.v1.Thing']!['properties'] as Record<string, unknown>)['spec']).toEqual({ type: 'object', description: 'the spec' });
  });

  test('the protobuf form carries its own ETag and answers 304 too', async () => {
    const accept = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
    const r = await v2({ accept });
    expect(r.status).toBe(200);
    const etag = r.headers.get('etag');
    expect(etag).toMatch(/^"[0-9A-F]{128}"$/);
    expect(etag).not.toBe((await v2()).headers.get('etag'));
    expect((await v2({ accept, 'if-none-match': etag! })).status).toBe(304);
  });
});
