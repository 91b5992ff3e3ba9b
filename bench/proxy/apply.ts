/**
 * Apply timings in the kernel, inside a scratch network namespace (`skiff-t-bench-…`, deleted afterwards):
 *   iptables     first load at 1,000 service ports; one-service update; no-change resync (iptables-save + diff)
 *   nftables     upstream layout and flat layout, first load at 1,000 and 10,000; one-service update; one new
 *                service; no-change resync (nft -j list + diff)
 *   --iptables-10k  adds the iptables load at 10,000 (many minutes on iptables-nft) and its one-service update.
 *   --apply-sizes=1000,10000 and --apply-layouts=flat,upstream narrow the nft runs.
 * Models are the compile suite's (benchModel: 1–9 endpoints per port, mean 5). Needs root and the tools.
 */
import { spawnSync } from 'node:child_process';
import { fmtMs, fmtNum, printTable } from '../runner/index.js';
import { benchModel, BENCH_CONFIG } from './compile.js';
import { createIptablesCompiler, jumpRules } from '../../src/dataplane/proxy/compiler/index.js';
import { IptablesApplier } from '../../src/dataplane/proxy/apply/iptables.js';
import { NftBackend } from '../../src/dataplane/proxy/backends.js';
import { ProxyAgent, StaticSource } from '../../src/dataplane/proxy/agent.js';
import type { EndpointSliceObject, ServiceObject } from '../../src/dataplane/proxy/model-builder.js';
import { compileUpstream } from '../../src/dataplane/proxy/nftables/upstream.js';
import { compileFlat } from '../../src/dataplane/proxy/nftables/flat.js';
import { rulesetSize } from '../../src/dataplane/proxy/nftables/ruleset.js';
import type { ServicePortInfo } from '../../src/dataplane/proxy/model.js';

export interface ApplyRow {
  mode: string;
  servicePorts: number;
  endpoints: number;
  /** First load into an empty namespace: until the kernel holds the rules. */
  loadMs: number;
  /** The whole first sync (nft modes also build the incremental state after loading). */
  loadTotalMs?: number;
  /** Median of one service port's endpoints changing: compile + diff + apply, end to end. */
  updateMs: number;
  /** The part of updateMs spent in the kernel tool (iptables-restore / nft). */
  updateKernelMs: number;
  /** Median of adding one new service port (end to end, and its kernel part). */
  addMs: number;
  addKernelMs: number;
  /** A periodic resync when nothing changed: read the kernel, diff, send nothing. */
  resyncMs: number;
  /**
   * iptables only: median restore of one rule into an unreferenced nat chain. Any commit that adds a rule makes
   * the kernel re-validate the whole nat table (nf_tables_commit → nft_table_validate walks every chain reachable
   * from the base chains), so this is the floor under updateKernelMs and addKernelMs at this size.
   */
  commitFloorMs?: number;
  /** Size of what the first load sent. */
  loadBytes: number;
  objects: string;
}

function skipReason(): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'apply benchmarks need root (network namespaces)';
  for (const t of ['ip', 'iptables-restore', 'iptables-save', 'nft']) if (spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0) return `apply benchmarks need ${t}`;
  return null;
}

