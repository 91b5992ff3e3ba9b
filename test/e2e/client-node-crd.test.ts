/**
 * Custom resources through @kubernetes/client-node against `skiff server`: ApiextensionsV1Api reads the CRD's
 * conditions, CustomObjectsApi creates, lists by label, patches (merge), reads the status and scale subresources and deletes,
 * a Watch sees the object's events, and an invalid object comes back as a 422 with the field path.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as k8s from '@kubernetes/client-node';
import { makeDataDir, startServer, type RunningServer } from './server.js';
import { CRONTAB_CRD } from '../integration/crd/fixtures.js';
import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { CustomResourceDefinitions } from '../../src/client/resources.js';

let data: ReturnType<typeof makeDataDir>;
let server: RunningServer;
let kc: k8s.KubeConfig;
let ext: k8s.ApiextensionsV1Api;
let custom: k8s.CustomObjectsApi;
const G = { group: 'stable.example.com', version: 'v1', namespace: 'default', plural: 'crontabs' };
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

beforeAll(async () => {
  data = makeDataDir();
  server = await startServer(data.dir, ['--no-scheduler', '--no-controllers', '--nodes', '0']);
  kc = new k8s.KubeConfig();
  kc.loadFromFile(server.kubeconfig);
  ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  custom = kc.makeApiClient(k8s.CustomObjectsApi);
});
afterAll(async () => {
  await server?.stop();
  data?.remove();
});

async function until<T>(f: () => Promise<T | undefined | false>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('custom resources with @kubernetes/client-node', () => {
  test('CRD established, then CRUD, watch, subresources and a 422', async () => {
    // The CRD goes in as plain JSON: client-node's models name `default` and the x-kubernetes-* keys differently
    // (`_default`, `xKubernetesListType`) and would drop them from a plain object.
    const rest = new RestClient(loadKubeconfig(server.kubeconfig));
    await rest.create(CustomResourceDefinitions, CRONTAB_CRD);
    rest.close();
    await until(async () => {
      const crd = await ext.readCustomResourceDefinition({ name: 'crontabs.stable.example.com' });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });

    const events: string[] = [];
    const watch = new k8s.Watch(kc);
    const req = await watch.watch('/apis/stable.example.com/v1/namespaces/default/crontabs', {}, (type, obj: { metadata: { name: string } }) => {
      events.push(`${type} ${obj.metadata.name}`);
    }, () => {});

    const made = await custom.createNamespacedCustomObject({
      ...G, body: { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'c1', labels: { app: 'x' } }, spec: { cronSpec: '* * * * *' } },
    }) as { spec: { replicas: number; image: string } };
    expect(made.spec).toMatchObject({ replicas: 1, image: 'busybox' });
    const list = await custom.listNamespacedCustomObject({ ...G, labelSelector: 'app=x' }) as { items: { metadata: { name: string } }[] };
    expect(list.items.map((i) => i.metadata.name)).toEqual(['c1']);
    const patched = await custom.patchNamespacedCustomObject({ ...G, name: 'c1', body: { spec: { replicas: 2 } } }, mergePatch) as { spec: { replicas: number } };
    expect(patched.spec.replicas).toBe(2);
    const scale = await custom.getNamespacedCustomObjectScale({ ...G, name: 'c1' }) as { spec: { replicas: number } };
    expect(scale.spec.replicas).toBe(2);
    const status = await custom.patchNamespacedCustomObjectStatus({ ...G, name: 'c1', body: { status: { replicas: 2 } } }, mergePatch) as { status: { replicas: number } };
    expect(status.status.replicas).toBe(2);

    let err: unknown;
    try {
      await custom.createNamespacedCustomObject({ ...G, body: { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'bad' }, spec: { cronSpec: '* * * * *', replicas: 99 } } });
    } catch (e) {
      err = e;
    }
    expect((err as { code?: number }).code).toBe(422);
    expect(String((err as { body?: unknown }).body)).toContain('spec.replicas in body should be less than or equal to 10');

    await custom.deleteNamespacedCustomObject({ ...G, name: 'c1' });
    await until(async () => events.includes('DELETED c1'));
    expect(events.slice(0, 1)).toEqual(['ADDED c1']);
    req.abort();
  });
});
