import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindPod } from '../../../src/client/rest.js';
import { Events, Nodes, Pods, ReplicaSets, ReplicationControllers } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { replicaSetController } from '../../../src/control/controllers/replicaset.js';
import type { ReplicaSetLike } from '../../../src/control/controllers/replicaset-decide.js';
import { replicationControllerController } from '../../../src/control/controllers/replication-controller.js';
import type { Pod } from '../../../src/control/controllers/shared/pod-util.js';
import { startControllerManager, type RunningControllerManager } from '../../../src/control/controllers/start.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';

const NS = 'default';
let cluster: TestCluster;
let cm: RunningControllerManager;
const errors: string[] = [];

beforeAll(async () => {
  cluster = await startTestCluster();
  cm = await startControllerManager({
    client: cluster.newClient('controller-manager'),
    available: [replicaSetController, replicationControllerController],
    controllers: ['replicaset', 'replicationcontroller'],
    leaderElect: false,
    onError: (err, c) => errors.push(`${c}: ${String(err)}`),
  });
  await cm.ready;
  await cluster.client.create(Nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
  await cluster.client.create(Nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' } });
});

afterAll(async () => {
  await cm?.stop();
  await cluster?.close();
});

const c = () => cluster.client;

function rsObject(name: string, replicas: number, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      ...extra,
    },
  };
}

async function podsOf(app: string): Promise<Pod[]> {
  const list = await c().list<Pod>(Pods, { namespace: NS, labelSelector: `app=${app}` });
  return list.items;
}
const live = (pods: Pod[]): Pod[] => pods.filter((p) => !p.metadata?.deletionTimestamp);

async function waitForPods(app: string, n: number): Promise<Pod[]> {
  return eventually(`${n} pods of ${app}`, async () => {
    const pods = live(await podsOf(app));
    return pods.length === n ? pods : undefined;
  });
}

async function markRunning(pod: Pod, ready: boolean, since = new Date()): Promise<void> {
  await c().patch(Pods, NS, pod.metadata!.name!, {
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: since.toISOString().replace(/\.\d{3}Z$/, 'Z') }] },
  }, 'merge', { subresource: 'status' });
}

const scale = (name: string, replicas: number) => c().patch(ReplicaSets, NS, name, { spec: { replicas } });

