/**
 * End to end: the API server on 127.0.0.1 (memory store), Node objects created through the API (no kubelet),
 * the scheduler talking HTTP to it through src/client. Run once per core.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AddressInfo } from 'node:net';
import { buildServer, type ApiServer } from '../../../src/control/api/server.js';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { RestClient } from '../../../src/client/rest.js';
import { Events, Namespaces, Nodes, Pods, ReplicaSets, Services } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { startScheduler, type CoreKind, type RunningScheduler } from '../../../src/control/scheduler/start.js';

const node = (name: string, cpu: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
  spec: {},
  status: {
    capacity: { cpu, memory: '32Gi', pods: '110' },
    allocatable: { cpu, memory: '32Gi', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready' }],
  },
});

const pod = (name: string, cpu: string, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'e2e' },
  spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu, memory: '100Mi' } } }], ...spec },
});

async function eventually<T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const nodeNameOf = (p: KubeObject): string | undefined => (p.spec as { nodeName?: string }).nodeName;

describe.each(['reference', 'wasm'] as CoreKind[])('scheduler end to end (%s core)', (core) => {
  let server: ApiServer;
  let client: RestClient;
  let running: RunningScheduler;

  beforeAll(async () => {
    server = await buildServer({ store: new MemoryStore() });
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (server.app.server.address() as AddressInfo).port;
    client = new RestClient({ server: `http://127.0.0.1:${port}` });
    await client.create(Namespaces, { metadata: { name: 'e2e' } });
    await client.create(Nodes, node('small', '1'));
    await client.create(Nodes, node('big', '8'));
    await client.create(Nodes, node('ssd', '4', { disk: 'ssd' }));
    running = await startScheduler({ client: new RestClient(client.config), core, seed: 1, onError: () => {} });
    expect(await running.ready).toBe(true);
  });

  afterAll(async () => {
    await running?.stop();
    client?.close();
    await server?.close();
  });

  const get = (name: string): Promise<KubeObject> => client.get(Pods, name, 'e2e');

  test('pods bind where the core places them: selector to the labelled node, a large pod to the roomiest', async () => {
    await client.create(Pods, pod('to-ssd', '500m', { nodeSelector: { disk: 'ssd' } }));
    await client.create(Pods, pod('large', '3'));
    const a = await eventually('to-ssd bound', async () => nodeNameOf(await get('to-ssd')));
    const b = await eventually('large bound', async () => nodeNameOf(await get('large')));
    expect(a).toBe('ssd');
    // Only "big" (8 CPU) and "ssd" (4 CPU, 0.5 used) fit 3 CPU; LeastAllocated and BalancedAllocation favour big.
    expect(b).toBe('big');
    const bound = await get('large');
    expect((bound.status as { conditions?: { type: string; status: string }[] }).conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'PodScheduled', status: 'True' })]),
    );
    const scheduled = await eventually('Scheduled event', async () =>
      (await client.list(Events, { namespace: 'e2e' })).items.find(
        (e) => e.reason === 'Scheduled' && (e.involvedObject as { name: string }).name === 'large',
      ),
    );
    expect(scheduled.message).toBe('Successfully assigned e2e/large to big');
    expect(scheduled.type).toBe('Normal');
  });

  test('an unschedulable pod carries upstream’s message as event and PodScheduled=False; a fitting node schedules it', async () => {
    await client.create(Pods, pod('huge', '16'));
    const msg =
      '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
    const ev = await eventually('FailedScheduling event', async () =>
      (await client.list(Events, { namespace: 'e2e' })).items.find(
        (e) => e.reason === 'FailedScheduling' && (e.involvedObject as { name: string }).name === 'huge',
      ),
    );
    expect(ev.message).toBe(msg);
    expect(ev.type).toBe('Warning');
    const cond = await eventually('PodScheduled=False', async () =>
      ((await get('huge')).status as { conditions?: { type: string; status: string; reason?: string; message?: string }[] }).conditions?.find(
        (c) => c.type === 'PodScheduled' && c.status === 'False',
      ),
    );
    expect(cond).toMatchObject({ reason: 'Unschedulable', message: msg });
    expect(nodeNameOf(await get('huge'))).toBeUndefined();

    await client.create(Nodes, node('huge-node', '32'));
    expect(await eventually('huge bound', async () => nodeNameOf(await get('huge')), 15_000)).toBe('huge-node');
  });

  test('pods for another scheduler are left alone', async () => {
    await client.create(Pods, pod('not-mine', '100m', { schedulerName: 'someone-else' }));
    await client.create(Pods, pod('mine-after', '100m'));
    await eventually('mine-after bound', async () => nodeNameOf(await get('mine-after')));
    expect(nodeNameOf(await get('not-mine'))).toBeUndefined();
  });
});

describe.each(['reference', 'wasm'] as CoreKind[])('system default spreading end to end (%s core)', (core) => {
  let server: ApiServer;
  let client: RestClient;
  let running: RunningScheduler;
  const labelled = (name: string, labels: Record<string, string>, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject => {
    const p = pod(name, '100m', spec);
    return { ...p, metadata: { ...p.metadata, labels, ...meta } };
  };

  beforeAll(async () => {
    server = await buildServer({ store: new MemoryStore() });
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (server.app.server.address() as AddressInfo).port;
    client = new RestClient({ server: `http://127.0.0.1:${port}` });
    await client.create(Namespaces, { metadata: { name: 'e2e' } });
    // Two roomy nodes in z1, a small one in z2: resource scores alone prefer z1.
    await client.create(Nodes, node('z1-a', '8', { 'topology.kubernetes.io/zone': 'z1' }));
    await client.create(Nodes, node('z1-b', '8', { 'topology.kubernetes.io/zone': 'z1' }));
    const small = node('z2-a', '2', { 'topology.kubernetes.io/zone': 'z2' });
    const st = small.status as { capacity: Record<string, string>; allocatable: Record<string, string> };
    st.capacity.memory = st.allocatable.memory = '4Gi';
    await client.create(Nodes, small);
    // Pods already bound: one web pod in z1-a, one cache pod in z1-b.
    await client.create(Pods, labelled('web-0', { app: 'web' }, { nodeName: 'z1-a' }));
    await client.create(Pods, labelled('cache-0', { tier: 'cache' }, { nodeName: 'z1-b' }));
    await client.create(Services, {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'e2e' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    await client.create(ReplicaSets, {
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'cache', namespace: 'e2e' },
      spec: {
        replicas: 0, selector: { matchLabels: { tier: 'cache' } },
        template: { metadata: { labels: { tier: 'cache' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      },
    });
    running = await startScheduler({ client: new RestClient(client.config), core, seed: 3, onError: () => {} });
    expect(await running.ready).toBe(true);
  });

  afterAll(async () => {
    await running?.stop();
    client?.close();
    await server?.close();
  });

  const boundTo = async (p: KubeObject): Promise<string> => {
    await client.create(Pods, p);
    const name = p.metadata!.name!;
    return eventually(`${name} bound`, async () => nodeNameOf(await client.get(Pods, name, 'e2e')));
  };

  test('pods a Service or their ReplicaSet selects spread away from their peers; others follow resources', async () => {
    // Nothing selects this pod: no default constraints, so the roomier z1 nodes win.
    expect(await boundTo(labelled('plain', { app: 'other' }))).not.toBe('z2-a');
    // Owned by ReplicaSet "cache" (selector tier=cache); its own labels (with the hash) match no bound pod.
    const rs = await client.get(ReplicaSets, 'cache', 'e2e');
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'cache', uid: rs.metadata!.uid, controller: true };
    expect(await boundTo(labelled('cache-1', { tier: 'cache', 'pod-template-hash': 'h1' }, {}, { ownerReferences: [owner] }))).toBe('z2-a');
    // Selected by Service "web" (app=web): web-0 sits in z1.
    expect(await boundTo(labelled('web-1', { app: 'web' }))).toBe('z2-a');
  });
});
