/**
 * Incremental compilation for the nft layouts: the table is the base layout plus one contribution per service
 * port (its chains, sets and elements). Contributions are reference-counted, because service ports share
 * objects (the flat layout's class chains and maps, hairpin pairs, a ClusterIP in @cluster-ips), so a sync
 * that changes one service recompiles that one and emits a transaction touching only what its contribution
 * changed: cost O(changed services), not O(table). The whole table is still available (`ruleset()`) for the
 * first load and for resyncs against the kernel.
 */
import type { ProxyConfig, ServicePortInfo } from '../model.js';
import { chainHash, elementKey, renderDiff, type NftChain, type NftElement, type NftRuleset, type NftSet, type TableSnapshot } from './ruleset.js';

export interface NftLayoutDef {
  table: string;
  base(cfg: ProxyConfig): NftRuleset;
  add(rs: NftRuleset, sp: ServicePortInfo, cfg: ProxyConfig): void;
}

interface Contribution {
  chains: Map<string, NftChain>;
  /** Sets this service port declares (not in the base layout). */
  sets: Map<string, NftSet>;
  /** Elements it adds, per set (base or its own). */
  elements: Array<[string, NftElement]>;
}

interface SetState {
  set: NftSet;
  /** Contributions declaring it; base sets are never removed (refs = Infinity). */
  refs: number;
  elementRefs: Map<string, number>;
}

export interface IncrementalResult {
  /** Transaction text for `nft -f -` ('' when nothing changed). */
  text: string;
  changed: number;
  removed: number;
}

function portKey(sp: ServicePortInfo): string {
  return `${sp.namespace}/${sp.name}:${sp.portName}/${sp.protocol}`;
}

export class IncrementalNft {
  private readonly baseRs: NftRuleset;
  private readonly baseChains: Set<string>;
  private scratch: NftRuleset | null = null;
  private chains = new Map<string, { chain: NftChain; refs: number }>();
  private sets = new Map<string, SetState>();
  private contribs = new Map<string, { sp: ServicePortInfo; fp: string; c: Contribution }>();
  // Before-images of what the current update touched.
  private touchedChains = new Map<string, { hash: string | null; ruleCount: number } | null>();
  private touchedSets = new Map<string, { kind: 'set' | 'map'; elements: Map<string, string> } | null>();

  constructor(
    private readonly layout: NftLayoutDef,
    private readonly cfg: ProxyConfig,
  ) {
    this.baseRs = layout.base(cfg);
    this.baseChains = new Set(this.baseRs.chains.keys());
    for (const [name, set] of this.baseRs.sets) this.sets.set(name, { set: { ...set, elements: new Map() }, refs: Infinity, elementRefs: new Map() });
  }

  get table(): string {
    return this.layout.table;
  }

  /** One service port compiled alone into a reused scratch copy of the base layout, then taken out of it. */
  private contribution(sp: ServicePortInfo): Contribution {
    const scratch = (this.scratch ??= this.layout.base(this.cfg));
    this.layout.add(scratch, sp, this.cfg);
    const c: Contribution = { chains: new Map(), sets: new Map(), elements: [] };
    for (const [name, chain] of scratch.chains) {
      if (this.baseChains.has(name)) continue;
      c.chains.set(name, chain);
      scratch.chains.delete(name);
    }
    for (const [name, set] of scratch.sets) {
      if (set.elements.size === 0 && this.baseRs.sets.has(name)) continue;
      for (const e of set.elements.values()) c.elements.push([name, e]);
      if (this.baseRs.sets.has(name)) set.elements = new Map();
      else {
        c.sets.set(name, set);
        scratch.sets.delete(name);
      }
    }
    return c;
  }

  /** Off while an update's transaction is not wanted (first load, resync): before-images cost time. */
  private tracking = true;

  private touchChain(name: string): void {
    if (!this.tracking || this.touchedChains.has(name)) return;
    const cur = this.chains.get(name);
    this.touchedChains.set(name, cur ? { hash: cur.chain.rules.length ? chainHash(cur.chain) : null, ruleCount: cur.chain.rules.length } : null);
  }

  /** Records the set's state before this update: existence, and the values of the keys about to change. */
  private touchSet(name: string, key?: string): void {
    if (!this.tracking) return;
    let t = this.touchedSets.get(name);
    if (t === undefined) {
      const cur = this.sets.get(name);
      t = cur ? { kind: cur.set.kind, elements: new Map() } : null;
      this.touchedSets.set(name, t);
    }
    if (t && key !== undefined && !t.elements.has(key)) {
      const e = this.sets.get(name)?.set.elements.get(key);
      // '\0absent' marks "not there before".
      t.elements.set(key, e ? e.value ?? '' : '\0absent');
    }
  }

