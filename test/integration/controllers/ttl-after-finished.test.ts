import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/client/clock.js';
import { Jobs } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { startControllerManager, type RunningControllerManager } from '../../../src/control/controllers/start.js';
import { ttlAfterFinishedController, ttlRemainingMs } from '../../../src/control/controllers/ttl-after-finished.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';

const done = (type: string, at: string) => ({ conditions: [{ type, status: 'True', lastTransitionTime: at }] });

describe('ttl expiry', () => {
  it('counts from the finish condition', () => {
    const t = Date.parse('2024-01-01T00:00:00Z');
    expect(ttlRemainingMs({ spec: { ttlSecondsAfterFinished: 100, template: {} }, status: done('Complete', '2024-01-01T00:00:00Z') }, t + 40_000)).toBe(60_000);
    expect(ttlRemainingMs({ spec: { ttlSecondsAfterFinished: 0, template: {} }, status: done('Failed', '2024-01-01T00:00:00Z') }, t)).toBe(0);
    expect(ttlRemainingMs({ spec: { ttlSecondsAfterFinished: 10, template: {} }, status: {} }, t)).toBeNull();
    expect(ttlRemainingMs({ spec: { template: {} }, status: done('Complete', '2024-01-01T00:00:00Z') }, t)).toBeNull();
  });
});

describe('ttl-after-finished controller', () => {
  let cluster: TestCluster;
  let cm: RunningControllerManager;
  const clock = new FakeClock(Date.now());
  beforeAll(async () => {
    cluster = await startTestCluster();
    cm = await startControllerManager({ client: cluster.newClient(), available: [ttlAfterFinishedController], controllers: ['ttl-after-finished'], leaderElect: false, clock, onError: () => {} });
    await cm.ready;
  });
  afterAll(async () => {
    await cm?.stop();
    await cluster?.close();
  });
  it('deletes a finished Job once its TTL passes on the clock', async () => {
    const job: KubeObject = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'short', namespace: 'default' }, spec: { ttlSecondsAfterFinished: 30, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } } };
    await cluster.client.create(Jobs, job);
    const at = new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const c = (type: string) => ({ type, status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: at, lastTransitionTime: at });
    await cluster.client.patch(Jobs, 'default', 'short', { status: { startTime: at, completionTime: at, succeeded: 1, conditions: [c('SuccessCriteriaMet'), c('Complete')] } }, 'merge', { subresource: 'status' });
    await new Promise((r) => setTimeout(r, 300));
    expect((await cluster.client.get(Jobs, 'short', 'default')).metadata?.name).toBe('short');
    clock.step(31_000);
    // Foreground deletion: the Job waits (deletionTimestamp, foregroundDeletion) for the garbage collector.
    const j = await eventually('job being deleted', async () => {
      const x = await cluster.client.get(Jobs, 'short', 'default');
      return x.metadata?.deletionTimestamp ? x : null;
    });
    expect(j.metadata?.finalizers).toContain('foregroundDeletion');
  });
});
