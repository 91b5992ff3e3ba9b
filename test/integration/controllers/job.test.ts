import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Events, Jobs, Pods } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { jobDescriptor } from '../../../src/control/controllers/job/controller.js';
import { startControllerManager, type RunningControllerManager } from '../../../src/control/controllers/start.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';

const run = promisify(execFile);

let cluster: TestCluster;
let cm: RunningControllerManager;

beforeAll(async () => {
  cluster = await startTestCluster();
  cm = await startControllerManager({ client: cluster.newClient('controller-manager'), available: [jobDescriptor], controllers: ['job'], leaderElect: false, onError: () => {} });
  await cm.ready;
});

afterAll(async () => {
  await cm?.stop();
  await cluster?.close();
});

function job(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
  };
}

type Pod = KubeObject & { status?: { phase?: string } };

async function podsOf(name: string): Promise<Pod[]> {
  const list = await cluster.client.list<Pod>(Pods, { namespace: 'default', labelSelector: `batch.kubernetes.io/job-name=${name}` });
  return list.items;
}

/** What a kubelet would report for a pod whose one container exited. */
async function finish(pod: Pod, exitCode: number): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await cluster.client.patch(Pods, 'default', pod.metadata!.name!, {
    status: {
      phase: exitCode === 0 ? 'Succeeded' : 'Failed',
      containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: now, finishedAt: now } } }],
    },
  }, 'merge', { subresource: 'status' });
}

const jobOf = (name: string) => cluster.client.get<KubeObject & { status?: Record<string, any> }>(Jobs, name, 'default');
const cond = (j: { status?: Record<string, any> }, type: string) => (j.status?.conditions ?? []).find((c: { type: string }) => c.type === type);

