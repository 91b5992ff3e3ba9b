/**
 * NodeAffinity's PreFilter node set (what DaemonSet pods' `matchFields: metadata.name In [...]` narrows to) and
 * the FailedScheduling text the loop builds from it with both real cores: the named nodes' own reasons, the rest
 * "didn't satisfy plugin(s) [NodeAffinity]", and the conflict rejection when the terms name no node.
 */
import { describe, expect, test } from 'vitest';
import { FakeClock } from '../../../../src/client/clock.js';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import type { SchedulerApi } from '../../../../src/control/scheduler/binder.js';
import type { SchedulerCore } from '../../../../src/control/scheduler/core.js';
import { nodeAffinityPreFilter } from '../../../../src/control/scheduler/prefilter.js';
import { createReferenceCore } from '../../../../src/control/scheduler/reference/index.js';
import { Scheduler } from '../../../../src/control/scheduler/scheduler.js';
import { createWasmCore } from '../../../../src/control/scheduler/wasm-core.js';

type Req = { key: string; operator: string; values?: string[] };
const term = (matchFields: Req[], matchExpressions: Req[] = []) => ({ matchFields, matchExpressions });
const withTerms = (name: string, terms: ReturnType<typeof term>[], cpu = '100m'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: {
    containers: [{ name: 'c', image: 'app:1', resources: { requests: { cpu } } }],
    ...(terms.length ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } } : {}),
  },
});
const named = (...values: string[]): Req => ({ key: 'metadata.name', operator: 'In', values });
const node = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  spec: {},
  status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } },
});

const setOf = (p: KubeObject): string[] | string => {
  const r = nodeAffinityPreFilter(p);
  return r.kind === 'nodes' ? [...r.names].sort() : r.kind;
};

describe('NodeAffinity PreFilter node set', () => {
  test('no required terms, or a term without a metadata.name In requirement, leaves every node in', () => {
    expect(setOf(withTerms('a', []))).toBe('all');
    expect(setOf(withTerms('b', [term([], [{ key: 'zone', operator: 'In', values: ['z1'] }])]))).toBe('all');
    expect(setOf(withTerms('c', [term([{ key: 'metadata.name', operator: 'NotIn', values: ['n1'] }])]))).toBe('all');
    // Terms are ORed: one unrestricted term opens every node.
    expect(setOf(withTerms('d', [term([named('n1')]), term([], [{ key: 'zone', operator: 'Exists' }])]))).toBe('all');
  });

  test('requirements within a term intersect, terms unite, and nothing left is a conflict', () => {
    expect(setOf(withTerms('a', [term([named('n1', 'n2')])]))).toEqual(['n1', 'n2']);
    expect(setOf(withTerms('b', [term([named('n1', 'n2'), named('n2', 'n3')])]))).toEqual(['n2']);
    expect(setOf(withTerms('c', [term([named('n1')]), term([named('n3')])]))).toEqual(['n1', 'n3']);
    expect(setOf(withTerms('d', [term([named('n1'), named('n2')])]))).toBe('conflict');
    expect(setOf(withTerms('e', [term([named('n1'), named('n2')]), term([named()])]))).toBe('conflict');
  });
});

class RecordingApi implements SchedulerApi {
  binds: string[] = [];
  events: KubeObject[] = [];
  async bind(pod: KubeObject, node: string): Promise<void> {
    this.binds.push(`${pod.metadata!.name}->${node}`);
  }
  async setPodCondition(): Promise<void> {}
  async createEvent(ev: KubeObject): Promise<void> {
    this.events.push(ev);
  }
}

const CONFIG = { percentageOfNodesToScore: 100, scoringStrategy: 'LeastAllocated' as const, seed: 1 };

describe.each([
  ['reference', async (): Promise<SchedulerCore> => createReferenceCore(CONFIG)],
  ['wasm', async (): Promise<SchedulerCore> => createWasmCore(CONFIG)],
])('the loop with the %s core', (_name, makeCore) => {
  async function run(...pods: KubeObject[]): Promise<RecordingApi> {
    const api = new RecordingApi();
    const s = new Scheduler({ core: await makeCore(), api, clock: new FakeClock(0) });
    for (const n of ['n1', 'n2', 'n3']) s.nodeHandler.onAdd!(node(n), true);
    for (const p of pods) s.podHandler.onAdd!(p, false);
    for (let info = s.queue.popNow(); info; info = s.queue.popNow()) s.scheduleOne(info);
    await s.idle();
    await s.recorder.flush();
    return api;
  }
  const failure = (api: RecordingApi, pod: string): unknown =>
    api.events.find((e) => e.reason === 'FailedScheduling' && (e.involvedObject as { name: string }).name === pod)?.message;

  test('a pod pinned to one node binds there', async () => {
    const api = await run(withTerms('pinned', [term([named('n2')])]));
    expect(api.binds).toEqual(['pinned->n2']);
  });

  test('a pinned pod that does not fit reports its node and the nodes outside the set', async () => {
    const api = await run(withTerms('big', [term([named('n1')])], '8'));
    expect(failure(api, 'big')).toBe(
      "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. " +
        'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.',
    );
  });

  test('terms that name no node are rejected by the PreFilter itself', async () => {
    const api = await run(withTerms('nowhere', [term([named('n1'), named('n2')])]));
    expect(failure(api, 'nowhere')).toBe(
      '0/3 nodes are available: pod affinity terms conflict. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    );
  });

  test('a pod without a node set keeps the per-node histogram over every node', async () => {
    const api = await run(withTerms('huge', [], '8'));
    expect(failure(api, 'huge')).toBe(
      '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
    );
  });
});
