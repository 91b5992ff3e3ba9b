/**
 * kubectl against a bare HTTP server that serves only the discovery and OpenAPI documents: proves kubectl 1.32
 * understands them (aggregated discovery, short names, explain through /openapi/v3). Skipped without kubectl.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acceptsAggregatedDiscovery, aggregatedDiscovery, apiGroupList, apiResourceList, apiVersions, DISCOVERY_V2_CONTENT_TYPE,
} from '../../../../src/control/api/discovery.js';
import { resources } from '../../../../src/control/api/kinds/index.js';
import { openapiV2, openapiV3GroupVersion, openapiV3Paths } from '../../../../src/control/api/openapi/index.js';

const run = promisify(execFile);
let kubectl: string | undefined;
try {
  execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
  kubectl = 'kubectl';
} catch {
  kubectl = undefined;
}
if (!kubectl) console.warn('kubectl not on PATH: skipping the kubectl discovery/explain checks');

describe.skipIf(!kubectl)('kubectl reads the discovery and OpenAPI documents', () => {
  let server: Server;
  let dir: string;
  let kubeconfig: string;
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname;
      requests.push(path);
      const send = (body: unknown, type = 'application/json'): void => {
        res.writeHead(200, { 'Content-Type': type });
        res.end(JSON.stringify(body));
      };
      const aggregated = acceptsAggregatedDiscovery(req.headers.accept);
      if (path === '/version') return send({ major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' });
      if (path === '/api') return aggregated ? send(aggregatedDiscovery(resources, 'api'), DISCOVERY_V2_CONTENT_TYPE) : send(apiVersions());
      if (path === '/apis') return aggregated ? send(aggregatedDiscovery(resources, 'apis'), DISCOVERY_V2_CONTENT_TYPE) : send(apiGroupList(resources));
      if (path === '/openapi/v2') return send(openapiV2(resources));
      if (path === '/openapi/v3') return send(openapiV3Paths(resources));
      if (path.startsWith('/openapi/v3/')) {
        const doc = openapiV3GroupVersion(resources, path);
        if (doc) return send(doc);
      }
      const gv = /^\/api\/(v1)$/.exec(path) ?? /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
      if (gv) {
        const list = path.startsWith('/api/') ? apiResourceList(resources, '', 'v1') : apiResourceList(resources, gv[1]!, gv[2]!);
        if (list) return send(list);
      }
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    dir = mkdtempSync(join(tmpdir(), 'skiff-openapi-'));
    kubeconfig = join(dir, 'kubeconfig.yaml');
    writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: t',
      'clusters: [{name: t, cluster: {server: "http://127.0.0.1:' + port + '"}}]',
      'contexts: [{name: t, context: {cluster: t, user: t}}]', 'users: [{name: t, user: {}}]', '',
    ].join('\n'));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const kc = async (...args: string[]): Promise<string> =>
    (await run(kubectl!, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { timeout: 30_000 })).stdout;

  it('api-resources lists every kind with short names, through aggregated discovery', async () => {
    const out = await kc('api-resources');
    expect(out).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    expect(out).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(out).toMatch(/^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
    expect(out).toMatch(/^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler$/m);
    expect(requests).not.toContain('/api/v1');
  });

  it('api-resources --categories all is what get all expands to', async () => {
    const out = await kc('api-resources', '--categories', 'all', '-o', 'name');
    expect(out.split('\n').filter(Boolean).sort()).toEqual(
      resources.filter((r) => r.categories.includes('all')).map((r) => (r.group ? `${r.plural}.${r.group}` : r.plural)).sort(),
    );
  });

  it('explain pod.spec shows PodSpec with its fields', async () => {
    const out = await kc('explain', 'po.spec');
    if (process.env.SKIFF_SHOW) console.log(out.slice(0, 2500));
    expect(out).toContain('KIND:       Pod');
    expect(out).toMatch(/FIELD:\s+spec <PodSpec>/);
    expect(out).toMatch(/containers\s+<\[\]Container> -required-/);
    expect(out).toContain('List of containers belonging to the pod.');
    expect(out).toMatch(/affinity\s+<Affinity>\s+If specified, the pod's scheduling constraints/);
  });

  it('explain reaches through group-version documents (deploy.spec.template.spec.containers)', async () => {
    const out = await kc('explain', 'deploy.spec.template.spec.containers.ports');
    expect(out).toContain('GROUP:      apps');
    expect(out).toMatch(/containerPort\s+<integer> -required-/);
  });
});
