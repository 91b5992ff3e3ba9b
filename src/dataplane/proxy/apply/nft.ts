/**
 * Applies an nft layout (upstream or flat) with `nft -f -` transactions. The first sync reads what the kernel
 * holds (`nft -j list table`) and sends only the difference, so a restarted agent does not reload a large
 * table; later syncs diff against the previous desired state; a resync (every sync period and after any
 * failure) diffs against the kernel again.
 */
import { exec, execChecked, type NetnsTarget } from './exec.js';
import { renderDiff, snapshotOf, type NftRuleset, type TableSnapshot } from '../nftables/ruleset.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function norm(v: Json): string {
  if (v === null) return '';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(norm).join(' . ');
  if ('concat' in v) return norm(v.concat as Json[]);
  if ('prefix' in v) {
    const p = v.prefix as { addr: Json; len: Json };
    return `${norm(p.addr)}/${norm(p.len)}`;
  }
  if ('range' in v) return (v.range as Json[]).map(norm).join('-');
  if ('elem' in v) return norm((v.elem as { val: Json }).val);
  for (const verdict of ['goto', 'jump']) if (verdict in v) return `${verdict} ${norm((v[verdict] as { target: Json }).target)}`;
  const keys = Object.keys(v);
  if (keys.length === 1 && v[keys[0]!] === null) return keys[0]!; // {"drop": null}
  return JSON.stringify(v);
}

/** Parse `nft -j list table ip T` into the snapshot renderDiff compares with. */
export function parseTableJson(text: string, dynamicSets: Set<string>): TableSnapshot {
  const snap: TableSnapshot = { chains: new Map(), sets: new Map() };
  const doc = JSON.parse(text) as { nftables: Array<Record<string, Record<string, Json>>> };
  for (const item of doc.nftables) {
    if (item.chain) snap.chains.set(String(item.chain.name), { hash: null, ruleCount: 0 });
    for (const kind of ['set', 'map'] as const) {
      const s = item[kind];
      if (!s) continue;
      const name = String(s.name);
      const els = new Map<string, string>();
      if (!dynamicSets.has(name)) {
        for (const e of (s.elem as Json[] | undefined) ?? []) {
          if (kind === 'map' && Array.isArray(e)) els.set(norm(e[0]!), norm(e[1]!));
          else els.set(norm(e), '');
        }
      }
      snap.sets.set(name, { kind, elements: els });
    }
  }
  for (const item of doc.nftables) {
    const r = item.rule;
    if (!r) continue;
    const c = snap.chains.get(String(r.chain));
    if (!c) continue;
    c.ruleCount++;
    const comment = typeof r.comment === 'string' ? r.comment : '';
    const m = /(?:^| )sk:(\S+)$/.exec(comment);
    if (m) c.hash = m[1]!;
  }
  return snap;
}

/** Map values such as "10.0.0.1 . 8080" and verdicts as nft -j reports them, written the way we write them. */
export async function readTable(target: NetnsTarget, table: string, dynamicSets: Set<string>): Promise<TableSnapshot | null> {
  const r = await exec(target, 'nft', ['-j', 'list', 'table', 'ip', table]);
  if (r.code !== 0) {
    if (/No such file or directory|does not exist/.test(r.stderr)) return null;
    throw new Error(`nft list table ip ${table}: ${r.stderr.trim()}`);
  }
  return parseTableJson(r.stdout, dynamicSets);
}

export interface NftApplyResult {
  /** 'kernel' = diffed against what the kernel holds; 'previous' = against the last applied state. */
  against: 'kernel' | 'previous';
  bytes: number;
  changed: boolean;
  /** Time spent in `nft` (reading the kernel and/or applying), the rest being compile-side diffing. */
  kernelMs: number;
}

export class NftApplier {
  private last: TableSnapshot | null = null;

  constructor(private readonly target: NetnsTarget) {}

  /** Check a transaction without committing it (`nft -c -f -`). */
  async check(text: string): Promise<void> {
    await execChecked(this.target, 'nft', ['-c', '-f', '-'], text);
  }

  /** Apply `want`. `resync` forces a comparison with the kernel instead of the last applied state. */
  async apply(want: NftRuleset, resync = false): Promise<NftApplyResult> {
    let have = this.last;
    let against: NftApplyResult['against'] = 'previous';
    let kernelMs = 0;
    if (have === null || resync) {
      const dyn = new Set([...want.sets].filter(([, s]) => s.dynamic).map(([n]) => n));
      const t0 = performance.now();
      have = await readTable(this.target, want.table, dyn);
      kernelMs += performance.now() - t0;
      against = 'kernel';
    }
    let text: string;
    if (have === null) {
      text = `add table ip ${want.table} { ${want.tableSpec} }\n` + renderDiff({ chains: new Map(), sets: new Map() }, want);
    } else {
      text = renderDiff(have, want);
    }
    if (text === '') {
      this.last = snapshotOf(want);
      return { against, bytes: 0, changed: false, kernelMs };
    }
    const t1 = performance.now();
    try {
      await execChecked(this.target, 'nft', ['-f', '-'], text);
      kernelMs += performance.now() - t1;
    } catch (e) {
      // Unknown kernel state now: the next apply reads it back.
      this.last = null;
      throw e;
    }
    this.last = snapshotOf(want);
    return { against, bytes: text.length, changed: true, kernelMs };
  }

  /** Apply a ready transaction (from IncrementalNft); the next `apply` reads the kernel again. */
  async applyText(text: string): Promise<number> {
    this.last = null;
    if (text === '') return 0;
    const t0 = performance.now();
    await execChecked(this.target, 'nft', ['-f', '-'], text);
    return performance.now() - t0;
  }

  /** Remove the table (agent cleanup). */
  async deleteTable(table: string): Promise<void> {
    await exec(this.target, 'nft', ['delete', 'table', 'ip', table]);
    this.last = null;
  }
}
