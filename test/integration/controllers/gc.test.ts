import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigMaps, Pods } from '../../../src/client/resources.js';
import { isNotFound } from '../../../src/client/rest.js';
import type { KubeObject, OwnerReference } from '../../../src/client/types.js';
import { startControllerManager, type RunningControllerManager } from '../../../src/control/controllers/start.js';
import { garbageCollectorController } from '../../../src/control/controllers/garbage-collector/controller.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';

let cluster: TestCluster;
let cm: RunningControllerManager;

beforeAll(async () => {
  cluster = await startTestCluster({ gcFinalizers: true });
  cm = await startControllerManager({ client: cluster.newClient('controller-manager'), available: [garbageCollectorController], leaderElect: false });
  expect(await cm.ready).toBe(true);
});
afterAll(async () => {
  await cm?.stop();
  await cluster?.close();
});

const c = () => cluster.client;
const exists = async (name: string): Promise<KubeObject | undefined> =>
  c().get(ConfigMaps, name, 'default').catch((e: unknown) => {
    if (isNotFound(e)) return undefined;
    throw e;
  });
const refTo = (owner: KubeObject, block = true): OwnerReference => ({
  apiVersion: 'v1', kind: 'ConfigMap', name: owner.metadata!.name!, uid: owner.metadata!.uid!, controller: true, blockOwnerDeletion: block,
});
async function family(prefix: string, n = 3, block = true): Promise<{ owner: KubeObject; deps: string[] }> {
  const owner = await c().create(ConfigMaps, { metadata: { name: `${prefix}-owner`, namespace: 'default' }, data: {} });
  const deps: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${prefix}-dep-${i}`;
    await c().create(ConfigMaps, { metadata: { name, namespace: 'default', ownerReferences: [refTo(owner, block)] } });
    deps.push(name);
  }
  return { owner, deps };
}

describe('garbage collector', () => {
  it('background: the owner goes at once, then its dependents', async () => {
    const { deps } = await family('bg');
    await c().delete(ConfigMaps, 'default', 'bg-owner', { propagationPolicy: 'Background' });
    expect(await exists('bg-owner')).toBeUndefined();
    for (const d of deps) await eventually(`${d} collected`, async () => (await exists(d)) === undefined);
  });

  it('background with Pods as dependents (unbound: no grace period)', async () => {
    const owner = await c().create(ConfigMaps, { metadata: { name: 'pod-owner', namespace: 'default' } });
    for (let i = 0; i < 3; i++) {
      await c().create(Pods, { metadata: { name: `owned-pod-${i}`, namespace: 'default', ownerReferences: [refTo(owner)] }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    }
    await c().delete(ConfigMaps, 'default', 'pod-owner');
    await eventually('owned pods collected', async () => {
      const pods = await c().list(Pods, { namespace: 'default' });
      return !pods.items.some((p) => p.metadata?.name?.startsWith('owned-pod-'));
    });
  });

  it('a dependent whose owner never existed is collected; one with a live owner stays', async () => {
    const live = await c().create(ConfigMaps, { metadata: { name: 'live-owner', namespace: 'default' } });
    await c().create(ConfigMaps, { metadata: { name: 'has-live', namespace: 'default', ownerReferences: [refTo(live)] } });
    await c().create(ConfigMaps, {
      metadata: { name: 'ghost-dep', namespace: 'default', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: '00000000-dead-beef-0000-000000000000' }] },
    });
    // An owner reference to another kind whose object has a different uid now (recreated) is dangling too.
    await c().create(Pods, { metadata: { name: 'stale-pod-owner', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    await c().create(ConfigMaps, {
      metadata: { name: 'stale-dep', namespace: 'default', ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'stale-pod-owner', uid: '11111111-dead-beef-0000-000000000000' }] },
    });
    await eventually('ghost-dep collected', async () => (await exists('ghost-dep')) === undefined);
    await eventually('stale-dep collected', async () => (await exists('stale-dep')) === undefined);
    expect(await exists('has-live')).toBeDefined();
  });

  it('a dependent keeps living with one solid owner; its reference to the gone owner is removed', async () => {
    const a = await c().create(ConfigMaps, { metadata: { name: 'two-a', namespace: 'default' } });
    const b = await c().create(ConfigMaps, { metadata: { name: 'two-b', namespace: 'default' } });
    await c().create(ConfigMaps, { metadata: { name: 'two-dep', namespace: 'default', ownerReferences: [refTo(a), { ...refTo(b), controller: false }] } });
    await c().delete(ConfigMaps, 'default', 'two-a');
    const dep = await eventually('reference to two-a removed', async () => {
      const d = await exists('two-dep');
      return d && (d.metadata?.ownerReferences ?? []).length === 1 && d;
    });
    expect(dep.metadata?.ownerReferences?.[0]?.uid).toBe(b.metadata?.uid);
  });

  it('foreground: the owner waits (deletionTimestamp + foregroundDeletion) until its blocking dependents are gone', async () => {
    const { deps } = await family('fg', 3);
    // A finalizer on one dependent holds it, so the owner's wait can be seen.
    await c().patch(ConfigMaps, 'default', deps[0]!, { metadata: { finalizers: ['example.com/hold'] } });
    const res = await c().delete(ConfigMaps, 'default', 'fg-owner', { propagationPolicy: 'Foreground' });
    expect(res.metadata?.deletionTimestamp).toBeTruthy();
    expect(res.metadata?.finalizers).toContain('foregroundDeletion');
    for (const d of deps.slice(1)) await eventually(`${d} deleted`, async () => (await exists(d)) === undefined);
    const held = await eventually(`${deps[0]} terminating`, async () => (await exists(deps[0]!))?.metadata?.deletionTimestamp !== undefined && exists(deps[0]!));
    expect(held).toBeTruthy();
    const owner = await exists('fg-owner');
    expect(owner?.metadata?.deletionTimestamp).toBeTruthy();
    expect(owner?.metadata?.finalizers).toEqual(['foregroundDeletion']);
    // Releasing the last dependent lets the owner go.
    await c().patch(ConfigMaps, 'default', deps[0]!, { metadata: { finalizers: null } });
    await eventually('fg-owner gone', async () => (await exists('fg-owner')) === undefined);
  });

  it('foreground does not wait for dependents that do not block', async () => {
    const { deps } = await family('nb', 2, false);
    await c().patch(ConfigMaps, 'default', deps[0]!, { metadata: { finalizers: ['example.com/hold'] } });
    await c().delete(ConfigMaps, 'default', 'nb-owner', { propagationPolicy: 'Foreground' });
    await eventually('nb-owner gone', async () => (await exists('nb-owner')) === undefined);
    await eventually(`${deps[1]} gone`, async () => (await exists(deps[1]!)) === undefined);
    await c().patch(ConfigMaps, 'default', deps[0]!, { metadata: { finalizers: null } });
    await eventually(`${deps[0]} gone`, async () => (await exists(deps[0]!)) === undefined);
  });

  it('orphan: dependents stay, their references to the owner removed; then the owner goes', async () => {
    const { deps } = await family('or');
    await c().delete(ConfigMaps, 'default', 'or-owner', { propagationPolicy: 'Orphan' });
    await eventually('or-owner gone', async () => (await exists('or-owner')) === undefined);
    for (const d of deps) {
      const dep = await exists(d);
      expect(dep, d).toBeDefined();
      expect(dep?.metadata?.ownerReferences ?? []).toEqual([]);
    }
  });

  it('kubectl delete --cascade=orphan and --cascade=foreground', async (t) => {
    const kubectl = await promisify(execFile)('kubectl', ['version', '--client']).catch(() => null);
    if (!kubectl) return t.skip();
    const run = (args: string[]) => promisify(execFile)('kubectl', ['--kubeconfig', cluster.kubeconfig, ...args]);
    const orphans = await family('ko', 2);
    await run(['delete', 'configmap', 'ko-owner', '--cascade=orphan']);
    await eventually('ko-owner gone', async () => (await exists('ko-owner')) === undefined);
    for (const d of orphans.deps) expect((await exists(d))?.metadata?.ownerReferences ?? []).toEqual([]);
    expect(orphans.owner.metadata?.uid).toBeTruthy();
    const fg = await family('kf', 2);
    await run(['delete', 'configmap', 'kf-owner', '--cascade=foreground', '--wait=true']);
    expect(await exists('kf-owner')).toBeUndefined();
    for (const d of fg.deps) expect(await exists(d)).toBeUndefined();
  });
});

describe('without a garbage collector (skiff server --no-controllers)', () => {
  it('foreground and orphan deletes wait on their finalizers; background deletes at once', async () => {
    const bare = await startTestCluster();
    try {
      const cl = bare.client;
      const make = (name: string) => cl.create(ConfigMaps, { metadata: { name, namespace: 'default' } });
      await make('fg');
      await make('or');
      await make('bg');
      const fg = await cl.delete(ConfigMaps, 'default', 'fg', { propagationPolicy: 'Foreground' });
      const or = await cl.delete(ConfigMaps, 'default', 'or', { propagationPolicy: 'Orphan' });
      await cl.delete(ConfigMaps, 'default', 'bg');
      expect(fg.metadata?.finalizers).toEqual(['foregroundDeletion']);
      expect(or.metadata?.finalizers).toEqual(['orphan']);
      expect((await cl.get(ConfigMaps, 'fg', 'default')).metadata?.deletionTimestamp).toBeTruthy();
      expect((await cl.get(ConfigMaps, 'or', 'default')).metadata?.deletionTimestamp).toBeTruthy();
      await expect(cl.get(ConfigMaps, 'bg', 'default')).rejects.toMatchObject({ code: 404 });
      // A second delete with Background clears the GC finalizer and completes the delete, as upstream.
      await cl.delete(ConfigMaps, 'default', 'fg', { propagationPolicy: 'Background' });
      await expect(cl.get(ConfigMaps, 'fg', 'default')).rejects.toMatchObject({ code: 404 });
      // orphanDependents with propagationPolicy is refused.
      await expect(cl.request('DELETE', '/api/v1/namespaces/default/configmaps/or', { kind: 'DeleteOptions', apiVersion: 'v1', orphanDependents: true, propagationPolicy: 'Orphan' }))
        .rejects.toMatchObject({ code: 422 });
    } finally {
      await bare.close();
    }
  });
});
