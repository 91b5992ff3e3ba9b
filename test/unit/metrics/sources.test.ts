import { describe, expect, test } from 'vitest';
import { nodeMetricsSource, podMetricsSource, type MetricsObjects } from '../../../src/control/api/metrics/sources.js';
import type { NodeUsage } from '../../../src/dataplane/kubelet/types.js';
import type { KubeObject } from '../../../src/client/types.js';
import { ApiError } from '../../../src/control/api/status.js';

const nodes: KubeObject[] = [
  { metadata: { name: 'n2', labels: { pool: 'b' } } },
  { metadata: { name: 'n1', labels: { pool: 'a' } } },
  { metadata: { name: 'n3', labels: { pool: 'a' } } },
];
const pod = (ns: string, name: string, nodeName: string, phase = 'Running', uid = `${ns}-${name}`, labels: Record<string, string> = {}): KubeObject =>
  ({ metadata: { namespace: ns, name, uid, labels }, spec: { nodeName }, status: { phase } });
const pods: KubeObject[] = [
  pod('b', 'z', 'n1', 'Running', 'b-z', { tier: 'db' }),
  pod('a', 'y', 'n1', 'Running', 'a-y', { tier: 'web' }),
  pod('a', 'x', 'n2'),
  pod('a', 'pending', 'n1', 'Pending'),
  pod('a', 'recreated', 'n1', 'Running', 'new-uid'),
  pod('a', 'moved', 'n2'),
];

const container = (name: string, cpu: number) => ({ name, cpuNanoCores: cpu, memoryBytes: 1024 * 1024 });
const reports: Record<string, NodeUsage> = {
  n1: {
    nodeName: 'n1', timestamp: 0, windowSeconds: 15, cpuNanoCores: 1e9, memoryBytes: 1024 ** 3,
    pods: [
      { namespace: 'b', name: 'z', uid: 'b-z', containers: [container('db', 2e6)] },
      { namespace: 'a', name: 'y', uid: 'a-y', containers: [container('web', 1e6)] },
      { namespace: 'a', name: 'pending', uid: 'a-pending', containers: [container('c', 1)] },
      { namespace: 'a', name: 'recreated', uid: 'old-uid', containers: [container('c', 1)] },
      // The API says a/moved runs on n2: a stale report from n1 does not count.
      { namespace: 'a', name: 'moved', uid: 'a-moved', containers: [container('c', 1)] },
    ],
  },
  n2: { nodeName: 'n2', timestamp: 0, windowSeconds: 15, cpuNanoCores: 5e8, memoryBytes: 1024 ** 3, pods: [{ namespace: 'a', name: 'x', uid: '', containers: [container('x', 3e6)] }] },
};

const objects: MetricsObjects = {
  nodes: async () => nodes,
  node: async (name) => nodes.find((n) => n.metadata?.name === name),
  pods: async (ns) => pods.filter((p) => ns === undefined || p.metadata?.namespace === ns),
  pod: async (ns, name) => pods.find((p) => p.metadata?.namespace === ns && p.metadata?.name === name),
};
const asked: string[][] = [];
const deps = {
  objects,
  usage: {
    usageOf: async (ns: readonly KubeObject[]) => {
      asked.push(ns.map((n) => n.metadata!.name!));
      return new Map(ns.flatMap((n) => (reports[n.metadata!.name!] ? [[n.metadata!.name!, reports[n.metadata!.name!]!] as const] : [])));
    },
  },
  now: () => new Date('2026-01-01T00:00:00Z'),
};

const names = (items: KubeObject[]) => items.map((i) => (i.metadata?.namespace ? `${i.metadata.namespace}/${i.metadata.name}` : i.metadata?.name));
const rejection = async (p: Promise<unknown>) => {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  return { code: (err as ApiError).code, message: (err as ApiError).message };
};

describe('NodeMetrics source', () => {
  const src = nodeMetricsSource(deps);
  test('list: nodes with figures, sorted, filtered by node labels and metadata.name', async () => {
    expect(names(await src.list(undefined, {}))).toEqual(['n1', 'n2']);
    expect(names(await src.list(undefined, { labelSelector: 'pool=a' }))).toEqual(['n1']);
    expect(names(await src.list(undefined, { fieldSelector: 'metadata.name!=n1' }))).toEqual(['n2']);
    // metrics-server matches the ObjectMeta field set only.
    expect(names(await src.list(undefined, { fieldSelector: 'spec.unschedulable=false' }))).toEqual([]);
  });
  test('get: the metrics, else the lister\'s or metrics-server\'s NotFound', async () => {
    expect((await src.get(undefined, 'n2'))['usage']).toEqual({ cpu: '500m', memory: '1Gi' });
    expect(await rejection(src.get(undefined, 'n3'))).toEqual({ code: 404, message: 'nodemetrics.metrics.k8s.io "n3" not found' });
    expect(await rejection(src.get(undefined, 'nope'))).toEqual({ code: 404, message: 'node "nope" not found' });
  });
});

describe('PodMetrics source', () => {
  const src = podMetricsSource(deps);
  test('list: Running pods of the namespace whose node reported them, same uid, sorted', async () => {
    expect(names(await src.list('a', {}))).toEqual(['a/x', 'a/y']);
    expect(names(await src.list(undefined, {}))).toEqual(['a/x', 'a/y', 'b/z']);
    expect(names(await src.list(undefined, { labelSelector: 'tier in (db)' }))).toEqual(['b/z']);
    expect(names(await src.list(undefined, { fieldSelector: 'metadata.namespace=b' }))).toEqual(['b/z']);
  });
  test('asks only for the nodes of the selected pods', async () => {
    asked.length = 0;
    await src.list('b', {});
    expect(asked).toEqual([['n1']]);
  });
  test('get: figures, or podmetrics "ns/name" not found; a missing pod is the pods lister\'s NotFound', async () => {
    expect((await src.get('a', 'y'))['containers']).toEqual([{ name: 'web', usage: { cpu: '1m', memory: '1Mi' } }]);
    for (const name of ['pending', 'recreated', 'moved']) {
      expect(await rejection(src.get('a', name))).toEqual({ code: 404, message: `podmetrics.metrics.k8s.io "a/${name}" not found` });
    }
    expect(await rejection(src.get('a', 'ghost'))).toEqual({ code: 404, message: 'pods "ghost" not found' });
  });
});
