/**
 * The ReplicaSet controller's sync against a hand-fed informer cache and a recording fake client: what it
 * writes for a given cache state, and that expectations stop a second sync on a stale cache from acting again.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/client/clock.js';
import { SharedInformerFactory } from '../../../src/client/informer.js';
import { ApiError, type RestClient } from '../../../src/client/rest.js';
import { Pods, ReplicaSets, type ResourceRef } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { defaultControllerOptions, type ControllerContext } from '../../../src/control/controllers/context.js';
import { ReplicaSetController } from '../../../src/control/controllers/replicaset.js';
import type { ReplicaSetLike } from '../../../src/control/controllers/replicaset-decide.js';
import { replicationControllerKind } from '../../../src/control/controllers/replication-controller.js';
import type { Pod } from '../../../src/control/controllers/shared/pod-util.js';
import { WorkQueue } from '../../../src/client/workqueue.js';

interface Call { verb: string; plural: string; name?: string; body?: unknown; sub?: string }

function harness(opts: { failCreatesAfter?: number; kind?: 'rc' } = {}) {
  const clock = new FakeClock(Date.parse('2024-06-01T00:00:00Z'));
  const calls: Call[] = [];
  const events: { reason: string; message: string; type: string }[] = [];
  let seq = 0;
  let creates = 0;
  const owners = new Map<string, KubeObject>();
  let queue: WorkQueue<string> | undefined;
  const fake = {
    async create(ref: ResourceRef, obj: KubeObject, o: { namespace?: string } = {}) {
      calls.push({ verb: 'create', plural: ref.plural, body: obj });
      if (opts.failCreatesAfter !== undefined && creates >= opts.failCreatesAfter) {
        throw new ApiError(403, 'Forbidden', { message: `pods "${obj.metadata?.generateName}" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2` }, 'POST', '/');
      }
      creates++;
      seq++;
      return { ...obj, metadata: { ...obj.metadata, namespace: o.namespace, name: `${obj.metadata?.generateName}${String(seq).padStart(5, '0')}`, uid: `pod-uid-${seq}`, resourceVersion: String(seq) } };
    },
    async delete(ref: ResourceRef, _ns: string, name: string) {
      calls.push({ verb: 'delete', plural: ref.plural, name });
      return {};
    },
    async patch(ref: ResourceRef, _ns: string, name: string, body: unknown) {
      calls.push({ verb: 'patch', plural: ref.plural, name, body });
      return {};
    },
    async update(ref: ResourceRef, obj: KubeObject, o: { subresource?: string } = {}) {
      calls.push({ verb: 'update', plural: ref.plural, name: obj.metadata?.name, body: obj, sub: o.subresource });
      return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(1000 + ++seq) } };
    },
    async get(ref: ResourceRef, name: string) {
      calls.push({ verb: 'get', plural: ref.plural, name });
      return owners.get(name) ?? {};
    },
  };
  const client = fake as unknown as RestClient;
  const informers = new SharedInformerFactory(client);
  const ctx: ControllerContext = {
    client, informers, clock, options: defaultControllerOptions,
    event: (_c, _o, type, reason, message) => events.push({ type, reason, message }),
    queue: (name) => (queue = new WorkQueue<string>({ clock, name })),
    onError: (err) => { throw err; },
  };
  const controller = opts.kind === 'rc' ? new ReplicaSetController(ctx, replicationControllerKind) : new ReplicaSetController(ctx);
  const ownerInformer = informers.forResource<ReplicaSetLike>(opts.kind === 'rc' ? replicationControllerKind.resource : ReplicaSets);
  const podInformer = informers.forResource<Pod>(Pods);
  ownerInformer.replace([], '1');
  podInformer.replace([], '1');
  /** Keys queued now; takes them off the queue. */
  const drain = async (): Promise<string[]> => {
    const keys: string[] = [];
    while (queue!.len() > 0) {
      const k = (await queue!.get())!;
      queue!.done(k);
      keys.push(k);
    }
    return keys;
  };
  return { clock, calls, events, controller, ownerInformer, podInformer, owners, drain };
}

const rs = (replicas: number, status: ReplicaSetLike['status'] = {}): ReplicaSetLike => ({
  apiVersion: 'apps/v1', kind: 'ReplicaSet',
  metadata: { name: 'web', namespace: 'ns', uid: 'rs-uid', generation: 1, resourceVersion: '5' },
  spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
  status,
});

const createdPods = (calls: Call[]) => calls.filter((c) => c.verb === 'create' && c.plural === 'pods');

