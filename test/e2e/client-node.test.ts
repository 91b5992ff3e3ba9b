/**
 * `skiff server` on sqlite driven by @kubernetes/client-node: create, list with selectors, Watch and informer,
 * patch, scale through patchNamespacedDeploymentScale, delete; then a restart on the same data dir.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as k8s from '@kubernetes/client-node';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { makeDataDir, startServer, type RunningServer } from './server.js';

let data: ReturnType<typeof makeDataDir>;
let server: RunningServer;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
const NS = 'e2e';

const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

function connect(): void {
  kc = new k8s.KubeConfig();
  kc.loadFromFile(server.kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
}

const podBody = (name: string, labels: Record<string, string>): k8s.V1Pod => ({
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

async function until<T>(f: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  data = makeDataDir();
  // API semantics only: an in-process scheduler would add PodScheduled status writes to the event sequences.
  server = await startServer(data.dir, ['--no-scheduler', '--no-controllers', '--nodes', '0']);
  connect();
});
afterAll(async () => {
  await server?.stop();
  data?.remove();
});

describe('skiff server with @kubernetes/client-node', () => {
  test('prints one ready line and writes a kubeconfig with context skiff', () => {
    expect(server.readyLine).toContain(server.url);
    expect(kc.getCurrentContext()).toBe('skiff');
    expect(kc.getCurrentCluster()!.server).toBe(server.url);
  });

  test('system namespaces exist', async () => {
    const list = await core.listNamespace();
    expect(list.items.map((n) => n.metadata!.name)).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease']));
  });

  test('create and list with label and field selectors', async () => {
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await core.createNamespacedPod({ namespace: NS, body: podBody('a', { app: 'web' }) });
    await core.createNamespacedPod({ namespace: NS, body: podBody('b', { app: 'web', tier: 'x' }) });
    await core.createNamespacedPod({ namespace: NS, body: podBody('c', { app: 'db' }) });
    const web = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=web' });
    expect(web.items.map((p) => p.metadata!.name)).toEqual(['a', 'b']);
    const notx = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app in (web,db),!tier' });
    expect(notx.items.map((p) => p.metadata!.name)).toEqual(['a', 'c']);
    const byName = await core.listNamespacedPod({ namespace: NS, fieldSelector: 'metadata.name=c' });
    expect(byName.items.map((p) => p.metadata!.name)).toEqual(['c']);
  });

  test('Watch delivers events; an informer sees add, update and delete', async () => {
    const seen: string[] = [];
    const watch = new k8s.Watch(kc);
    const list = await core.listNamespacedPod({ namespace: NS });
    const ac = await watch.watch(
      `/api/v1/namespaces/${NS}/pods`,
      { resourceVersion: list.metadata!.resourceVersion, allowWatchBookmarks: true },
      (phase, obj: k8s.V1Pod) => seen.push(`${phase} ${obj.metadata?.name ?? ''}`),
      () => {},
    );
    const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${NS}/pods`, () => core.listNamespacedPod({ namespace: NS }));
    const informed: string[] = [];
    informer.on('add', (p) => informed.push(`add ${p.metadata!.name}`));
    informer.on('update', (p) => informed.push(`update ${p.metadata!.name}`));
    informer.on('delete', (p) => informed.push(`delete ${p.metadata!.name}`));
    await informer.start();
    await until(() => informed.includes('add a'));

    await core.createNamespacedPod({ namespace: NS, body: podBody('d', { app: 'web' }) });
    await core.patchNamespacedPod({ namespace: NS, name: 'd', body: { metadata: { labels: { patched: 'yes' } } } }, mergePatch);
    await core.deleteNamespacedPod({ namespace: NS, name: 'd' });

    await until(() => seen.includes('DELETED d'));
    expect(seen).toEqual(['ADDED d', 'MODIFIED d', 'DELETED d']);
    await until(() => informed.includes('delete d'));
    expect(informed).toEqual(expect.arrayContaining(['add d', 'update d', 'delete d']));
    expect(informer.get('a', NS)?.metadata?.name).toBe('a');
    ac.abort();
    await informer.stop();
  });

  test('patch (merge) changes labels and is visible on get', async () => {
    await core.patchNamespacedPod({ namespace: NS, name: 'a', body: { metadata: { labels: { extra: '1' } } } }, mergePatch);
    const p = await core.readNamespacedPod({ namespace: NS, name: 'a' });
    expect(p.metadata!.labels).toEqual({ app: 'web', extra: '1' });
  });

  test('scale a Deployment through patchNamespacedDeploymentScale', async () => {
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: 'web' },
        spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
      },
    });
    const scale = await apps.patchNamespacedDeploymentScale({ namespace: NS, name: 'web', body: { spec: { replicas: 4 } } }, mergePatch);
    expect(scale.spec!.replicas).toBe(4);
    const d = await apps.readNamespacedDeployment({ namespace: NS, name: 'web' });
    expect(d.spec!.replicas).toBe(4);
    expect(d.metadata!.generation).toBe(2);
    const read = await apps.readNamespacedDeploymentScale({ namespace: NS, name: 'web' });
    expect(read.status!.selector).toBe('app=web');
  });

  test('delete removes the object; a second delete is a NotFound error', async () => {
    await core.deleteNamespacedPod({ namespace: NS, name: 'c' });
    await expect(core.readNamespacedPod({ namespace: NS, name: 'c' })).rejects.toMatchObject({ code: 404 });
    await expect(core.deleteNamespacedPod({ namespace: NS, name: 'c' })).rejects.toMatchObject({ code: 404 });
  });

  test('Watch with sendInitialEvents: initial ADDED events end with the initial-events-end BOOKMARK', async () => {
    const seen: string[] = [];
    const watch = new k8s.Watch(kc);
    let bookmark: k8s.KubernetesObject | undefined;
    const ac = await watch.watch(
      `/api/v1/namespaces/${NS}/pods`,
      { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true, labelSelector: 'app=web' },
      (phase, obj: k8s.KubernetesObject) => {
        if (phase === 'BOOKMARK') bookmark ??= obj;
        else seen.push(`${phase} ${obj.metadata?.name ?? ''}`);
      },
      () => {},
    );
    await until(() => bookmark);
    ac.abort();
    expect(seen).toEqual(['ADDED a', 'ADDED b']);
    expect(bookmark!.metadata!.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
  });

  test('Watch with an invalid ListOptions combination ends with the 422 status', async () => {
    const watch = new k8s.Watch(kc);
    const err = await new Promise<{ statusCode?: number } | null>((resolve) => {
      void watch.watch(`/api/v1/namespaces/${NS}/pods`, { sendInitialEvents: true }, () => {}, (e) => resolve(e as { statusCode?: number } | null));
    });
    expect(err?.statusCode).toBe(422);
  });

  test('a metadata-only list (PartialObjectMetadataList) through the typed client', async () => {
    const accept = k8s.setHeaderOptions('Accept', 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json');
    const list = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=web' }, accept);
    expect(list.kind).toBe('PartialObjectMetadataList');
    expect(list.apiVersion).toBe('meta.k8s.io/v1');
    expect(list.items.map((p) => [p.kind, p.metadata!.name, p.metadata!.labels!['app'], p.spec])).toEqual([
      ['PartialObjectMetadata', 'a', 'web', undefined], ['PartialObjectMetadata', 'b', 'web', undefined],
    ]);
    expect(list.metadata!.resourceVersion).toMatch(/^\d+$/);
  });

  test('a Table (meta.k8s.io/v1) with includeObject=None, read with the client\'s own connection settings', async () => {
    // The typed API drops what its return type lacks (rows, columnDefinitions): read the body with the
    // KubeConfig's fetch options, as client-node's own Watch does.
    const init = await kc.applyToFetchOptions({});
    const headers: Record<string, string> = {};
    const given = init.headers as unknown as { forEach?: (f: (v: string, k: string) => void) => void } | Record<string, string> | undefined;
    if (given && typeof given.forEach === 'function') given.forEach((v: string, k: string) => (headers[k] = v));
    else Object.assign(headers, given);
    headers['accept'] = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
    // Over https with the KubeConfig's agent (its CA and client certificate), as client-node's own requests go.
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = `${kc.getCurrentCluster()!.server}/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dweb&includeObject=None`;
      const req = (url.startsWith('https:') ? httpsGet : httpGet)(url, { headers, agent: init.agent as never }, (r) => {
        let body = '';
        r.on('data', (d: Buffer) => (body += d.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
    });
    expect(res.status).toBe(200);
    const table = JSON.parse(res.body) as { kind: string; apiVersion: string; columnDefinitions: { name: string }[]; rows: { cells: unknown[]; object?: unknown }[] };
    expect(table.kind).toBe('Table');
    expect(table.apiVersion).toBe('meta.k8s.io/v1');
    expect(table.columnDefinitions.map((c) => c.name).slice(0, 3)).toEqual(['Name', 'Ready', 'Status']);
    expect(table.rows.map((r) => r.cells[0])).toEqual(['a', 'b']);
    expect(table.rows.every((r) => r.object === undefined)).toBe(true);
  });

  test('a restart on the same data dir keeps every object and continues resourceVersions', async () => {
    const before = await core.listNamespacedPod({ namespace: NS });
    const beforeRV = Number(before.metadata!.resourceVersion);
    const deploy = await apps.readNamespacedDeployment({ namespace: NS, name: 'web' });
    expect(await server.stop()).toBe(0);
    // API semantics only: an in-process scheduler would add PodScheduled status writes to the event sequences.
  server = await startServer(data.dir, ['--no-scheduler', '--no-controllers', '--nodes', '0']);
    connect();
    const after = await core.listNamespacedPod({ namespace: NS });
    expect(after.items.map((p) => [p.metadata!.name, p.metadata!.uid, p.metadata!.resourceVersion])).toEqual(
      before.items.map((p) => [p.metadata!.name, p.metadata!.uid, p.metadata!.resourceVersion]),
    );
    const d2 = await apps.readNamespacedDeployment({ namespace: NS, name: 'web' });
    expect(d2.metadata!.resourceVersion).toBe(deploy.metadata!.resourceVersion);
    const created = await core.createNamespacedPod({ namespace: NS, body: podBody('after-restart', {}) });
    expect(Number(created.metadata!.resourceVersion)).toBeGreaterThan(beforeRV);
    const svc = await core.readNamespacedService({ namespace: 'default', name: 'kubernetes' });
    expect(svc.spec!.clusterIP).toBe('10.96.0.1');
  });
});
