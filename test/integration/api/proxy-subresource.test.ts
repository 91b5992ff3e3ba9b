/**
 * pods/proxy and services/proxy through the API server's routing: the subresources are served and listed in
 * discovery, `proxy` alone redirects to `proxy/`, and the answers before any forwarding are upstream's (an invalid
 * name 400, a loopback pod IP 400 "address not allowed", a Service without endpoints 503). Forwarding itself is
 * covered in test/unit/api/routes/proxy.test.ts (the API server refuses loopback targets).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestCluster, type TestCluster } from '../../support/cluster.js';
import { Pods, Services } from '../../../src/client/resources.js';

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster();
  const p = await c.client.create(Pods, { metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80 }] }] } });
  await c.client.update(Pods, { ...p, status: { phase: 'Running', podIP: '127.0.0.1' } }, { subresource: 'status' });
  await c.client.create(Services, { metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80 }] } });
  // A pod IP only the default route would carry (TEST-NET-3): never dialled.
  const far = await c.client.create(Pods, { metadata: { name: 'far', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  await c.client.update(Pods, { ...far, status: { phase: 'Running', podIP: '203.0.113.5' } }, { subresource: 'status' });
});
afterAll(async () => c.close());

const get = async (path: string) => {
  const res = await fetch(c.url + path, { redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), body: await res.text() };
};

describe('pods/proxy and services/proxy', () => {
  test('discovery lists both', async () => {
    const res = (await (await fetch(`${c.url}/api/v1`)).json()) as { resources: { name: string }[] };
    const names = res.resources.map((r) => r.name);
    expect(names).toContain('pods/proxy');
    expect(names).toContain('services/proxy');
  });

  test('proxy without a trailing slash redirects to proxy/, the query kept', async () => {
    const r = await get('/api/v1/namespaces/default/pods/web/proxy?x=1');
    expect(r.status).toBe(301);
    expect(r.location).toBe('/api/v1/namespaces/default/pods/web/proxy/?x=1');
  });

  test('a pod: an invalid name is 400, a missing pod 404, a loopback pod IP 400 address not allowed', async () => {
    const bad = await get('/api/v1/namespaces/default/pods/ftp:web:80/proxy/');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).message).toBe('invalid pod request "ftp:web:80"');
    expect((await get('/api/v1/namespaces/default/pods/https:nope:462/proxy/')).status).toBe(404);
    const loop = await get('/api/v1/namespaces/default/pods/http:web:160/proxy/some/path');
    expect(loop.status).toBe(400);
    expect(JSON.parse(loop.body)).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: 'address not allowed' });
  });

  test('a pod IP off this host\'s networks is 503 without a connection attempt (a simulated node\'s pods exist nowhere)', async () => {
    const started = Date.now();
    const r = await get('/api/v1/namespaces/default/pods/far:80/proxy/');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).message).toBe('error trying to reach service: 203.0.113.5 is not on a network the API server reaches without its default route');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('a service without endpoints is 503; an unknown port 503 naming it', async () => {
    const none = await get('/api/v1/namespaces/default/services/web:http/proxy/');
    expect(none.status).toBe(503);
    expect(JSON.parse(none.body).message).toBe('no endpoints available for service "web"');
    const port = await get('/api/v1/namespaces/default/services/web:81/proxy/');
    expect(JSON.parse(port.body).message).toBe('no service port 81 found for service "web"');
  });
});
