/**
 * The loop against a tiny fake core (cpu-only fit, most free cpu wins) and a fake API that records calls:
 * the real cores' decisions are tested elsewhere; here the loop's own behaviour is.
 */
import { describe, expect, test } from 'vitest';
import { FakeClock } from '../../../../src/client/clock.js';
import { ApiError } from '../../../../src/client/rest.js';
import type { SchedulerApi } from '../../../../src/control/scheduler/binder.js';
import type { ScheduleHints, ScheduleResult, SchedulerCore } from '../../../../src/control/scheduler/core.js';
import type { PodCondition } from '../../../../src/control/scheduler/events.js';
import { Scheduler } from '../../../../src/control/scheduler/scheduler.js';
import { boundPodView } from '../../../../src/control/scheduler/bound-pod-view.js';
import type { KubeObject } from '../../../../src/control/api/resource.js';

const cpuOf = (pod: KubeObject): number => Number((pod.spec as { cpu?: number }).cpu ?? 0);
const nodeOf = (pod: KubeObject): string => (pod.spec as { nodeName?: string }).nodeName ?? '';

class FakeCore implements SchedulerCore {
  nodes = new Map<string, number>();
  pods = new Map<string, { node: string; cpu: number }>();
  log: string[] = [];
  hints: (ScheduleHints | undefined)[] = [];
  upsertNode(node: KubeObject): void {
    this.nodes.set(node.metadata!.name!, Number((node.status as { cpu: number }).cpu));
  }
  removeNode(name: string): void {
    this.nodes.delete(name);
  }
  addPod(pod: KubeObject): void {
    this.log.push(`add ${pod.metadata!.name}@${nodeOf(pod)}`);
    this.pods.set(pod.metadata!.name!, { node: nodeOf(pod), cpu: cpuOf(pod) });
  }
  removePod(pod: KubeObject): void {
    this.log.push(`remove ${pod.metadata!.name}@${nodeOf(pod)}`);
    this.pods.delete(pod.metadata!.name!);
  }
  free(node: string): number {
    let used = 0;
    for (const p of this.pods.values()) if (p.node === node) used += p.cpu;
    return this.nodes.get(node)! - used;
  }
  schedule(pod: KubeObject, hints?: ScheduleHints): ScheduleResult {
    this.hints.push(hints);
    let best: string | null = null;
    let failed = 0;
    for (const n of [...this.nodes.keys()].sort()) {
      if (this.free(n) < cpuOf(pod)) failed++;
      else if (best === null || this.free(n) > this.free(best)) best = n;
    }
    return { node: best, evaluated: this.nodes.size, feasible: this.nodes.size - failed, reasons: failed ? [{ reason: 'Insufficient cpu', count: failed }] : [] };
  }
  nodeCount(): number {
    return this.nodes.size;
  }
}

class FakeApi implements SchedulerApi {
  binds: string[] = [];
  conditions: { pod: string; cond: PodCondition }[] = [];
  events: KubeObject[] = [];
  pending: { resolve: () => void; reject: (e: unknown) => void; what: string }[] = [];
  manual = false;
  bind(pod: KubeObject, node: string): Promise<void> {
    const what = `${pod.metadata!.name}->${node}`;
    this.binds.push(what);
    if (!this.manual) return Promise.resolve();
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject, what }));
  }
  async setPodCondition(pod: KubeObject, cond: PodCondition): Promise<void> {
    this.conditions.push({ pod: pod.metadata!.name!, cond });
  }
  async createEvent(ev: KubeObject): Promise<void> {
    this.events.push(ev);
  }
}

const node = (name: string, cpu: number): KubeObject => ({ metadata: { name, labels: {} }, spec: {}, status: { cpu } });
const pod = (name: string, cpu: number, spec: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name, namespace: 'ns', uid: `uid-${name}` },
  spec: { cpu, ...spec },
});

function setup(): { s: Scheduler; core: FakeCore; api: FakeApi; clock: FakeClock } {
  const core = new FakeCore();
  const api = new FakeApi();
  const clock = new FakeClock(1_000_000);
  const s = new Scheduler({ core, api, clock, bindConcurrency: 2 });
  return { s, core, api, clock };
}

/** Pops and runs cycles until the active queue is empty. */
async function drain(s: Scheduler): Promise<void> {
  for (let info = s.queue.popNow(); info; info = s.queue.popNow()) s.scheduleOne(info);
  await s.idle();
}

