/**
 * The StatefulSet controller against a real API server, the scheduler and simulated nodes: ordered start
 * (web-1 is created only once web-0 is Ready, seen through a watch), stable identity, history and status,
 * scale-down from the highest ordinal, a rolling update and a partition, Parallel, `kubectl rollout status`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerRevisions, Events, Pods, StatefulSets } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import type { Pod } from '../../../src/control/controllers/shared/pod-util.js';
import { statefulSetController } from '../../../src/control/controllers/statefulset/controller.js';
import type { StatefulSetLike } from '../../../src/control/controllers/statefulset/decide.js';
import { eventually, startSimulatedCluster, type SimulatedCluster, type TestCluster } from '../../support/cluster.js';

const run = promisify(execFile);
const NS = 'default';
let cluster: TestCluster;
let sim: SimulatedCluster;
let errors: string[];

beforeAll(async () => {
  sim = await startSimulatedCluster({
    nodes: { count: 2, namePrefix: 'sts-', cpu: '4', memory: '8Gi' },
    // A little start-up time, so "created" and "Ready" are distinct moments.
    timing: { sandboxMs: 30, containerStartMs: 30 },
    controllers: { available: [statefulSetController], controllers: ['statefulset'] },
  });
  ({ cluster, errors } = sim);
});
afterAll(() => sim?.close());

const c = () => cluster.client;
type Sts = StatefulSetLike & KubeObject;

function stsObject(name: string, replicas: number, image: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, namespace: NS },
    spec: {
      replicas, serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }], terminationGracePeriodSeconds: 0 } },
      ...extra,
    },
  };
}

const isReady = (p: Pod) => p.status?.phase === 'Running' && !!p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
const image = (p: Pod) => (p.spec?.containers?.[0] as { image?: string } | undefined)?.image;
async function podsOf(app: string): Promise<Pod[]> {
  return (await c().list<Pod>(Pods, { namespace: NS, labelSelector: `app=${app}` })).items;
}
const names = (pods: Pod[]) => pods.map((p) => p.metadata?.name).sort();

async function waitReady(app: string, expected: string[], img?: string): Promise<Pod[]> {
  return eventually(`${app}: ${expected.join(',')} ready${img ? ` at ${img}` : ''}`, async () => {
    const pods = await podsOf(app);
    const ok = names(pods).join() === [...expected].sort().join() && pods.every((p) => isReady(p) && !p.metadata?.deletionTimestamp && (!img || image(p) === img));
    return ok ? pods : undefined;
  }, 20_000);
}

describe('StatefulSet controller', () => {
  it('creates web-0, web-1, web-2 in order, each only once its predecessor is Ready', async () => {
    const abort = new AbortController();
    const log: string[] = [];
    const watching = (async () => {
      try {
        for await (const ev of c().watch<Pod>(Pods, { namespace: NS, labelSelector: 'app=web', signal: abort.signal })) {
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED') log.push(`${ev.type} ${ev.object.metadata?.name} ${isReady(ev.object) ? 'ready' : 'not-ready'}`);
        }
      } catch { /* aborted */ }
    })();
    await new Promise((r) => setTimeout(r, 100)); // the watch is open
    await c().create(StatefulSets, stsObject('web', 3, 'web:1'), { namespace: NS });
    const pods = await waitReady('web', ['web-0', 'web-1', 'web-2']);
    abort.abort();
    await watching;

    const added = (n: string) => log.indexOf(log.find((l) => l.startsWith(`ADDED ${n} `))!);
    const firstReady = (n: string) => log.findIndex((l) => l.endsWith(`${n} ready`));
    expect(added('web-0')).toBeGreaterThanOrEqual(0);
    expect(added('web-1')).toBeGreaterThan(firstReady('web-0'));
    expect(added('web-2')).toBeGreaterThan(firstReady('web-1'));
    expect(firstReady('web-0')).toBeGreaterThan(added('web-0'));

    const web1 = pods.find((p) => p.metadata?.name === 'web-1')!;
    expect(web1.spec).toMatchObject({ hostname: 'web-1', subdomain: 'web' });
    expect(web1.metadata?.labels).toMatchObject({ 'statefulset.kubernetes.io/pod-name': 'web-1', 'apps.kubernetes.io/pod-index': '1' });

    const revs = (await c().list<KubeObject & { revision?: number }>(ControllerRevisions, { namespace: NS })).items;
    expect(revs).toHaveLength(1);
    const sts = await eventually('status', async () => {
      const s = await c().get<Sts>(StatefulSets, 'web', NS);
      return s.status?.readyReplicas === 3 && s.status.currentReplicas === 3 ? s : undefined;
    });
    expect(sts.status).toMatchObject({
      replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, availableReplicas: 3,
      currentRevision: revs[0]!.metadata?.name, updateRevision: revs[0]!.metadata?.name, observedGeneration: sts.metadata?.generation,
    });
    expect(web1.metadata?.labels?.['controller-revision-hash']).toBe(revs[0]!.metadata?.name);

    const events = (await c().list<KubeObject & { reason?: string; message?: string }>(Events, { namespace: NS })).items;
    expect(events.map((e) => e.message)).toEqual(expect.arrayContaining([
      'create Pod web-0 in StatefulSet web successful', 'create Pod web-1 in StatefulSet web successful', 'create Pod web-2 in StatefulSet web successful',
    ]));
  });

  it('kubectl get controllerrevisions names the owning StatefulSet', async () => {
    const { stdout } = await run('/usr/bin/kubectl', ['--kubeconfig', cluster.kubeconfig, 'get', 'controllerrevisions', '-n', NS], { timeout: 20_000 });
    const [header, row] = stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(header).toEqual(['NAME', 'CONTROLLER', 'REVISION', 'AGE']);
    expect(row?.slice(0, 3)).toEqual([expect.stringMatching(/^web-/), 'statefulset.apps/web', '1']);
  });

  it('kubectl rollout status sts/web exits 0', async () => {
    const { stdout } = await run('/usr/bin/kubectl', ['--kubeconfig', cluster.kubeconfig, 'rollout', 'status', 'sts/web', '-n', NS, '--timeout=20s'], { timeout: 30_000 });
    expect(stdout).toContain('partitioned roll out complete: 3 new pods have been updated...');
  });

  it('rolls an image change from the highest ordinal down, and kubectl rollout status waits for it', async () => {
    await c().patch(StatefulSets, NS, 'web', { spec: { template: { spec: { containers: [{ name: 'c', image: 'web:2' }] } } } }, 'merge');
    const { stdout } = await run('/usr/bin/kubectl', ['--kubeconfig', cluster.kubeconfig, 'rollout', 'status', 'sts/web', '-n', NS, '--timeout=30s'], { timeout: 40_000 });
    expect(stdout).toContain('partitioned roll out complete: 3 new pods have been updated...');
    await waitReady('web', ['web-0', 'web-1', 'web-2'], 'web:2');
    const deletes = (await c().list<KubeObject & { reason?: string; message?: string; firstTimestamp?: string }>(Events, { namespace: NS })).items
      .filter((e) => e.reason === 'SuccessfulDelete').map((e) => e.message);
    expect(deletes).toEqual([
      'delete Pod web-2 in StatefulSet web successful', 'delete Pod web-1 in StatefulSet web successful', 'delete Pod web-0 in StatefulSet web successful',
    ]);
    const s = await c().get<Sts>(StatefulSets, 'web', NS);
    expect(s.status?.currentRevision).toBe(s.status?.updateRevision);
    const { stdout: history } = await run('/usr/bin/kubectl', ['--kubeconfig', cluster.kubeconfig, 'rollout', 'history', 'sts/web', '-n', NS, '--revision=1'], { timeout: 20_000 });
    expect(history).toContain('Image:\tweb:1');
  });

  it('scales down from the highest ordinal first', async () => {
    const deleted: string[] = [];
    const abort = new AbortController();
    const watching = (async () => {
      try {
        for await (const ev of c().watch<Pod>(Pods, { namespace: NS, labelSelector: 'app=web', signal: abort.signal })) {
          if (ev.type === 'DELETED') deleted.push(ev.object.metadata?.name ?? '');
        }
      } catch { /* aborted */ }
    })();
    await new Promise((r) => setTimeout(r, 100));
    await c().patch(StatefulSets, NS, 'web', { spec: { replicas: 1 } }, 'merge');
    await waitReady('web', ['web-0']);
    abort.abort();
    await watching;
    expect(deleted).toEqual(['web-2', 'web-1']);
  });

  it('Parallel creates every pod without waiting; a partition keeps low ordinals at the old revision', async () => {
    await c().create(StatefulSets, stsObject('par', 3, 'par:1', { podManagementPolicy: 'Parallel' }), { namespace: NS });
    await waitReady('par', ['par-0', 'par-1', 'par-2']);
    await c().patch(StatefulSets, NS, 'par', {
      spec: { template: { spec: { containers: [{ name: 'c', image: 'par:2' }] } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } },
    }, 'merge');
    await eventually('par-2 updated', async () => {
      const pods = await podsOf('par');
      const byName = Object.fromEntries(pods.map((p) => [p.metadata?.name, p]));
      return byName['par-2'] && image(byName['par-2']) === 'par:2' && isReady(byName['par-2']) ? pods : undefined;
    });
    const s = await eventually('status', async () => {
      const x = await c().get<Sts>(StatefulSets, 'par', NS);
      return x.status?.updatedReplicas === 1 && x.status.readyReplicas === 3 ? x : undefined;
    });
    expect(s.status?.currentReplicas).toBe(2);
    expect(s.status?.currentRevision).not.toBe(s.status?.updateRevision);
    const pods = await podsOf('par');
    expect(pods.filter((p) => image(p) === 'par:1').map((p) => p.metadata?.name).sort()).toEqual(['par-0', 'par-1']);
  });

  it('reported no errors', () => {
    expect(errors).toEqual([]);
  });
});
