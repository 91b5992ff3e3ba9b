import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/client/clock.js';
import { isNotFound } from '../../../src/client/rest.js';
import { Namespaces, Nodes, Pods } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { podGCController } from '../../../src/control/controllers/podgc.js';
import { startControllerManager, type RunningControllerManager } from '../../../src/control/controllers/start.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';

type Pod = KubeObject & { status?: { phase?: string; conditions?: { type: string; reason?: string; message?: string }[] } };

const podBody = (name: string, ns: string, extra: { nodeName?: string; finalizers?: string[] } = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, ...(extra.finalizers ? { finalizers: extra.finalizers } : {}) },
  spec: { ...(extra.nodeName ? { nodeName: extra.nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }] },
});

describe('pod garbage collector', () => {
  let cluster: TestCluster;
  let cm: RunningControllerManager;
  const clock = new FakeClock(Date.now());
  const errors: string[] = [];

  const exists = async (ns: string, name: string): Promise<Pod | null> => {
    try {
      return await cluster.client.get<Pod>(Pods, name, ns);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  };
  /** Moves the fake clock one gc period per poll, so a pass runs whatever the informers' timing. */
  const tick = (): void => clock.step(20_000);

  beforeAll(async () => {
    cluster = await startTestCluster();
    for (const ns of ['terminated', 'orphans', 'oos', 'unscheduled']) await cluster.client.create(Namespaces, { metadata: { name: ns } });
    cm = await startControllerManager({
      client: cluster.newClient(),
      available: [podGCController],
      controllers: ['pod-garbage-collector'],
      leaderElect: false,
      clock,
      options: { terminatedPodGCThreshold: 5 },
      onError: (err, context) => errors.push(`${context}: ${(err as Error).message}`),
    });
    expect(await cm.ready).toBe(true);
  });
  afterAll(async () => {
    await cm?.stop();
    await cluster?.close();
  });

  it('deletes terminated pods past the threshold, evicted first, then oldest', async () => {
    // Another test's orphans count too: keep this one's terminated pods the only ones while it runs.
    const names = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'evicted'];
    for (const n of names) {
      await cluster.client.create(Pods, podBody(n, 'terminated'));
      const status = n === 'evicted' ? { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' } : { phase: 'Succeeded' };
      await cluster.client.patch(Pods, 'terminated', n, { status }, 'merge', { subresource: 'status' });
    }
    // A running pod never counts.
    await cluster.client.create(Pods, podBody('running', 'terminated'));
    // 7 terminated, threshold 5: the evicted one and p1 (same creation second: the name breaks the tie).
    await eventually('two terminated pods collected', async () => {
      tick();
      return (await exists('terminated', 'evicted')) === null && (await exists('terminated', 'p1')) === null;
    });
    for (const n of ['p2', 'p3', 'p4', 'p5', 'p6', 'running']) expect(await exists('terminated', n), n).not.toBeNull();
    for (const n of names) await cluster.client.delete(Pods, 'terminated', n).catch(() => {});
  });

  it('force-deletes pods bound to a node that does not exist, after the quarantine, with DisruptionTarget', async () => {
    await cluster.client.create(Pods, podBody('orphan', 'orphans', { nodeName: 'ghost' }));
    // A finalizer keeps the pod visible after the delete, so the condition and phase it got can be read.
    await cluster.client.create(Pods, podBody('held', 'orphans', { nodeName: 'ghost', finalizers: ['example.com/hold'] }));
    const start = clock.now();
    // A pass sees the missing node at start+20 s; at start+40 s it is still in quarantine.
    for (let i = 0; i < 2; i++) {
      tick();
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await exists('orphans', 'orphan')).not.toBeNull();
    const held = await eventually('orphan collected', async () => {
      tick();
      const h = await exists('orphans', 'held');
      return (await exists('orphans', 'orphan')) === null && h?.metadata?.deletionTimestamp ? h : null;
    });
    // Not before the 40 s quarantine, which starts at the first pass that sees the pod (one period after start).
    expect(clock.now() - start).toBeGreaterThanOrEqual(60_000);
    expect(held.status?.phase).toBe('Failed');
    expect(held.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({ reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' });
    await cluster.client.patch(Pods, 'orphans', 'held', { metadata: { finalizers: null } }, 'merge');
  });

  it('leaves pods bound to an existing node alone', async () => {
    await cluster.client.create(Nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'real' } });
    await cluster.client.create(Pods, podBody('bound', 'orphans', { nodeName: 'real' }));
    for (let i = 0; i < 5; i++) {
      tick();
      await new Promise((r) => setTimeout(r, 50));
    }
    const p = await exists('orphans', 'bound');
    expect(p?.metadata?.deletionTimestamp).toBeUndefined();
  });

  it('force-deletes terminating pods on a NotReady node tainted out-of-service', async () => {
    await cluster.client.create(Nodes, {
      apiVersion: 'v1', kind: 'Node', metadata: { name: 'shutdown' },
      spec: { taints: [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' }] },
    });
    await cluster.client.create(Nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'healthy-taint-free' } });
    await cluster.client.create(Pods, podBody('stuck', 'oos', { nodeName: 'shutdown' }));
    await cluster.client.create(Pods, podBody('waiting', 'oos', { nodeName: 'healthy-taint-free' }));
    // The node exists, so a plain delete waits for a kubelet that will never answer.
    await cluster.client.delete(Pods, 'oos', 'stuck');
    await cluster.client.delete(Pods, 'oos', 'waiting');
    expect((await exists('oos', 'stuck'))?.metadata?.deletionTimestamp).toBeTruthy();
    await eventually('terminating pod on the out-of-service node deleted', async () => {
      tick();
      return (await exists('oos', 'stuck')) === null;
    });
    // The other node has no out-of-service taint: its pod keeps waiting for its kubelet.
    expect((await exists('oos', 'waiting'))?.metadata?.deletionTimestamp).toBeTruthy();
  });

  it('force-deletes unscheduled terminating pods, marking them Failed', async () => {
    await cluster.client.create(Pods, podBody('unbound', 'unscheduled', { finalizers: ['example.com/hold'] }));
    await cluster.client.delete(Pods, 'unscheduled', 'unbound');
    const p = await eventually('unscheduled terminating pod marked Failed', async () => {
      tick();
      const x = await exists('unscheduled', 'unbound');
      return x?.status?.phase === 'Failed' ? x : null;
    });
    expect(p.metadata?.deletionTimestamp).toBeTruthy();
    await cluster.client.patch(Pods, 'unscheduled', 'unbound', { metadata: { finalizers: null } }, 'merge');
    await eventually('unbound pod gone once its finalizer is removed', async () => (await exists('unscheduled', 'unbound')) === null);
    expect(errors).toEqual([]);
  });
});
