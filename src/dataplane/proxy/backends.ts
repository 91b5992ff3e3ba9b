/**
 * One backend per proxy mode: it turns a model into kernel state through the apply layer. The agent only
 * decides when to sync and whether the sync must compare against the kernel (resync).
 */
import type { ProxyConfig, ServicePortInfo } from './model.js';
import { servicePortName } from './model.js';
import type { NetnsTarget } from './apply/exec.js';
import { NftApplier } from './apply/nft.js';
import { compileUpstream, upstreamLayout } from './nftables/upstream.js';
import { compileFlat, flatLayout } from './nftables/flat.js';
import { IncrementalNft } from './nftables/incremental.js';
import { rulesetSize, type NftRuleset } from './nftables/ruleset.js';
import type { IptablesCompiler, JumpRule } from './compiler/types.js';
import { IptablesApplier } from './apply/iptables.js';
import type { ProxyMetrics } from './metrics.js';

export { IpvsBackend, createIpvsBackend, type IpvsBackendOptions } from './apply/ipvs-backend.js';

export type ProxyMode = 'iptables' | 'ipvs' | 'nftables';
export type NftLayout = 'upstream' | 'flat';

export interface SyncOutcome {
  /** True when the backend compared against the kernel (first sync, resync, after failure). */
  full: boolean;
  /** Bytes handed to the kernel tool (0 = nothing to change). */
  bytes: number;
}

export interface ProxyBackend {
  readonly mode: string;
  sync(model: ServicePortInfo[], resync: boolean): Promise<SyncOutcome>;
  /** The agent hands over its metrics (rule counts, partial-restore failures). */
  attachMetrics?(m: ProxyMetrics): void;
  /** Remove everything this backend installed. */
  cleanup(): Promise<void>;
}

export class NftBackend implements ProxyBackend {
  readonly mode: string;
  private readonly applier: NftApplier;
  private readonly inc: IncrementalNft;
  /** The kernel may differ from the incremental state (first sync, failed transaction): diff against it. */
  private kernelUnknown = true;
  /** Kernel time of the last sync, and time from its start until the kernel held the rules (benchmarks). */
  lastKernelMs = 0;
  lastKernelReadyMs = 0;
  constructor(
    private readonly layout: NftLayout,
    target: NetnsTarget,
    private readonly cfg: ProxyConfig,
    private metrics?: ProxyMetrics,
  ) {
    this.mode = `nftables/${layout}`;
    this.applier = new NftApplier(target);
    this.inc = new IncrementalNft(layout === 'flat' ? flatLayout : upstreamLayout, cfg);
  }

  attachMetrics(m: ProxyMetrics): void {
    this.metrics = m;
  }

  compile(model: ServicePortInfo[]) {
    return this.layout === 'flat' ? compileFlat(model, this.cfg) : compileUpstream(model, this.cfg);
  }

  async sync(model: ServicePortInfo[], resync: boolean): Promise<SyncOutcome> {
    const t0 = performance.now();
    const againstKernel = this.kernelUnknown || resync;
    if (againstKernel && this.inc.servicePorts === 0 && model.length > 0) {
      // First load: the one-pass compiler gets rules into the kernel sooner; the incremental state (equal by
      // construction, see the incremental tests) is built after, for the syncs to come.
      const rs = this.compile(model);
      const r = await this.applier.apply(rs, true);
      this.kernelUnknown = false;
      this.lastKernelMs = r.kernelMs;
      this.lastKernelReadyMs = performance.now() - t0;
      this.inc.update(model, false);
      this.countObjects(rs);
      return { full: true, bytes: r.bytes };
    }
    const delta = this.inc.update(model, !againstKernel);
    if (againstKernel) {
      const rs = this.inc.ruleset();
      const r = await this.applier.apply(rs, true);
      this.kernelUnknown = false;
      this.lastKernelMs = r.kernelMs;
      this.lastKernelReadyMs = performance.now() - t0;
      this.countObjects(rs);
      return { full: true, bytes: r.bytes };
    }
    try {
      this.lastKernelMs = await this.applier.applyText(delta.text);
    } catch (e) {
      this.kernelUnknown = true;
      throw e;
    }
    this.lastKernelReadyMs = performance.now() - t0;
    return { full: false, bytes: delta.text.length };
  }

