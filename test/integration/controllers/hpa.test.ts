/**
 * The HorizontalPodAutoscaler controller against a real API server with metrics.k8s.io served from simulated
 * nodes: an HPA for a Deployment (as `kubectl autoscale` makes it) reports in status reports the pods' utilization, raising the
 * pods' simulated CPU use (the sim.skiff.dev/cpu-usage annotation) scales the Deployment up with upstream's event,
 * and `kubectl get hpa` prints upstream's columns.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deployments, Events, HorizontalPodAutoscalers, Pods } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { deploymentController } from '../../../src/control/controllers/deployment/controller.js';
import { horizontalPodAutoscalerController } from '../../../src/control/controllers/hpa/controller.js';
import type { HorizontalPodAutoscaler } from '../../../src/control/controllers/hpa/types.js';
import { replicaSetController } from '../../../src/control/controllers/replicaset.js';
import type { Pod } from '../../../src/control/controllers/shared/pod-util.js';
import { eventually, startSimulatedCluster, type SimulatedCluster, type TestCluster } from '../../support/cluster.js';

const run = promisify(execFile);
const NS = 'default';
let cluster: TestCluster;
let sim: SimulatedCluster;
let errors: string[];

const kubectl = async (...args: string[]): Promise<string> =>
  (await run('/usr/bin/kubectl', ['--kubeconfig', cluster.kubeconfig, ...args], { timeout: 20_000 })).stdout;

beforeAll(async () => {
  sim = await startSimulatedCluster({
    server: { metrics: { resolutionMs: 200, timeoutMs: 2_000 } },
    nodes: { count: 2, namePrefix: 'hpa-', cpu: '8', memory: '16Gi' },
    // A one-second usage window: samples count once a pod has been ready that long (upstream's cpu rule).
    simulated: { usageWindowSeconds: 1 },
    // The agent serves usage on 127.0.0.1, every node's InternalIP: the API server scrapes it there.
    agent: { listen: { host: '127.0.0.1', port: 0 } },
    controllers: {
      available: [deploymentController, replicaSetController, horizontalPodAutoscalerController],
      controllers: ['deployment', 'replicaset', 'horizontalpodautoscaling'],
      options: { horizontalPodAutoscalerSyncPeriodMs: 300 },
    },
  });
  ({ cluster, errors } = sim);
});
afterAll(() => sim?.close());

const c = () => cluster.client;
const hpa = () => c().get<HorizontalPodAutoscaler>(HorizontalPodAutoscalers, 'web', NS);
const runningPods = async (): Promise<Pod[]> =>
  (await c().list<Pod>(Pods, { namespace: NS, labelSelector: 'app=web' })).items.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running');

describe('horizontal pod autoscaling', () => {
  it('an HPA on a Deployment reports the pods\' utilization in status', async () => {
    const deployment: KubeObject = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: NS },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' }, annotations: { 'sim.skiff.dev/cpu-usage': '50m' } },
          spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
        },
      },
    };
    await c().create(Deployments, deployment);
    await eventually('one running pod', async () => (await runningPods()).length === 1);
    // What `kubectl autoscale deployment web --cpu-percent=50 --min=1 --max=4` makes (kubectl 1.32 posts it as
    // autoscaling/v1, which Skiff does not serve yet: the v2 form is created directly).
    await c().create(HorizontalPodAutoscalers, {
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: NS },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 4,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      },
    });
    const h = await eventually('utilization in status', async () => {
      const o = await hpa();
      return o.status?.currentMetrics?.[0]?.resource?.current.averageUtilization === 50 ? o : undefined;
    }, 20_000);
    expect(h.spec?.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
    expect(h.status).toMatchObject({ currentReplicas: 1, desiredReplicas: 1 });
    expect(h.status?.currentMetrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 50, averageValue: '50m' } } }]);
    const byType = Object.fromEntries((h.status?.conditions ?? []).map((x) => [x.type, x]));
    expect(byType.AbleToScale).toMatchObject({ status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' });
    expect(byType.ScalingActive).toMatchObject({
      status: 'True', reason: 'ValidMetricFound',
      message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
    });
    expect(byType.ScalingLimited).toMatchObject({ status: 'False', reason: 'DesiredWithinRange' });
  });

  it('raised CPU use scales the Deployment up to the limit, with upstream\'s event', async () => {
    const [p] = await runningPods();
    await c().patch(Pods, NS, p!.metadata!.name!, { metadata: { annotations: { 'sim.skiff.dev/cpu-usage': '300m' } } });
    await eventually('deployment scaled to 4', async () => ((await c().get(Deployments, 'web', NS)).spec as { replicas?: number }).replicas === 4, 20_000);
    const event = await eventually('SuccessfulRescale event', async () => {
      const list = await c().list(Events, { namespace: NS, fieldSelector: 'involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=web' });
      return list.items.find((e) => (e as { reason?: string }).reason === 'SuccessfulRescale');
    });
    expect(event).toMatchObject({
      type: 'Normal', message: 'New size: 4; reason: cpu resource utilization (percentage of request) above target', source: { component: 'horizontal-pod-autoscaler' },
    });
    const h = await eventually('status after rescale', async () => {
      const o = await hpa();
      return o.status?.currentReplicas === 4 ? o : undefined;
    }, 20_000);
    expect(h.status?.lastScaleTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // Never past maxReplicas, however hot the pods run.
    await eventually('four running pods', async () => (await runningPods()).length === 4, 20_000);
    expect(((await c().get(Deployments, 'web', NS)).spec as { replicas?: number }).replicas).toBe(4);
  });

  it('kubectl get hpa prints upstream\'s columns', async () => {
    const out = await kubectl('get', 'hpa');
    const [header, row] = out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
    expect(header).toEqual(['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE']);
    expect(row!.slice(0, 2)).toEqual(['web', 'Deployment/web']);
    expect(row![2]).toMatch(/^cpu: \d+%\/50%$/);
    expect(row!.slice(3, 6)).toEqual(['1', '4', '4']);
    expect(errors.filter((e) => e.includes('horizontalpodautoscaling'))).toEqual([]);
  });
});
