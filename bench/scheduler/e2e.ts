/**
 * End-to-end scheduler benchmark: pods/s from creation to bound through the API server on sqlite, with the
 * scheduler talking HTTP to it (src/client), 100% of nodes scored, for scheduler_perf's shapes (core.ts's
 * WORKLOADS). Per size: nodes and the workload's init pods (already bound) are created through the API, then
 * - live: the scheduler starts and syncs, then the measured pods are created (64 in flight, from their own
 *   thread, as another process would) while it schedules them; throughput = measured pods / (first create sent →
 *   last bind acknowledged);
 * - backlog: the measured pods are created first (pending), then the scheduler starts; throughput = measured
 *   pods / (caches synced → last bind acknowledged): the scheduler and its own writes (binding, event) alone;
 * - loop: no HTTP at all (runLoopOnly), the scheduler side's own ceiling.
 * Two throughput figures: pods/s over the whole window (pipeline fill and drain included), and scheduler_perf's
 * SchedulingThroughput (throughput.ts: one-second samples without the first and the last partial second), the
 * metric upstream's thresholds are defined on.
 * The API server runs in a worker thread, as does the pod creator; peak RSS and `pods/CPU-s` cover the whole
 * process (server + scheduler + pod creator). `pods/server-CPU-s` divides by the server thread's own CPU time
 * in the window: what the server sustains per core, steadier than wall clock when the machine is shared.
 *
 *   npm run bench -- scheduler --skip-core --e2e [--e2e-nodes 1000,5000] [--e2e-pods 10000]
 *                              [--e2e-workloads SchedulingBasic] [--e2e-core wasm|reference]
 *                              [--e2e-mode live,backlog,loop] [--e2e-sync full|normal] [--e2e-bind-concurrency 64] [--e2e-create-concurrency 64]
 *                              [--e2e-repeat N]   (N runs per configuration; the table shows the median run and the range)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { RestClient } from '../../src/client/rest.js';
import { Namespaces, Nodes, Pods } from '../../src/client/resources.js';
import { isConflict } from '../../src/client/rest.js';
import type { KubeObject } from '../../src/client/types.js';
import type { SchedulerApi } from '../../src/control/scheduler/binder.js';
import { Scheduler } from '../../src/control/scheduler/scheduler.js';
import { createCore, startScheduler, type CoreKind } from '../../src/control/scheduler/start.js';
import { flag, fmtMiB, fmtMs, fmtNum, fmtOps, nowMs, numberFlag, percentiles, pool, printTable, progress } from '../runner/index.js';
import { benchNode, WORKLOADS, type Workload } from './core.js';
import type { CreatorData } from './e2e-creator.js';
import { ThroughputSampler, type ThroughputSummary } from './throughput.js';
import { liveHeapBytes } from './heap.js';

const MIB = 1024 * 1024;

export interface E2EFigures {
  workload: string;
  nodes: number;
  pods: number;
  core: CoreKind;
  storage: 'sqlite';
  mode: 'live' | 'backlog' | 'loop';
  synchronous: 'full' | 'normal';
  bindConcurrency: number;
  percentageOfNodesToScore: 100;
  /** Measured pods bound per second, first create → last bind. */
  podsPerSec: number;
  /** scheduler_perf's SchedulingThroughput (1-second samples, see throughput.ts); the figure its thresholds use. */
  schedulingThroughput: ThroughputSummary;
  /** With --e2e-repeat N: pods/s of every run of this configuration (this row is the median run). */
  runs: number[];
  seconds: number;
  /**
   * CPU seconds the whole process (server thread + scheduler + creator) used in the measured window, and pods
   * per CPU-second: on a shared, overloaded machine this moves far less than the wall-clock rate does.
   */
  cpuSeconds: number;
  podsPerCpuSecond: number;
  /**
   * CPU seconds of the API server's thread alone in the measured window (Linux schedstat), and measured pods per
   * server CPU-second: what one core for the server would sustain, the steadiest figure on a loaded machine.
   */
  serverCpuSeconds: number;
  podsPerServerCpuSecond: number;
  /** Create → bind acknowledged, per pod (ms). */
  latencyP50Ms: number;
  latencyP99Ms: number;
  setupSeconds: number;
  bindErrors: number;
  unschedulable: number;
  /** Scheduled/FailedScheduling events dropped by the recorder's full backlog (as client-go's broadcaster drops). */
  eventsDropped: number;
  /** Highest RSS sampled during this run (whole process: server worker + scheduler + pod creator). */
  peakRssMiB: number;
  /**
   * Live memory after the run, per thread (heap in use after a full GC + off-heap buffers): the API server's
   * thread, and the scheduler's (the main thread: scheduler plus this harness's bookkeeping). 0 in loop mode
   * for the server.
   */
  serverLiveMiB: number;
  schedulerLiveMiB: number;
  /** The machine's 1-minute load average when the run ended, and its cores: how shared the machine was. */
  loadAverage1m: number;
  cores: number;
}

