/**
 * An upgrade over a data dir written before Skiff mirrored PodSpec's deprecated serviceAccount: a Deployment, its
 * ReplicaSet, a StatefulSet, its ControllerRevision and their pods are stored without the alias (as the old data
 * dir holds them); a new server reads them with it, and scaling either workload rolls no pod (no new ReplicaSet,
 * no new revision), as a stock cluster whose stored objects gain it by conversion on read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerRevisions, Deployments, Pods, ReplicaSets, StatefulSets } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { startControllerManager, type RunningControllerManager } from '../../../src/control/controllers/start.js';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';

const NS = 'default';
const store = new MemoryStore();
const errors: string[] = [];

type Running = { cluster: TestCluster; controllers: (names?: string[]) => Promise<void>; stop: () => Promise<void> };

/** A server on `store`, and on demand the workload controllers and a loop playing the kubelet (pods Running and Ready). */
async function start(): Promise<Running> {
  const cluster = await startTestCluster({ store });
  let cm: RunningControllerManager | undefined;
  let stopped = false;
  let loop: Promise<void> = Promise.resolve();
  const kubeletLoop = async (): Promise<void> => {
    const kubelet = cluster.newClient('fake-kubelet');
    while (!stopped) {
      try {
        for (const p of (await kubelet.list(Pods, { namespace: NS })).items) {
          const st = p.status as { conditions?: { type: string; status: string }[] } | undefined;
          if (p.metadata?.deletionTimestamp || st?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
          const t = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
          await kubelet.patch(Pods, NS, p.metadata!.name!, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: t }] } }, 'merge', { subresource: 'status' }).catch(() => {});
        }
      } catch {
        // the server is going away
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  };
  return {
    cluster,
    async controllers(names = ['deployment', 'replicaset', 'statefulset']) {
      cm = await startControllerManager({
        client: cluster.newClient('controller-manager'),
        controllers: names,
        leaderElect: false,
        onError: (err, c) => errors.push(`${c}: ${String(err)}`),
      });
      await cm.ready;
      loop = kubeletLoop();
    },
    async stop() {
      stopped = true;
      await loop;
      await cm?.stop();
      await cluster.close();
    },
  };
}

const template = (app: string) => ({
  metadata: { labels: { app } },
  spec: { serviceAccountName: 'default', containers: [{ name: 'c', image: 'nginx:1' }], terminationGracePeriodSeconds: 0 },
});

type Rec = Record<string, unknown>;
const at = (o: unknown, path: string[]): Rec | undefined => {
  let v = o;
  for (const p of path) v = v && typeof v === 'object' ? (v as Rec)[p] : undefined;
  return v && typeof v === 'object' ? (v as Rec) : undefined;
};

/** Rewrites every stored object under `prefix` without the alias at `path`, as a Skiff before the alias stored it. */
async function stripAlias(prefix: string, path: string[]): Promise<number> {
  let n = 0;
  for (const kv of (await store.list(prefix)).items) {
    const obj = JSON.parse(Buffer.from(kv.value).toString('utf8')) as KubeObject;
    const spec = at(obj, path);
    if (!spec || spec.serviceAccount === undefined) continue;
    delete spec.serviceAccount;
    const res = await store.update(kv.key, Buffer.from(JSON.stringify(obj)), kv.modRevision);
    expect(res.ok).toBe(true);
    n++;
  }
  return n;
}

const uids = (pods: KubeObject[]) => pods.map((p) => p.metadata?.uid).sort();
let read: { deployment: unknown; cachedRs: unknown; revision: unknown; exactPods: unknown[] };
let before: { generation: number | undefined; rs: string; podUids: (string | undefined)[]; revs: string[]; current: string; stsUids: (string | undefined)[] };
let second: Running;