describe('ReplicaSet sync', () => {
  it('creates the missing replicas once; a second sync on the stale cache creates nothing', async () => {
    const h = harness();
    h.ownerInformer.add(rs(3));
    await h.controller.sync('ns/web');
    expect(createdPods(h.calls)).toHaveLength(3);
    const pod = createdPods(h.calls)[0]!.body as Pod;
    expect(pod.metadata).toMatchObject({ generateName: 'web-', labels: { app: 'web' }, ownerReferences: [{ kind: 'ReplicaSet', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }] });
    expect(h.events.map((e) => e.reason)).toEqual(['SuccessfulCreate', 'SuccessfulCreate', 'SuccessfulCreate']);
    // The informer has not seen the pods yet: expectations hold the next sync back.
    await h.controller.sync('ns/web');
    expect(createdPods(h.calls)).toHaveLength(3);
    expect(h.controller.expectations.satisfied('ns/web')).toBe(false);
  });

  it('acts again once the creates were observed', async () => {
    const h = harness();
    h.ownerInformer.add(rs(2));
    await h.controller.sync('ns/web');
    for (const c of createdPods(h.calls)) h.podInformer.add({ ...(c.body as Pod), metadata: { ...(c.body as Pod).metadata, namespace: 'ns', name: `p${Math.random()}`, uid: `u${Math.random()}`, resourceVersion: '9' } });
    expect(h.controller.expectations.satisfied('ns/web')).toBe(true);
    // Scale to 1: one delete, tracked by key; the status update carries the counts.
    h.ownerInformer.update({ ...rs(1), metadata: { ...rs(1).metadata, generation: 2, resourceVersion: '6' } });
    await h.controller.sync('ns/web');
    expect(h.calls.filter((c) => c.verb === 'delete')).toHaveLength(1);
    expect(h.events.at(-1)).toMatchObject({ reason: 'SuccessfulDelete', type: 'Normal' });
    const status = h.calls.filter((c) => c.verb === 'update' && c.sub === 'status').at(-1)!.body as ReplicaSetLike;
    expect(status.status).toMatchObject({ replicas: 2, observedGeneration: 2 });
    await h.controller.sync('ns/web');
    expect(h.calls.filter((c) => c.verb === 'delete')).toHaveLength(1);
  });

  it('stops slow start at the first failed batch, sets ReplicaFailure and posts FailedCreate', async () => {
    const h = harness({ failCreatesAfter: 1 });
    h.ownerInformer.add(rs(10));
    await expect(h.controller.sync('ns/web')).rejects.toThrow(/exceeded quota/);
    // Batch 1 succeeds, batch 2 (2 calls) fails: nothing more is tried.
    expect(createdPods(h.calls)).toHaveLength(3);
    expect(h.events.filter((e) => e.reason === 'FailedCreate')).toHaveLength(2);
    expect(h.events.find((e) => e.reason === 'FailedCreate')?.message).toMatch(/^Error creating: pods "web-" is forbidden: exceeded quota/);
    const status = (h.calls.filter((c) => c.sub === 'status').at(-1)!.body as ReplicaSetLike).status!;
    expect(status.conditions).toEqual([expect.objectContaining({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate' })]);
    // Only the one successful create is still expected: seeing it lets the next sync retry.
    expect(h.controller.expectations.satisfied('ns/web')).toBe(false);
    h.podInformer.add({ ...(createdPods(h.calls)[0]!.body as Pod), metadata: { ...(createdPods(h.calls)[0]!.body as Pod).metadata, namespace: 'ns', name: 'p1', uid: 'u1', resourceVersion: '7' } });
    expect(h.controller.expectations.satisfied('ns/web')).toBe(true);
  });

  it('a sync before the watch brings its own status write back compares with what it wrote: no second write of the same status', async () => {
    const h = harness();
    const owner = rs(1);
    h.ownerInformer.add(owner);
    h.podInformer.add({ metadata: { name: 'p1', namespace: 'ns', uid: 'u1', labels: { app: 'web' }, resourceVersion: '3', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true }] }, status: { phase: 'Running' } });
    const statusWrites = () => h.calls.filter((c) => c.verb === 'update' && c.sub === 'status');
    await h.controller.sync('ns/web');
    expect(statusWrites()).toHaveLength(1);
    expect((statusWrites()[0]!.body as ReplicaSetLike).status).toMatchObject({ replicas: 1, observedGeneration: 1 });
    // The cache still holds the pre-write copy (status {}): the same counts again are not written again.
    await h.controller.sync('ns/web');
    expect(statusWrites()).toHaveLength(1);
    // The cache moves on to a copy whose status someone else changed: that one is compared with, and corrected.
    h.ownerInformer.update({ ...owner, metadata: { ...owner.metadata, resourceVersion: '8' }, status: { replicas: 5 } });
    await h.controller.sync('ns/web');
    expect(statusWrites()).toHaveLength(2);
    expect((statusWrites()[1]!.body as ReplicaSetLike).metadata?.resourceVersion).toBe('8');
  });

  it('while the watch brings back its earlier status writes one by one, each is recognised as behind the last write', async () => {
    const h = harness();
    const owner = rs(1);
    h.ownerInformer.add(owner);
    const pod = (ready: boolean): Pod => ({ metadata: { name: 'p1', namespace: 'ns', uid: 'u1', labels: { app: 'web' }, resourceVersion: ready ? '4' : '3', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true }] }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } });
    h.podInformer.add(pod(false));
    const statusWrites = () => h.calls.filter((c) => c.verb === 'update' && c.sub === 'status');
    await h.controller.sync('ns/web');
    h.podInformer.update(pod(true));
    await h.controller.sync('ns/web');
    // Two writes: replicas 1 / ready 0, then ready 1 over the first write's version (not the cache's '5').
    expect(statusWrites()).toHaveLength(2);
    const [w1, w2] = statusWrites().map((c) => c.body as ReplicaSetLike);
    expect(w2!.status).toMatchObject({ replicas: 1, readyReplicas: 1 });
    expect(w2!.metadata?.resourceVersion).not.toBe('5');
    // The watch delivers the first write (its version as the fake client returned it): still behind, nothing to write.
    const firstResult = { ...w1!, metadata: { ...w1!.metadata, resourceVersion: w2!.metadata!.resourceVersion } };
    h.ownerInformer.update(firstResult);
    await h.controller.sync('ns/web');
    expect(statusWrites()).toHaveLength(2);
  });

  it('writes nothing when status is current', async () => {
    const h = harness();
    h.ownerInformer.add(rs(0, { replicas: 0, fullyLabeledReplicas: 0, readyReplicas: 0, availableReplicas: 0, observedGeneration: 1 }));
    await h.controller.sync('ns/web');
    expect(h.calls).toEqual([]);
  });

  it('adopts an orphan after re-reading the owner live, and skips adoption when the owner is being deleted', async () => {
    const h = harness();
    const owner = rs(1);
    h.owners.set('web', owner);
    h.ownerInformer.add(owner);
    h.podInformer.add({ metadata: { name: 'stray', namespace: 'ns', uid: 'stray-uid', labels: { app: 'web' }, resourceVersion: '3' }, status: { phase: 'Running' } });
    await h.controller.sync('ns/web');
    expect(h.calls.map((c) => `${c.verb} ${c.plural} ${c.name ?? ''}`.trim())).toEqual(['get replicasets web', 'patch pods stray', 'update replicasets web']);
    expect(h.calls[1]!.body).toEqual({ metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }], uid: 'stray-uid' } });

    const h2 = harness();
    const deleting = rs(1);
    h2.owners.set('web', { ...deleting, metadata: { ...deleting.metadata, deletionTimestamp: '2024-06-01T00:00:00Z' } });
    h2.ownerInformer.add(deleting);
    h2.podInformer.add({ metadata: { name: 'stray', namespace: 'ns', uid: 'stray-uid', labels: { app: 'web' }, resourceVersion: '3' }, status: { phase: 'Running' } });
    await expect(h2.controller.sync('ns/web')).rejects.toThrow(/has just been deleted/);
    expect(h2.calls.filter((c) => c.verb === 'patch')).toEqual([]);
  });

  it('runs ReplicationControllers through the same sync with a label-map selector', async () => {
    const h = harness({ kind: 'rc' });
    h.ownerInformer.add({
      apiVersion: 'v1', kind: 'ReplicationController',
      metadata: { name: 'legacy', namespace: 'ns', uid: 'rc-uid', generation: 1, resourceVersion: '2' },
      spec: { replicas: 2, selector: { app: 'legacy' }, template: { metadata: { labels: { app: 'legacy' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    });
    await h.controller.sync('ns/legacy');
    const pods = createdPods(h.calls);
    expect(pods).toHaveLength(2);
    expect((pods[0]!.body as Pod).metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'ReplicationController', name: 'legacy', uid: 'rc-uid', controller: true, blockOwnerDeletion: true }]);
    expect(h.calls.find((c) => c.sub === 'status')?.plural).toBe('replicationcontrollers');
  });

  it('the final delete of a pod already seen terminating queues no sync; a pod gone without a terminating update does', async () => {
    const h = harness();
    h.ownerInformer.add(rs(2));
    const ref = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true }];
    const pod = (name: string, rv: string, deleting = false): Pod => ({
      metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'web' }, resourceVersion: rv, ownerReferences: ref, ...(deleting ? { deletionTimestamp: '2024-06-01T00:00:00Z' } : {}) },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    });
    h.podInformer.add(pod('a', '3'));
    h.podInformer.add(pod('b', '4'));
    expect(await h.drain()).toEqual(['ns/web']);
    // Graceful deletion: the timestamp is the change that matters (a replacement is due now) ...
    h.podInformer.update(pod('a', '5', true));
    expect(await h.drain()).toEqual(['ns/web']);
    // ... the object leaving storage later changes nothing a sync reads.
    h.podInformer.delete(pod('a', '6', true));
    expect(await h.drain()).toEqual([]);
    // Gone at once (no terminating version cached): that is the deletion, observed and synced.
    h.podInformer.delete(pod('b', '7', true));
    expect(await h.drain()).toEqual(['ns/web']);
  });
});