describe('job controller', () => {
  it('runs completions 3 with parallelism 2 to Complete, and kubectl wait sees it', async () => {
    await cluster.client.create(Jobs, job('three', { completions: 3, parallelism: 2 }));
    let pods = await eventually('2 pods', async () => {
      const p = (await podsOf('three')).filter((x) => !x.status?.phase || x.status.phase === 'Pending');
      return p.length === 2 ? p : null;
    });
    const p0 = pods[0]!;
    expect(p0.metadata?.finalizers).toContain('batch.kubernetes.io/job-tracking');
    expect(p0.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Job', name: 'three', controller: true, blockOwnerDeletion: true });
    expect(p0.metadata?.labels?.['batch.kubernetes.io/controller-uid']).toBeTruthy();
    expect(p0.metadata?.labels?.['job-name']).toBe('three');
    await finish(pods[0]!, 0);
    await finish(pods[1]!, 0);
    pods = await eventually('third pod', async () => {
      const p = (await podsOf('three')).filter((x) => !x.status?.phase || x.status.phase === 'Pending');
      return p.length === 1 ? p : null;
    });
    const waiting = run('kubectl', ['--kubeconfig', cluster.kubeconfig, 'wait', '--for=condition=complete', 'job/three', '--timeout=20s']);
    await finish(pods[0]!, 0);
    const { stdout } = await waiting;
    expect(stdout).toContain('job.batch/three condition met');
    const j = await jobOf('three');
    expect(j.status?.succeeded).toBe(3);
    expect(j.status?.active).toBe(0);
    expect(cond(j, 'SuccessCriteriaMet')).toMatchObject({ status: 'True', reason: 'CompletionsReached' });
    expect(cond(j, 'Complete')).toMatchObject({ status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' });
    expect(j.status?.completionTime).toBeTruthy();
    expect(j.status?.uncountedTerminatedPods ?? {}).toEqual({});
    // Counted pods lose the tracking finalizer.
    await eventually('finalizers removed', async () => (await podsOf('three')).every((p) => !p.metadata?.finalizers?.length));
    const events = await cluster.client.list(Events, { namespace: 'default', fieldSelector: 'involvedObject.name=three' });
    const reasons = events.items.map((e) => e['reason']);
    expect(reasons.filter((r) => r === 'SuccessfulCreate')).toHaveLength(3);
    await eventually('Completed event', async () => {
      const ev = await cluster.client.list(Events, { namespace: 'default', fieldSelector: 'involvedObject.name=three' });
      return ev.items.some((e) => e['reason'] === 'Completed' && e['message'] === 'Job completed');
    });
  });

  it('re-adopts an orphaned pod that still matches (owner reference and tracking finalizer) and releases one whose labels no longer match', async () => {
    await cluster.client.create(Jobs, job('adopt', { parallelism: 2, completions: 4 }));
    const jobUID = (await jobOf('adopt')).metadata!.uid!;
    const pods = await eventually('2 pods', async () => {
      const p = await podsOf('adopt');
      return p.length === 2 ? p : null;
    });
    const name = pods[0]!.metadata!.name!;
    // Orphan it: the job takes it back.
    const orphan = await cluster.client.get<Pod>(Pods, name, 'default');
    await cluster.client.update(Pods, { ...orphan, metadata: { ...orphan.metadata, ownerReferences: undefined } });
    const adopted = await eventually('adopted', async () => {
      const p = await cluster.client.get<Pod>(Pods, name, 'default');
      const ref = p.metadata?.ownerReferences?.find((r) => r.controller);
      return ref?.uid === jobUID && p.metadata?.finalizers?.includes('batch.kubernetes.io/job-tracking') ? p : null;
    });
    expect(adopted.metadata!.ownerReferences![0]).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', name: 'adopt', controller: true, blockOwnerDeletion: true });
    // Take its labels away: the job lets it go.
    await cluster.client.update(Pods, { ...adopted, metadata: { ...adopted.metadata, labels: {} } });
    const released = await eventually('released', async () => {
      const p = await cluster.client.get<Pod>(Pods, name, 'default');
      return !p.metadata?.ownerReferences?.some((r) => r.uid === jobUID) ? p : null;
    });
    expect(released.metadata?.finalizers ?? []).not.toContain('batch.kubernetes.io/job-tracking');
    await cluster.client.delete(Pods, 'default', name);
  });

  it('stops at backoffLimit with BackoffLimitExceeded', async () => {
    await cluster.client.create(Jobs, job('fails', { backoffLimit: 0 }));
    const [pod] = await eventually('a pod', async () => {
      const p = await podsOf('fails');
      return p.length === 1 ? p : null;
    });
    await finish(pod!, 1);
    const j = await eventually('Failed', async () => {
      const x = await jobOf('fails');
      return cond(x, 'Failed') ? x : null;
    });
    expect(cond(j, 'FailureTarget')).toMatchObject({ status: 'True', reason: 'BackoffLimitExceeded' });
    expect(cond(j, 'Failed')).toMatchObject({ status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(j.status?.failed).toBe(1);
    expect((await podsOf('fails')).length).toBe(1);
  });

  it('runs an Indexed job: one pod per index, hostname, completedIndexes', async () => {
    await cluster.client.create(Jobs, job('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
    const pods = await eventually('3 pods', async () => {
      const p = await podsOf('idx');
      return p.length === 3 ? p : null;
    });
    const byIndex = new Map(pods.map((p) => [p.metadata!.annotations!['batch.kubernetes.io/job-completion-index'], p]));
    expect([...byIndex.keys()].sort()).toEqual(['0', '1', '2']);
    const p2 = byIndex.get('2')! as KubeObject & { spec: { hostname: string; containers: { env?: { name: string; valueFrom?: unknown }[] }[] } };
    expect(p2.spec.hostname).toBe('idx-2');
    expect(p2.metadata?.name).toMatch(/^idx-2-/);
    expect(p2.metadata?.labels?.['batch.kubernetes.io/job-completion-index']).toBe('2');
    // Read from the annotation, as upstream's job controller writes it.
    expect(p2.spec.containers[0]!.env?.find((e) => e.name === 'JOB_COMPLETION_INDEX')?.valueFrom).toEqual({
      fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" },
    });
    await finish(byIndex.get('0')!, 0);
    await finish(byIndex.get('2')!, 0);
    await eventually('completedIndexes 0,2', async () => (await jobOf('idx')).status?.completedIndexes === '0,2');
    await finish(byIndex.get('1')!, 0);
    const j = await eventually('Complete', async () => {
      const x = await jobOf('idx');
      return cond(x, 'Complete') ? x : null;
    });
    expect(j.status?.completedIndexes).toBe('0-2');
    expect(j.status?.succeeded).toBe(3);
  });

  it('suspends: deletes active pods and sets Suspended', async () => {
    await cluster.client.create(Jobs, job('sus', { parallelism: 2, completions: 4 }));
    await eventually('2 pods', async () => (await podsOf('sus')).length === 2);
    await cluster.client.patch(Jobs, 'default', 'sus', { spec: { suspend: true } }, 'merge');
    const j = await eventually('Suspended', async () => {
      const x = await jobOf('sus');
      return cond(x, 'Suspended')?.status === 'True' && x.status?.active === 0 ? x : null;
    });
    expect(cond(j, 'Suspended')).toMatchObject({ reason: 'JobSuspended', message: 'Job suspended' });
    await eventually('pods gone', async () => (await podsOf('sus')).length === 0);
  });
});
