/**
 * The whole control loop in one process over real HTTP (test/support's startSimulatedCluster): an API server,
 * three simulated nodes (one agent), the scheduler and every controller. What users see: a 50-replica rolling update stays inside its surge and
 * unavailability bounds and undoes; a failing Job stops at its backoff limit; a node that stops renewing its
 * Lease is tainted and its ReplicaSet pods come back elsewhere; foreground deletion removes pods before their
 * Deployment; a namespace of 1,000 objects is emptied and removed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, startSimulatedCluster, type SimulatedCluster, type TestCluster } from '../../support/cluster.js';
import { Deployments, Namespaces, Nodes, Pods, ConfigMaps } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';

const Jobs = { group: 'batch', version: 'v1', plural: 'jobs', namespaced: true };

let sim: SimulatedCluster;
let c: TestCluster;
let agent: SimulatedCluster['agent'];

type Pod = KubeObject & { spec: { nodeName?: string }; status?: { phase?: string; conditions?: { type: string; status: string }[] } };
const isReady = (p: Pod) => p.status?.phase === 'Running' && !!p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');

beforeAll(async () => {
  sim = await startSimulatedCluster({
    nodes: { count: 3, namePrefix: 'w-', cpu: '32', pods: 110 },
    timing: { sandboxMs: 20, containerStartMs: 30, stopMs: 20, jobRunMs: 100 },
    agent: { leaseRenewIntervalMs: 300 },
    controllers: { options: { nodeMonitorGracePeriodMs: 2000, nodeMonitorPeriodMs: 250 } },
  });
  ({ cluster: c, agent } = sim);
});
afterAll(() => sim?.close());

const deployment = (name: string, replicas: number, image: string, extra: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name, namespace: 'default' },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }], ...extra } },
  },
});

/**
 * Pods of `app` as a watch sees them, for bound checks while something rolls. Availability is counted as the
 * Deployment controller guarantees it: replicas − maxUnavailable is a bound on what its own scale-downs take away,
 * so a live pod that has been Ready counts until it is deleted. A pod losing readiness while live was taken by
 * something else: here the node lifecycle controller, marking the pods of a node whose Lease came late (a stall of
 * this whole process longer than the 2 s grace period, as under parallel load); each such loss must follow its
 * node leaving Ready (else it is `unexplained`).
 */