const machineLoad = (): { loadAverage1m: number; cores: number } => ({ loadAverage1m: loadavg()[0] ?? 0, cores: availableParallelism() });

interface ServerHandle {
  url: string;
  /** The server thread's CPU time so far (s); NaN where the platform cannot tell. */
  cpuSeconds(): Promise<number>;
  /** The server thread's live memory (bytes, see heap.ts). */
  liveHeapBytes(): Promise<number>;
  close(): Promise<void>;
}

async function startServerWorker(dataDir: string, synchronous: 'full' | 'normal'): Promise<ServerHandle> {
  const worker = new Worker(new URL('./e2e-server.js', import.meta.url), { workerData: { dataDir, synchronous } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { port: number }) => resolve(m.port));
    worker.once('error', reject);
  });
  /** One question to the server thread and its answer (asked one at a time, so answers cannot cross). */
  const ask = <T>(question: 'cpu' | 'heap'): Promise<T> =>
    new Promise<T>((resolve) => {
      worker.once('message', resolve);
      worker.postMessage(question);
    });
  return {
    url: `http://127.0.0.1:${port}`,
    cpuSeconds: async () => {
      const { cpuNs } = await ask<{ cpuNs: number }>('cpu');
      return cpuNs < 0 ? NaN : cpuNs / 1e9;
    },
    liveHeapBytes: async () => (await ask<{ heapBytes: number }>('heap')).heapBytes,
    async close() {
      const closed = new Promise<void>((r) => worker.once('message', () => r()));
      worker.postMessage('close');
      await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
      await worker.terminate();
    },
  };
}

