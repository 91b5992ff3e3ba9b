/**
 * The DaemonSet controller against a real API server, the scheduler and simulated nodes: one Running pod per
 * eligible node (a tainted node is skipped unless tolerated), a new node gets its pod, an image change rolls
 * node by node within maxUnavailable, history as ControllerRevisions, `kubectl rollout status` succeeds.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerRevisions, DaemonSets, Events, Pods } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { daemonSetController } from '../../../src/control/controllers/daemonset/controller.js';
import type { DaemonSetLike } from '../../../src/control/controllers/daemonset/decide.js';
import type { Pod } from '../../../src/control/controllers/shared/pod-util.js';
import { startControllerManager, type RunningControllerManager } from '../../../src/control/controllers/start.js';
import { startScheduler, type RunningScheduler } from '../../../src/control/scheduler/start.js';
import { simulatedPodDriverFactory } from '../../../src/dataplane/kubelet/runtime/simulated/driver.js';
import { expandNodes, parseNodeSpec } from '../../../src/dataplane/kubelet/spec.js';
import { startNodeAgent, type RunningNodeAgent } from '../../../src/dataplane/kubelet/start.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';

const run = promisify(execFile);
const NS = 'default';
let cluster: TestCluster;
let cm: RunningControllerManager;
let scheduler: RunningScheduler;
const agents: RunningNodeAgent[] = [];
const errors: string[] = [];

async function startAgent(names: string[], taints: { key: string; value?: string; effect: 'NoSchedule' }[] = []): Promise<void> {
  const nodes = expandNodes(parseNodeSpec({ names, cpu: '4', memory: '8Gi', taints }));
  const agent = await startNodeAgent({
    client: cluster.newClient('skiff-nodes'),
    nodes,
    driverFactory: simulatedPodDriverFactory({ timing: { sandboxMs: 0, containerStartMs: 0 } }),
    listen: null,
    log: () => {},
  });
  agents.push(agent);
  await agent.registered;
}

beforeAll(async () => {
  cluster = await startTestCluster();
  await startAgent(['ds-a', 'ds-b']);
  await startAgent(['ds-tainted'], [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]);
  scheduler = await startScheduler({ client: cluster.newClient('scheduler'), core: 'reference' });
  cm = await startControllerManager({
    client: cluster.newClient('controller-manager'),
    available: [daemonSetController],
    controllers: ['daemonset'],
    leaderElect: false,
    onError: (err, c) => errors.push(`${c}: ${String(err)}`),
  });
  await cm.ready;
  await scheduler.ready;
});

afterAll(async () => {
  await cm?.stop();
  await scheduler?.stop();
  for (const a of agents) await a.stop();
  await cluster?.close();
});

const c = () => cluster.client;

function dsObject(name: string, image: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name, namespace: NS },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }], ...extra } },
    },
  };
}

const isReady = (p: Pod) => p.status?.phase === 'Running' && !!p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
const live = (pods: Pod[]) => pods.filter((p) => !p.metadata?.deletionTimestamp);
async function podsOf(app: string): Promise<Pod[]> {
  return live((await c().list<Pod>(Pods, { namespace: NS, labelSelector: `app=${app}` })).items);
}
const image = (p: Pod) => (p.spec?.containers?.[0] as { image?: string } | undefined)?.image;

/** Waits until the set runs exactly one ready pod on each of `nodes` with `img`. */
async function waitForDaemons(app: string, nodes: string[], img: string): Promise<Pod[]> {
  return eventually(`${app}: one ready ${img} pod on ${nodes.join(',')}`, async () => {
    const pods = await podsOf(app);
    const ok = pods.length === nodes.length && pods.every((p) => isReady(p) && image(p) === img)
      && [...pods.map((p) => p.spec?.nodeName)].sort().join() === [...nodes].sort().join();
    return ok ? pods : undefined;
  }, 20_000);
}

