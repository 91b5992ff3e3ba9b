/**
 * IPVS mode for the agent. Restore tools only add, so every sync sends a diff:
 * - against the kernel (first sync, every resync, after any failure): kube-ipvs0 is ensured, then what the
 *   kernel holds (`ipvsadm-save -n`, `ipset save`, kube-ipvs0's addresses, `iptables-save`) is compared with
 *   the compiled state and only the difference is applied: missing sets created, entries added and deleted,
 *   virtual and real servers added (-A/-a), edited (-E) and deleted (-D/-d), addresses bound and unbound;
 * - otherwise only the service ports that changed since the previous sync are compiled and diffed
 *   (ipvs-incremental.ts); the kernel holds the previous state unless something else touched it (the
 *   periodic resync repairs that).
 * Order as upstream: sets before the iptables rules that match them, virtual servers before addresses are
 * unbound. Virtual servers are ours when their address is a node IP or one of ours (kube-ipvs0, compiled);
 * others' are left alone.
 */
import type { ProxyBackend, SyncOutcome } from '../backends.js';
import type { ProxyConfig, ServicePortInfo } from '../model.js';
import type { ProxyMetrics } from '../metrics.js';
import type { NetnsTarget } from './exec.js';
import {
  SETS, createSetLine, diffIpvs, ipvsIptablesText, ipvsStateFromSave, type IpvsDiff, type IpvsState,
} from '../ipvs/index.js';
import {
  KernelVirtualServers, changeAddresses, deleteDevice, deviceAddresses, ensureDevice, ipsetDestroy, ipsetRestore, ipsetSave, probeIpvs,
  savedSetNames, type DeviceType, type VirtualServerTable,
} from './ipvs.js';
import { IpvsIptables } from './ipvs-iptables.js';
import { IncrementalIpvs } from './ipvs-incremental.js';

export interface IpvsBackendOptions {
  target: NetnsTarget;
  config: ProxyConfig;
  /** IPVS scheduler (upstream --ipvs-scheduler); rr by default. */
  scheduler?: string;
  /** Virtual servers' home: the kernel's ipvsadm by default. */
  virtualServers?: VirtualServerTable;
  /** kube-ipvs0's link type: dummy (upstream). */
  deviceType?: DeviceType;
  metrics?: ProxyMetrics;
}

/** What one sync sent to each tool ('' / [] = nothing), for tests and logs. */
export interface IpvsSyncRecord extends IpvsDiff {
  againstKernel: boolean;
  /** iptables-restore --noflush text ('' when the chains already matched). */
  iptables: string;
}

function emptyState(): IpvsState {
  return { virtualServers: new Map(), sets: new Map(SETS.map((s) => [s.name, []])), addresses: [] };
}

export class IpvsBackend implements ProxyBackend {
  readonly mode = 'ipvs';
  private readonly target: NetnsTarget;
  private readonly cfg: ProxyConfig;
  private readonly vsTable: VirtualServerTable;
  private readonly iptables: IpvsIptables;
  private metrics?: ProxyMetrics;
  /** The desired state, per service port; a partial sync compiles and diffs only what changed. */
  private readonly desired: IncrementalIpvs;
  /** The kernel holds the desired state as of the last sync; false = compare with the kernel next time. */
  private kernelKnown = false;
  private prevIptables = '';
  lastSync: IpvsSyncRecord | null = null;

  constructor(private readonly o: IpvsBackendOptions) {
    this.target = o.target;
    this.cfg = o.config;
    this.vsTable = o.virtualServers ?? new KernelVirtualServers(o.target);
    this.iptables = new IpvsIptables(o.target);
    this.metrics = o.metrics;
    this.desired = new IncrementalIpvs(o.config, { scheduler: o.scheduler });
  }

  attachMetrics(m: ProxyMetrics): void {
    this.metrics = m;
  }

