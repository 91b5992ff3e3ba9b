/**
 * Rule compile speed: the WASM iptables compiler beside its TypeScript reference on the same synthetic models
 * (1,000 / 10,000 / 50,000 service ports, 1–9 endpoints each, mean 5): full compile time, bytes, rules, and a
 * one-service partial compile. WASM time includes flattening the model into its tables; its text stays in
 * WASM memory until read (a second column adds copying it out, which `.bytes` does); the reference returns a string. Both are checked to produce the same bytes before timing.
 *
 *   npm run bench -- proxy [--sizes 1000,10000,50000] [--runs 5]
 */
import { createIptablesCompiler, createReferenceIptablesCompiler, type IptablesCompiler } from '../../src/dataplane/proxy/compiler/index.js';
import { syntheticModel, syntheticServicePort, rng } from '../../src/dataplane/proxy/compiler/synthetic.js';
import type { ProxyConfig, ServicePortInfo } from '../../src/dataplane/proxy/model.js';
import { compileIpvs, ipsetRestoreText, ipvsadmRestoreText, ipvsIptablesText } from '../../src/dataplane/proxy/ipvs/index.js';
import { compareCases, flag, fmtMiB, fmtMs, fmtNum, fmtRatio, measureLatency, numberFlag, printTable, type Latency } from '../runner/index.js';

export interface CompileSizeFigures {
  servicePorts: number;
  endpoints: number;
  bytes: number;
  filterRules: number;
  natRules: number;
  natChains: number;
  wasmFullMs: Latency;
  wasmFullCopyMs: Latency;
  referenceFullMs: Latency;
  wasmFullCpuMs: number;
  referenceFullCpuMs: number;
  fullSpeedup: number;
  /** IPVS mode (TypeScript): state + ipvsadm-restore + ipset restore + iptables text. */
  ipvsMs: number;
  ipvsBytes: number;
  wasmPartialMs: number;
  referencePartialMs: number;
  partialSpeedup: number;
}

export interface CompileFigures {
  sizes: CompileSizeFigures[];
  targets: { fullAt50kMs: number; partialMs: number; speedup: number };
}