  private addContribution(c: Contribution): void {
    for (const [name, chain] of c.chains) {
      this.touchChain(name);
      const cur = this.chains.get(name);
      if (cur) {
        cur.refs++;
        cur.chain = chain;
      } else this.chains.set(name, { chain, refs: 1 });
    }
    for (const [name, set] of c.sets) {
      this.touchSet(name);
      const cur = this.sets.get(name);
      if (cur) cur.refs++;
      else this.sets.set(name, { set: { ...set, elements: new Map() }, refs: 1, elementRefs: new Map() });
    }
    for (const [name, e] of c.elements) {
      const s = this.sets.get(name)!;
      const k = elementKey(e);
      this.touchSet(name, k);
      s.set.elements.set(k, e);
      s.elementRefs.set(k, (s.elementRefs.get(k) ?? 0) + 1);
    }
  }

  private removeContribution(c: Contribution): void {
    for (const [name, e] of c.elements) {
      const s = this.sets.get(name);
      if (!s) continue;
      const k = elementKey(e);
      this.touchSet(name, k);
      const n = (s.elementRefs.get(k) ?? 1) - 1;
      if (n <= 0) {
        s.elementRefs.delete(k);
        s.set.elements.delete(k);
      } else s.elementRefs.set(k, n);
    }
    for (const name of c.sets.keys()) {
      this.touchSet(name);
      const s = this.sets.get(name);
      if (s && --s.refs <= 0) this.sets.delete(name);
    }
    for (const name of c.chains.keys()) {
      this.touchChain(name);
      const cur = this.chains.get(name);
      if (cur && --cur.refs <= 0) this.chains.delete(name);
    }
  }

  /**
   * Bring the state to `model` and return the transaction from the previous state (unless `transaction` is
   * false: the caller will diff `ruleset()` against the kernel instead). Unchanged service ports are recognised
   * by object identity first, then by content.
   */
  update(model: readonly ServicePortInfo[], transaction = true): IncrementalResult {
    this.touchedChains.clear();
    this.touchedSets.clear();
    this.tracking = transaction;
    const seen = new Set<string>();
    let changed = 0;
    let removed = 0;
    for (const sp of model) {
      const key = portKey(sp);
      seen.add(key);
      const prev = this.contribs.get(key);
      if (prev && prev.sp === sp) continue;
      const fp = JSON.stringify(sp);
      if (prev && prev.fp === fp) {
        prev.sp = sp;
        continue;
      }
      const c = this.contribution(sp);
      if (prev) this.removeContribution(prev.c);
      this.addContribution(c);
      this.contribs.set(key, { sp, fp, c });
      changed++;
    }
    if (seen.size !== this.contribs.size) {
      for (const [key, prev] of this.contribs) {
        if (seen.has(key)) continue;
        this.removeContribution(prev.c);
        this.contribs.delete(key);
        removed++;
      }
    }
    return { text: transaction ? this.renderTouched() : '', changed, removed };
  }

  /** renderDiff over only the touched chains, sets and element keys. */
  private renderTouched(): string {
    const have: TableSnapshot = { chains: new Map(), sets: new Map() };
    const want: NftRuleset = { family: 'ip', table: this.layout.table, tableSpec: this.baseRs.tableSpec, sets: new Map(), chains: new Map() };
    for (const [name, before] of this.touchedChains) {
      if (before) have.chains.set(name, before);
      const now = this.chains.get(name);
      if (now) want.chains.set(name, now.chain);
    }
    for (const [name, before] of this.touchedSets) {
      const now = this.sets.get(name);
      if (before) {
        const els = new Map<string, string>();
        for (const [k, v] of before.elements) if (v !== '\0absent') els.set(k, v);
        have.sets.set(name, { kind: before.kind, elements: els });
      }
      if (now) {
        const els = new Map<string, NftElement>();
        for (const k of before?.elements.keys() ?? now.set.elements.keys()) {
          const e = now.set.elements.get(k);
          if (e) els.set(k, e);
        }
        want.sets.set(name, { ...now.set, elements: els });
      }
    }
    return renderDiff(have, want);
  }

  /** The whole table as it should be now (first load, resync against the kernel). */
  ruleset(): NftRuleset {
    const rs: NftRuleset = { family: 'ip', table: this.layout.table, tableSpec: this.baseRs.tableSpec, sets: new Map(), chains: new Map(this.baseRs.chains) };
    for (const [name, c] of this.chains) rs.chains.set(name, c.chain);
    for (const [name, s] of this.sets) rs.sets.set(name, s.set);
    return rs;
  }

  get servicePorts(): number {
    return this.contribs.size;
  }
}