  /** The kernel's IPVS-mode state, in compiled form; also which of our sets exist there. */
  async readKernel(extraOwned: readonly string[] = []): Promise<{ state: IpvsState; setsPresent: Set<string> }> {
    const [vsText, setText, addrs] = await Promise.all([this.vsTable.save(), ipsetSave(this.target), deviceAddresses(this.target)]);
    // Firewall-mark services (-f) are never kube-proxy's; the parser knows address services only.
    const addressServices = vsText.split('\n').filter((l) => /^-[AaEe] (-t|-u|--sctp-service) /.test(l)).join('\n');
    const state = ipvsStateFromSave(addressServices, setText, addrs);
    const owned = new Set([...addrs, ...this.cfg.nodeIPs, ...extraOwned]);
    for (const [k, vs] of state.virtualServers) if (!owned.has(vs.address)) state.virtualServers.delete(k);
    return { state, setsPresent: savedSetNames(setText) };
  }

  async sync(model: ServicePortInfo[], resync: boolean): Promise<SyncOutcome> {
    const againstKernel = resync || !this.kernelKnown;
    const step = this.desired.update(model, !againstKernel);
    const iptText = ipvsIptablesText(this.desired.setsShape(), this.cfg);
    // Whatever fails below leaves the kernel in between: the next sync compares with it again.
    this.kernelKnown = false;
    try {
      let diff = step.diff;
      let setCreates = '';
      if (againstKernel) {
        await ensureDevice(this.target, this.o.deviceType);
        const want = this.desired.full();
        const wantAddrs = [...want.virtualServers.values()].map((v) => v.address);
        const kernel = await this.readKernel(wantAddrs);
        diff = diffIpvs(kernel.state, want);
        setCreates = SETS.filter((s) => !kernel.setsPresent.has(s.name)).map((s) => createSetLine(s.name) + '\n').join('');
      }
      const ipset = setCreates + diff.ipset;
      await ipsetRestore(this.target, ipset);
      let iptables = '';
      // The iptables text changes only when a set turns empty or non-empty; IpvsIptables sends differing chains.
      if (againstKernel || iptText !== this.prevIptables) iptables = await this.iptables.apply(iptText, againstKernel);
      await this.vsTable.restore(diff.ipvsadm);
      const addrBytes = await changeAddresses(this.target, diff.addressesToAdd, diff.addressesToDel);
      this.kernelKnown = true;
      this.prevIptables = iptText;
      this.lastSync = { ...diff, ipset, iptables, againstKernel };
      this.count(iptText);
      return { full: againstKernel, bytes: ipset.length + iptables.length + diff.ipvsadm.length + addrBytes };
    } catch (e) {
      if (!againstKernel) this.metrics?.partialRestoreFailures.inc();
      throw e;
    }
  }

  private count(iptText: string): void {
    let table = '';
    const n = { filter: 0, nat: 0 };
    for (const line of iptText.split('\n')) {
      if (line.startsWith('*')) table = line.slice(1);
      else if (line.startsWith('-A ') && (table === 'filter' || table === 'nat')) n[table]++;
    }
    this.metrics?.iptablesRules.set(n.filter, { table: 'filter' });
    this.metrics?.iptablesRules.set(n.nat, { table: 'nat' });
  }

  /** Remove our virtual servers, iptables chains, sets and kube-ipvs0 (as upstream's --cleanup). */
  async cleanup(): Promise<void> {
    this.kernelKnown = false;
    const kernel = await this.readKernel();
    await this.vsTable.restore(diffIpvs({ ...emptyState(), virtualServers: kernel.state.virtualServers }, emptyState()).ipvsadm);
    await this.iptables.remove();
    await ipsetDestroy(this.target, SETS.map((s) => s.name));
    await deleteDevice(this.target);
  }
}

/**
 * The agent's IPVS backend, after checking that the target has IPVS (and ipset): without ip_vs this throws
 * a message naming the module before anything is changed. NodePort addresses never include kube-ipvs0's
 * (a restarted agent finds its service IPs bound there).
 */
export async function createIpvsBackend(o: IpvsBackendOptions): Promise<IpvsBackend> {
  await probeIpvs(o.target);
  const vips = new Set(await deviceAddresses(o.target));
  const config = { ...o.config, nodeIPs: o.config.nodeIPs.filter((ip) => !vips.has(ip)) };
  return new IpvsBackend({ ...o, config });
}
