/**
 * VolumeBinding inside the scheduling loop, with the reference core, fake informers (plain maps), a fake API and
 * a fake clock: an assumed volume is not offered to the next pod; PreBind binds the pod only once the claim is
 * bound; a PreBind that times out requeues the pod with upstream's event text and frees its volume; pods
 * without claims never reach VolumeBinding.
 */
import { describe, expect, test } from 'vitest';
import { FakeClock } from '../../../../src/client/clock.js';
import type { SharedInformer } from '../../../../src/client/informer.js';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import type { SchedulerApi } from '../../../../src/control/scheduler/binder.js';
import { createReferenceCore } from '../../../../src/control/scheduler/reference/index.js';
import { createWasmCore } from '../../../../src/control/scheduler/wasm-core.js';
import type { SchedulerCore } from '../../../../src/control/scheduler/core.js';
import { Scheduler } from '../../../../src/control/scheduler/scheduler.js';
import { VolumeBinder, nodeLike, type VolumeApi } from '../../../../src/control/scheduler/volume-binder.js';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../../../src/control/scheduler/volume-binding.js';

/** Just what VolumeBinder reads of a SharedInformer. */
class FakeInformer<T extends KubeObject> {
  objs = new Map<string, T>();
  private indexers = new Map<string, (o: T) => string[]>();
  private handlers: { onUpdate?: (o: T, n: T) => void }[] = [];
  readonly lister = {
    get: (ns: string | undefined, name: string) => this.objs.get(ns ? `${ns}/${name}` : name),
    list: () => [...this.objs.values()],
  };
  readonly indexer = {
    ensureIndexer: (name: string, fn: (o: T) => string[]) => void this.indexers.set(name, fn),
    byIndex: (name: string, v: string) => [...this.objs.values()].filter((o) => this.indexers.get(name)!(o).includes(v)),
  };
  addEventHandler(h: { onUpdate?: (o: T, n: T) => void }): void {
    this.handlers.push(h);
  }
  set(o: T): void {
    const k = o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata!.name!;
    const old = this.objs.get(k);
    this.objs.set(k, o);
    for (const h of this.handlers) h.onUpdate?.(old ?? o, o);
  }
  as(): SharedInformer<T> {
    return this as unknown as SharedInformer<T>;
  }
}

const node = (name: string): KubeObject => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  spec: {},
  status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
});
const pod = (name: string, claim?: string): KubeObject => ({
  metadata: { name, namespace: 'ns', uid: `uid-${name}` },
  spec: { containers: [{ name: 'c', image: 'x' }], ...(claim ? { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: claim } }] } : {}) },
});
const claim = (name: string): PersistentVolumeClaim => ({
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, resourceVersion: '10' },
  spec: { storageClassName: 'local', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  status: { phase: 'Pending' },
});
const pvOnB: PersistentVolume = {
  metadata: { name: 'pv-b', resourceVersion: '11' },
  spec: {
    capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'local', local: { path: '/x' },
    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['b'] }] }] } },
  },
  status: { phase: 'Available' },
};

class FakeApis implements SchedulerApi, VolumeApi {
  binds: string[] = [];
  events: KubeObject[] = [];
  volumeWrites: PersistentVolume[] = [];
  rv = 100;
  async bind(p: KubeObject, n: string): Promise<void> { this.binds.push(`${p.metadata!.name}->${n}`); }
  async setPodCondition(): Promise<void> {}
  async createEvent(ev: KubeObject): Promise<void> { this.events.push(ev); }
  async updateVolume(pv: PersistentVolume): Promise<PersistentVolume> {
    const out = { ...pv, metadata: { ...pv.metadata, resourceVersion: String(++this.rv) } };
    this.volumeWrites.push(out);
    return out;
  }
  async updateClaim(c: PersistentVolumeClaim): Promise<PersistentVolumeClaim> {
    return { ...c, metadata: { ...c.metadata, resourceVersion: String(++this.rv) } };
  }
}

