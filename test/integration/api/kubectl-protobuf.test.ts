/**
 * kubectl's typed `create` commands send protobuf bodies: the real kubectl against a real API server, for the one
 * that copies a whole pod template (`create job --from=cronjob/x`).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CronJobs, Jobs } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { startTestCluster, type TestCluster } from '../../support/cluster.js';

const KUBECTL = '/usr/bin/kubectl';
type Job = KubeObject & { spec?: { template?: { spec?: { containers?: { name: string; image?: string; command?: string[] }[]; restartPolicy?: string } } } };

describe.skipIf(!existsSync(KUBECTL))('kubectl create job --from=cronjob (protobuf body)', () => {
  let cluster: TestCluster;
  const kubectl = async (...args: string[]): Promise<string> => (await promisify(execFile)(KUBECTL, ['--kubeconfig', cluster.kubeconfig, ...args])).stdout;
  beforeAll(async () => {
    cluster = await startTestCluster();
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('creates the Job owned by the CronJob, marked manual, with the template command', async () => {
    expect(await kubectl('create', 'cronjob', 'c', '--image=busybox', '--schedule=*/1 * * * *', '--', 'echo', 'hi')).toContain('cronjob.batch/c created');
    expect(await kubectl('create', 'job', 'j', '--from=cronjob/c')).toContain('job.batch/j created');
    const cron = await cluster.client.get(CronJobs, 'c', 'default');
    const job = await cluster.client.get<Job>(Jobs, 'j', 'default');
    expect(job.metadata?.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'c', uid: cron.metadata!.uid, controller: true }]);
    expect(job.metadata?.annotations?.['cronjob.kubernetes.io/instantiate']).toBe('manual');
    const c = job.spec?.template?.spec?.containers?.[0];
    expect(c).toMatchObject({ name: 'c', image: 'busybox', command: ['echo', 'hi'] });
    expect(job.spec?.template?.spec?.restartPolicy).toBe('OnFailure');
  });

  it("decodes every other generator's body too", async () => {
    const out = [
      await kubectl('create', 'namespace', 'pb'),
      await kubectl('create', 'configmap', 'cm', '-n', 'pb', '--from-literal=a=b'),
      await kubectl('create', 'secret', 'generic', 's', '-n', 'pb', '--from-literal=a=b'),
      await kubectl('create', 'serviceaccount', 'sa', '-n', 'pb'),
      await kubectl('create', 'deployment', 'web', '-n', 'pb', '--image=nginx', '--replicas=2', '--port=80'),
      await kubectl('create', 'service', 'clusterip', 'web', '-n', 'pb', '--tcp=80:8080'),
      await kubectl('create', 'job', 'once', '-n', 'pb', '--image=busybox', '--', 'date'),
    ].join('');
    for (const what of ['namespace/pb', 'configmap/cm', 'secret/s', 'serviceaccount/sa', 'deployment.apps/web', 'service/web', 'job.batch/once']) expect(out).toContain(`${what} created`);
    const svc = JSON.parse(await kubectl('get', 'service', 'web', '-n', 'pb', '-o', 'json'));
    expect(svc.spec.ports[0]).toMatchObject({ name: '80-8080', port: 80, targetPort: 8080, protocol: 'TCP' });
  });
});
