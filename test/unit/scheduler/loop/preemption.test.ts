import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { FakeClock } from '../../../../src/client/clock.js';
import type { SchedulerApi } from '../../../../src/control/scheduler/binder.js';
import type { ScheduleResult } from '../../../../src/control/scheduler/core.js';
import type { PodCondition } from '../../../../src/control/scheduler/events.js';
import { Scheduler } from '../../../../src/control/scheduler/scheduler.js';
import type { ExplainableCore, NodeExplain } from '../../../../src/control/scheduler/plugins.js';
import { pickCandidate, planPreemption, podPriority } from '../../../../src/control/scheduler/preemption.js';

const cpuOf = (pod: KubeObject): number => Number((pod.spec as { cpu?: number }).cpu ?? 0);
const nodeOf = (pod: KubeObject): string => (pod.spec as { nodeName?: string }).nodeName ?? '';

/** cpu-only fit; a node named `tainted-*` rejects every pod with a reason preemption cannot fix. */
class FakeCore implements ExplainableCore {
  nodes = new Map<string, number>();
  pods = new Map<string, KubeObject>();
  upsertNode(node: KubeObject): void {
    this.nodes.set(node.metadata!.name!, Number((node.status as { cpu: number }).cpu));
  }
  removeNode(name: string): void {
    this.nodes.delete(name);
  }
  addPod(pod: KubeObject): void {
    this.pods.set(pod.metadata!.name!, pod);
  }
  removePod(pod: KubeObject): void {
    this.pods.delete(pod.metadata!.name!);
  }
  free(node: string): number {
    let used = 0;
    for (const p of this.pods.values()) if (nodeOf(p) === node) used += cpuOf(p);
    return this.nodes.get(node)! - used;
  }
  explain(pod: KubeObject): NodeExplain[] {
    return [...this.nodes.keys()].sort().map((node) => ({
      node,
      reasons: node.startsWith('tainted-') ? ["node(s) had untolerated taint {x: y}"] : this.free(node) < cpuOf(pod) ? ['Insufficient cpu'] : [],
      scores: null,
      total: 0,
    }));
  }
  schedule(pod: KubeObject): ScheduleResult {
    const ex = this.explain(pod);
    const fit = ex.filter((n) => n.reasons.length === 0);
    const counts = new Map<string, number>();
    for (const n of ex) for (const r of n.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    return { node: fit[0]?.node ?? null, evaluated: ex.length, feasible: fit.length, reasons: [...counts].map(([reason, count]) => ({ reason, count })) };
  }
  nodeCount(): number {
    return this.nodes.size;
  }
}

const pod = (name: string, priority: number, cpu: number, nodeName = '', extra: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name, namespace: 'ns', uid: `uid-${name}` },
  spec: { priority, cpu, nodeName, ...extra },
});

function cluster(): { core: FakeCore; podsOn: (n: string) => KubeObject[] } {
  const core = new FakeCore();
  for (const n of ['n1', 'n2', 'tainted-3']) core.upsertNode({ metadata: { name: n }, status: { cpu: 10 } });
  for (const p of [pod('low', 1, 6, 'n1'), pod('mid', 5, 3, 'n1'), pod('mid2', 5, 6, 'n2'), pod('high', 100, 3, 'n2'), pod('t', 0, 9, 'tainted-3')]) core.addPod(p);
  return { core, podsOn: (n) => [...core.pods.values()].filter((p) => nodeOf(p) === n) };
}

