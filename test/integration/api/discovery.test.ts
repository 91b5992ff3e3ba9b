import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const AGG = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';

describe('discovery and system endpoints', () => {
  test('/api and /apis answer aggregated discovery with its Content-Type when asked', async () => {
    const api = await h.req('GET', '/api', undefined, { accept: AGG });
    expect(api.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const body = JSON.parse(api.body) as { kind: string; items: { versions: { resources: { resource: string; shortNames?: string[]; categories?: string[] }[] }[] }[] };
    expect(body.kind).toBe('APIGroupDiscoveryList');
    const pods = body.items[0]!.versions[0]!.resources.find((r) => r.resource === 'pods')!;
    expect(pods.shortNames).toEqual(['po']);
    expect(pods.categories).toEqual(['all']);
    const apis = await h.req('GET', '/apis', undefined, { accept: AGG });
    expect(apis.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    expect(JSON.parse(apis.body).items.map((g: { metadata: { name: string } }) => g.metadata.name)).toContain('apps');
  });

  test('legacy lists: /api, /apis, /api/v1, /apis/apps/v1, /apis/apps', async () => {
    expect((await h.json('GET', '/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    expect((await h.json('GET', '/apis')).body.kind).toBe('APIGroupList');
    const v1 = (await h.json<{ resources: { name: string }[] }>('GET', '/api/v1')).body;
    expect(v1.resources.map((r) => r.name)).toEqual(expect.arrayContaining(['pods', 'pods/status', 'pods/binding', 'namespaces']));
    const apps = (await h.json<{ resources: { name: string }[] }>('GET', '/apis/apps/v1')).body;
    expect(apps.resources.map((r) => r.name)).toContain('deployments/scale');
    expect((await h.json('GET', '/apis/apps')).body.kind).toBe('APIGroup');
    expect((await h.json('GET', '/apis/nope')).status).toBe(404);
  });

  test('/version is a 1.32 version.Info', async () => {
    const v = (await h.json<{ major: string; minor: string; gitVersion: string }>('GET', '/version')).body;
    expect(v.major).toBe('1');
    expect(v.minor).toBe('32');
    expect(v.gitVersion).toMatch(/^v1\.32\./);
  });

  test('/healthz /livez /readyz answer ok', async () => {
    for (const p of ['/healthz', '/livez', '/readyz', '/readyz?verbose']) {
      const res = await h.req('GET', p);
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('ok');
    }
  });

  test('unknown paths are NotFound Statuses', async () => {
    const res = await h.json('GET', '/nothing/here');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'NotFound' });
  });

  test('/openapi/v2 and /openapi/v3 documents are served', async () => {
    const v2 = await h.json<{ swagger: string; definitions: Record<string, unknown> }>('GET', '/openapi/v2');
    expect(v2.status).toBe(200);
    expect(v2.body.definitions['io.k8s.api.core.v1.Pod']).toBeTruthy();
    const v3 = await h.json<{ paths: Record<string, { serverRelativeURL: string }> }>('GET', '/openapi/v3');
    expect(v3.body.paths['api/v1']).toBeTruthy();
    const doc = await h.json<{ components: { schemas: Record<string, unknown> } }>('GET', v3.body.paths['api/v1']!.serverRelativeURL);
    expect(doc.status).toBe(200);
    expect(doc.body.components.schemas['io.k8s.api.core.v1.Pod']).toBeTruthy();
    const pb = await h.req('GET', '/openapi/v2', undefined, { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' });
    expect(pb.statusCode).toBe(200);
    expect(pb.headers['content-type']).toBe('application/octet-stream');
    expect((await h.req('GET', '/openapi/v2', undefined, { accept: 'text/html' })).statusCode).toBe(406);
  });
});