describe('DaemonSet controller', () => {
  it('runs one pod per untainted node, pinned by node affinity and bound by the scheduler, with history and status', async () => {
    await c().create(DaemonSets, dsObject('agent', 'agent:1'), { namespace: NS });
    const pods = await waitForDaemons('agent', ['ds-a', 'ds-b'], 'agent:1');
    const pod = pods.find((p) => p.spec?.nodeName === 'ds-a')!;
    const spec = pod.spec as { affinity?: unknown; tolerations?: { key?: string; effect?: string }[] };
    expect(spec.affinity).toEqual({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['ds-a'] }] }] } },
    });
    expect(spec.tolerations?.map((t) => `${t.key}:${t.effect}`)).toEqual(expect.arrayContaining([
      'node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule', 'node.kubernetes.io/pid-pressure:NoSchedule', 'node.kubernetes.io/unschedulable:NoSchedule',
    ]));
    expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', name: 'agent', controller: true });

    const revs = (await c().list<KubeObject & { revision?: number }>(ControllerRevisions, { namespace: NS })).items.filter((r) => r.metadata?.name?.startsWith('agent-'));
    expect(revs).toHaveLength(1);
    expect(revs[0]!.revision).toBe(1);
    const hash = revs[0]!.metadata?.labels?.['controller-revision-hash'];
    expect(revs[0]!.metadata?.name).toBe(`agent-${hash}`);
    expect(pods.every((p) => p.metadata?.labels?.['controller-revision-hash'] === hash)).toBe(true);
    // The data comes back in upstream getPatch's byte layout (clients such as the e2e's daemon.Match compare bytes).
    expect(JSON.stringify((revs[0] as { data?: unknown }).data)).toMatch(/^\{"spec":\{"template":\{"\$patch":"replace","metadata":\{"creationTimestamp":null,"labels":\{/);

    const ds = await eventually('status', async () => {
      const d = await c().get<DaemonSetLike & KubeObject>(DaemonSets, 'agent', NS);
      return d.status?.numberReady === 2 && d.status.observedGeneration === d.metadata?.generation ? d : undefined;
    });
    expect(ds.status).toMatchObject({
      desiredNumberScheduled: 2, currentNumberScheduled: 2, numberMisscheduled: 0, numberReady: 2,
      numberAvailable: 2, updatedNumberScheduled: 2,
    });
    const events = (await c().list<KubeObject & { reason?: string; message?: string }>(Events, { namespace: NS })).items
      .filter((e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name === 'agent');
    expect(events.filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Created pod: agent-/)]));
  });

  it('follows a new node', async () => {
    await startAgent(['ds-c']);
    await waitForDaemons('agent', ['ds-a', 'ds-b', 'ds-c'], 'agent:1');
    await eventually('desired 3', async () => (await c().get<DaemonSetLike & KubeObject>(DaemonSets, 'agent', NS)).status?.numberReady === 3);
  });

  it('runs on the tainted node when the template tolerates its taint', async () => {
    await c().create(DaemonSets, dsObject('gpu', 'gpu:1', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }), { namespace: NS });
    await waitForDaemons('gpu', ['ds-a', 'ds-b', 'ds-c', 'ds-tainted'], 'gpu:1');
  });

  it('rolls an image change node by node (maxUnavailable 1) and kubectl rollout status succeeds', async () => {
    // Watch for the rollout's invariant: never two nodes without a ready agent pod at once.
    let worst = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const pods = await podsOf('agent');
        const readyNodes = new Set(pods.filter(isReady).map((p) => p.spec?.nodeName));
        worst = Math.max(worst, 3 - readyNodes.size);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await c().patch(DaemonSets, NS, 'agent', { spec: { template: { spec: { containers: [{ name: 'c', image: 'agent:2' }] } } } }, 'merge');
    const { stdout } = await run('/usr/bin/kubectl', ['--kubeconfig', cluster.kubeconfig, 'rollout', 'status', 'ds/agent', '-n', NS, '--timeout=30s'], { timeout: 40_000 });
    expect(stdout).toContain('daemon set "agent" successfully rolled out');
    await waitForDaemons('agent', ['ds-a', 'ds-b', 'ds-c'], 'agent:2');
    watching = false;
    await watcher;
    expect(worst).toBeLessThanOrEqual(1);

    const revs = (await c().list<KubeObject & { revision?: number }>(ControllerRevisions, { namespace: NS })).items
      .filter((r) => r.metadata?.ownerReferences?.[0]?.name === 'agent').map((r) => r.revision).sort();
    expect(revs).toEqual([1, 2]);
    const { stdout: history } = await run('/usr/bin/kubectl', ['--kubeconfig', cluster.kubeconfig, 'rollout', 'history', 'ds/agent', '-n', NS], { timeout: 20_000 });
    expect(history).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
  });

  it('kubectl rollout undo goes back to revision 1, renumbered as revision 3', async () => {
    await run('/usr/bin/kubectl', ['--kubeconfig', cluster.kubeconfig, 'rollout', 'undo', 'ds/agent', '-n', NS], { timeout: 20_000 });
    await waitForDaemons('agent', ['ds-a', 'ds-b', 'ds-c'], 'agent:1');
    const revs = (await c().list<KubeObject & { revision?: number }>(ControllerRevisions, { namespace: NS })).items
      .filter((r) => r.metadata?.ownerReferences?.[0]?.name === 'agent');
    expect(revs.map((r) => r.revision).sort()).toEqual([2, 3]);
    const hash = revs.find((r) => r.revision === 3)!.metadata?.labels?.['controller-revision-hash'];
    expect((await podsOf('agent')).every((p) => p.metadata?.labels?.['controller-revision-hash'] === hash)).toBe(true);
  });

  it('OnDelete: a template change waits until a pod is deleted, whose replacement runs the new template', async () => {
    await c().create(DaemonSets, { ...dsObject('manual', 'manual:1'), spec: { ...(dsObject('manual', 'manual:1').spec as object), updateStrategy: { type: 'OnDelete' } } }, { namespace: NS });
    await waitForDaemons('manual', ['ds-a', 'ds-b', 'ds-c'], 'manual:1');
    await c().patch(DaemonSets, NS, 'manual', { spec: { template: { spec: { containers: [{ name: 'c', image: 'manual:2' }] } } } }, 'merge');
    await eventually('observed', async () => {
      const d = await c().get<DaemonSetLike & KubeObject>(DaemonSets, 'manual', NS);
      return d.status?.observedGeneration === d.metadata?.generation && d.status?.updatedNumberScheduled === 0;
    });
    expect((await podsOf('manual')).map(image)).toEqual(['manual:1', 'manual:1', 'manual:1']);
    const victim = (await podsOf('manual')).find((p) => p.spec?.nodeName === 'ds-b')!;
    await c().delete(Pods, NS, victim.metadata!.name!);
    await eventually('replacement on ds-b at manual:2', async () => {
      const pods = await podsOf('manual');
      const b = pods.find((p) => p.spec?.nodeName === 'ds-b');
      return pods.length === 3 && b && image(b) === 'manual:2' && isReady(b);
    });
    expect((await podsOf('manual')).filter((p) => image(p) === 'manual:1')).toHaveLength(2);
    await eventually('updatedNumberScheduled 1', async () => (await c().get<DaemonSetLike & KubeObject>(DaemonSets, 'manual', NS)).status?.updatedNumberScheduled === 1);
  });

  it('reported no errors', () => {
    expect(errors).toEqual([]);
  });
});
