/**
 * The Deployment controller with the ReplicaSet controller on a real API server, driven by kubectl 1.32 as a
 * user would: create, set image, rollout status/history/undo/pause/resume/restart, scale, and Recreate. No
 * nodes: a poller plays the kubelet and marks every pod Running and Ready.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deployments, Events, Pods, ReplicaSets } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import type { Deployment, ReplicaSet } from '../../../src/control/controllers/deployment/types.js';
import { startControllerManager, type RunningControllerManager } from '../../../src/control/controllers/start.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';

const run = promisify(execFile);
const KUBECTL = '/usr/bin/kubectl';
const NS = 'default';
let cluster: TestCluster;
let cm: RunningControllerManager;
const errors: string[] = [];
let stopReadier = false;
let readier: Promise<void> = Promise.resolve();

/** Plays the kubelet: every pod that is not Ready becomes Running and Ready. */
async function readyLoop(): Promise<void> {
  const client = cluster.newClient('fake-kubelet');
  while (!stopReadier) {
    try {
      const pods = await client.list(Pods, { namespace: NS });
      for (const p of pods.items) {
        const st = p.status as { conditions?: { type: string; status: string }[] } | undefined;
        if (p.metadata?.labels?.['stuck'] === 'true') continue; // pods that never become ready
        if (p.metadata?.deletionTimestamp || st?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
        const t = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
        await client
          .patch(Pods, NS, p.metadata!.name!, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: t }] } }, 'merge', { subresource: 'status' })
          .catch(() => {});
      }
    } catch {
      // the server is going away
    }
    await new Promise((r) => setTimeout(r, 30));
  }
}

beforeAll(async () => {
  cluster = await startTestCluster();
  cm = await startControllerManager({
    client: cluster.newClient('controller-manager'),
    controllers: ['deployment', 'replicaset'],
    leaderElect: false,
    onError: (err, c) => errors.push(`${c}: ${String(err)}`),
  });
  await cm.ready;
  readier = readyLoop();
});

afterAll(async () => {
  stopReadier = true;
  await readier;
  await cm?.stop();
  await cluster?.close();
});

const c = () => cluster.client;
const kubectl = (...args: string[]) => run(KUBECTL, ['--kubeconfig', cluster.kubeconfig, '-n', NS, ...args], { timeout: 60_000 });

function deployment(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
      ...spec,
    },
  };
}

const getD = (name: string) => c().get<Deployment>(Deployments, name, NS);
async function rsOf(name: string): Promise<ReplicaSet[]> {
  const list = await c().list<ReplicaSet>(ReplicaSets, { namespace: NS, labelSelector: `app=${name}` });
  return list.items;
}
const rev = (o: { metadata: { annotations?: Record<string, string> } }) => o.metadata.annotations?.['deployment.kubernetes.io/revision'];
const imageOf = (rs: ReplicaSet) => ((rs.spec.template?.spec?.containers as { image: string }[])[0]!).image;

