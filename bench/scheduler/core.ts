/**
 * Scheduler core benchmark: the WASM core and the TypeScript reference on the same generated clusters,
 * scheduler_perf's shapes (nodes with 4 CPU / 32 GiB / 110 pods across 3 zones) at 1,000 / 5,000 / 15,000 nodes,
 * 100% of nodes scored. One decision = schedule() plus recording the pod as bound (addPod), as the loop does.
 * The reference is slow at large clusters, so it runs the same pod sequence for at most --ref-seconds and its
 * rate is compared with the WASM core's rate over the full sequence.
 *
 *   npm run bench -- scheduler [--nodes 1000,5000,15000] [--pods 10000] [--ref-seconds 5] [--workloads a,b]
 */
import type { KubeObject } from '../../src/control/api/resource.js';
import type { SchedulerCore } from '../../src/control/scheduler/core.js';
import { createReferenceCore } from '../../src/control/scheduler/reference/index.js';
import { createWasmCore, type WasmCore } from '../../src/control/scheduler/wasm-core.js';
import { flag, fmtMiB, fmtMs, fmtOps, fmtRatio, measureOps, numberFlag, peakRss, printTable } from '../runner/index.js';

export interface Workload {
  name: string;
  /** Pods placed before measuring (scheduler_perf's initPods), bound round-robin. */
  initPods: (nodes: number) => number;
  measuredPods: (podsFlag: number) => number;
  pod: (i: number, phase: 'init' | 'measure') => KubeObject;
}

const ZONES = ['zone-a', 'zone-b', 'zone-c'];

export function benchNode(i: number): KubeObject {
  const name = `node-${i}`;
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': ZONES[i % 3]!, 'kubernetes.io/os': 'linux' } },
    spec: {},
    status: {
      capacity: { cpu: '4', memory: '32Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '32Gi', pods: '110' },
    },
  };
}

function basePod(name: string, labels: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: {
      containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' } } }],
      ...extra,
    },
  };
}

export const WORKLOADS: Workload[] = [
  {
    name: 'SchedulingBasic',
    initPods: (n) => n,
    measuredPods: (p) => p,
    pod: (i, phase) => basePod(`${phase}-${i}`, { app: 'basic' }),
  },
  {
    name: 'TopologySpreading',
    initPods: (n) => n,
    measuredPods: (p) => Math.min(p, 5000),
    pod: (i, phase) => basePod(`${phase}-${i}`, { app: phase === 'init' ? 'other' : 'spread' }, phase === 'init' ? {} : {
      topologySpreadConstraints: [{
        maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { app: 'spread' } },
      }],
    }),
  },
  {
    name: 'PodAntiAffinity',
    initPods: (n) => Math.min(1000, n),
    measuredPods: (p) => Math.min(p, 2000),
    pod: (i, phase) => basePod(`${phase}-${i}`, { color: phase === 'init' ? 'green' : 'blue' }, {
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{
            labelSelector: { matchLabels: { color: phase === 'init' ? 'green' : 'blue' } },
            topologyKey: 'kubernetes.io/hostname',
          }],
        },
      },
    }),
  },
  {
    name: 'NodeAffinity',
    initPods: (n) => n,
    measuredPods: (p) => Math.min(p, 5000),
    pod: (i, phase) => basePod(`${phase}-${i}`, { app: 'affinity' }, phase === 'init' ? {} : {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-a', 'zone-b'] }] }],
          },
        },
      },
    }),
  },
];

export interface CoreFigures {
  workload: string;
  nodes: number;
  wasm: { decisions: number; seconds: number; perSec: number; perCpuSec: number; p50Ms: number; p99Ms: number; scheduled: number; memoryMiB: number; jsToWasmCallsPerDecision: number };
  reference: { decisions: number; seconds: number; perSec: number; perCpuSec: number; p50Ms: number; p99Ms: number; scheduled: number };
  ratio: number;
  /** Ratio of decisions per CPU-second (robust against other load on the machine). */
  cpuRatio: number;
  agree: boolean;
  peakRssMiB: number;
}

async function prepare(core: SchedulerCore, nodes: number, w: Workload): Promise<void> {
  for (let i = 0; i < nodes; i++) core.upsertNode(benchNode(i));
  const init = w.initPods(nodes);
  for (let i = 0; i < init; i++) {
    const p = w.pod(i, 'init');
    (p.spec as Record<string, unknown>).nodeName = `node-${i % nodes}`;
    core.addPod(p);
  }
}

async function drive(core: SchedulerCore, w: Workload, pods: number, seconds: number | undefined, label: string) {
  const chosen: (string | null)[] = [];
  const cpu0 = process.cpuUsage();
  const t = await measureOps((i) => {
    const pod = w.pod(i, 'measure');
    const r = core.schedule(pod);
    chosen.push(r.node);
    if (r.node) {
      (pod.spec as Record<string, unknown>).nodeName = r.node;
      core.addPod(pod);
    }
  }, { ops: pods, seconds, label });
  // CPU time, unlike wall time, does not count the time this process waits for a core on a shared machine.
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { t, chosen, cpuSeconds };
}

export interface CapacityFigures {
  nodes: number;
  boundPods: number;
  loadSeconds: number;
  heapUsedMiB: number;
  rssMiB: number;
  wasmMemoryMiB: number;
  /** A decision at that size, after the load. */
  decisionMs: number;
}

