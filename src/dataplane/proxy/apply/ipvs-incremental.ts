/**
 * The desired IPVS state kept per service port, so that a sync after one change compiles and diffs that one
 * service port instead of all of them (at 10,000 services a whole compile plus diff is hundreds of ms).
 * Set entries and kube-ipvs0 addresses can be shared between service ports (two ports of one Service share
 * its cluster IP; two Services may share an endpoint's hairpin entry), so they are reference-counted: an
 * entry goes away only when its last user does. `full()` gives the same state as compileIpvs(model).
 */
import { servicePortName, type ProxyConfig, type ServicePortInfo } from '../model.js';
import { SETS, compileIpvs, diffIpvs, type IpvsDiff, type IpvsOptions, type IpvsState, type VirtualServer } from '../ipvs/index.js';

interface Part {
  fp: string;
  state: IpvsState;
}

function bump(m: Map<string, number>, k: string, by: number): void {
  const n = (m.get(k) ?? 0) + by;
  if (n > 0) m.set(k, n);
  else m.delete(k);
}

export class IncrementalIpvs {
  private readonly parts = new Map<string, Part>();
  private readonly fpCache = new WeakMap<ServicePortInfo, string>();
  private readonly setRefs = new Map<string, Map<string, number>>(SETS.map((s) => [s.name, new Map()]));
  private readonly addrRefs = new Map<string, number>();
  /** Virtual server key → the service ports that define it, in the order they did (the last one wins, as in compileIpvs). */
  private readonly vsOwners = new Map<string, Map<string, VirtualServer>>();

  constructor(
    private readonly cfg: ProxyConfig,
    private readonly opts: IpvsOptions = {},
  ) {}

  get servicePorts(): number {
    return this.parts.size;
  }

  private fingerprint(sp: ServicePortInfo): string {
    let fp = this.fpCache.get(sp);
    if (fp === undefined) this.fpCache.set(sp, (fp = JSON.stringify(sp)));
    return fp;
  }

  private effective(key: string): VirtualServer | undefined {
    const owners = this.vsOwners.get(key);
    if (!owners || owners.size === 0) return undefined;
    let last: VirtualServer | undefined;
    for (const v of owners.values()) last = v;
    return last;
  }

  /**
   * Move to `model`; returns the edits from the previous desired state (only the touched service ports'
   * share; none when `withDiff` is false, as for a sync that diffs against the kernel), and how many service
   * ports changed.
   */
  update(model: readonly ServicePortInfo[], withDiff = true): { diff: IpvsDiff; changed: number } {
    const setBefore = new Map<string, Map<string, boolean>>();
    const addrBefore = new Map<string, boolean>();
    const vsBefore = new Map<string, VirtualServer | undefined>();
    const touchSet = (set: string, e: string) => {
      if (!withDiff) return;
      let m = setBefore.get(set);
      if (!m) setBefore.set(set, (m = new Map()));
      if (!m.has(e)) m.set(e, this.setRefs.get(set)!.has(e));
    };
    const touchAddr = (a: string) => {
      if (withDiff && !addrBefore.has(a)) addrBefore.set(a, this.addrRefs.has(a));
    };
    const touchVs = (k: string) => {
      if (withDiff && !vsBefore.has(k)) vsBefore.set(k, this.effective(k));
    };
    const apply = (name: string, st: IpvsState, by: 1 | -1) => {
      for (const [set, entries] of st.sets) {
        const refs = this.setRefs.get(set)!;
        for (const e of entries) {
          touchSet(set, e);
          bump(refs, e, by);
        }
      }
      for (const a of st.addresses) {
        touchAddr(a);
        bump(this.addrRefs, a, by);
      }
      for (const [k, vs] of st.virtualServers) {
        touchVs(k);
        let owners = this.vsOwners.get(k);
        if (!owners) this.vsOwners.set(k, (owners = new Map()));
        if (by > 0) owners.set(name, vs);
        else owners.delete(name);
        if (owners.size === 0) this.vsOwners.delete(k);
      }
    };
    const seen = new Set<string>();
    let changed = 0;
    for (const sp of model) {
      const name = servicePortName(sp);
      seen.add(name);
      const fp = this.fingerprint(sp);
      const old = this.parts.get(name);
      if (old?.fp === fp) continue;
      changed++;
      if (old) apply(name, old.state, -1);
      const state = compileIpvs([sp], this.cfg, this.opts);
      apply(name, state, 1);
      this.parts.set(name, { fp, state });
    }
    for (const [name, part] of this.parts) {
      if (seen.has(name)) continue;
      changed++;
      apply(name, part.state, -1);
      this.parts.delete(name);
    }
    // Two small states holding only what was touched, before and after: their diff is the sync's edits.
    const side = (after: boolean): IpvsState => {
      const sets = new Map<string, string[]>();
      for (const s of SETS) {
        const out: string[] = [];
        for (const [e, was] of setBefore.get(s.name) ?? []) if (after ? this.setRefs.get(s.name)!.has(e) : was) out.push(e);
        sets.set(s.name, out);
      }
      const addresses = [...addrBefore].filter(([a, was]) => (after ? this.addrRefs.has(a) : was)).map(([a]) => a);
      const virtualServers = new Map<string, VirtualServer>();
      for (const [k, was] of vsBefore) {
        const v = after ? this.effective(k) : was;
        if (v) virtualServers.set(k, v);
      }
      return { virtualServers, sets, addresses };
    };
    return { diff: diffIpvs(side(false), side(true)), changed };
  }

  /** The whole desired state (what compileIpvs(model) gives): for comparing with the kernel. */
  full(): IpvsState {
    const virtualServers = new Map<string, VirtualServer>();
    for (const k of this.vsOwners.keys()) virtualServers.set(k, this.effective(k)!);
    const sets = new Map<string, string[]>();
    for (const s of SETS) sets.set(s.name, [...this.setRefs.get(s.name)!.keys()].sort());
    return { virtualServers, sets, addresses: [...this.addrRefs.keys()].sort() };
  }

  /**
   * A state with the right sets empty or not and nothing else: enough for ipvsIptablesText, whose rules
   * depend only on which sets have entries, without sorting every set on every sync.
   */
  setsShape(): IpvsState {
    return { virtualServers: new Map(), sets: new Map([...this.setRefs].map(([n, refs]) => [n, refs.size > 0 ? [''] : []])), addresses: [] };
  }
}