describe('ReplicaSet controller', () => {
  it('creates the replicas with controller references and SuccessfulCreate events', async () => {
    const rs = await c().create<ReplicaSetLike>(ReplicaSets, rsObject('web', 3));
    const pods = await waitForPods('web', 3);
    for (const p of pods) {
      expect(p.metadata?.generateName).toBe('web-');
      expect(p.metadata?.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(p.metadata?.ownerReferences).toEqual([
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata!.uid, controller: true, blockOwnerDeletion: true },
      ]);
    }
    const events = await eventually('3 SuccessfulCreate events', async () => {
      const evs = (await c().list(Events, { namespace: NS })).items.filter((e) => (e as { reason?: string }).reason === 'SuccessfulCreate' && (e as { involvedObject: { name: string } }).involvedObject.name === 'web');
      return evs.length === 3 ? evs : undefined;
    });
    const messages = events.map((e) => (e as { message?: string }).message).sort();
    expect(messages).toEqual(pods.map((p) => `Created pod: ${p.metadata!.name}`).sort());
    expect((events[0] as { source?: { component?: string } }).source?.component).toBe('replicaset-controller');
    const status = await eventually('status replicas 3', async () => {
      const cur = await c().get<ReplicaSetLike>(ReplicaSets, 'web', NS);
      return cur.status?.replicas === 3 && cur.status.observedGeneration === cur.metadata?.generation ? cur.status : undefined;
    });
    expect(status).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 0, availableReplicas: 0 });
  });

  it('replaces a deleted pod', async () => {
    const before = await waitForPods('web', 3);
    const victim = before[0]!.metadata!.name!;
    await c().delete(Pods, NS, victim);
    const after = await eventually('a replacement pod', async () => {
      const pods = live(await podsOf('web'));
      return pods.length === 3 && !pods.some((p) => p.metadata?.name === victim) ? pods : undefined;
    });
    expect(after.map((p) => p.metadata?.name)).not.toContain(victim);
  });

  it('counts ready and available replicas after pods report Running and Ready', async () => {
    await c().create(ReplicaSets, rsObject('counted', 3, { minReadySeconds: 1 }));
    const pods = await waitForPods('counted', 3);
    await bindPod(c(), { namespace: NS, name: pods[0]!.metadata!.name! }, 'n1');
    await markRunning(pods[0]!, true, new Date(Date.now() - 60_000));
    await markRunning(pods[1]!, true); // ready just now: not available before minReadySeconds
    await markRunning(pods[2]!, false);
    const early = await eventually('ready 2', async () => {
      const s = (await c().get<ReplicaSetLike>(ReplicaSets, 'counted', NS)).status;
      return s?.readyReplicas === 2 ? s : undefined;
    });
    expect(early).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 2 });
    expect(early.availableReplicas).toBeLessThanOrEqual(2);
    // After minReadySeconds the second pod counts as available: the pod-ready requeue, with no other event.
    await eventually('available 2', async () => (await c().get<ReplicaSetLike>(ReplicaSets, 'counted', NS)).status?.availableReplicas === 2, 5000);
  });

  it('scales down deleting unassigned, then not-ready pods first', async () => {
    await c().create(ReplicaSets, rsObject('shrink', 4));
    const pods = await waitForPods('shrink', 4);
    const [a, b, cc, d] = pods;
    // a: unassigned; b: bound, Pending; c: bound, Running not ready; d: bound, Running and ready.
    for (const p of [b!, cc!, d!]) await bindPod(c(), { namespace: NS, name: p.metadata!.name! }, 'n1');
    await markRunning(cc!, false);
    await markRunning(d!, true, new Date(Date.now() - 3_600_000));
    await eventually('ready 1', async () => (await c().get<ReplicaSetLike>(ReplicaSets, 'shrink', NS)).status?.readyReplicas === 1);
    await scale('shrink', 3);
    let left = await waitForPods('shrink', 3);
    expect(left.map((p) => p.metadata?.name)).not.toContain(a!.metadata!.name);
    await scale('shrink', 2);
    left = await waitForPods('shrink', 2);
    expect(left.map((p) => p.metadata?.name).sort()).toEqual([cc!.metadata!.name, d!.metadata!.name].sort());
    await scale('shrink', 1);
    left = await waitForPods('shrink', 1);
    expect(left[0]!.metadata?.name).toBe(d!.metadata!.name);
  });

  it('adopts a matching orphan and releases a relabelled pod', async () => {
    // An orphan first: with 2 replicas wanted and the orphan present, only one more pod is created.
    // It has a non-controller owner, which adoption and release must leave in place (merge by uid).
    const bystander = { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: '00000000-0000-0000-0000-0000000000cc' };
    await c().create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', namespace: NS, labels: { app: 'adopt' }, ownerReferences: [bystander] }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    const rs = await c().create<ReplicaSetLike>(ReplicaSets, rsObject('adopt', 2));
    const pods = await waitForPods('adopt', 2);
    const stray = await eventually('the orphan adopted', async () => {
      const p = await c().get<Pod>(Pods, 'stray', NS);
      return p.metadata?.ownerReferences?.some((r) => r.uid === rs.metadata!.uid && r.controller) ? p : undefined;
    });
    expect(stray.metadata?.ownerReferences).toHaveLength(2);
    expect(stray.metadata?.ownerReferences).toEqual(expect.arrayContaining([
      bystander,
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'adopt', uid: rs.metadata!.uid, controller: true, blockOwnerDeletion: true },
    ]));
    expect(pods.map((p) => p.metadata?.name)).toContain('stray');

    // Relabel it out of the selector: released (owner reference removed) and replaced.
    await c().patch(Pods, NS, 'stray', { metadata: { labels: { app: 'elsewhere' } } });
    await eventually('the relabelled pod released', async () => {
      const p = await c().get<Pod>(Pods, 'stray', NS);
      return !(p.metadata?.ownerReferences ?? []).some((r) => r.controller) ? p : undefined;
    }).then((p) => expect(p.metadata?.ownerReferences).toEqual([bystander]));
    const replaced = await waitForPods('adopt', 2);
    expect(replaced.map((p) => p.metadata?.name)).not.toContain('stray');
  });

  it('does not adopt pods owned by another controller', async () => {
    await c().create(Pods, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'owned-elsewhere', namespace: NS, labels: { app: 'keepout' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'other', uid: '00000000-0000-0000-0000-000000000001', controller: true }] },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    });
    await c().create(ReplicaSets, rsObject('keepout', 1));
    const pods = await eventually('one own pod', async () => {
      const ps = live(await podsOf('keepout'));
      return ps.length === 2 ? ps : undefined;
    });
    const other = pods.find((p) => p.metadata?.name === 'owned-elsewhere')!;
    expect(other.metadata?.ownerReferences?.[0]?.uid).toBe('00000000-0000-0000-0000-000000000001');
  });

  it('never creates twice under an event burst (scale 0 → 50)', async () => {
    await c().create(ReplicaSets, rsObject('burst', 0));
    await eventually('observed', async () => (await c().get<ReplicaSetLike>(ReplicaSets, 'burst', NS)).status?.observedGeneration === 1);
    await scale('burst', 50);
    await waitForPods('burst', 50);
    // Let every create's event and the resulting syncs settle, then count again.
    await eventually('status 50', async () => (await c().get<ReplicaSetLike>(ReplicaSets, 'burst', NS)).status?.replicas === 50);
    await new Promise((r) => setTimeout(r, 300));
    expect(live(await podsOf('burst'))).toHaveLength(50);
    expect(await podsOf('burst')).toHaveLength(50);
  });

  it('runs ReplicationControllers with the same logic (selector defaulted from the template)', async () => {
    const rc = await c().create<ReplicaSetLike>(ReplicationControllers, {
      apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'legacy', namespace: NS },
      spec: { replicas: 2, template: { metadata: { labels: { app: 'legacy' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    expect(rc.spec?.selector).toEqual({ app: 'legacy' });
    const pods = await waitForPods('legacy', 2);
    expect(pods[0]!.metadata?.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'ReplicationController', name: 'legacy', uid: rc.metadata!.uid, controller: true, blockOwnerDeletion: true },
    ]);
    await markRunning(pods[0]!, true);
    await eventually('rc status', async () => {
      const s = (await c().get<ReplicaSetLike>(ReplicationControllers, 'legacy', NS)).status;
      return s?.replicas === 2 && s.readyReplicas === 1 && s.availableReplicas === 1 && s.observedGeneration === 1;
    });
    await c().patch(ReplicationControllers, NS, 'legacy', { spec: { replicas: 1 } });
    const left = await waitForPods('legacy', 1);
    expect(left[0]!.metadata?.name).toBe(pods[0]!.metadata?.name);
    const ev = await eventually('SuccessfulDelete from replication-controller', async () =>
      (await c().list(Events, { namespace: NS })).items.find((e) => (e as { reason?: string }).reason === 'SuccessfulDelete' && (e as { involvedObject: { name: string } }).involvedObject.name === 'legacy'));
    expect(ev).toMatchObject({ message: `Deleted pod: ${pods[1]!.metadata?.name}`, source: { component: 'replication-controller' } });
  });

  it('reports no sync errors', () => {
    expect(errors).toEqual([]);
  });
});