function podWatcher(app: string) {
  const pods = new Map<string, Pod>();
  const wasReady = new Set<string>();
  const lost: { pod: string; node: string; rv: number }[] = [];
  const nodeDown = new Map<string, number[]>();
  const ac = new AbortController();
  let minAvailable = Infinity;
  let maxTotal = 0;
  let listed: (v: string) => void;
  const listedAt = new Promise<string>((r) => (listed = r));
  const done = (async () => {
    const list = await c.client.list<Pod>(Pods, { namespace: 'default', labelSelector: `app=${app}` });
    listed(list.metadata.resourceVersion!);
    for (const p of list.items) {
      pods.set(p.metadata!.name!, p);
      if (isReady(p)) wasReady.add(p.metadata!.name!);
    }
    for await (const ev of c.client.watch<Pod>(Pods, { namespace: 'default', labelSelector: `app=${app}`, resourceVersion: list.metadata.resourceVersion, signal: ac.signal })) {
      const p = ev.object;
      const name = p.metadata!.name!;
      if (ev.type === 'DELETED') pods.delete(name);
      else if (ev.type !== 'BOOKMARK') {
        const before = pods.get(name);
        if (!p.metadata?.deletionTimestamp) {
          if (isReady(p)) wasReady.add(name);
          else if (before && isReady(before)) lost.push({ pod: name, node: p.spec.nodeName ?? '', rv: Number(p.metadata!.resourceVersion) });
        }
        pods.set(name, p);
      }
      // Pods not being deleted (a terminating one is on its way out, as the Deployment controller counts them).
      const live = [...pods.values()].filter((x) => !x.metadata?.deletionTimestamp);
      maxTotal = Math.max(maxTotal, live.length);
      minAvailable = Math.min(minAvailable, live.filter((x) => isReady(x) || wasReady.has(x.metadata!.name!)).length);
    }
  })().catch(() => {}).finally(() => listed(''));
  // Nodes leaving Ready, by revision, from the pods' list on.
  const nodesDone = (async () => {
    for await (const ev of c.client.watch<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(Nodes, { resourceVersion: await listedAt, signal: ac.signal })) {
      if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') continue;
      if (ev.object.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True') continue;
      const name = ev.object.metadata!.name!;
      nodeDown.set(name, [...(nodeDown.get(name) ?? []), Number(ev.object.metadata!.resourceVersion)]);
    }
  })().catch(() => {});
  return {
    stop: async () => {
      ac.abort();
      await done;
      await nodesDone;
      const unexplained = lost.filter((l) => !(nodeDown.get(l.node) ?? []).some((rv) => rv < l.rv));
      return { minAvailable, maxTotal, unexplained };
    },
  };
}

async function rolledOut(name: string, replicas: number): Promise<KubeObject> {
  return eventually(`${name} rolled out`, async () => {
    const d = await c.client.get<KubeObject & { metadata: { generation: number }; status?: Record<string, number> }>(Deployments, name, 'default');
    const s = d.status ?? {};
    return s.observedGeneration === d.metadata.generation && s.updatedReplicas === replicas && s.replicas === replicas && s.availableReplicas === replicas ? d : null;
  }, 60_000, 100);
}

describe('workloads on simulated nodes', () => {
  test('a 50-replica rolling update (25%/25%) keeps ≥ 38 available and ≤ 63 pods, and undoes', async () => {
    await c.client.create(Deployments, deployment('roll', 50, 'nginx:1.27'));
    await rolledOut('roll', 50);
    const w = podWatcher('roll');
    await new Promise((r) => setTimeout(r, 100));
    await c.client.patch(Deployments, 'default', 'roll', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:1.28' }] } } } }, 'strategic');
    await rolledOut('roll', 50);
    await eventually('old pods gone', async () => (await c.client.list(Pods, { namespace: 'default', labelSelector: 'app=roll' })).items.length === 50, 30_000);
    const { minAvailable, maxTotal, unexplained } = await w.stop();
    expect(unexplained).toEqual([]);
    expect(minAvailable).toBeGreaterThanOrEqual(38);
    expect(maxTotal).toBeLessThanOrEqual(63);
    expect(maxTotal).toBeGreaterThan(50);
    // Undo as kubectl does it: the template of revision 1 back on the Deployment.
    const rsList = await c.client.list<KubeObject & { spec: { template: { spec: { containers: { image: string }[] } } } }>({ group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true }, { namespace: 'default', labelSelector: 'app=roll' });
    const first = rsList.items.find((rs) => rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '1')!;
    expect(first.spec.template.spec.containers[0]!.image).toBe('nginx:1.27');
    await c.client.patch(Deployments, 'default', 'roll', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } } } }, 'strategic');
    const back = await rolledOut('roll', 50);
    expect(back.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
  }, 90_000);

  test('a Job whose simulated pod exits 1 stops at its backoff limit with BackoffLimitExceeded', async () => {
    await c.client.create(Jobs, {
      metadata: { name: 'fails', namespace: 'default' },
      spec: {
        backoffLimit: 0,
        template: { metadata: { annotations: { 'sim.skiff.dev/run-seconds': '0.2', 'sim.skiff.dev/exit-code': '1' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
      },
    });
    const job = await eventually('job failed', async () => {
      const j = await c.client.get<KubeObject & { status?: { failed?: number; conditions?: { type: string; status: string; reason?: string }[] } }>(Jobs, 'fails', 'default');
      return j.status?.conditions?.find((x) => x.type === 'Failed' && x.status === 'True') ? j : null;
    }, 30_000);
    expect(job.status?.conditions?.find((x) => x.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(job.status?.failed).toBe(1);
  });

  test('a node that stops renewing its Lease is tainted, and its ReplicaSet pods are recreated on other nodes after their toleration', async () => {
    const tolerations = [
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 },
    ];
    await c.client.create(Deployments, deployment('spread', 6, 'nginx', { tolerations }));
    await rolledOut('spread', 6);
    const before = (await c.client.list<Pod>(Pods, { namespace: 'default', labelSelector: 'app=spread' })).items;
    const victim = before[0]!.spec.nodeName!;
    const onVictim = before.filter((p) => p.spec.nodeName === victim).map((p) => p.metadata!.name);
    expect(onVictim.length).toBeGreaterThan(0);
    agent.agent.fault(victim, { lease: 'stop' });
    try {
      await eventually('victim tainted', async () => {
        const n = await c.client.get<KubeObject & { spec?: { taints?: { key: string; effect: string }[] } }>({ group: '', version: 'v1', plural: 'nodes', namespaced: false }, victim);
        return n.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute');
      }, 15_000);
      await eventually('pods recreated elsewhere', async () => {
        const pods = (await c.client.list<Pod>(Pods, { namespace: 'default', labelSelector: 'app=spread' })).items.filter((p) => !p.metadata?.deletionTimestamp);
        return pods.length === 6 && pods.every((p) => isReady(p) && p.spec.nodeName !== victim && !onVictim.includes(p.metadata!.name));
      }, 30_000);
    } finally {
      agent.agent.recover(victim);
    }
  }, 60_000);

  test('foreground deletion of a Deployment removes its pods before the Deployment', async () => {
    await c.client.create(Deployments, deployment('fg', 5, 'nginx'));
    await rolledOut('fg', 5);
    await c.client.delete(Deployments, 'default', 'fg', { propagationPolicy: 'Foreground' });
    let polls = 0;
    await eventually('deployment gone', async () => {
      polls++;
      let d: KubeObject;
      try {
        d = await c.client.get(Deployments, 'fg', 'default');
      } catch {
        // Gone: read after it went, so no pod of it may be left.
        expect((await c.client.list(Pods, { namespace: 'default', labelSelector: 'app=fg' })).items).toEqual([]);
        return true;
      }
      expect(d.metadata?.deletionTimestamp).toBeTruthy();
      expect(d.metadata?.finalizers).toContain('foregroundDeletion');
      return false;
    }, 30_000, 20);
    // The Deployment was seen waiting on its finalizer at least once.
    expect(polls).toBeGreaterThan(1);
  });

  test('deleting a namespace that holds 1,000 objects leaves nothing', async () => {
    await c.client.create(Namespaces, { metadata: { name: 'bulk' } });
    await c.client.create(Deployments, { ...deployment('many', 200, 'nginx'), metadata: { name: 'many', namespace: 'bulk' } });
    const creates: Promise<unknown>[] = [];
    for (let i = 0; i < 800; i++) creates.push(c.client.create(ConfigMaps, { metadata: { name: `cm-${i}`, namespace: 'bulk' }, data: { i: String(i) } }));
    await Promise.all(creates);
    await eventually('200 pods', async () => (await c.client.list(Pods, { namespace: 'bulk' })).items.length === 200, 30_000);
    await c.client.delete(Namespaces, undefined, 'bulk');
    await eventually('namespace gone', async () => {
      try {
        await c.client.get(Namespaces, 'bulk');
        return false;
      } catch {
        return true;
      }
    }, 60_000, 100);
    for (const ref of [Pods, ConfigMaps, Deployments]) expect((await c.client.list(ref, { namespace: 'bulk' })).items).toEqual([]);
  }, 90_000);
});