/** Creates the measured pods from their own thread (e2e-creator.ts), off the scheduler's event loop. */
async function createInWorker(data: CreatorData): Promise<void> {
  const worker = new Worker(new URL('./e2e-creator.js', import.meta.url), { workerData: data });
  try {
    const m = await new Promise<{ done?: true; error?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (m.error) throw new Error(`pod creator: ${m.error}`);
  } finally {
    await worker.terminate();
  }
}

const cpuSince = (u: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(u);
  return (d.user + d.system) / 1e6;
};

export interface E2EOptions {
  core: CoreKind;
  /** sqlite durability: 'full' (the default, fsync per commit) or 'normal'. */
  synchronous: 'full' | 'normal';
  bindConcurrency: number;
  /** Pod creates in flight. */
  createConcurrency: number;
  /**
   * 'live': measured pods are created while the scheduler runs (creation → bound).
   * 'backlog': they are all created (pending) before the scheduler starts; the clock runs from the scheduler's
   * caches being synced to the last bind, isolating the scheduler and its writes from the creation load.
   */
  mode: 'live' | 'backlog';
}

/**
 * The loop alone, no HTTP: informer handlers fed directly, binds and events answered at once. Not end to end:
 * it is the ceiling the scheduler side (queue, cache, core, bookkeeping) puts on the figures above.
 */
export async function runLoopOnly(w: Workload, nodes: number, pods: number, core: CoreKind): Promise<E2EFigures> {
  let peak = process.memoryUsage.rss();
  const t0 = nowMs();
  const engine = await createCore(core, { percentageOfNodesToScore: 100, scoringStrategy: 'LeastAllocated', seed: 1 });
  let bound = 0;
  let allBound!: () => void;
  const done = new Promise<void>((r) => (allBound = r));
  const api: SchedulerApi = { bind: async () => {}, setPodCondition: async () => {}, createEvent: async () => {} };
  const s = new Scheduler({ core: engine, api, onBound: () => ++bound === pods && allBound() });
  for (let i = 0; i < nodes; i++) s.nodeHandler.onAdd!(benchNode(i), true);
  for (let i = 0; i < w.initPods(nodes); i++) {
    const p = w.pod(i, 'init');
    (p.spec as Record<string, unknown>).nodeName = `node-${i % nodes}`;
    s.podHandler.onAdd!(p, true);
  }
  for (let i = 0; i < pods; i++) s.podHandler.onAdd!(w.pod(i, 'measure'), true);
  const setupSeconds = (nowMs() - t0) / 1000;
  const ac = new AbortController();
  const start = nowMs();
  const cpu0 = process.cpuUsage();
  const sampler = new ThroughputSampler(() => bound, nowMs);
  const running = s.run(ac.signal);
  await done;
  const schedulingThroughput = sampler.stop();
  const seconds = (nowMs() - start) / 1000;
  const cpuSeconds = cpuSince(cpu0);
  ac.abort();
  await running;
  peak = Math.max(peak, process.memoryUsage.rss());
  return {
    workload: w.name, nodes, pods: bound, core, storage: 'sqlite', mode: 'loop', synchronous: 'full', bindConcurrency: 64,
    percentageOfNodesToScore: 100, podsPerSec: bound / seconds, schedulingThroughput, runs: [bound / seconds], seconds, cpuSeconds, podsPerCpuSecond: bound / cpuSeconds, serverCpuSeconds: 0, podsPerServerCpuSecond: 0, latencyP50Ms: 0, latencyP99Ms: 0, setupSeconds,
    bindErrors: 0, unschedulable: s.stats.unschedulable, eventsDropped: s.recorder.dropped, peakRssMiB: peak / MIB,
    serverLiveMiB: 0, schedulerLiveMiB: liveHeapBytes() / MIB,
    ...machineLoad(),
  };
}

export async function runE2EOnce(w: Workload, nodes: number, pods: number, o: E2EOptions): Promise<E2EFigures> {
  const core = o.core;
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-e2e-'));
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 200);
  const server = await startServerWorker(dataDir, o.synchronous);
  const client = new RestClient({ server: server.url }, { maxSockets: 64 });
  try {
    const t0 = nowMs();
    // buildServer alone does not bootstrap the default namespace (the `skiff server` command does).
    await client.create(Namespaces, { metadata: { name: 'default' } }).catch((e: unknown) => {
      if (!isConflict(e)) throw e;
    });
    await pool(nodes, 32, (i) => client.create(Nodes, benchNode(i)), `${w.name} ${nodes}: nodes`);
    const init = w.initPods(nodes);
    await pool(init, 32, (i) => {
      const p = w.pod(i, 'init');
      (p.spec as Record<string, unknown>).nodeName = `node-${i % nodes}`;
      return client.create(Pods, p);
    }, `${w.name} ${nodes}: init pods`);

    const createdBuffer = new SharedArrayBuffer(pods * Float64Array.BYTES_PER_ELEMENT);
    const created = new Float64Array(createdBuffer);
    const createMeasured = (): Promise<void> =>
      createInWorker({
        url: server.url,
        workload: w.name,
        pods,
        concurrency: o.createConcurrency,
        created: createdBuffer,
        ...(o.mode === 'backlog' ? { label: `${w.name} ${nodes}: pending pods` } : {}),
      });
    if (o.mode === 'backlog') await createMeasured();
    const latencies: number[] = [];
    let bound = 0;
    let lastBound = 0;
    let allBound!: () => void;
    const done = new Promise<void>((r) => (allBound = r));
    const bar = progress(`${w.name} ${nodes}: scheduling`, pods);
    const running = await startScheduler({
      client: new RestClient({ server: server.url }, { maxSockets: 64, userAgent: 'skiff-scheduler' }),
      core,
      percentageOfNodesToScore: 100,
      bindConcurrency: o.bindConcurrency,
      seed: 1,
      onBound: (pod) => {
        const name = pod.metadata?.name ?? '';
        if (!name.startsWith('measure-')) return;
        const now = nowMs();
        latencies.push(performance.timeOrigin + performance.now() - created[Number(name.slice(8))]!);
        lastBound = now;
        bar.tick();
        if (++bound === pods) allBound();
      },
      onError: (err, ctx) => console.error(`scheduler: ${ctx}: ${(err as Error).message}`),
    });
    if (!(await running.ready)) throw new Error('scheduler caches never synced');
    const setupSeconds = (nowMs() - t0) / 1000;

    const serverCpu0 = await server.cpuSeconds();
    const start = nowMs();
    const cpu0 = process.cpuUsage();
    const sampler = new ThroughputSampler(() => bound, nowMs);
    if (o.mode === 'live') await createMeasured();
    // Everything should bind; a pod that cannot would hang the run, so give up after a generous wait.
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000 + pods * 10).unref());
    const outcome = await Promise.race([done.then(() => 'ok' as const), timeout]);
    const schedulingThroughput = sampler.stop();
    bar.done();
    const end = outcome === 'ok' ? lastBound : nowMs();
    const cpuSeconds = cpuSince(cpu0);
    const serverCpuSeconds = (await server.cpuSeconds()) - serverCpu0;
    const serverLiveMiB = (await server.liveHeapBytes()) / MIB;
    const schedulerLiveMiB = liveHeapBytes() / MIB;
    const stats = { ...running.scheduler.stats };
    const eventsDropped = running.scheduler.recorder.dropped;
    await running.stop();
    const lat = percentiles(latencies);
    return {
      workload: w.name,
      nodes,
      pods: bound,
      core,
      storage: 'sqlite',
      mode: o.mode,
      synchronous: o.synchronous,
      bindConcurrency: o.bindConcurrency,
      percentageOfNodesToScore: 100,
      podsPerSec: bound / ((end - start) / 1000),
      schedulingThroughput,
      runs: [bound / ((end - start) / 1000)],
      seconds: (end - start) / 1000,
      cpuSeconds,
      podsPerCpuSecond: bound / cpuSeconds,
      serverCpuSeconds,
      podsPerServerCpuSecond: bound / serverCpuSeconds,
      latencyP50Ms: lat.p50,
      latencyP99Ms: lat.p99,
      setupSeconds,
      bindErrors: stats.bindErrors,
      unschedulable: stats.unschedulable,
      eventsDropped,
      peakRssMiB: Math.max(peak, process.memoryUsage.rss()) / (1024 * 1024),
      serverLiveMiB,
      schedulerLiveMiB,
      ...machineLoad(),
    };
  } finally {
    clearInterval(sampler);
    client.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Of repeated runs of one configuration, the one with the median pods/s (the lower middle for an even count),
 * carrying every run's pods/s: on a shared machine one run can land in a burst of someone else's load.
 */
function medianRun(runs: E2EFigures[]): E2EFigures {
  const sorted = [...runs].sort((a, b) => a.podsPerSec - b.podsPerSec);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { ...mid, runs: runs.map((r) => r.podsPerSec) };
}

const rangeCell = (runs: number[]): string =>
  runs.length < 2 ? '1 run' : `${runs.length} runs: ${fmtNum(Math.round(Math.min(...runs)))}–${fmtNum(Math.round(Math.max(...runs)))}`;

const throughputCell = (t: ThroughputSummary): string =>
  t.samples === 0 ? 'n/a (< 2 s)' : `${fmtOps(t.average)} (${fmtNum(Math.round(t.p50))})`;

/** The end-to-end part of `npm run bench -- scheduler` (see the file comment for flags). */
export async function runE2ESuite(args: string[]): Promise<E2EFigures[]> {
  const nodeCounts = (flag(args, 'e2e-nodes') ?? '1000,5000').split(',').map(Number).filter((n) => n > 0);
  const pods = numberFlag(args, 'e2e-pods', numberFlag(args, 'pods', 10000));
  const names = (flag(args, 'e2e-workloads') ?? 'SchedulingBasic').split(',');
  const core = (flag(args, 'e2e-core') ?? 'wasm') as CoreKind;
  if (core !== 'wasm' && core !== 'reference') throw new Error(`--e2e-core must be wasm or reference, got ${core}`);
  const synchronous = (flag(args, 'e2e-sync') ?? 'full') as 'full' | 'normal';
  if (synchronous !== 'full' && synchronous !== 'normal') throw new Error(`--e2e-sync must be full or normal, got ${synchronous}`);
  const opts: E2EOptions = {
    core,
    synchronous,
    bindConcurrency: numberFlag(args, 'e2e-bind-concurrency', 64),
    createConcurrency: numberFlag(args, 'e2e-create-concurrency', 64),
    mode: 'live',
  };
  const modes = (flag(args, 'e2e-mode') ?? 'live,backlog,loop').split(',');
  for (const m of modes) if (m !== 'live' && m !== 'backlog' && m !== 'loop') throw new Error(`--e2e-mode takes live, backlog, loop; got ${m}`);
  const workloads = names.map((n) => {
    const w = WORKLOADS.find((x) => x.name === n);
    if (!w) throw new Error(`unknown workload ${n}; known: ${WORKLOADS.map((x) => x.name).join(', ')}`);
    return w;
  });
  const repeat = numberFlag(args, 'e2e-repeat', 1);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--e2e-repeat must be a positive integer, got ${repeat}`);
  const out: E2EFigures[] = [];
  for (const w of workloads) {
    for (const nodes of nodeCounts) {
      for (const mode of modes) {
        const n = w.measuredPods(pods);
        const runs: E2EFigures[] = [];
        for (let r = 0; r < repeat; r++) {
          runs.push(mode === 'loop' ? await runLoopOnly(w, nodes, n, core) : await runE2EOnce(w, nodes, n, { ...opts, mode: mode as E2EOptions['mode'] }));
        }
        out.push(medianRun(runs));
      }
    }
  }
  printTable(
    'Scheduler end to end (API server on sqlite, 100% of nodes scored; pods/s = measured pods / first create → last bind; SchedulingThroughput = scheduler_perf\'s 1-second samples)',
    ['workload', 'nodes', 'pods', 'mode', 'core', 'sqlite sync', 'binds in flight', 'pods/s', 'runs: pods/s min–max', 'SchedulingThroughput avg (p50)', 'pods/CPU-s', 'pods/server-CPU-s', 'p50 create→bound', 'p99', 'bind errors', 'events dropped', 'peak RSS', 'live MiB server / scheduler', 'load 1m / cores'],
    out.map((f) => {
      const http = f.mode !== 'loop';
      return [f.workload, f.nodes, f.pods, f.mode, f.core, http ? f.synchronous : '-', http ? f.bindConcurrency : '-', fmtOps(f.podsPerSec), rangeCell(f.runs), throughputCell(f.schedulingThroughput), fmtNum(Math.round(f.podsPerCpuSecond)), http ? fmtNum(Math.round(f.podsPerServerCpuSecond)) : '-',
        http ? fmtMs(f.latencyP50Ms) : '-', http ? fmtMs(f.latencyP99Ms) : '-', http ? f.bindErrors : '-', http ? f.eventsDropped : '-', fmtMiB(f.peakRssMiB * MIB), `${http ? Math.round(f.serverLiveMiB) : '-'} / ${Math.round(f.schedulerLiveMiB)}`, `${f.loadAverage1m.toFixed(2)} / ${f.cores}`];
    }),
  );
  return out;
}
