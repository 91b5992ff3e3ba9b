import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';
import { ApiError } from '../../../src/client/rest.js';
import { ConfigMaps, Deployments, Namespaces, Pods, ResourceQuotas } from '../../../src/client/resources.js';
import { startControllerManager, type RunningControllerManager } from '../../../src/control/controllers/start.js';
import { resourceQuotaController } from '../../../src/control/controllers/resource-quota.js';
import type { KubeObject } from '../../../src/client/types.js';

let cluster: TestCluster;
let cm: RunningControllerManager;

const pod = (name: string, resources?: object): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox', ...(resources ? { resources } : {}) }] },
});

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

const usedOf = async (ns: string, name: string) => ((await cluster.client.get<KubeObject>(ResourceQuotas, name, ns))['status'] as { used?: Record<string, string> } | undefined)?.used;

beforeAll(async () => {
  cluster = await startTestCluster();
  cm = await startControllerManager({ client: cluster.newClient('controller-manager'), available: [resourceQuotaController], leaderElect: false, onError: () => {} });
  await cm.ready;
  for (const ns of ['quota', 'compute', 'counts', 'apps']) await cluster.client.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});

afterAll(async () => {
  await cm?.stop();
  await cluster?.close();
});

describe('ResourceQuota', () => {
  test('the N+1th pod is refused with upstream\'s message; a delete frees quota', async () => {
    const c = cluster.client;
    await c.create(ResourceQuotas, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { pods: '2' } } }, { namespace: 'quota' });
    // The controller fills status (hard and used) first; until then quota refuses what it limits, as upstream.
    await eventually('quota status', async () => (await usedOf('quota', 'q'))?.['pods'] === '0');
    await c.create(Pods, pod('a'), { namespace: 'quota' });
    await c.create(Pods, pod('b'), { namespace: 'quota' });
    expect((await usedOf('quota', 'q'))?.['pods']).toBe('2');
    const err = await refusal(c.create(Pods, pod('x'), { namespace: 'quota' }));
    expect(err.code).toBe(403);
    expect(err.status?.message).toBe('pods "x" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2');
    await c.delete(Pods, 'quota', 'a', { gracePeriodSeconds: 0 });
    await eventually('quota freed', async () => (await usedOf('quota', 'q'))?.['pods'] === '1');
    await c.create(Pods, pod('x'), { namespace: 'quota' });
  });

  test('concurrent creates cannot pass the limit together', async () => {
    const c = cluster.client;
    await c.create(ResourceQuotas, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'cm' }, spec: { hard: { 'count/configmaps': '5', configmaps: '5' } } }, { namespace: 'counts' });
    await eventually('quota status', async () => (await usedOf('counts', 'cm'))?.['configmaps'] !== undefined);
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) =>
      c.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}` } }, { namespace: 'counts' })));
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(5);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as ApiError).status?.message ?? '');
    expect(refused.length).toBe(7);
    for (const m of refused) expect(m).toMatch(/^configmaps "c\d+" is forbidden: exceeded quota: cm, requested: configmaps=1,count\/configmaps=1, used: configmaps=5,count\/configmaps=5, limited: configmaps=5,count\/configmaps=5$/);
    expect((await usedOf('counts', 'cm'))?.['count/configmaps']).toBe('5');
  });

  test('compute quotas: requests are charged, and a pod without them must specify', async () => {
    const c = cluster.client;
    await c.create(ResourceQuotas, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute' }, spec: { hard: { 'requests.cpu': '1', 'limits.memory': '1Gi' } } }, { namespace: 'compute' });
    await eventually('quota status', async () => (await usedOf('compute', 'compute'))?.['requests.cpu'] === '0');
    const err = await refusal(c.create(Pods, pod('bare'), { namespace: 'compute' }));
    expect(err.status?.message).toBe('pods "bare" is forbidden: failed quota: compute: must specify limits.memory for: c; requests.cpu for: c');
    await c.create(Pods, pod('p1', { requests: { cpu: '600m' }, limits: { memory: '512Mi' } }), { namespace: 'compute' });
    const over = await refusal(c.create(Pods, pod('p2', { requests: { cpu: '500m' }, limits: { memory: '256Mi' } }), { namespace: 'compute' }));
    expect(over.status?.message).toBe('pods "p2" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1');
    expect(await usedOf('compute', 'compute')).toEqual({ 'limits.memory': '512Mi', 'requests.cpu': '600m' });
  });

  test('count/deployments.apps: a kind the quota names is counted, and a delete frees it', async () => {
    const c = cluster.client;
    await c.create(ResourceQuotas, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'deploys' }, spec: { hard: { 'count/deployments.apps': '1' } } }, { namespace: 'apps' });
    await eventually('quota status', async () => (await usedOf('apps', 'deploys'))?.['count/deployments.apps'] === '0');
    const deploy = (name: string): KubeObject => ({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
      spec: { selector: { matchLabels: { a: name } }, template: { metadata: { labels: { a: name } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    await c.create(Deployments, deploy('one'), { namespace: 'apps' });
    const err = await refusal(c.create(Deployments, deploy('two'), { namespace: 'apps' }));
    expect(err.status?.message).toBe('deployments.apps "two" is forbidden: exceeded quota: deploys, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1');
    await c.delete(Deployments, 'apps', 'one');
    await eventually('quota freed', async () => (await usedOf('apps', 'deploys'))?.['count/deployments.apps'] === '0');
    await c.create(Deployments, deploy('two'), { namespace: 'apps' });
  });
});
