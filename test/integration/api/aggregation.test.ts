/**
 * API aggregation against a real HTTPS extension server on 127.0.0.1 (its certificate made here, trusted through
 * the APIService's caBundle): availability with upstream's reasons, /apis and aggregated discovery listing the
 * remote group, requests proxied with the caller's identity in X-Remote-* headers and without its credentials,
 * bodies and watch streams passed through, kubectl reading the remote resource through discovery.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Endpoints, Namespaces, Services } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';
import { selfSigned } from '../../support/self-signed.js';

const run = promisify(execFile);
const APIServices = { group: 'apiregistration.k8s.io', version: 'v1', plural: 'apiservices', namespaced: false };
const GV = '/apis/wardle.example.com/v1alpha1';

let cluster: TestCluster;
let ext: Server;
let extPort = 0;
const seen: Array<{ method: string; url: string; headers: Record<string, unknown>; body: string }> = [];

const resourceList = {
  kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'wardle.example.com/v1alpha1',
  resources: [
    { name: 'flunders', singularName: 'flunder', namespaced: true, kind: 'Flunder', verbs: ['create', 'get', 'list', 'watch'], shortNames: ['fl'] },
    { name: 'flunders/status', singularName: '', namespaced: true, kind: 'Flunder', verbs: ['get', 'update'] },
  ],
};
const flunder = (name: string) => ({ apiVersion: 'wardle.example.com/v1alpha1', kind: 'Flunder', metadata: { name, namespace: 'default', resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z' } });

beforeAll(async () => {
  const tls = selfSigned(['api.wardle.svc']);
  ext = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers }, body });
      const json = (code: number, o: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(o));
      };
      const path = (req.url ?? '').split('?')[0];
      if (path === GV) return json(200, resourceList);
      if (path === `${GV}/namespaces/default/flunders` && req.method === 'GET') {
        if ((req.url ?? '').includes('watch=true')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(`${JSON.stringify({ type: 'ADDED', object: flunder('w1') })}\n`);
          res.end(`${JSON.stringify({ type: 'ADDED', object: flunder('w2') })}\n`);
          return;
        }
        return json(200, { kind: 'FlunderList', apiVersion: 'wardle.example.com/v1alpha1', metadata: { resourceVersion: '1' }, items: [flunder('one'), flunder('two')] });
      }
      if (path === `${GV}/namespaces/default/flunders` && req.method === 'POST') return json(201, JSON.parse(body));
      json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not here' });
    });
  });
  await new Promise<void>((r) => ext.listen(0, '127.0.0.1', r));
  extPort = (ext.address() as AddressInfo).port;
  cluster = await startTestCluster({ aggregator: { checkIntervalMs: 100 } });
  const c = cluster.client;
  await c.create(Namespaces, { metadata: { name: 'wardle' } } as KubeObject);
  await c.create(APIServices, {
    metadata: { name: 'v1alpha1.wardle.example.com' },
    spec: { group: 'wardle.example.com', version: 'v1alpha1', groupPriorityMinimum: 2000, versionPriority: 200, service: { namespace: 'wardle', name: 'api', port: 443 }, caBundle: Buffer.from(tls.cert).toString('base64') },
  } as KubeObject);
});

afterAll(async () => {
  await cluster?.close();
  await new Promise((r) => ext?.close(r));
});

const available = async () => {
  const o = await cluster.client.get(APIServices, 'v1alpha1.wardle.example.com');
  return ((o['status'] as { conditions?: Array<{ type: string; status: string; reason: string; message: string }> } | undefined)?.conditions ?? []).find((c) => c.type === 'Available');
};

describe('API aggregation', () => {
  it('reports why an APIService is unavailable, then Passed once its service has an endpoint', async () => {
    const notFound = await eventually('ServiceNotFound', async () => ((await available())?.reason === 'ServiceNotFound' ? available() : undefined));
    expect(notFound).toMatchObject({ status: 'False', message: 'service/api in "wardle" is not present' });
    const proxied = await fetch(`${cluster.url}${GV}/namespaces/default/flunders`);
    expect(proxied.status).toBe(503);
    expect(((await proxied.json()) as { message: string }).message).toBe('service unavailable: service/api in "wardle" is not present');

    const c = cluster.client;
    await c.create(Services, { metadata: { name: 'api', namespace: 'wardle' }, spec: { ports: [{ name: 'https', port: 443, targetPort: extPort }] } } as KubeObject);
    const missing = await eventually('MissingEndpoints', async () => ((await available())?.reason === 'MissingEndpoints' ? available() : undefined));
    expect(missing?.message).toBe('endpoints for service/api in "wardle" have no addresses with port name "https"');

    await c.create(Endpoints, { metadata: { name: 'api', namespace: 'wardle' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: extPort }] }] } as KubeObject);
    const passed = await eventually('Available', async () => ((await available())?.status === 'True' ? available() : undefined));
    expect(passed).toMatchObject({ reason: 'Passed', message: 'all checks passed' });
  });

  it('lists the remote group in /apis, /apis/<group> and aggregated discovery', async () => {
    const groups = await (await fetch(`${cluster.url}/apis`)).json() as { groups: Array<{ name: string; preferredVersion: { groupVersion: string } }> };
    expect(groups.groups.find((g) => g.name === 'wardle.example.com')?.preferredVersion.groupVersion).toBe('wardle.example.com/v1alpha1');
    expect(groups.groups.some((g) => g.name === 'apps')).toBe(true);
    const group = await (await fetch(`${cluster.url}/apis/wardle.example.com`)).json();
    expect(group).toMatchObject({ kind: 'APIGroup', name: 'wardle.example.com', versions: [{ groupVersion: 'wardle.example.com/v1alpha1', version: 'v1alpha1' }] });
    const agg = await fetch(`${cluster.url}/apis`, { headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' } });
    const doc = await agg.json() as { items: Array<{ metadata: { name: string }; versions: Array<{ version: string; resources: Array<{ resource: string; scope: string; subresources?: Array<{ subresource: string }> }> }> }> };
    const wardle = doc.items.find((i) => i.metadata.name === 'wardle.example.com');
    expect(wardle?.versions[0]?.resources[0]).toMatchObject({ resource: 'flunders', scope: 'Namespaced', subresources: [{ subresource: 'status' }] });
  });

  it('proxies requests with the caller identity in X-Remote headers, bodies and watch streams', async () => {
    const list = await fetch(`${cluster.url}${GV}/namespaces/default/flunders?limit=5`, { headers: { authorization: 'Bearer secret-token', 'impersonate-user': 'mallory' } });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: unknown[] }).items).toHaveLength(2);
    const req = seen.filter((s) => s.url.startsWith(`${GV}/namespaces/default/flunders?limit=5`)).at(-1)!;
    expect(req.headers['x-remote-user']).toBe('system:unsecured');
    expect(req.headers['x-remote-group']).toBe('system:masters, system:authenticated');
    expect(req.headers['authorization']).toBeUndefined();
    expect(req.headers['impersonate-user']).toBeUndefined();

    const created = await fetch(`${cluster.url}${GV}/namespaces/default/flunders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(flunder('posted')) });
    expect(created.status).toBe(201);
    expect(((await created.json()) as KubeObject).metadata?.name).toBe('posted');

    const watch = await fetch(`${cluster.url}${GV}/namespaces/default/flunders?watch=true`);
    const lines = (await watch.text()).trim().split('\n').map((l) => JSON.parse(l) as { object: KubeObject });
    expect(lines.map((l) => l.object.metadata?.name)).toEqual(['w1', 'w2']);
  });

  it('kubectl finds the remote resource through discovery and lists it', async () => {
    const { stdout } = await run('kubectl', ['--kubeconfig', cluster.kubeconfig, 'get', 'flunders', '-n', 'default', '-o', 'name']);
    expect(stdout.trim().split('\n')).toEqual(['flunder.wardle.example.com/one', 'flunder.wardle.example.com/two']);
  });
});
