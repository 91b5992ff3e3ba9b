/**
 * Differential tests: the WASM core against the plain-TypeScript reference on thousands of random clusters
 * and pods, placed one after another. Both must agree on every node's filter outcome and per-plugin score
 * (explain), and on each decision: chosen node (same seed), nodes evaluated, feasible count, failure counts.
 */
import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import type { ScheduleResult } from '../../../../src/control/scheduler/core.js';
import { createReferenceCore } from '../../../../src/control/scheduler/reference/index.js';
import { createWasmCore } from '../../../../src/control/scheduler/wasm-core.js';
import { Rand, randomDefaultSelector, randomNode, randomPod } from './random-cluster.js';

const sortReasons = (r: ScheduleResult): ScheduleResult => ({
  ...r, reasons: [...r.reasons].sort((a, b) => a.reason.localeCompare(b.reason)),
});

async function runCluster(seed: number, opts: { nodes: number; pods: number; percentage: number; strategy: 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio' }): Promise<{ decisions: number; scheduled: number; defaulted: number }> {
  const r = new Rand(seed);
  // Default selectors draw from their own stream, so the clusters and pods stay those of earlier runs.
  const hr = new Rand(seed ^ 0x5bd1e995);
  let defaulted = 0;
  const config = { percentageOfNodesToScore: opts.percentage, scoringStrategy: opts.strategy, seed };
  const ref = createReferenceCore(config);
  const wasm = await createWasmCore(config);
  const nodes: KubeObject[] = [];
  for (let i = 0; i < opts.nodes; i++) {
    const n = randomNode(r, i);
    nodes.push(n);
    ref.upsertNode(n);
    wasm.upsertNode(n);
  }
  const bound: KubeObject[] = [];
  let scheduled = 0;
  for (let i = 0; i < opts.pods; i++) {
    const pod = randomPod(r, i, opts.nodes);
    const selector = randomDefaultSelector(hr, pod);
    const hints = selector ? { defaultSpreadSelector: selector } : undefined;
    const requirements = (selector?.matchExpressions?.length ?? 0) + Object.keys(selector?.matchLabels ?? {}).length;
    if (requirements > 0 && !(pod.spec as { topologySpreadConstraints?: unknown }).topologySpreadConstraints) defaulted++;
    const ctx = `seed ${seed} pod ${i}`;
    const ew = wasm.explain(pod, hints);
    const er = ref.explain(pod, hints);
    const bad = er.findIndex((e, k) => JSON.stringify(e) !== JSON.stringify(ew[k]));
    if (bad >= 0) expect({ ctx, pod, hints, node: ew[bad] }).toEqual({ ctx, pod, hints, node: er[bad] });
    const a = ref.schedule(pod, hints);
    const b = wasm.schedule(pod, hints);
    expect(sortReasons(b), ctx).toEqual(sortReasons(a));
    if (a.node) {
      scheduled++;
      const placed = { ...pod, spec: { ...(pod.spec as object), nodeName: a.node } };
      ref.addPod(placed);
      wasm.addPod(placed);
      bound.push(placed);
    }
    // Churn: delete a bound pod, relabel or remove a node, re-add it.
    const roll = r.next();
    if (roll < 0.08 && bound.length > 0) {
      const victim = bound.splice(r.int(bound.length), 1)[0]!;
      ref.removePod(victim);
      wasm.removePod(victim);
    } else if (roll < 0.11) {
      const k = r.int(nodes.length);
      const n = randomNode(r, k);
      nodes[k] = n;
      ref.upsertNode(n);
      wasm.upsertNode(n);
    } else if (roll < 0.13 && nodes.length > 2) {
      const name = nodes[r.int(nodes.length)]!.metadata!.name!;
      ref.removeNode(name);
      wasm.removeNode(name);
      if (r.chance(0.5)) {
        const back = nodes.find((n) => n.metadata!.name === name)!;
        ref.upsertNode(back);
        wasm.upsertNode(back);
      }
    }
    expect(wasm.nodeCount()).toBe(ref.nodeCount());
  }
  return { decisions: opts.pods, scheduled, defaulted };
}

describe('WASM core agrees with the TypeScript reference', () => {
  test('small random clusters (2–50 nodes), default profile', async () => {
    let decisions = 0;
    let scheduled = 0;
    let defaulted = 0;
    for (let seed = 1; seed <= 160; seed++) {
      const r = new Rand(seed * 7919);
      const res = await runCluster(seed, { nodes: 2 + r.int(49), pods: 20, percentage: 100, strategy: 'LeastAllocated' });
      decisions += res.decisions;
      scheduled += res.scheduled;
      defaulted += res.defaulted;
    }
    expect(decisions).toBe(3200);
    // A good share of pods spread by system default constraints (a selector with requirements, no own constraints).
    expect(defaulted).toBeGreaterThan(800);
    // The generator must exercise both outcomes, or the comparison proves little.
    expect(scheduled).toBeGreaterThan(640);
    expect(decisions - scheduled).toBeGreaterThan(120);
    // A fixed amount of CPU work (~8 s alone on a core): on a loaded 2-core machine it has taken 25-30 s, so the
    // suite's 30 s default, meant to catch hangs, would fail it for the load alone.
  }, 120_000);

  test('MostAllocated and RequestedToCapacityRatio strategies', async () => {
    for (let seed = 1000; seed < 1060; seed++) {
      const strategy = seed % 2 === 0 ? 'MostAllocated' : 'RequestedToCapacityRatio';
      await runCluster(seed, { nodes: 5 + (seed % 30), pods: 15, percentage: 100, strategy });
    }
  });

  test('percentageOfNodesToScore: adaptive and fixed, with the round-robin start index', async () => {
    for (let seed = 2000; seed < 2006; seed++) {
      await runCluster(seed, { nodes: 120 + (seed % 3) * 40, pods: 12, percentage: [0, 10, 50][seed % 3]!, strategy: 'LeastAllocated' });
    }
  });
});

describe('table growth keeps both cores in agreement', () => {
  test('past the initial node capacity, topology slots, count columns and arena sizes', async () => {
    const config = { percentageOfNodesToScore: 100, scoringStrategy: 'LeastAllocated' as const, seed: 5 };
    const ref = createReferenceCore(config);
    const wasm = await createWasmCore(config);
    const r = new Rand(99);
    // 1,300 nodes (initial capacity 1,024) with many labels each, so the label arena re-lays out too.
    for (let i = 0; i < 1300; i++) {
      const n = randomNode(r, i);
      const labels = n.metadata!.labels!;
      for (let k = 0; k < 12; k++) labels[`key-${k}`] = `v-${(i + k) % 7}`;
      ref.upsertNode(n);
      wasm.upsertNode(n);
    }
    // 40 distinct selectors and 12 topology keys: more count columns (32) and topology slots (8) than at start.
    for (let i = 0; i < 60; i++) {
      const pod = {
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: `g-${i}`, namespace: 'default', labels: { app: `a${i % 40}` } },
        spec: {
          containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m' } }, ports: [{ containerPort: 80, hostPort: 9000 + (i % 3) }] }],
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: `key-${i % 12}`, whenUnsatisfiable: i % 2 ? 'ScheduleAnyway' : 'DoNotSchedule', labelSelector: { matchLabels: { app: `a${i % 40}` } } }],
          affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: { labelSelector: { matchLabels: { app: `a${(i + 1) % 40}` } }, topologyKey: `key-${(i + 5) % 12}` } }] } },
        },
      } as KubeObject;
      expect(wasm.explain(pod)).toEqual(ref.explain(pod));
      const a = ref.schedule(pod);
      expect(sortReasons(wasm.schedule(pod))).toEqual(sortReasons(a));
      if (a.node) {
        const placed = { ...pod, spec: { ...(pod.spec as object), nodeName: a.node } };
        ref.addPod(placed);
        wasm.addPod(placed);
      }
      if (i % 10 === 9) {
        // remove a node from the middle and relabel another
        const gone = `node-${i * 7}`;
        ref.removeNode(gone);
        wasm.removeNode(gone);
      }
    }
    expect(wasm.nodeCount()).toBe(ref.nodeCount());
    // The growth paths really ran (internal sizes, read only to make sure the test covers them).
    const t = (wasm as unknown as { table: { C: number; topoCapacity: number; matchCols: Map<string, unknown> } }).table;
    expect(t.C).toBeGreaterThan(1024);
    expect(t.topoCapacity).toBeGreaterThan(8);
    expect(t.matchCols.size).toBeGreaterThan(32);
  });
});