  private countObjects(rs: NftRuleset): void {
    const size = rulesetSize(rs);
    this.metrics?.nftablesObjects.set(size.chains, { kind: 'chains' });
    this.metrics?.nftablesObjects.set(size.rules, { kind: 'rules' });
    this.metrics?.nftablesObjects.set(size.elements, { kind: 'elements' });
  }

  async cleanup(): Promise<void> {
    await this.applier.deleteTable(this.inc.table);
    this.kernelUnknown = true;
  }
}

/** Per service port, a fingerprint to find what changed between two models (reused when the object is). */
function fingerprints(model: ServicePortInfo[], prevObjs: WeakMap<ServicePortInfo, string>): Map<string, string> {
  const m = new Map<string, string>();
  for (const sp of model) {
    let fp = prevObjs.get(sp);
    if (fp === undefined) prevObjs.set(sp, (fp = JSON.stringify(sp)));
    m.set(servicePortName(sp), fp);
  }
  return m;
}

export class IptablesBackend implements ProxyBackend {
  readonly mode = 'iptables';
  private readonly applier: IptablesApplier;
  private prev: Map<string, string> | null = null;
  private readonly fpCache = new WeakMap<ServicePortInfo, string>();
  constructor(
    private readonly compiler: IptablesCompiler,
    private readonly jumps: JumpRule[],
    target: NetnsTarget,
    private metrics?: ProxyMetrics,
  ) {
    this.applier = new IptablesApplier(target);
  }

  attachMetrics(m: ProxyMetrics): void {
    this.metrics = m;
  }

  async sync(model: ServicePortInfo[], resync: boolean): Promise<SyncOutcome> {
    const now = fingerprints(model, this.fpCache);
    if (this.prev === null || resync) {
      // Compare with the kernel: the first load writes everything; later resyncs only what drifted.
      await this.applier.ensureJumps(this.jumps);
      const text = this.compiler.full(model);
      this.count(text);
      const r = await this.applier.reconcile(text.text);
      this.prev = now;
      return { full: true, bytes: r.bytes };
    }
    const changed = model.filter((sp) => this.prev!.get(servicePortName(sp)) !== now.get(servicePortName(sp)));
    const removed = [...this.prev.keys()].filter((k) => !now.has(k));
    if (changed.length === 0 && removed.length === 0) return { full: false, bytes: 0 };
    const text = this.compiler.partial(changed, removed);
    try {
      await this.applier.restore(text.bytes);
    } catch (e) {
      this.metrics?.partialRestoreFailures.inc();
      this.prev = null;
      this.compiler.reset();
      throw e;
    }
    this.prev = now;
    if (text.kind === 'full') this.count(text);
    return { full: false, bytes: text.bytes.length };
  }

  private count(t: { filterRules: number; natRules: number }): void {
    this.metrics?.iptablesRules.set(t.filterRules, { table: 'filter' });
    this.metrics?.iptablesRules.set(t.natRules, { table: 'nat' });
  }

  async cleanup(): Promise<void> {
    await this.applier.removeAll(this.jumps);
    this.prev = null;
    this.compiler.reset();
  }
}

export interface BackendOptions {
  mode: ProxyMode;
  /** nftables mode only: upstream's layout (default) or the flat one. */
  nftLayout?: NftLayout;
  target: NetnsTarget;
  config: ProxyConfig;
  /** iptables mode only: the WASM compiler (default) or the TypeScript reference. */
  compiler?: 'wasm' | 'reference';
  /** ipvs mode only: the IPVS scheduler (upstream --ipvs-scheduler), rr by default. */
  ipvsScheduler?: string;
}

export async function createBackend(o: BackendOptions): Promise<ProxyBackend> {
  switch (o.mode) {
    case 'nftables':
      return new NftBackend(o.nftLayout ?? 'upstream', o.target, o.config);
    case 'iptables': {
      const c = await import('./compiler/index.js');
      const compiler = o.compiler === 'reference' ? c.createReferenceIptablesCompiler(o.config) : await c.createIptablesCompiler(o.config);
      return new IptablesBackend(compiler, c.jumpRules(), o.target);
    }
    case 'ipvs': {
      // Throws, naming the missing module, before changing anything when the target has no ip_vs.
      const { createIpvsBackend } = await import('./apply/ipvs-backend.js');
      return createIpvsBackend({ target: o.target, config: o.config, scheduler: o.ipvsScheduler });
    }
    default:
      throw new Error(`unknown proxy mode ${JSON.stringify(o.mode)} (want iptables, ipvs or nftables)`);
  }
}
