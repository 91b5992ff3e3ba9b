import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/client/clock.js';
import { CronJobs, Events, Jobs, Pods } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { cronJobDescriptor } from '../../../src/control/controllers/cronjob/controller.js';
import { jobDescriptor } from '../../../src/control/controllers/job/controller.js';
import { startControllerManager, type RunningControllerManager } from '../../../src/control/controllers/start.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';

const run = promisify(execFile);

let cluster: TestCluster;
let cm: RunningControllerManager;
// The fake clock starts a little after the real one so CronJobs created now count as created in its past.
const clock = new FakeClock(Date.now() + 1000);

beforeAll(async () => {
  cluster = await startTestCluster();
  cm = await startControllerManager({ client: cluster.newClient('controller-manager'), available: [jobDescriptor, cronJobDescriptor], controllers: ['job', 'cronjob'], leaderElect: false, clock, onError: () => {} });
  await cm.ready;
});

afterAll(async () => {
  await cm?.stop();
  await cluster?.close();
});

type Obj = KubeObject & { status?: Record<string, any>; spec?: Record<string, any> };

function cronJob(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule: '* * * * *',
      jobTemplate: { metadata: { labels: { app: name } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...spec,
    },
  };
}

const jobsOf = async (cj: string): Promise<Obj[]> => (await cluster.client.list<Obj>(Jobs, { namespace: 'default', labelSelector: `app=${cj}` })).items;

/** Steps the fake clock a second at a time until `fn` holds (retries and requeues run on the fake clock). */
async function stepUntil<T>(what: string, fn: () => Promise<T | null | false | undefined>): Promise<T> {
  return eventually(what, async () => {
    const v = await fn();
    if (!v) clock.step(1000);
    return v;
  });
}

async function complete(job: Obj): Promise<void> {
  const t = new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
  const c = (type: string) => ({ type, status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: t, lastTransitionTime: t });
  await cluster.client.patch(Jobs, 'default', job.metadata!.name!, { status: { startTime: t, completionTime: t, succeeded: 1, conditions: [c('SuccessCriteriaMet'), c('Complete')] } }, 'merge', { subresource: 'status' });
}

describe('cronjob controller', () => {
  it('creates a Job each minute on the fake clock and prunes to the history limit', async () => {
    const created = await cluster.client.create<Obj>(CronJobs, cronJob('every', { successfulJobsHistoryLimit: 1 }));
    const createdAt = Date.parse(created.metadata!.creationTimestamp!);
    const firstMinute = Math.floor(createdAt / 60_000) + 1;
    clock.step(firstMinute * 60_000 - clock.now() + 200);
    const [first] = await stepUntil('first job', async () => {
      const j = await jobsOf('every');
      return j.length === 1 ? j : null;
    });
    expect(first!.metadata?.name).toBe(`every-${firstMinute}`);
    expect(first!.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(new Date(firstMinute * 60_000).toISOString().replace('.000Z', 'Z'));
    expect(first!.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'every', controller: true, blockOwnerDeletion: true });
    const cj = await eventually('active', async () => {
      const x = await cluster.client.get<Obj>(CronJobs, 'every', 'default');
      return x.status?.active?.length === 1 ? x : null;
    });
    expect(cj.status?.lastScheduleTime).toBe(new Date(firstMinute * 60_000).toISOString().replace('.000Z', 'Z'));
    expect(cj.status?.active[0]).toMatchObject({ kind: 'Job', name: `every-${firstMinute}` });
    await complete(first!);
    const after = await stepUntil('active cleared, lastSuccessfulTime', async () => {
      const x = await cluster.client.get<Obj>(CronJobs, 'every', 'default');
      return !x.status?.active?.length && x.status?.lastSuccessfulTime ? x : null;
    });
    expect(after.status?.lastSuccessfulTime).toBeTruthy();
    // The next minute brings the next Job.
    clock.step(60_000);
    const second = await stepUntil('second job', async () => (await jobsOf('every')).find((j) => j.metadata?.name === `every-${firstMinute + 1}`));
    await complete(second);
    // History limit 1: the older successful Job goes.
    await stepUntil('first job pruned', async () => {
      const names = (await jobsOf('every')).map((j) => j.metadata?.name);
      return !names.includes(`every-${firstMinute}`) && names.includes(`every-${firstMinute + 1}`);
    });
    const events = (await cluster.client.list(Events, { namespace: 'default', fieldSelector: 'involvedObject.name=every' })).items.map((e) => e['reason']);
    expect(events).toEqual(expect.arrayContaining(['SuccessfulCreate', 'SawCompletedJob', 'SuccessfulDelete']));
  });

  it('Forbid skips an activation while a Job runs', async () => {
    const created = await cluster.client.create<Obj>(CronJobs, cronJob('forbid', { concurrencyPolicy: 'Forbid' }));
    const m = Math.floor(Math.max(Date.parse(created.metadata!.creationTimestamp!), clock.now()) / 60_000) + 1;
    clock.step(m * 60_000 - clock.now() + 200);
    await stepUntil('first job', async () => (await jobsOf('forbid')).length === 1);
    clock.step(60_000);
    await eventually('JobAlreadyActive', async () => {
      const ev = await cluster.client.list(Events, { namespace: 'default', fieldSelector: 'involvedObject.name=forbid' });
      return ev.items.some((e) => e['reason'] === 'JobAlreadyActive');
    });
    expect((await jobsOf('forbid')).length).toBe(1);
  });

  it('kubectl create job --from=cronjob/x makes a Job the Job controller runs', async () => {
    await cluster.client.create(CronJobs, cronJob('manual', { suspend: true }));
    // kubectl's generator, sent as JSON: Skiff's protobuf decoder does not read the ownerReferences and pod
    // defaults that `kubectl create job --from` sends directly.
    const { stdout: manifest } = await run('kubectl', ['--kubeconfig', cluster.kubeconfig, 'create', 'job', 'manual-run', '--from=cronjob/manual', '--dry-run=client', '-o', 'json']);
    await cluster.client.create(Jobs, JSON.parse(manifest) as KubeObject, { namespace: 'default' });
    const j = await cluster.client.get<Obj>(Jobs, 'manual-run', 'default');
    expect(j.metadata?.annotations?.['cronjob.kubernetes.io/instantiate']).toBe('manual');
    const pods = await eventually('pod for manual job', async () => {
      const p = await cluster.client.list(Pods, { namespace: 'default', labelSelector: 'batch.kubernetes.io/job-name=manual-run' });
      return p.items.length === 1 ? p.items : null;
    });
    expect(pods[0]!.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Job', name: 'manual-run' });
  });
});