function scratch(tag: string): { name: string; cleanup: () => void } {
  const name = `skiff-t-bench-${process.pid.toString(36)}-${tag}`;
  const r = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip netns add ${name}: ${r.stderr}`);
  let done = false;
  const cleanup = () => {
    if (!done) spawnSync('ip', ['netns', 'del', name]);
    done = true;
  };
  process.on('exit', cleanup);
  return { name, cleanup };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** The model with service port `i`'s endpoints changed (version v toggles between two endpoint sets). */
function withChangedService(model: ServicePortInfo[], i: number, v: number): ServicePortInfo[] {
  const out = model.slice();
  const sp = model[i]!;
  out[i] = { ...sp, endpoints: v % 2 ? sp.endpoints.slice(0, Math.max(1, sp.endpoints.length - 1)) : sp.endpoints };
  return out;
}

function extraService(n: number, k: number): ServicePortInfo {
  const eps = Array.from({ length: 5 }, (_, j) => ({ ip: `10.250.${k & 255}.${j + 1}`, port: 8080, ready: true, serving: true, terminating: false, isLocal: false }));
  return {
    namespace: 'bench-extra', name: `extra-${n}-${k}`, portName: '', protocol: 'TCP', type: 'ClusterIP', clusterIP: `172.31.${(k >> 8) & 255}.${k & 255}`,
    port: 80, nodePort: 0, externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], affinityTimeoutSeconds: 0,
    externalTrafficLocal: false, internalTrafficLocal: false, healthCheckNodePort: 0, endpoints: eps,
  };
}

const REPEATS = 5;

async function benchIptables(n: number): Promise<ApplyRow> {
  const ns = scratch(`ipt${n}`);
  try {
    const model = benchModel(n);
    const compiler = await createIptablesCompiler(BENCH_CONFIG);
    const applier = new IptablesApplier({ netns: ns.name });
    await applier.ensureJumps(jumpRules());
    const full = compiler.full(model);
    // WASM output lives in the module's memory until the next compile: keep what is needed now.
    const loadBytes = full.bytes.length;
    const objects = `${fmtNum(full.natRules + full.filterRules)} rules, ${fmtNum(full.natChains + full.filterChains)} chains`;
    const loadMs = await timed(() => applier.restore(full.bytes));
    const mid = Math.floor(n / 2);
    const updates: number[] = [];
    const updatesK: number[] = [];
    for (let v = 1; v <= REPEATS; v++) {
      const next = withChangedService(model, mid, v);
      const t0 = performance.now();
      const p = compiler.partial([next[mid]!], []);
      const k = await timed(() => applier.restore(p.bytes));
      updates.push(performance.now() - t0);
      updatesK.push(k);
    }
    const adds: number[] = [];
    const addsK: number[] = [];
    for (let k = 0; k < REPEATS; k++) {
      const t0 = performance.now();
      const p = compiler.partial([extraService(n, k)], []);
      addsK.push(await timed(() => applier.restore(p.bytes)));
      adds.push(performance.now() - t0);
    }
    const floors: number[] = [];
    for (let k = 0; k < REPEATS; k++) floors.push(await timed(() => applier.restore('*nat\n:KUBE-SKIFF-PROBE - [0:0]\n-A KUBE-SKIFF-PROBE -j RETURN\nCOMMIT\n')));
    await applier.restore('*nat\n:KUBE-SKIFF-PROBE - [0:0]\n-X KUBE-SKIFF-PROBE\nCOMMIT\n');
    // The kernel now holds the model plus the extra services; the resync compares with exactly that.
    const finalModel = [...withChangedService(model, mid, REPEATS), ...Array.from({ length: REPEATS }, (_, k) => extraService(n, k))];
    const check = await createIptablesCompiler(BENCH_CONFIG);
    const fullNow = check.full(finalModel);
    let resyncBytes = -1;
    const resyncMs = await timed(async () => {
      resyncBytes = (await applier.reconcile(fullNow.text)).bytes;
    });
    if (resyncBytes !== 0) console.error(`warning: iptables resync at ${n} still sent ${resyncBytes} bytes`);
    return {
      mode: 'iptables', servicePorts: n, endpoints: model.reduce((s, sp) => s + sp.endpoints.length, 0), loadMs,
      updateMs: median(updates), updateKernelMs: median(updatesK), addMs: median(adds), addKernelMs: median(addsK),
      resyncMs, loadBytes, objects, commitFloorMs: median(floors),
    };
  } finally {
    ns.cleanup();
  }
}

async function benchNft(layout: 'upstream' | 'flat', n: number): Promise<ApplyRow> {
  const ns = scratch(`nft${layout[0]}${n}`);
  try {
    const compile = layout === 'flat' ? compileFlat : compileUpstream;
    const model = benchModel(n);
    // What the agent runs: the incremental backend (first sync and resyncs diff against the kernel).
    const backend = new NftBackend(layout, { netns: ns.name }, BENCH_CONFIG);
    let loadBytes = 0;
    const loadTotalMs = await timed(async () => {
      loadBytes = (await backend.sync(model, true)).bytes;
    });
    // Rules are live once nft returns; the incremental state is built after that, within the same sync.
    const loadMs = backend.lastKernelReadyMs;
    const mid = Math.floor(n / 2);
    const updates: number[] = [];
    const updatesK: number[] = [];
    let cur = model;
    for (let v = 1; v <= REPEATS; v++) {
      cur = withChangedService(model, mid, v);
      updates.push(await timed(() => backend.sync(cur, false)));
      updatesK.push(backend.lastKernelMs);
    }
    const adds: number[] = [];
    const addsK: number[] = [];
    for (let k = 0; k < REPEATS; k++) {
      cur = [...cur, extraService(n, k)];
      adds.push(await timed(() => backend.sync(cur, false)));
      addsK.push(backend.lastKernelMs);
    }
    let resyncBytes = -1;
    const resyncMs = await timed(async () => {
      resyncBytes = (await backend.sync(cur, true)).bytes;
    });
    if (resyncBytes !== 0) console.error(`warning: nft ${layout} resync at ${n} still sent ${resyncBytes} bytes`);
    const size = rulesetSize(compile(model, BENCH_CONFIG));
    return {
      mode: `nftables/${layout}`, servicePorts: n, endpoints: model.reduce((s, sp) => s + sp.endpoints.length, 0), loadMs, loadTotalMs,
      updateMs: median(updates), updateKernelMs: median(updatesK), addMs: median(adds), addKernelMs: median(addsK),
      resyncMs, loadBytes, objects: `${fmtNum(size.chains)} chains, ${fmtNum(size.rules)} rules, ${fmtNum(size.elements)} elements`,
    };
  } finally {
    ns.cleanup();
  }
}

/** Services and EndpointSlices (one per service port) whose model is `model`, for agent-level timing. */
function toObjects(model: ServicePortInfo[]): { services: ServiceObject[]; slices: EndpointSliceObject[] } {
  const services: ServiceObject[] = [];
  const slices: EndpointSliceObject[] = [];
  model.forEach((sp, i) => {
    const name = `s${i}`;
    services.push({
      metadata: { namespace: 'bench', name },
      spec: {
        type: sp.type, clusterIP: sp.clusterIP, ports: [{ name: sp.portName, port: sp.port, protocol: sp.protocol, ...(sp.nodePort ? { nodePort: sp.nodePort } : {}) }],
        externalIPs: sp.externalIPs, loadBalancerSourceRanges: sp.loadBalancerSourceRanges,
        externalTrafficPolicy: sp.externalTrafficLocal ? 'Local' : 'Cluster', internalTrafficPolicy: sp.internalTrafficLocal ? 'Local' : 'Cluster',
        ...(sp.affinityTimeoutSeconds ? { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: sp.affinityTimeoutSeconds } } } : {}),
      },
      status: { loadBalancer: { ingress: sp.loadBalancerIPs.map((ip) => ({ ip })) } },
    });
    slices.push(sliceFor(name, sp, sp.endpoints));
  });
  return { services, slices };
}

function sliceFor(name: string, sp: ServicePortInfo, eps: ServicePortInfo['endpoints']): EndpointSliceObject {
  return {
    metadata: { namespace: 'bench', name: `${name}-x`, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating }, nodeName: e.isLocal ? 'bench-node' : 'other' })),
    ports: [{ name: sp.portName, port: eps[0]?.port ?? 80, protocol: sp.protocol }],
  };
}

/** The agent end to end: one EndpointSlice changes → debounced sync → rules in the kernel. */
async function benchAgent(layout: 'flat' | 'upstream', n: number): Promise<{ mode: string; servicePorts: number; firstSyncMs: number; oneSliceSyncMs: number }> {
  const ns = scratch(`agent${layout[0]}${n}`);
  try {
    const model = benchModel(n);
    const { services, slices } = toObjects(model);
    const source = new StaticSource(services, slices);
    const agent = new ProxyAgent({ backend: new NftBackend(layout, { netns: ns.name }, BENCH_CONFIG), source, nodeName: 'bench-node', minSyncPeriodMs: 0, syncPeriodMs: 3_600_000, healthzBindAddress: null, metricsBindAddress: null });
    const abort = new AbortController();
    const first = agent.waitForSync();
    await agent.start(abort.signal);
    const firstSyncMs = (await first).durationMs;
    const times: number[] = [];
    for (let v = 1; v <= REPEATS; v++) {
      const i = Math.floor(n / 2) + v;
      const sp = model[i]!;
      const next = agent.waitForSync();
      source.upsertSlice(sliceFor(`s${i}`, sp, sp.endpoints.slice(0, Math.max(1, sp.endpoints.length - 1))));
      const rec = await next;
      if (rec.error) throw new Error(rec.error);
      times.push(rec.durationMs);
    }
    abort.abort();
    await agent.stop();
    return { mode: `nftables/${layout}`, servicePorts: n, firstSyncMs, oneSliceSyncMs: median(times) };
  } finally {
    ns.cleanup();
  }
}

/**
 * Entry point for bench/proxy/index.ts. Flags: --iptables-10k (adds the slow iptables load at 10,000),
 * --apply-sizes 1000,10000 (nft sizes).
 */
export async function runApplySuite(args: string[]): Promise<unknown> {
  const skip = skipReason();
  if (skip) {
    console.error(`skipping apply benchmarks: ${skip}`);
    return { skipped: skip };
  }
  const sizesArg = args.find((a) => a.startsWith('--apply-sizes='))?.slice('--apply-sizes='.length);
  const sizes = sizesArg ? sizesArg.split(',').map(Number) : [1000, 10_000];
  const layouts = (args.find((a) => a.startsWith('--apply-layouts='))?.slice('--apply-layouts='.length) ?? 'flat,upstream').split(',') as Array<'flat' | 'upstream'>;
  const rows: ApplyRow[] = [];
  const step = (label: string) => console.error(`apply: ${label}…`);
  step('iptables 1,000');
  rows.push(await benchIptables(1000));
  if (args.includes('--iptables-10k')) {
    step('iptables 10,000 (slow)');
    rows.push(await benchIptables(10_000));
  }
  for (const n of sizes) {
    for (const layout of layouts) {
      step(`nftables/${layout} ${fmtNum(n)}`);
      rows.push(await benchNft(layout, n));
    }
  }
  const agentRows = [];
  if (!args.includes('--skip-agent')) {
    for (const n of sizes) {
      step(`agent nftables/flat ${fmtNum(n)}`);
      agentRows.push(await benchAgent('flat', n));
    }
  }
  printTable(
    'Apply in the kernel (scratch netns; times include spawning ip netns exec + the tool)',
    ['mode', 'service ports', 'endpoints', 'first load (whole sync)', 'one-service update (kernel)', 'add one service (kernel)', 'one-rule commit floor', 'no-change resync', 'load bytes', 'objects'],
    rows.map((r) => [
      r.mode, fmtNum(r.servicePorts), fmtNum(r.endpoints), r.loadTotalMs ? `${fmtMs(r.loadMs)} (${fmtMs(r.loadTotalMs)})` : fmtMs(r.loadMs), `${fmtMs(r.updateMs)} (${fmtMs(r.updateKernelMs)})`,
      `${fmtMs(r.addMs)} (${fmtMs(r.addKernelMs)})`, r.commitFloorMs === undefined ? '–' : fmtMs(r.commitFloorMs), fmtMs(r.resyncMs), fmtNum(r.loadBytes), r.objects,
    ]),
  );
  printTable(
    'Agent sync (model from Services/EndpointSlices + compile + apply), one EndpointSlice changed',
    ['mode', 'service ports', 'first sync', 'one-slice sync (median of 5)'],
    agentRows.map((r) => [r.mode, fmtNum(r.servicePorts), fmtMs(r.firstSyncMs), fmtMs(r.oneSliceSyncMs)]),
  );
  return { rows, agent: agentRows };
}