/** Median CPU time (user + system, ms) of `runs` calls: on a shared 2-core machine wall time mostly measures the neighbours. */
async function cpuMs(fn: () => unknown, runs: number): Promise<number> {
  fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    fn();
    const d = process.cpuUsage(c);
    samples.push((d.user + d.system) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

export const BENCH_CONFIG: ProxyConfig = { clusterCIDR: '10.0.0.0/8', nodeIPs: ['192.168.0.2'], masqueradeBit: 14 };

/** A model shaped as the benchmark asks (also used by apply benchmarks). */
export function benchModel(servicePorts: number, seed = 42): ServicePortInfo[] {
  return syntheticModel(servicePorts, { seed, endpoints: [1, 9], nodeIP: BENCH_CONFIG.nodeIPs[0] });
}

/** Two alternating versions of one service port (its endpoints change), for partial-compile timing. */
function flipper(model: ServicePortInfo[]): () => ServicePortInfo {
  const base = model[Math.floor(model.length / 2)]!;
  const r = rng(7);
  const other = { ...syntheticServicePort(model.length + 1, r, { endpoints: [5, 5] }), namespace: base.namespace, name: base.name, portName: base.portName };
  let i = 0;
  return () => (i++ % 2 === 0 ? other : base);
}

export async function runCompileSuite(args: string[]): Promise<CompileFigures> {
  const sizes = (flag(args, 'sizes') ?? '1000,10000,50000').split(',').map(Number);
  const runs = numberFlag(args, 'runs', 5);
  const out: CompileSizeFigures[] = [];
  for (const n of sizes) {
    const model = benchModel(n);
    const endpoints = model.reduce((s, sp) => s + sp.endpoints.length, 0);
    const wasm = await createIptablesCompiler(BENCH_CONFIG);
    const ref = createReferenceIptablesCompiler(BENCH_CONFIG);
    const w = wasm.full(model);
    const r = ref.full(model);
    if (w.text !== r.text) throw new Error(`WASM and reference differ at ${n} service ports`);
    const bytes = w.view().byteLength;
    const [filterRules, natRules, natChains] = [w.filterRules, w.natRules, w.natChains];
    const count = Math.max(2, n >= 50_000 ? Math.min(runs, 3) : runs);
    const wasmFullMs = await measureLatency(() => wasm.full(model), count);
    // Keeping the text past the next compile needs a copy out of WASM memory (page faults dominate at 50,000).
    const wasmFullCopyMs = await measureLatency(() => wasm.full(model).bytes, count);
    const referenceFullMs = await measureLatency(() => ref.full(model), count);
    const wasmFullCpuMs = await cpuMs(() => wasm.full(model), count);
    const referenceFullCpuMs = await cpuMs(() => ref.full(model), count);
    const ipvsText = () => {
      const st = compileIpvs(model, BENCH_CONFIG);
      return ipvsadmRestoreText(st).length + ipsetRestoreText(st).length + ipvsIptablesText(st, BENCH_CONFIG).length;
    };
    const ipvsBytes = ipvsText();
    const ipvsMs = (await measureLatency(ipvsText, Math.max(2, Math.min(count, 3)))).p50;
    // Partial: one service port changes, back and forth, against the state of the full compile above.
    const partialCase = (c: IptablesCompiler) => {
      c.full(model);
      const next = flipper(model);
      return () => c.partial([next()], []);
    };
    const [pw, pr] = await compareCases(
      [
        { name: `wasm partial @${n}`, fn: partialCase(wasm) },
        { name: `reference partial @${n}`, fn: partialCase(ref) },
      ],
      { maxTime: 1 },
    );
    out.push({
      servicePorts: n,
      endpoints,
      bytes,
      filterRules,
      natRules,
      natChains,
      wasmFullMs,
      wasmFullCopyMs,
      referenceFullMs,
      wasmFullCpuMs,
      referenceFullCpuMs,
      fullSpeedup: referenceFullMs.p50 / wasmFullMs.p50,
      ipvsMs,
      ipvsBytes,
      wasmPartialMs: pw!.meanMs,
      referencePartialMs: pr!.meanMs,
      partialSpeedup: pr!.meanMs / pw!.meanMs,
    });
  }
  printTable(
    'iptables full compile (p50 of runs; WASM includes flattening the model into its memory)',
    ['service ports', 'endpoints', 'text', 'nat rules', 'filter rules', 'WASM', 'WASM + copy out', 'reference', 'speed-up', 'speed-up with copy'],
    out.map((f) => [
      f.servicePorts, f.endpoints, fmtMiB(f.bytes), f.natRules, f.filterRules, fmtMs(f.wasmFullMs.p50), fmtMs(f.wasmFullCopyMs.p50),
      fmtMs(f.referenceFullMs.p50), fmtRatio(f.referenceFullMs.p50, f.wasmFullMs.p50), fmtRatio(f.referenceFullMs.p50, f.wasmFullCopyMs.p50),
    ]),
  );
  printTable(
    'iptables full compile, CPU time (median; user + system of this process, so GC threads count too)',
    ['service ports', 'WASM CPU', 'reference CPU', 'speed-up'],
    out.map((f) => [f.servicePorts, fmtMs(f.wasmFullCpuMs), fmtMs(f.referenceFullCpuMs), fmtRatio(f.referenceFullCpuMs, f.wasmFullCpuMs)]),
  );
  printTable(
    'iptables partial compile, one service port changed (benchmark.js mean)',
    ['service ports', 'WASM', 'reference', 'speed-up'],
    out.map((f) => [f.servicePorts, fmtMs(f.wasmPartialMs), fmtMs(f.referencePartialMs), fmtRatio(f.referencePartialMs, f.wasmPartialMs)]),
  );
  printTable(
    'IPVS mode full text (TypeScript): ipvsadm-restore + ipset restore + iptables',
    ['service ports', 'time (p50)', 'text'],
    out.map((f) => [f.servicePorts, fmtMs(f.ipvsMs), fmtMiB(f.ipvsBytes)]),
  );
  const at50k = out.find((f) => f.servicePorts === 50_000);
  if (at50k) {
    console.log(
      `\ntargets: full 50,000 < 250 ms: ${fmtMs(at50k.wasmFullMs.p50)} wall, ${fmtMs(at50k.wasmFullCpuMs)} CPU; partial < 1 ms: ${fmtMs(at50k.wasmPartialMs)}; ` +
        `WASM ≥ 2x reference: ${fmtNum(at50k.fullSpeedup)}x full, ${fmtNum(at50k.partialSpeedup)}x partial`,
    );
  }
  return { sizes: out, targets: { fullAt50kMs: 250, partialMs: 1, speedup: 2 } };
}
