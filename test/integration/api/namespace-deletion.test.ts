/**
 * Namespace deletion through the API server's own namespace lifecycle: the deleter's status conditions while
 * content with a finalizer holds the namespace, the namespace going as soon as that content goes (the sweep is
 * slowed to a minute so only the event-driven re-check can finish it), and a large namespace emptied quickly.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';
import { ConfigMaps, Namespaces, Nodes, Pods } from '../../../src/client/resources.js';
import { isNotFound } from '../../../src/client/rest.js';
import type { KubeObject } from '../../../src/control/api/resource.js';
import type { NamespaceCondition } from '../../../src/control/api/routes/namespace-conditions.js';

const KUBECTL = '/usr/bin/kubectl';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster({ namespaceSweepMs: 60_000 });
});
afterAll(async () => {
  await cluster?.close();
});

const conditionsOf = (ns: KubeObject): Record<string, NamespaceCondition> =>
  Object.fromEntries(((ns['status'] as { conditions?: NamespaceCondition[] } | undefined)?.conditions ?? []).map((c) => [c.type, c]));

const gone = async (name: string): Promise<boolean> => {
  try {
    await cluster.client.get(Namespaces, name);
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
};

describe('namespace deletion', () => {
  it('reports remaining content and finalizers on the Namespace, then goes when the finalizer is removed', async () => {
    const c = cluster.client;
    await c.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
    await c.create(Pods, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'held', namespace: 'doomed', finalizers: ['example.com/hold'] },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    await c.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'doomed' }, data: { a: 'b' } });

    await c.delete(Namespaces, undefined, 'doomed');
    const ns = await eventually('the deleter conditions', async () => {
      const o = await c.get(Namespaces, 'doomed');
      return conditionsOf(o)['NamespaceFinalizersRemaining'] ? o : undefined;
    }, 5000);
    expect((ns['status'] as { phase?: string }).phase).toBe('Terminating');
    const cond = conditionsOf(ns);
    expect(cond['NamespaceContentRemaining']).toMatchObject({
      status: 'True', reason: 'SomeResourcesRemain', message: 'Some resources are remaining: pods. has 1 resource instances',
    });
    expect(cond['NamespaceFinalizersRemaining']).toMatchObject({
      status: 'True', reason: 'SomeFinalizersRemain',
      message: 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances',
    });
    expect(cond['NamespaceDeletionDiscoveryFailure']).toMatchObject({ status: 'False', reason: 'ResourcesDiscovered' });
    expect(cond['NamespaceDeletionGroupVersionParsingFailure']).toMatchObject({ status: 'False', reason: 'ParsedGroupVersions' });
    expect(cond['NamespaceDeletionContentFailure']).toMatchObject({ status: 'False', reason: 'ContentDeleted' });
    expect(cond['NamespaceContentRemaining']!.lastTransitionTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // The configmap had no finalizer: it is gone; the pod waits, marked for deletion.
    await expect(c.get(ConfigMaps, 'cm', 'doomed')).rejects.toSatisfy(isNotFound);
    const pod = await c.get(Pods, 'held', 'doomed');
    expect(pod.metadata?.deletionTimestamp).toBeTruthy();
    // The status subresource write went through managedFields as an Update of the status subresource.
    expect(ns.metadata?.managedFields?.some((m) => (m as { subresource?: string }).subresource === 'status')).toBe(true);

    // kubectl's describe prints the conditions table.
    const { stdout } = await promisify(execFile)(KUBECTL, ['--kubeconfig', cluster.kubeconfig, 'describe', 'namespace', 'doomed']);
    expect(stdout).toMatch(/Status:\s+Terminating/);
    expect(stdout).toMatch(/Conditions:\n\s+Type\s+Status\s+LastTransitionTime\s+Reason\s+Message/);
    expect(stdout).toMatch(/NamespaceContentRemaining\s+True\s+.+SomeResourcesRemain\s+Some resources are remaining: pods\. has 1 resource instances/);
    expect(stdout).toMatch(/NamespaceFinalizersRemaining\s+True\s+.+SomeFinalizersRemain\s+Some content in the namespace has finalizers remaining: example\.com\/hold in 1 resource instances/);
    expect(stdout).toMatch(/NamespaceDeletionContentFailure\s+False\s+.+ContentDeleted\s+All content successfully deleted, may be waiting on finalization/);

    // Removing the finalizer deletes the pod; the namespace follows without waiting for the (one-minute) sweep.
    const started = Date.now();
    await c.patch(Pods, 'doomed', 'held', { metadata: { finalizers: null } }, 'merge');
    await eventually('namespace doomed to go', () => gone('doomed'), 5000, 20);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a leftover going refreshes the counts (lastTransitionTime kept); graceful pods are not finalizers', async () => {
    const c = cluster.client;
    await c.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'slow' } });
    // A Node object makes a bound pod's delete graceful (the engine waits for its kubelet, which never comes).
    await c.create(Nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    for (const name of ['a', 'b']) {
      await c.create(Pods, {
        apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'slow', finalizers: ['example.com/hold'] },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      });
    }
    await c.create(Pods, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bound', namespace: 'slow' },
      spec: { nodeName: 'n1', terminationGracePeriodSeconds: 600, containers: [{ name: 'c', image: 'busybox' }] },
    });
    await c.delete(Namespaces, undefined, 'slow');
    const first = conditionsOf(await eventually('three pods remaining', async () => {
      const o = await c.get(Namespaces, 'slow');
      return conditionsOf(o)['NamespaceContentRemaining']?.message?.includes('pods. has 3') ? o : undefined;
    }, 5000));
    expect(first['NamespaceFinalizersRemaining']!.message).toBe('Some content in the namespace has finalizers remaining: example.com/hold in 2 resource instances');
    // The bound pod waits on its grace period (upstream's estimate), which is no failure.
    expect(first['NamespaceDeletionContentFailure']).toMatchObject({ status: 'False', reason: 'ContentDeleted' });

    await c.patch(Pods, 'slow', 'a', { metadata: { finalizers: null } }, 'merge');
    const second = conditionsOf(await eventually('two pods remaining', async () => {
      const o = await c.get(Namespaces, 'slow');
      return conditionsOf(o)['NamespaceContentRemaining']?.message?.includes('pods. has 2') ? o : undefined;
    }, 5000));
    expect(second['NamespaceFinalizersRemaining']!.message).toBe('Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
    // Same status, new message: the transition time stays.
    expect(second['NamespaceContentRemaining']!.lastTransitionTime).toBe(first['NamespaceContentRemaining']!.lastTransitionTime);

    await c.patch(Pods, 'slow', 'b', { metadata: { finalizers: null } }, 'merge');
    const third = conditionsOf(await eventually('finalizers finished', async () => {
      const o = await c.get(Namespaces, 'slow');
      return conditionsOf(o)['NamespaceFinalizersRemaining']?.status === 'False' ? o : undefined;
    }, 5000));
    expect(third['NamespaceFinalizersRemaining']).toMatchObject({ reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' });
    expect(third['NamespaceContentRemaining']!.message).toBe('Some resources are remaining: pods. has 1 resource instances');

    // The kubelet's confirmation (a delete with grace 0) removes the last pod; the namespace follows at once.
    await c.delete(Pods, 'slow', 'bound', { gracePeriodSeconds: 0 });
    await eventually('namespace slow to go', () => gone('slow'), 5000, 20);
    await c.delete(Nodes, undefined, 'n1');
  });

  it('a namespace of 10,000 pods is emptied and removed quickly', async () => {
    const c = cluster.client;
    const { engine } = cluster.server;
    await c.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'big' } });
    const pods = engine.registry.lookup('', 'v1', 'pods')!;
    // Straight into the engine: the test is about deletion, not 10,000 HTTP creates.
    for (let i = 0; i < 10_000; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, j) => engine.create(pods, 'big', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${i + j}` }, spec: { containers: [{ name: 'c', image: 'busybox' }] },
      })));
    }
    const started = Date.now();
    await c.delete(Namespaces, undefined, 'big');
    await eventually('namespace big to go', () => gone('big'), 20_000, 50);
    const took = Date.now() - started;
    expect((await engine.list(pods, 'big', {})).items).toHaveLength(0);
    expect(took).toBeLessThan(10_000);
    console.log(`namespace of 10,000 pods removed in ${took} ms`);
  }, 60_000);
});