/** Loads `nodes` nodes and `pods` bound pods into a fresh WASM core and reports the memory it takes. */
export async function measureCapacity(nodes: number, pods: number): Promise<CapacityFigures> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const t0 = performance.now();
  const core = await createWasmCore({ percentageOfNodesToScore: 100, scoringStrategy: 'LeastAllocated', seed: 1 });
  for (let i = 0; i < nodes; i++) core.upsertNode(benchNode(i));
  for (let i = 0; i < pods; i++) {
    const p = WORKLOADS[0]!.pod(i, 'init');
    (p.spec as Record<string, unknown>).nodeName = `node-${i % nodes}`;
    core.addPod(p);
  }
  const loadSeconds = (performance.now() - t0) / 1000;
  gc?.();
  const m = process.memoryUsage();
  const t1 = performance.now();
  core.schedule(WORKLOADS[0]!.pod(0, 'measure'));
  return {
    nodes, boundPods: pods, loadSeconds, heapUsedMiB: m.heapUsed / 2 ** 20, rssMiB: m.rss / 2 ** 20,
    wasmMemoryMiB: core.memoryBytes() / 2 ** 20, decisionMs: performance.now() - t1,
  };
}

export async function runCoreSuite(args: string[]): Promise<{ decisions: CoreFigures[]; capacity: CapacityFigures | null }> {
  const nodeCounts = (flag(args, 'nodes') ?? '1000,5000,15000').split(',').map(Number).filter((n) => n > 0);
  const podsFlag = numberFlag(args, 'pods', 10000);
  const refSeconds = numberFlag(args, 'ref-seconds', 5);
  const only = flag(args, 'workloads')?.split(',');
  const figures: CoreFigures[] = [];
  for (const nodes of nodeCounts) {
    for (const w of WORKLOADS) {
      if (only && !only.includes(w.name)) continue;
      const pods = w.measuredPods(podsFlag);
      const config = { percentageOfNodesToScore: 100, scoringStrategy: 'LeastAllocated' as const, seed: 42 };
      const wasm: WasmCore = await createWasmCore(config);
      await prepare(wasm, nodes, w);
      const calls0 = wasm.wasmCalls;
      const a = await drive(wasm, w, pods, undefined, `${w.name} ${nodes} nodes: wasm`);
      const calls = (wasm.wasmCalls - calls0) / Math.max(1, a.t.ops);
      const memoryMiB = wasm.memoryBytes() / 2 ** 20;
      const ref = createReferenceCore(config);
      await prepare(ref, nodes, w);
      const b = await drive(ref, w, pods, refSeconds, `${w.name} ${nodes} nodes: reference`);
      // Same seed and same pod sequence: the reference's decisions must be a prefix of the WASM core's.
      const agree = b.chosen.every((n, i) => n === a.chosen[i]);
      figures.push({
        workload: w.name, nodes,
        wasm: {
          decisions: a.t.ops, seconds: a.t.seconds, perSec: a.t.opsPerSec, perCpuSec: a.t.ops / a.cpuSeconds, p50Ms: a.t.latency.p50, p99Ms: a.t.latency.p99,
          scheduled: a.chosen.filter((n) => n !== null).length, memoryMiB, jsToWasmCallsPerDecision: calls,
        },
        reference: {
          decisions: b.t.ops, seconds: b.t.seconds, perSec: b.t.opsPerSec, perCpuSec: b.t.ops / b.cpuSeconds, p50Ms: b.t.latency.p50, p99Ms: b.t.latency.p99,
          scheduled: b.chosen.filter((n) => n !== null).length,
        },
        ratio: a.t.opsPerSec / b.t.opsPerSec,
        cpuRatio: (a.t.ops / a.cpuSeconds) / (b.t.ops / b.cpuSeconds),
        agree,
        peakRssMiB: peakRss() / 2 ** 20,
      });
    }
  }
  printTable('Scheduler core: decisions/s, 100% of nodes scored (one decision = schedule + bind bookkeeping)',
    ['workload', 'nodes', 'wasm', 'wasm/cpu-s', 'wasm p50', 'wasm p99', 'reference', 'ref/cpu-s', 'ref p50', 'ratio', 'cpu ratio', 'same picks', 'wasm mem', 'peak RSS'],
    figures.map((f) => [
      f.workload, f.nodes, fmtOps(f.wasm.perSec), fmtOps(f.wasm.perCpuSec), fmtMs(f.wasm.p50Ms), fmtMs(f.wasm.p99Ms),
      fmtOps(f.reference.perSec), fmtOps(f.reference.perCpuSec), fmtMs(f.reference.p50Ms),
      fmtRatio(f.wasm.perSec, f.reference.perSec), fmtRatio(f.wasm.perCpuSec, f.reference.perCpuSec),
      f.agree ? 'yes' : 'NO', fmtMiB(f.wasm.memoryMiB * 2 ** 20), fmtMiB(f.peakRssMiB * 2 ** 20),
    ]));
  const capPods = numberFlag(args, 'capacity-pods', 100000);
  let capacity: CapacityFigures | null = null;
  if (capPods > 0 && nodeCounts.length > 0) {
    capacity = await measureCapacity(Math.max(...nodeCounts), capPods);
    printTable('Scheduler core capacity (WASM core alone, in this process)', ['nodes', 'bound pods', 'load', 'JS heap', 'RSS', 'wasm memory', 'next decision'], [[
      capacity.nodes, capacity.boundPods, fmtMs(capacity.loadSeconds * 1000), fmtMiB(capacity.heapUsedMiB * 2 ** 20),
      fmtMiB(capacity.rssMiB * 2 ** 20), fmtMiB(capacity.wasmMemoryMiB * 2 ** 20), fmtMs(capacity.decisionMs),
    ]]);
  }
  return { decisions: figures, capacity };
}
