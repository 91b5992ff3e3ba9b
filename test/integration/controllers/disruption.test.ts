/**
 * PodDisruptionBudgets against a real API server, the scheduler and simulated nodes: the disruption controller's
 * status follows a Deployment's pods (integer minAvailable and maxUnavailable as a percentage of the
 * Deployment's scale), an eviction within the budget deletes the pod and spends the disruption, one past it is
 * refused with 429, and `kubectl get pdb` prints upstream's columns.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/client/rest.js';
import { Deployments, PodDisruptionBudgets, Pods } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { deploymentController } from '../../../src/control/controllers/deployment/controller.js';
import { disruptionController } from '../../../src/control/controllers/disruption.js';
import type { PodDisruptionBudget } from '../../../src/control/controllers/disruption-decide.js';
import { replicaSetController } from '../../../src/control/controllers/replicaset.js';
import type { Pod } from '../../../src/control/controllers/shared/pod-util.js';
import { eventually, startSimulatedCluster, type SimulatedCluster, type TestCluster } from '../../support/cluster.js';

const run = promisify(execFile);
const NS = 'default';
let cluster: TestCluster;
let sim: SimulatedCluster;
let errors: string[];

beforeAll(async () => {
  sim = await startSimulatedCluster({
    nodes: { count: 2, namePrefix: 'pdb-', cpu: '8', memory: '16Gi' },
    controllers: { available: [deploymentController, replicaSetController, disruptionController], controllers: ['deployment', 'replicaset', 'disruption'] },
  });
  ({ cluster, errors } = sim);
});
afterAll(() => sim?.close());

const c = () => cluster.client;
const deployment = (name: string, replicas: number): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: NS },
  spec: {
    replicas, selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
  },
});
const readyPods = async (app: string): Promise<Pod[]> =>
  (await c().list<Pod>(Pods, { namespace: NS, labelSelector: `app=${app}` })).items.filter((p) =>
    !p.metadata?.deletionTimestamp && p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
const budget = (name: string) => c().get<PodDisruptionBudget>(PodDisruptionBudgets, name, NS);
const evict = (pod: string) => c().create(Pods, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: NS } }, { subresource: 'eviction', name: pod });

describe('pod disruption budgets', () => {
  it('refuses a PDB with both minAvailable and maxUnavailable', async () => {
    const err = await c().create(PodDisruptionBudgets, {
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'both', namespace: NS },
      spec: { minAvailable: 1, maxUnavailable: 1, selector: { matchLabels: { app: 'x' } } },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(422);
    expect((err as ApiError).message).toContain('spec.minAvailable: Invalid value: 1: minAvailable and maxUnavailable cannot be both set');
  });

  it('status follows the pods; an eviction within the budget goes, one past it is refused with 429', async () => {
    await c().create(Deployments, deployment('web', 3));
    await eventually('three ready pods', async () => (await readyPods('web')).length === 3, 20_000);
    await c().create(PodDisruptionBudgets, {
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: NS },
      spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } },
    });
    const b = await eventually('budget status', async () => {
      const o = await budget('web');
      return o.status?.disruptionsAllowed === 1 ? o : undefined;
    });
    expect(b.status).toMatchObject({ observedGeneration: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1 });
    expect(b.status?.conditions).toEqual([expect.objectContaining({ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', observedGeneration: 1 })]);

    const [first] = await readyPods('web');
    await evict(first!.metadata!.name!);
    const afterFirst = await budget('web');
    expect(afterFirst.status?.disruptionsAllowed).toBe(0);
    expect(Object.keys(afterFirst.status?.disruptedPods ?? {})).toEqual([first!.metadata!.name]);
    await eventually('evicted pod deleted', async () => {
      const pods = (await c().list<Pod>(Pods, { namespace: NS, labelSelector: 'app=web' })).items;
      return !pods.some((p) => p.metadata?.uid === first!.metadata?.uid);
    });

    // The Deployment replaces the evicted pod; once it is ready the budget allows a disruption again.
    const healed = await eventually('budget healed', async () => {
      const o = await budget('web');
      return o.status?.currentHealthy === 3 && o.status.disruptionsAllowed === 1 ? o : undefined;
    }, 20_000);
    expect(healed.status?.disruptedPods).toBeUndefined();

    // Raise the budget to every pod: nothing may go now.
    await c().patch(PodDisruptionBudgets, NS, 'web', { spec: { minAvailable: 3 } });
    await eventually('budget at generation 2', async () => {
      const o = await budget('web');
      return o.status?.observedGeneration === 2 && o.status.disruptionsAllowed === 0 ? o : undefined;
    });
    const victim = (await readyPods('web'))[0]!.metadata!.name!;
    const err = await evict(victim).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const status = (err as ApiError).status as { code?: number; reason?: string; message?: string; details?: { causes?: { reason?: string; message?: string }[] } };
    expect(status).toMatchObject({ code: 429, reason: 'TooManyRequests', message: "Cannot evict pod as it would violate the pod's disruption budget." });
    expect(status.details?.causes).toEqual([{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 3 healthy pods and has 3 currently' }]);
    expect((await c().get<Pod>(Pods, victim, NS)).metadata?.deletionTimestamp).toBeUndefined();
    const b2 = await budget('web');
    expect(b2.status?.conditions).toEqual([expect.objectContaining({ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', observedGeneration: 2 })]);
  });

  it('maxUnavailable as a percentage of the Deployment\'s scale; kubectl get pdb', async () => {
    await c().create(Deployments, deployment('api', 4));
    await eventually('four ready pods', async () => (await readyPods('api')).length === 4, 20_000);
    await c().create(PodDisruptionBudgets, {
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'api', namespace: NS },
      spec: { maxUnavailable: '25%', selector: { matchLabels: { app: 'api' } } },
    });
    const b = await eventually('budget status', async () => {
      const o = await budget('api');
      return o.status?.expectedPods === 4 ? o : undefined;
    });
    expect(b.status).toMatchObject({ currentHealthy: 4, desiredHealthy: 3, disruptionsAllowed: 1 });
    const out = (await run('/usr/bin/kubectl', ['--kubeconfig', cluster.kubeconfig, 'get', 'pdb'], { timeout: 20_000 })).stdout;
    const rows = out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
    expect(rows[0]).toEqual(['NAME', 'MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE']);
    expect(rows.find((r) => r[0] === 'api')!.slice(0, 4)).toEqual(['api', 'N/A', '25%', '1']);
    expect(rows.find((r) => r[0] === 'web')!.slice(0, 4)).toEqual(['web', '3', 'N/A', '0']);
    expect(errors.filter((e) => e.includes('disruption'))).toEqual([]);
  });
});