const CONFIG = { percentageOfNodesToScore: 100, scoringStrategy: 'LeastAllocated', seed: 7 } as const;
async function setup(makeCore: () => Promise<SchedulerCore>, indexedNodes = false) {
  const clock = new FakeClock(1_000_000);
  const claims = new FakeInformer<PersistentVolumeClaim>();
  const pvs = new FakeInformer<PersistentVolume>();
  const classes = new FakeInformer<StorageClass>();
  classes.set({ metadata: { name: 'local' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' });
  pvs.set(pvOnB);
  const nodes = [node('a'), node('b')];
  const api = new FakeApis();
  const volumes = new VolumeBinder({
    claims: claims.as(), volumes: pvs.as(), classes: classes.as(), api, clock, bindTimeoutMs: 5_000, pollMs: 1_000,
    nodes: {
      get: (n) => nodes.map(nodeLike).find((x) => x.name === n),
      list: () => nodes.map(nodeLike),
      // The hostname index start.ts gives it: bound local volumes then check only their nodes.
      ...(indexedNodes ? { withHostname: (h: string) => nodes.map(nodeLike).filter((x) => x.labels['kubernetes.io/hostname'] === h), count: () => nodes.length } : {}),
    },
  });
  const s = new Scheduler({ core: await makeCore(), api, clock, volumes });
  for (const n of nodes) s.nodeHandler.onAdd!(n, true);
  return { s, api, clock, claims, pvs };
}

const flush = async (): Promise<void> => { for (let i = 0; i < 20; i++) await Promise.resolve(); };
function cycle(s: Scheduler): void {
  for (let info = s.queue.popNow(); info; info = s.queue.popNow()) s.scheduleOne(info);
}

describe.each([
  ['reference', async () => createReferenceCore(CONFIG)],
  ['wasm', async () => createWasmCore(CONFIG)],
] as const)('VolumeBinding in the loop (%s core)', (_name, core) => {

  test('the pod is bound after its claim; the assumed volume is not offered to the next pod', async () => {
    const { s, api, claims, pvs } = await setup(core);
    claims.set(claim('one'));
    claims.set(claim('two'));
    s.podHandler.onAdd!(pod('p1', 'one'), false);
    s.podHandler.onAdd!(pod('p2', 'two'), false);
    cycle(s);
    await flush();
    // p1 got B (the only volume), p2 none: the volume is assumed for p1 before its write is seen.
    expect(api.volumeWrites.map((v) => [v.metadata?.name, v.spec?.claimRef?.name, v.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller']])).toEqual([['pv-b', 'one', 'yes']]);
    const failed = api.events.filter((e) => e.reason === 'FailedScheduling').map((e) => (e as { message?: string }).message);
    expect(failed).toEqual([
      "0/2 nodes are available: 2 node(s) didn't find available persistent volumes to bind. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
    ]);
    expect(api.binds).toEqual([]);
    // The PV controller finishes: the volume names the claim, the claim is bound.
    pvs.set(api.volumeWrites[0]!);
    claims.set({ ...claim('one'), metadata: { ...claim('one').metadata, resourceVersion: '200', annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } }, spec: { ...claim('one').spec, volumeName: 'pv-b' } });
    await flush();
    await s.idle();
    expect(api.binds).toEqual(['p1->b']);
  });

  test('a PreBind that times out requeues the pod with upstream\'s text and frees the volume', async () => {
    const { s, api, clock, claims } = await setup(core);
    claims.set(claim('one'));
    s.podHandler.onAdd!(pod('p1', 'one'), false);
    cycle(s);
    for (let i = 0; i < 8; i++) {
      await flush();
      clock.step(1_000);
    }
    await flush();
    await s.idle();
    expect(api.binds).toEqual([]);
    const texts = api.events.filter((e) => e.reason === 'FailedScheduling').map((e) => (e as { message?: string }).message);
    expect(texts).toEqual(['running PreBind plugin "VolumeBinding": binding volumes: timed out waiting for the condition']);
    expect(s.stats.bindErrors).toBe(1);
    // Back in the queue (backoff), and the volume is offered again.
    clock.step(20_000);
    s.queue.flushBackoffCompleted();
    cycle(s);
    await flush();
    expect(api.volumeWrites.map((v) => v.metadata?.name)).toEqual(['pv-b', 'pv-b']);
  });

  test('deleting a pod waiting in PreBind ends the wait: no bind, no event, its volume offered again', async () => {
    const { s, api, claims } = await setup(core);
    claims.set(claim('one'));
    s.podHandler.onAdd!(pod('p1', 'one'), false);
    cycle(s);
    await flush();
    expect(api.volumeWrites).toHaveLength(1);
    s.podHandler.onDelete!(pod('p1', 'one'));
    await flush();
    await s.idle();
    expect(api.binds).toEqual([]);
    expect(api.events.filter((e) => e.reason === 'FailedScheduling')).toEqual([]);
    s.podHandler.onAdd!(pod('p2', 'one'), false);
    cycle(s);
    await flush();
    expect(api.volumeWrites.map((v) => v.spec?.claimRef?.name)).toEqual(['one', 'one']);
  });

  test('a pod refused for a missing claim is moved by its own claim appearing, not by other claims, unchanged classes or pod events', async () => {
    const { s, api } = await setup(core);
    s.podHandler.onAdd!(pod('p1', 'later'), false);
    cycle(s);
    await s.idle();
    expect((api.events[0] as { message?: string }).message).toBe(
      '0/2 nodes are available: persistentvolumeclaim "later" not found. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
    expect(s.queue.where('ns/p1')).toBe('unschedulable');
    s.storageEvent('PersistentVolumeClaimAdd', claim('unrelated'));
    s.storageEvent('PersistentVolumeClaimAdd', { ...claim('later'), metadata: { ...claim('later').metadata, namespace: 'elsewhere' } });
    const cls = { metadata: { name: 'local' }, provisioner: 'x' };
    s.storageEvent('StorageClassUpdate', cls, { ...cls });
    // Events VolumeBinding does not register for leave it parked too.
    s.podHandler.onAdd!({ ...pod('bound-elsewhere'), spec: { ...pod('bound-elsewhere').spec, nodeName: 'a' } }, false);
    expect(s.queue.where('ns/p1')).toBe('unschedulable');
    s.storageEvent('PersistentVolumeClaimAdd', claim('later'));
    expect(s.queue.where('ns/p1')).not.toBe('unschedulable');
  });

  test.each([false, true])('a pod with a claim bound to a volume on B goes to B; pinned to A it gets upstream\'s message (hostname index: %s)', async (indexed) => {
    const { s, api, claims, pvs } = await setup(core, indexed);
    pvs.set({ ...pvOnB, spec: { ...pvOnB.spec, claimRef: { namespace: 'ns', name: 'one', uid: 'uid-one' } }, status: { phase: 'Bound' } });
    claims.set({ ...claim('one'), metadata: { ...claim('one').metadata, annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } }, spec: { ...claim('one').spec, volumeName: 'pv-b' } });
    s.podHandler.onAdd!(pod('free', 'one'), false);
    s.podHandler.onAdd!({ ...pod('pinned', 'one'), spec: { ...pod('pinned', 'one').spec, nodeSelector: { 'kubernetes.io/hostname': 'a' } } }, false);
    cycle(s);
    await s.idle();
    expect(api.binds).toEqual(['free->b']);
    expect(api.volumeWrites).toEqual([]);
    expect(api.events.filter((e) => e.reason === 'FailedScheduling').map((e) => (e as { message?: string }).message)).toEqual([
      "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had volume node affinity conflict. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
    ]);
  });

  test('pods without claims are bound at once, VolumeBinding untouched', async () => {
    const { s, api } = await setup(core);
    s.podHandler.onAdd!(pod('plain'), false);
    cycle(s);
    await s.idle();
    expect(api.binds).toHaveLength(1);
    expect(api.volumeWrites).toEqual([]);
  });
});
