/**
 * metrics.k8s.io end to end on a real API server: a fake node agent (node:http on 127.0.0.1 serving fixed usage
 * through the agent's own usage handler), Node objects pointing at it, pods Running on them; then the REST
 * answers, discovery, and real `kubectl top` / `kubectl get nodemetrics` output.
 */
import { createServer, type Server } from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestCluster, type TestCluster } from '../../support/cluster.js';
import { usageRoutes, type UsageSource } from '../../../src/dataplane/kubelet/usage-endpoint.js';
import type { NodeUsage } from '../../../src/dataplane/kubelet/types.js';
import type { KubeObject } from '../../../src/client/types.js';
import { Nodes, Pods } from '../../../src/client/resources.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const T0 = Date.parse('2026-03-01T10:00:00Z');

/** Two nodes on one agent; a third node's agent port answers nothing useful (500). */
const usage: NodeUsage[] = [
  {
    nodeName: 'sim-1', timestamp: T0, windowSeconds: 15, cpuNanoCores: 250_000_000, memoryBytes: 512 * MiB,
    pods: [
      { namespace: 'default', name: 'web', uid: '', containers: [
        { name: 'app', cpuNanoCores: 100_000_000, memoryBytes: 64 * MiB },
        { name: 'sidecar', cpuNanoCores: 5_000_000, memoryBytes: 16 * MiB },
      ] },
      { namespace: 'kube-system', name: 'dns', uid: '', containers: [{ name: 'coredns', cpuNanoCores: 3_000_000, memoryBytes: 20 * MiB }] },
      // Reported but Pending in the API: metrics-server serves Running pods only.
      { namespace: 'default', name: 'waiting', uid: '', containers: [{ name: 'c', cpuNanoCores: 1, memoryBytes: 1 }] },
    ],
  },
  { nodeName: 'sim-2', timestamp: T0, windowSeconds: 15, cpuNanoCores: 1_500_000_000, memoryBytes: 2048 * MiB, pods: [] },
];

const source: UsageSource = {
  nodeNames: () => usage.map((u) => u.nodeName),
  nodeUsage: (name) => usage.find((u) => u.nodeName === name),
};

let cluster: TestCluster;
let agent: Server;
let broken: Server;
let scrapes = 0;

const portOf = (s: Server): number => {
  const a = s.address();
  return typeof a === 'object' && a ? a.port : 0;
};

function node(name: string, port: number, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    status: {
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: name }],
      daemonEndpoints: { kubeletEndpoint: { Port: port } },
      allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
    },
  };
}

async function runningPod(ns: string, name: string, nodeName: string, labels: Record<string, string>, phase = 'Running'): Promise<void> {
  const c = cluster.client;
  const pod = await c.create(Pods, { kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: { nodeName, containers: [{ name: 'app', image: 'x' }] } });
  await c.update(Pods, { ...pod, status: { phase } }, { subresource: 'status' });
}

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run('/usr/bin/kubectl', ['--kubeconfig', cluster.kubeconfig, ...args], { timeout: 20_000 });
  return stdout;
}

/** kubectl's column output as rows of cells (header first). */
const rows = (out: string): string[][] => out.trim().split('\n').map((l) => l.trim().split(/\s+/));