describe('scheduling loop', () => {
  test('the core gets the system default spread selector from the Services selecting the pod', async () => {
    const core = new FakeCore();
    const services = [{ metadata: { name: 'web', namespace: 'ns' }, spec: { selector: { app: 'web' } } }];
    const s = new Scheduler({
      core, api: new FakeApi(), clock: new FakeClock(0),
      spreadSources: { services: (ns) => services.filter((x) => x.metadata.namespace === ns), replicaSet: () => undefined, statefulSet: () => undefined },
    });
    s.nodeHandler.onAdd!(node('n1', 1000), true);
    const labelled = (name: string, labels: Record<string, string>): KubeObject => ({ ...pod(name, 10), metadata: { ...pod(name, 10).metadata, labels } });
    s.podHandler.onAdd!(labelled('w', { app: 'web', hash: 'x' }), false);
    await drain(s);
    s.podHandler.onAdd!(labelled('o', { app: 'other' }), false);
    await drain(s);
    expect(core.hints).toEqual([{ defaultSpreadSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] } }, undefined]);
  });

  test('binds where the core says; the core sees each assumed pod before its bind lands', async () => {
    const { s, core, api } = setup();
    s.nodeHandler.onAdd!(node('n1', 1000), true);
    s.nodeHandler.onAdd!(node('n2', 600), true);
    api.manual = true;
    for (const p of [pod('a', 500), pod('b', 500), pod('c', 100)]) s.podHandler.onAdd!(p, false);
    for (let info = s.queue.popNow(); info; info = s.queue.popNow()) s.scheduleOne(info);
    // a → n1 (1000 free); b → n2 (600 free vs n1's 500, visible only because a is assumed); c → n1 (500 vs 100).
    expect(api.binds).toEqual(['a->n1', 'b->n2', 'c->n1']);
    expect(s.cache.assumedCount()).toBe(3);
    for (const p of api.pending.splice(0)) p.resolve();
    await s.idle();
    expect(s.stats.bound).toBe(3);
    const scheduled = api.events.filter((e) => e.reason === 'Scheduled').map((e) => e.message);
    expect(scheduled).toEqual(['Successfully assigned ns/a to n1', 'Successfully assigned ns/b to n2', 'Successfully assigned ns/c to n1']);
    // The informer's copy confirms the assumed pod. Its scheduling inputs are the assumed copy's (spec keys in
    // another order): the core keeps what it holds, the cache holds the server's object.
    const logged = core.log.length;
    const confirmed: KubeObject = { metadata: { name: 'a', namespace: 'ns', uid: 'uid-a', resourceVersion: '7' }, spec: { nodeName: 'n1', cpu: 500 }, status: { phase: 'Pending' } };
    s.podHandler.onUpdate!(pod('a', 500), confirmed);
    expect(s.cache.isAssumed('ns/a')).toBe(false);
    expect(core.log.length).toBe(logged);
    // A status write changes nothing the core reads either; a spec change (another scheduler's bind of b
    // elsewhere, a label, a deletion) is swapped into the core.
    s.podHandler.onUpdate!(confirmed, { ...confirmed, status: { phase: 'Running' } });
    expect(core.log.length).toBe(logged);
    s.podHandler.onUpdate!(pod('b', 500), pod('b', 500, { nodeName: 'n1' }));
    expect(core.log.slice(logged)).toEqual(['remove b@n2', 'add b@n1']);
    expect(core.free('n1')).toBe(1000 - 500 - 100 - 500);
    s.podHandler.onUpdate!(confirmed, { ...confirmed, metadata: { ...confirmed.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } });
    expect(core.log.slice(-2)).toEqual(['remove a@n1', 'add a@n1']);
    s.podHandler.onUpdate!(pod('c', 100, { nodeName: 'n1' }), { ...pod('c', 100, { nodeName: 'n1' }), metadata: { ...pod('c', 100).metadata, labels: { app: 'x' } } });
    expect(core.log.slice(-2)).toEqual(['remove c@n1', 'add c@n1']);
  });

  test("the informer's bound view of an assumed pod confirms it without the core parsing it again", async () => {
    const { s, core } = setup();
    s.nodeHandler.onAdd!(node('n1', 1000), true);
    // What the informer keeps of a pod once bound (boundPodView) drops env, probes, non-claim volumes and most
    // of the status; the assumed copy must be in that shape too, or every confirmation re-adds the pod.
    const full = (nodeName?: string): KubeObject => ({
      metadata: { name: 'w', namespace: 'ns', uid: 'uid-w' },
      spec: {
        cpu: 200, ...(nodeName ? { nodeName } : {}),
        containers: [{ name: 'c', image: 'nginx', env: [{ name: 'A', value: '1' }], readinessProbe: { httpGet: { port: 80 } }, volumeMounts: [{ name: 'cfg', mountPath: '/c' }] }],
        volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }],
      },
      status: { phase: 'Pending', qosClass: 'BestEffort' },
    });
    s.podHandler.onAdd!(full(), false);
    await drain(s);
    expect(s.cache.isAssumed('ns/w')).toBe(true);
    const logged = core.log.length;
    const confirmed = boundPodView(full('n1'));
    s.podHandler.onUpdate!(full(), confirmed);
    expect(s.cache.isAssumed('ns/w')).toBe(false);
    expect(core.log.slice(logged)).toEqual([]);
  });

  test('an unschedulable pod gets the event and condition, is parked, and a fitting node schedules it', async () => {
    const { s, api, clock } = setup();
    s.nodeHandler.onAdd!(node('n1', 100), true);
    s.podHandler.onAdd!(pod('big', 2000), false);
    await drain(s);
    const failed = api.events.find((e) => e.reason === 'FailedScheduling')!;
    expect(failed.type).toBe('Warning');
    expect(failed.message).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
    expect(api.conditions).toEqual([
      { pod: 'big', cond: expect.objectContaining({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: failed.message }) },
    ]);
    expect(s.queue.where('ns/big')).toBe('unschedulable');
    // A new node is an event NodeResourcesFit registered for; the 1 s backoff of the first attempt is over,
    // so the pod goes straight to activeQ.
    clock.step(1000);
    s.nodeHandler.onAdd!(node('n2', 4000), true);
    expect(s.queue.where('ns/big')).toBe('active');
    await drain(s);
    expect(api.binds).toEqual(['big->n2']);
  });

  test('a failed bind forgets the assumed pod and retries after backoff; a 404 drops it', async () => {
    const { s, core, api, clock } = setup();
    s.nodeHandler.onAdd!(node('n1', 1000), true);
    api.manual = true;
    s.podHandler.onAdd!(pod('a', 100), false);
    s.podHandler.onAdd!(pod('gone', 100), false);
    for (let info = s.queue.popNow(); info; info = s.queue.popNow()) s.scheduleOne(info);
    api.pending[0].reject(new Error('connection reset'));
    api.pending[1].reject(new ApiError(404, 'NotFound', undefined, 'POST', '/x'));
    api.pending.splice(0);
    await s.idle();
    expect(core.pods.size).toBe(0);
    expect(s.cache.assumedCount()).toBe(0);
    expect(s.queue.where('ns/gone')).toBeUndefined();
    expect(s.queue.where('ns/a')).toBe('backoff');
    expect(api.events.some((e) => e.reason === 'FailedScheduling' && String(e.message).startsWith('Binding rejected: connection reset'))).toBe(true);
    api.manual = false;
    clock.step(999);
    s.queue.flushBackoffCompleted();
    expect(s.queue.popNow()).toBeUndefined();
    clock.step(1);
    s.queue.flushBackoffCompleted();
    await drain(s);
    expect(api.binds.at(-1)).toBe('a->n1');
  });

  test('ignores pods of other schedulers, bound pods, terminating pods; counts bound pods in the core', async () => {
    const { s, core, api } = setup();
    s.nodeHandler.onAdd!(node('n1', 1000), true);
    s.podHandler.onAdd!(pod('other', 1, { schedulerName: 'my-scheduler' }), false);
    s.podHandler.onAdd!({ ...pod('dying', 1), metadata: { name: 'dying', namespace: 'ns', deletionTimestamp: '2026-01-01T00:00:00Z' } }, false);
    s.podHandler.onAdd!(pod('running', 900, { nodeName: 'n1' }), false);
    s.podHandler.onAdd!({ ...pod('done', 900, { nodeName: 'n1' }), status: { phase: 'Succeeded' } }, false);
    s.podHandler.onAdd!(pod('mine', 200, { schedulerName: 'default-scheduler' }), false);
    await drain(s);
    expect(core.free('n1')).toBe(100);
    expect(api.binds).toEqual([]);
    expect(s.queue.where('ns/mine')).toBe('unschedulable');
    // The running pod is deleted: its room frees, and the parked pod is moved (backoff first).
    s.podHandler.onDelete!(pod('running', 900, { nodeName: 'n1' }));
    expect(core.free('n1')).toBe(1000);
    expect(s.queue.where('ns/mine')).not.toBe('unschedulable');
  });

  test('a node heartbeat neither touches the core nor requeues; a node delete removes it', () => {
    const { s, core } = setup();
    const n1 = { ...node('n1', 100), status: { cpu: 100, conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: 'a' }] } };
    s.nodeHandler.onAdd!(n1, true);
    const upserts: string[] = [];
    const orig = core.upsertNode.bind(core);
    core.upsertNode = (n) => { upserts.push(n.metadata!.name!); orig(n); };
    s.nodeHandler.onUpdate!(n1, { ...n1, status: { cpu: 100, conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: 'b' }] } });
    expect(upserts).toEqual([]);
    s.nodeHandler.onUpdate!(n1, { ...n1, metadata: { name: 'n1', labels: { zone: 'a' } } });
    expect(upserts).toEqual(['n1']);
    s.nodeHandler.onDelete!(n1);
    expect(core.nodeCount()).toBe(0);
  });

  test('run() keeps at most bindConcurrency binds in flight', async () => {
    const { s, api } = setup();
    s.nodeHandler.onAdd!(node('n1', 100_000), true);
    api.manual = true;
    for (let i = 0; i < 5; i++) s.podHandler.onAdd!(pod(`p${i}`, 1), false);
    const ac = new AbortController();
    const running = s.run(ac.signal);
    await new Promise((r) => setTimeout(r, 20));
    expect(api.binds.length).toBe(2);
    api.pending.shift()!.resolve();
    await new Promise((r) => setTimeout(r, 20));
    expect(api.binds.length).toBe(3);
    while (api.binds.length < 5 || api.pending.length) {
      api.pending.shift()?.resolve();
      await new Promise((r) => setTimeout(r, 5));
    }
    ac.abort();
    await running;
    await s.idle();
    expect(s.stats.bound).toBe(5);
  });
});