describe('count column eviction', () => {
  test('more distinct selectors than columns: the oldest are evicted and rebuilt on reuse', async () => {
    const config = { percentageOfNodesToScore: 100, scoringStrategy: 'LeastAllocated' as const, seed: 11 };
    const ref = createReferenceCore(config);
    const wasm = await createWasmCore(config);
    const r = new Rand(3);
    for (let i = 0; i < 12; i++) { const n = randomNode(r, i); ref.upsertNode(n); wasm.upsertNode(n); }
    const spreadPod = (i: number, app: string): KubeObject => ({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: `s-${i}`, namespace: 'default', labels: { app } },
      spec: {
        containers: [{ name: 'c', image: 'nginx' }],
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app } } }],
      },
    });
    for (let i = 0; i < 700; i++) {
      // mostly fresh selectors; every 7th pod reuses an early one, which by then may have been evicted
      const pod = spreadPod(i, i % 7 === 6 ? `x${i % 20}` : `x${i}`);
      const a = ref.schedule(pod);
      expect(sortReasons(wasm.schedule(pod)), `pod ${i}`).toEqual(sortReasons(a));
      if (i % 7 === 6) expect(wasm.explain(pod), `pod ${i}`).toEqual(ref.explain(pod));
      if (a.node) {
        const placed = { ...pod, spec: { ...(pod.spec as object), nodeName: a.node } };
        ref.addPod(placed);
        wasm.addPod(placed);
      }
    }
    const t = (wasm as unknown as { table: { matchCols: Map<string, unknown> } }).table;
    expect(t.matchCols.size).toBe(512); // 600+ distinct selectors were seen: eviction ran
  });
});