beforeAll(async () => {
  const first = await start();
  await first.controllers();
  const c = first.cluster.client;
  await c.create(Deployments, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: NS }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: template('web') } });
  await c.create(StatefulSets, { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: NS }, spec: { replicas: 2, serviceName: 'db', podManagementPolicy: 'Parallel', selector: { matchLabels: { app: 'db' } }, template: template('db') } });
  await eventually('deployment available', async () => {
    const d = await c.get<KubeObject & { status?: { availableReplicas?: number } }>(Deployments, 'web', NS);
    return d.status?.availableReplicas === 2;
  });
  await eventually('statefulset ready', async () => {
    const s = await c.get<KubeObject & { status?: { readyReplicas?: number; currentRevision?: string } }>(StatefulSets, 'db', NS);
    return s.status?.readyReplicas === 2 && !!s.status.currentRevision;
  });
  await first.stop();

  // The data dir as a Skiff before the alias left it.
  expect(await stripAlias('/registry/apps/deployments/', ['spec', 'template', 'spec'])).toBe(1);
  expect(await stripAlias('/registry/apps/replicasets/', ['spec', 'template', 'spec'])).toBe(1);
  expect(await stripAlias('/registry/apps/statefulsets/', ['spec', 'template', 'spec'])).toBe(1);
  expect(await stripAlias('/registry/apps/controllerrevisions/', ['data', 'spec', 'template', 'spec'])).toBe(1);
  expect(await stripAlias('/registry/pods/', ['spec'])).toBe(4);

  second = await start();
  const c2 = second.cluster.client;
  const rss = (await c2.list(ReplicaSets, { namespace: NS })).items;
  const sts = await c2.get<KubeObject & { status?: { currentRevision?: string } }>(StatefulSets, 'db', NS);
  before = {
    generation: (await c2.get(Deployments, 'web', NS)).metadata?.generation,
    rs: rss.map((r) => r.metadata!.name!).join(),
    podUids: uids((await c2.list(Pods, { namespace: NS, labelSelector: 'app=web' })).items),
    revs: (await c2.list(ControllerRevisions, { namespace: NS })).items.map((r) => r.metadata!.name!),
    current: sts.status!.currentRevision!,
    stsUids: uids((await c2.list(Pods, { namespace: NS, labelSelector: 'app=db' })).items),
  };
  // Read before anything writes them again: a get from storage, the watch cache's first list, a storage list.
  const cached = await c2.list(ReplicaSets, { namespace: NS, resourceVersion: '0' });
  const exact = await c2.list(Pods, { namespace: NS, resourceVersion: cached.metadata!.resourceVersion!, resourceVersionMatch: 'Exact' });
  read = {
    deployment: at(await c2.get(Deployments, 'web', NS), ['spec', 'template', 'spec'])?.serviceAccount,
    cachedRs: at(cached.items[0], ['spec', 'template', 'spec'])?.serviceAccount,
    revision: at(await c2.get(ControllerRevisions, before.revs[0]!, NS), ['data', 'spec', 'template', 'spec'])?.serviceAccount,
    exactPods: exact.items.map((p) => at(p, ['spec'])?.serviceAccount),
  };
  // Labelled (kubectl label: written again, so defaulted again) before the controllers come back (an API server
  // upgraded first): the ReplicaSet and the revision are still as the old data dir holds them, and the change is
  // no scaling event, so the Deployment controller compares templates to find its new ReplicaSet. (A scale alone
  // does not show it: the controller scales the one active ReplicaSet, whose write then gives it the alias.)
  await c2.patch(Deployments, NS, 'web', { metadata: { labels: { upgraded: 'yes' } } }, 'merge');
  await c2.patch(StatefulSets, NS, 'db', { metadata: { labels: { upgraded: 'yes' } } }, 'merge');
  // Without the ReplicaSet controller, whose status writes would store the ReplicaSet again (with the alias)
  // before the Deployment controller compares templates.
  await second.controllers(['deployment', 'statefulset']);
}, 60_000);

afterAll(async () => {
  await second?.stop();
  await store.close();
});

describe('objects stored before the serviceAccount alias', () => {
  it('are read with it: from storage, into the watch cache, in a storage list sent as stored', () => {
    expect(read.deployment).toBe('default');
    expect(read.cachedRs).toBe('default');
    // A revision's data is kept as recorded (upstream keeps it raw): not converted on read.
    expect(read.revision).toBeUndefined();
    expect(read.exactPods).toEqual(['default', 'default', 'default', 'default']);
  });

  it('a Deployment written again keeps its ReplicaSet and generation: no new ReplicaSet, no pod replaced', async () => {
    const c = second.cluster.client;
    await eventually('deployment observed', async () => {
      const d = await c.get<KubeObject & { status?: { observedGeneration?: number } }>(Deployments, 'web', NS);
      return d.status?.observedGeneration === d.metadata?.generation && d.metadata?.labels?.['upgraded'] === 'yes';
    });
    await new Promise((r) => setTimeout(r, 500)); // time for a rollout to begin, if one were due
    const d = await c.get(Deployments, 'web', NS);
    expect(d.metadata?.generation).toBe(before.generation);
    expect((await c.list(ReplicaSets, { namespace: NS })).items.map((r) => r.metadata!.name!).join()).toBe(before.rs);
    const now = uids((await c.list(Pods, { namespace: NS, labelSelector: 'app=web' })).items.filter((p) => !p.metadata?.deletionTimestamp));
    expect(now).toEqual(before.podUids);
  });

  it('a StatefulSet written again keeps its revision and pods', async () => {
    const c = second.cluster.client;
    const s = await eventually('statefulset observed', async () => {
      const x = await c.get<KubeObject & { status?: { observedGeneration?: number; currentRevision?: string; updateRevision?: string } }>(StatefulSets, 'db', NS);
      return x.status?.observedGeneration === x.metadata?.generation ? x : undefined;
    });
    await new Promise((r) => setTimeout(r, 500));
    const x = await c.get<typeof s>(StatefulSets, 'db', NS);
    expect(x.status?.updateRevision).toBe(before.current);
    expect(x.status?.currentRevision).toBe(before.current);
    expect((await c.list(ControllerRevisions, { namespace: NS })).items.map((r) => r.metadata!.name!)).toEqual(before.revs);
    const now = uids((await c.list(Pods, { namespace: NS, labelSelector: 'app=db' })).items.filter((p) => !p.metadata?.deletionTimestamp));
    expect(now).toEqual(before.stsUids);
    expect(errors).toEqual([]);
  });
});