async function complete(name: string): Promise<Deployment> {
  return eventually(`${name} rolled out`, async () => {
    const d = await getD(name);
    const s = d.status ?? {};
    const want = d.spec.replicas ?? 1;
    const progressing = s.conditions?.find((x) => x.type === 'Progressing');
    return (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && s.updatedReplicas === want && s.replicas === want && s.availableReplicas === want && progressing?.reason === 'NewReplicaSetAvailable' ? d : undefined;
  }, 20_000);
}

/** Samples the replica sets and pods while a rollout runs, recording the worst totals seen. */
function boundsWatcher(name: string) {
  let stop = false;
  const seen = { maxSpecTotal: 0, minReadyPods: Number.POSITIVE_INFINITY, samples: 0, overlap: false };
  const done = (async () => {
    while (!stop) {
      const [rss, pods] = await Promise.all([rsOf(name), c().list(Pods, { namespace: NS, labelSelector: `app=${name}` })]);
      seen.maxSpecTotal = Math.max(seen.maxSpecTotal, rss.reduce((n, r) => n + (r.spec.replicas ?? 0), 0));
      const ready = pods.items.filter((p) => !p.metadata?.deletionTimestamp && (p.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
      seen.minReadyPods = Math.min(seen.minReadyPods, ready.length);
      // Recreate: pods of two templates never live at once.
      const hashes = new Set(pods.items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata?.labels?.['pod-template-hash']));
      if (hashes.size > 1) seen.overlap = true;
      seen.samples++;
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return { seen, stop: async () => ((stop = true), await done, seen) };
}

describe.skipIf(!existsSync(KUBECTL))('deployment controller', () => {
  let firstRS = '';

  it('creates a ReplicaSet named <deployment>-<pod-template-hash> at revision 1 and becomes available', async () => {
    await c().create(Deployments, deployment('web', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
    const d = await complete('web');
    expect(rev(d)).toBe('1');
    const [rs] = await rsOf('web');
    const hash = rs!.metadata.labels!['pod-template-hash']!;
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    firstRS = rs!.metadata.name!;
    expect(firstRS).toBe(`web-${hash}`);
    expect(rs!.spec.selector!.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.spec.template!.metadata!.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true })]);
    expect(rs!.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' });
    const conds = Object.fromEntries((d.status!.conditions ?? []).map((x) => [x.type, x]));
    expect(conds['Available']).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
    expect(conds['Progressing']).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${firstRS}" has successfully progressed.` });
    const events = await c().list(Events, { namespace: NS });
    expect(events.items.map((e) => e['message'])).toContain(`Scaled up replica set ${firstRS} from 0 to 3`);
  });

  it('kubectl set image rolls out a second ReplicaSet within maxSurge/maxUnavailable; rollout status exits 0', async () => {
    const w = boundsWatcher('web');
    await kubectl('set', 'image', 'deployment/web', 'c=nginx:2');
    const { stdout } = await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s');
    expect(stdout).toContain('deployment "web" successfully rolled out');
    const d = await complete('web');
    const seen = await w.stop();
    expect(seen.samples).toBeGreaterThan(3);
    expect(seen.maxSpecTotal).toBeLessThanOrEqual(4);
    expect(seen.minReadyPods).toBeGreaterThanOrEqual(3);
    expect(rev(d)).toBe('2');
    const rss = await rsOf('web');
    expect(rss).toHaveLength(2);
    const newRS = rss.find((r) => imageOf(r) === 'nginx:2')!;
    const oldRS = rss.find((r) => r.metadata.name === firstRS)!;
    expect(rev(newRS)).toBe('2');
    expect(oldRS.spec.replicas).toBe(0);
    expect(newRS.spec.replicas).toBe(3);
  });

  it('kubectl rollout history lists both revisions; rollout undo returns to the first template as revision 3', async () => {
    const hist = await kubectl('rollout', 'history', 'deployment/web');
    expect(hist.stdout).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    const r1 = await kubectl('rollout', 'history', 'deployment/web', '--revision=1');
    expect(r1.stdout).toContain('nginx:1');

    await kubectl('rollout', 'undo', 'deployment/web');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s');
    const d = await complete('web');
    expect(rev(d)).toBe('3');
    const rss = await rsOf('web');
    expect(rss).toHaveLength(2);
    const back = rss.find((r) => r.metadata.name === firstRS)!;
    expect(back.spec.replicas).toBe(3);
    expect(back.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1' });
    const hist2 = await kubectl('rollout', 'history', 'deployment/web');
    expect(hist2.stdout).toMatch(/\n2\s+<none>\n3\s+<none>/);
  });

  it('paused: a template change rolls nothing out but scaling still applies; resume rolls out', async () => {
    await kubectl('rollout', 'pause', 'deployment/web');
    await eventually('paused condition', async () => (await getD('web')).status?.conditions?.find((x) => x.type === 'Progressing' && x.reason === 'DeploymentPaused'));
    await kubectl('set', 'image', 'deployment/web', 'c=nginx:3');
    await kubectl('scale', 'deployment/web', '--replicas=5');
    await eventually('scaled while paused', async () => {
      const rss = await rsOf('web');
      return rss.length === 2 && rss.find((r) => r.metadata.name === firstRS)?.spec.replicas === 5;
    });
    const d = await eventually('observed', async () => {
      const x = await getD('web');
      return (x.status?.observedGeneration ?? 0) >= (x.metadata.generation ?? 0) && x.status?.availableReplicas === 5 ? x : undefined;
    });
    expect(rss3(await rsOf('web'))).toBe(0);
    // The changed template has no ReplicaSet yet, so nothing counts as updated (upstream's newRS == nil).
    expect(d.status?.updatedReplicas ?? 0).toBe(0);
    await kubectl('rollout', 'resume', 'deployment/web');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s');
    const done = await complete('web');
    expect(rev(done)).toBe('4');
    const rss = await rsOf('web');
    expect(rss.find((r) => imageOf(r) === 'nginx:3')?.spec.replicas).toBe(5);
  });

  it('kubectl rollout restart makes a new ReplicaSet with the restartedAt annotation', async () => {
    await kubectl('rollout', 'restart', 'deployment/web');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s');
    const d = await complete('web');
    expect(rev(d)).toBe('5');
    const rss = await rsOf('web');
    const newest = rss.find((r) => rev(r) === '5')!;
    expect(newest.spec.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeTruthy();
  });

  it('kubernetes.io/change-cause is copied to the new ReplicaSet and shown by rollout history', async () => {
    await kubectl('annotate', 'deployment/web', 'kubernetes.io/change-cause=update to nginx:6');
    await kubectl('set', 'image', 'deployment/web', 'c=nginx:6');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s');
    const d = await complete('web');
    expect(rev(d)).toBe('6');
    const rs6 = (await rsOf('web')).find((r) => rev(r) === '6')!;
    expect(rs6.metadata.annotations?.['kubernetes.io/change-cause']).toBe('update to nginx:6');
    const hist = await kubectl('rollout', 'history', 'deployment/web');
    expect(hist.stdout).toMatch(/\n6\s+update to nginx:6\n/);
  });

  it('a rollout without progress for progressDeadlineSeconds is ProgressDeadlineExceeded, and rollout status fails', async () => {
    await c().create(Deployments, {
      ...deployment('stuck', { replicas: 2, progressDeadlineSeconds: 1 }),
      spec: {
        replicas: 2,
        progressDeadlineSeconds: 1,
        selector: { matchLabels: { app: 'stuck' } },
        template: { metadata: { labels: { app: 'stuck', stuck: 'true' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
      },
    });
    // The deadline (1 s) can pass before the ReplicaSet's pods are counted (a loaded machine): exceeding it does not
    // stop the rollout, so the counts below come once both hold.
    const d = await eventually('deadline exceeded with both pods counted', async () => {
      const x = await getD('stuck');
      const exceeded = x.status?.conditions?.find((k) => k.type === 'Progressing')?.reason === 'ProgressDeadlineExceeded';
      return exceeded && x.status?.replicas === 2 && x.status.unavailableReplicas === 2 ? x : undefined;
    }, 10_000);
    const rs = (await rsOf('stuck'))[0]!;
    const conds = Object.fromEntries((d.status!.conditions ?? []).map((x) => [x.type, x]));
    expect(conds['Progressing']).toMatchObject({ status: 'False', message: `ReplicaSet "${rs.metadata.name}" has timed out progressing.` });
    expect(conds['Available']).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' });
    expect(d.status).toMatchObject({ replicas: 2, updatedReplicas: 2, unavailableReplicas: 2 });
    const err = await kubectl('rollout', 'status', 'deployment/stuck', '--timeout=10s').then(() => null, (e: { stderr: string }) => e);
    expect(err?.stderr).toContain('deployment "stuck" exceeded its progress deadline');
  });

  it('Recreate: old pods are gone before new ones start', async () => {
    await c().create(Deployments, deployment('rec', { replicas: 2, strategy: { type: 'Recreate' } }));
    await complete('rec');
    const w = boundsWatcher('rec');
    await kubectl('set', 'image', 'deployment/rec', 'c=nginx:2');
    await kubectl('rollout', 'status', 'deployment/rec', '--timeout=30s');
    const d = await complete('rec');
    const seen = await w.stop();
    expect(seen.overlap).toBe(false);
    expect(rev(d)).toBe('2');
    const rss = await rsOf('rec');
    expect(rss.map((r) => [imageOf(r), r.spec.replicas]).sort()).toEqual([['nginx:1', 0], ['nginx:2', 2]]);
  });

  it('revisionHistoryLimit deletes the oldest scaled-down ReplicaSets', async () => {
    await kubectl('patch', 'deployment/web', '-p', '{"spec":{"revisionHistoryLimit":1}}');
    await eventually('history trimmed to one old ReplicaSet', async () => (await rsOf('web')).length === 2);
    expect(errors.filter((e) => !/conflict|Operation cannot be fulfilled|the object has been modified/i.test(e))).toEqual([]);
  });
});

/** Replica sets of the paused template (nginx:3): none may exist while paused. */
function rss3(rss: ReplicaSet[]): number {
  return rss.filter((r) => imageOf(r) === 'nginx:3').length;
}