describe('DefaultPreemption', () => {
  test('evicts the fewest, least important pods: low on n1 (priority 1) rather than mid2 on n2 (priority 5); the core is left as it was', () => {
    const { core, podsOn } = cluster();
    const before = [...core.pods.keys()].sort();
    const plan = planPreemption(core, pod('p', 10, 5), undefined, podsOn);
    expect(plan?.node).toBe('n1');
    expect(plan?.victims.map((v) => v.metadata!.name)).toEqual(['low']); // mid is reprieved: p fits beside it
    expect([...core.pods.keys()].sort()).toEqual(before);
  });

  test('no plan without lower-priority pods to evict, with preemptionPolicy Never, or on nodes preemption cannot help', () => {
    const { core, podsOn } = cluster();
    expect(planPreemption(core, pod('p', 0, 5), undefined, podsOn)).toBeNull();
    expect(planPreemption(core, pod('p', 10, 5, '', { preemptionPolicy: 'Never' }), undefined, podsOn)).toBeNull();
    // Even evicting everything below 1000 leaves n1 and n2 too small for 11 cpu; tainted-3 is never tried.
    expect(planPreemption(core, pod('p', 1000, 11), undefined, podsOn)).toBeNull();
  });

  test('a higher-priority preemptor may evict more important pods when it must', () => {
    const { core, podsOn } = cluster();
    const plan = planPreemption(core, pod('p', 200, 8), undefined, podsOn);
    // n1: low+mid (sum 6), n2: mid2+high (top priority 100): n1 wins on the lowest top priority.
    expect(plan?.node).toBe('n1');
    expect(plan?.victims.map((v) => v.metadata!.name).sort()).toEqual(['low', 'mid']);
    expect(podPriority(plan!.victims[0]!)).toBeLessThan(200);
  });

  test('pickCandidate: lowest top priority, then smallest sum (fewer victims weigh less), then fewest victims', () => {
    const a = { node: 'a', victims: [pod('x', 3, 1), pod('y', 3, 1)] };
    const b = { node: 'b', victims: [pod('z', 3, 1)] };
    const c = { node: 'c', victims: [pod('w', 4, 1)] };
    expect(pickCandidate([a, b, c])?.node).toBe('b');
    expect(pickCandidate([c, a])?.node).toBe('a');
    expect(pickCandidate([])).toBeUndefined();
  });
});

class FakeApi implements SchedulerApi {
  binds: string[] = [];
  events: KubeObject[] = [];
  nominations: string[] = [];
  evictions: { pod: string; message: string }[] = [];
  async bind(p: KubeObject, node: string): Promise<void> {
    this.binds.push(`${p.metadata!.name}->${node}`);
  }
  async setPodCondition(_p: KubeObject, _c: PodCondition): Promise<void> {}
  async createEvent(ev: KubeObject): Promise<void> {
    this.events.push(ev);
  }
  async nominate(p: KubeObject, node: string): Promise<void> {
    this.nominations.push(`${p.metadata!.name}->${node}`);
  }
  async preempt(victim: KubeObject, message: string): Promise<void> {
    this.evictions.push({ pod: victim.metadata!.name!, message });
  }
}

describe('the loop preempts', () => {
  test('nominates, evicts the victims once (not again while they terminate), and binds once they are gone', async () => {
    const core = new FakeCore();
    const api = new FakeApi();
    const clock = new FakeClock(1_000_000);
    const s = new Scheduler({ core, api, clock });
    const drain = async () => {
      for (let info = s.queue.popNow(); info; info = s.queue.popNow()) s.scheduleOne(info);
      await s.idle();
    };
    s.nodeHandler.onAdd!({ metadata: { name: 'n1' }, status: { cpu: 10 } }, true);
    const victim = pod('low', 1, 8, 'n1');
    s.podHandler.onAdd!(victim, true);
    s.podHandler.onAdd!(pod('p', 10, 5), false);
    await drain();
    expect(api.nominations).toEqual(['p->n1']);
    expect(api.evictions).toEqual([{ pod: 'low', message: 'default-scheduler: preempting to accommodate a higher priority pod' }]);
    const preempted = api.events.find((e) => e.reason === 'Preempted')!;
    expect(preempted).toMatchObject({ type: 'Normal', action: 'Preempting', message: 'Preempted by pod uid-p on node n1', involvedObject: { name: 'low' } });
    const failed = api.events.find((e) => e.reason === 'FailedScheduling')!;
    expect(failed.message).toBe('0/1 nodes are available: 1 Insufficient cpu.'); // a successful PostFilter adds no text
    expect(api.binds).toEqual([]);
    // The victim is terminating: the pod waits, nothing more is evicted.
    const terminating = { ...victim, metadata: { ...victim.metadata, deletionTimestamp: '2026-12-03T10:00:00Z' } };
    s.podHandler.onUpdate!(victim, terminating);
    clock.step(1000);
    s.queue.moveAllToActiveOrBackoff('AssignedPodDelete');
    await drain();
    expect(api.evictions).toHaveLength(1);
    expect(api.binds).toEqual([]);
    // Gone: the pod fits and binds.
    clock.step(2000);
    s.podHandler.onDelete!(terminating);
    await drain();
    expect(api.binds).toEqual(['p->n1']);
  });
});