beforeAll(async () => {
  const handle = usageRoutes(source);
  agent = createServer((req, res) => {
    scrapes++;
    if (!handle(req, res)) res.writeHead(404).end();
  });
  broken = createServer((_req, res) => res.writeHead(500).end());
  await new Promise<void>((r) => agent.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
  cluster = await startTestCluster({ metrics: { resolutionMs: 60_000, timeoutMs: 2_000, onError: () => {} } });
  const c = cluster.client;
  await c.create(Nodes, node('sim-1', portOf(agent), { pool: 'a' }));
  await c.create(Nodes, node('sim-2', portOf(agent), { pool: 'b' }));
  await c.create(Nodes, node('sim-3', portOf(broken), { pool: 'b' }));
  await runningPod('default', 'web', 'sim-1', { app: 'web' });
  await runningPod('kube-system', 'dns', 'sim-1', { app: 'dns' });
  await runningPod('default', 'waiting', 'sim-1', { app: 'web' }, 'Pending');
});

afterAll(async () => {
  await cluster?.close();
  agent?.close();
  broken?.close();
});

const get = async (path: string, accept = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(`${cluster.url}${path}`, { headers: { accept } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('metrics.k8s.io/v1beta1 over HTTP', () => {
  test('lists NodeMetrics of the nodes whose agent answered, with metrics-server figures', async () => {
    const { status, body } = await get('/apis/metrics.k8s.io/v1beta1/nodes');
    expect(status).toBe(200);
    expect(body['kind']).toBe('NodeMetricsList');
    expect(body['apiVersion']).toBe('metrics.k8s.io/v1beta1');
    const items = body['items'] as KubeObject[];
    // sim-3's agent fails: it is simply absent.
    expect(items.map((i) => i.metadata?.name)).toEqual(['sim-1', 'sim-2']);
    expect(items[0]).toMatchObject({
      kind: 'NodeMetrics', metadata: { name: 'sim-1', labels: { pool: 'a' } },
      timestamp: '2026-03-01T10:00:00Z', window: '15s', usage: { cpu: '250m', memory: '512Mi' },
    });
    expect(items[1]!['usage']).toEqual({ cpu: '1500m', memory: '2Gi' });
  });

  test('selectors: labels of the node, metadata.name; get by name; 404s as metrics-server words them', async () => {
    const byLabel = await get('/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=pool%3Db');
    expect((byLabel.body['items'] as KubeObject[]).map((i) => i.metadata?.name)).toEqual(['sim-2']);
    const byField = await get('/apis/metrics.k8s.io/v1beta1/nodes?fieldSelector=metadata.name%3Dsim-1');
    expect((byField.body['items'] as KubeObject[]).map((i) => i.metadata?.name)).toEqual(['sim-1']);
    const one = await get('/apis/metrics.k8s.io/v1beta1/nodes/sim-2');
    expect(one.body).toMatchObject({ kind: 'NodeMetrics', metadata: { name: 'sim-2' }, usage: { cpu: '1500m' } });
    const noFigures = await get('/apis/metrics.k8s.io/v1beta1/nodes/sim-3');
    expect(noFigures.status).toBe(404);
    expect(noFigures.body['message']).toBe('nodemetrics.metrics.k8s.io "sim-3" not found');
    const noNode = await get('/apis/metrics.k8s.io/v1beta1/nodes/ghost');
    expect(noNode.status).toBe(404);
    expect(noNode.body['message']).toBe('node "ghost" not found');
  });

  test('PodMetrics: Running pods with figures, per namespace and across namespaces', async () => {
    const ns = await get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods');
    expect(ns.body['kind']).toBe('PodMetricsList');
    const items = ns.body['items'] as KubeObject[];
    expect(items.map((i) => i.metadata?.name)).toEqual(['web']);
    expect(items[0]).toMatchObject({
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, window: '15s',
      containers: [{ name: 'app', usage: { cpu: '100m', memory: '64Mi' } }, { name: 'sidecar', usage: { cpu: '5m', memory: '16Mi' } }],
    });
    const all = await get('/apis/metrics.k8s.io/v1beta1/pods');
    expect((all.body['items'] as KubeObject[]).map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`)).toEqual(['default/web', 'kube-system/dns']);
    const sel = await get('/apis/metrics.k8s.io/v1beta1/pods?labelSelector=app%3Ddns');
    expect((sel.body['items'] as KubeObject[]).map((i) => i.metadata?.name)).toEqual(['dns']);
    const pending = await get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/waiting');
    expect(pending.status).toBe(404);
    expect(pending.body['message']).toBe('podmetrics.metrics.k8s.io "default/waiting" not found');
    const missing = await get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/ghost');
    expect(missing.body).toMatchObject({ code: 404, reason: 'NotFound', message: 'pods "ghost" not found' });
  });

  test('read-only: writes and watches are refused', async () => {
    const res = await fetch(`${cluster.url}/apis/metrics.k8s.io/v1beta1/nodes`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'x' } }),
    });
    expect(res.status).toBe(405);
    const watch = await get('/apis/metrics.k8s.io/v1beta1/nodes?watch=true');
    expect(watch.status).toBe(405);
  });

  test('one scrape per agent endpoint per resolution period', async () => {
    const before = scrapes;
    await get('/apis/metrics.k8s.io/v1beta1/nodes');
    await get('/apis/metrics.k8s.io/v1beta1/pods');
    expect(scrapes).toBe(before);
  });

  test('discovery, legacy and aggregated, lists the group as metrics-server does', async () => {
    const groups = await get('/apis');
    const g = (groups.body['groups'] as Array<{ name: string; preferredVersion: { groupVersion: string } }>).find((x) => x.name === 'metrics.k8s.io');
    expect(g?.preferredVersion.groupVersion).toBe('metrics.k8s.io/v1beta1');
    const list = await get('/apis/metrics.k8s.io/v1beta1');
    expect(list.body['resources']).toEqual([
      { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
      { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
    ]);
    const agg = await get('/apis', 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const item = (agg.body['items'] as Array<{ metadata: { name: string }; versions: Array<{ version: string; resources: Array<{ resource: string; scope: string; responseKind: { kind: string } }> }> }>)
      .find((i) => i.metadata.name === 'metrics.k8s.io');
    expect(item?.versions[0]?.resources.map((r) => [r.resource, r.scope, r.responseKind.kind])).toEqual([
      ['nodes', 'Cluster', 'NodeMetrics'], ['pods', 'Namespaced', 'PodMetrics'],
    ]);
  });

  test('OpenAPI v2 and v3 publish the paths and schemas', async () => {
    const v2 = await get('/openapi/v2');
    const paths = v2.body['paths'] as Record<string, Record<string, { operationId: string }>>;
    expect(paths['/apis/metrics.k8s.io/v1beta1/nodes']?.['get']?.operationId).toBe('listMetricsV1beta1NodeMetrics');
    expect(paths['/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods/{name}']?.['get']?.operationId).toBe('readMetricsV1beta1NamespacedPodMetrics');
    expect(paths['/apis/metrics.k8s.io/v1beta1/nodes/{name}']?.['put']).toBeUndefined();
    const defs = v2.body['definitions'] as Record<string, { required?: string[]; 'x-kubernetes-group-version-kind'?: unknown[] }>;
    expect(defs['io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics']?.required).toEqual(['timestamp', 'window', 'usage']);
    expect(defs['io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics']?.['x-kubernetes-group-version-kind']).toEqual([{ group: 'metrics.k8s.io', version: 'v1beta1', kind: 'PodMetrics' }]);
    expect(defs['io.k8s.metrics.pkg.apis.metrics.v1beta1.ContainerMetrics']).toBeDefined();
    const index = await get('/openapi/v3');
    const url = (index.body['paths'] as Record<string, { serverRelativeURL: string }>)['apis/metrics.k8s.io/v1beta1']?.serverRelativeURL;
    expect(url).toBeDefined();
    const v3 = await get(url!);
    expect(Object.keys((v3.body['components'] as { schemas: object }).schemas)).toContain('io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetricsList');
  });
});

describe('kubectl', () => {
  test('kubectl top nodes prints each node\'s figures', async () => {
    const [header, ...body] = rows(await kubectl('top', 'nodes'));
    expect(header).toEqual(['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)']);
    // In the API's order; percentages of allocatable (4 cores, 8Gi); a node without figures prints <unknown>.
    expect(body).toEqual([
      ['sim-1', '250m', '6%', '512Mi', '6%'],
      ['sim-2', '1500m', '37%', '2048Mi', '25%'],
      ['sim-3', '<unknown>', '<unknown>', '<unknown>', '<unknown>'],
    ]);
  });

  test('kubectl top pods -A --containers prints every container', async () => {
    const [header, ...body] = rows(await kubectl('top', 'pods', '-A', '--containers'));
    expect(header).toEqual(['NAMESPACE', 'POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    expect(body).toEqual([
      ['default', 'web', 'app', '100m', '64Mi'],
      ['default', 'web', 'sidecar', '5m', '16Mi'],
      ['kube-system', 'dns', 'coredns', '3m', '20Mi'],
    ]);
  });

  test('kubectl top pod NAME sums containers; kubectl get nodemetrics prints the server Table', async () => {
    const [header, web] = rows(await kubectl('top', 'pod', 'web'));
    expect(header).toEqual(['NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    expect(web).toEqual(['web', '105m', '80Mi']);
    const table = rows(await kubectl('get', 'nodemetrics'));
    expect(table[0]).toEqual(['NAME', 'CPU', 'MEMORY', 'WINDOW']);
    expect(table.slice(1)).toEqual([['sim-1', '250m', '512Mi', '15s'], ['sim-2', '1500m', '2Gi', '15s']]);
    const pods = rows(await kubectl('get', 'podmetrics', '-n', 'default'));
    expect(pods.slice(1)).toEqual([['web', '105m', '80Mi', '15s']]);
    // metrics.k8s.io's `nodes` and `pods` do not shadow the core kinds for kubectl.
    expect(rows(await kubectl('get', 'nodes', '-o', 'name'))).toEqual([['node/sim-1'], ['node/sim-2'], ['node/sim-3']]);
    expect(rows(await kubectl('get', 'pods', '-o', 'name'))).toEqual([['pod/waiting'], ['pod/web']]);
  });

  test('kubectl explain reads the published schemas', async () => {
    const out = await kubectl('explain', 'podmetrics.containers');
    expect(out).toContain('GROUP:      metrics.k8s.io');
    expect(out).toMatch(/FIELD:\s+containers <\[\]ContainerMetrics>/);
    // Quantity renders as the core kinds' resource lists do in Skiff's schemas.
    expect(out).toMatch(/usage\s+<map\[string\]\w+> -required-/);
  });
});
