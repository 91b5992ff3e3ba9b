/**
 * A structured nftables table (sets, maps, chains) that both nft layouts compile to, and the three texts made
 * from it for `nft -f -`: the first load, the transaction between two desired states (only changed chains and
 * elements), and the repair between what the kernel holds and what it should hold (periodic resync).
 *
 * Each non-empty chain's last rule carries `comment "sk:<hash>"` of the chain's rules, so a resync learns from
 * `nft -j list table` whether a chain is current without re-parsing nft's normalised rule text.
 */
import { createHash } from 'node:crypto';

export interface NftElement {
  /** Concatenation parts as nft prints them: "10.96.0.1", "tcp", "80". */
  key: string[];
  /** Map value: a verdict ("goto chain", "drop") or data parts; absent for sets. */
  value?: string;
  comment?: string;
}

export interface NftSet {
  kind: 'set' | 'map';
  /** The declaration body between braces, e.g. `type ipv4_addr ; comment "x" ;`. */
  spec: string;
  /** Elements the kernel adds itself (affinity); never diffed. */
  dynamic?: boolean;
  elements: Map<string, NftElement>;
}

export interface NftChain {
  /** Base-chain declaration (`type nat hook prerouting priority -100 ;`); absent for regular chains. */
  spec?: string;
  rules: string[];
}

export interface NftRuleset {
  family: 'ip';
  table: string;
  /** Declaration body of the table (its comment). */
  tableSpec: string;
  sets: Map<string, NftSet>;
  chains: Map<string, NftChain>;
}

export function newRuleset(table: string, comment: string): NftRuleset {
  return { family: 'ip', table, tableSpec: `comment "${comment}" ;`, sets: new Map(), chains: new Map() };
}

export function elementKey(e: NftElement): string {
  return e.key.join(' . ');
}

export function addElement(rs: NftRuleset, set: string, e: NftElement): void {
  const s = rs.sets.get(set);
  if (!s) throw new Error(`nft compiler: element for undeclared set ${set}`);
  s.elements.set(elementKey(e), e);
}

const hashes = new WeakMap<NftChain, string>();

/** Content hash of a chain, computed once per chain object (chains are not mutated after compile). */
export function chainHash(c: NftChain): string {
  let h = hashes.get(c);
  if (h === undefined) {
    h = createHash('sha256').update(c.spec ?? '').update('\n').update(c.rules.join('\n')).digest('base64url').slice(0, 12);
    hashes.set(c, h);
  }
  return h;
}

function renderRules(rs: NftRuleset, name: string, c: NftChain, out: string[]): void {
  const h = chainHash(c);
  const last = c.rules.length - 1;
  c.rules.forEach((r, i) => {
    let rule = r;
    if (i === last) {
      // A rule has one comment: the hash joins an existing one.
      const m = / comment "([^"]*)"$/.exec(r);
      rule = m ? `${r.slice(0, m.index)} comment "${m[1]} sk:${h}"` : `${r} comment "sk:${h}"`;
    }
    out.push(`add rule ${rs.family} ${rs.table} ${name} ${rule}`);
  });
}

function elementText(e: NftElement): string {
  return `${elementKey(e)}${e.comment ? ` comment "${e.comment}"` : ''}${e.value !== undefined ? ` : ${e.value}` : ''}`;
}

/** Chunks element lists so one statement stays a reasonable size. */
function renderElements(rs: NftRuleset, op: 'add' | 'delete', set: string, els: NftElement[], out: string[]): void {
  const chunk = 1000;
  for (let i = 0; i < els.length; i += chunk) {
    const part = els.slice(i, i + chunk).map((e) => (op === 'delete' ? elementKey(e) : elementText(e)));
    out.push(`${op} element ${rs.family} ${rs.table} ${set} { ${part.join(', ')} }`);
  }
}

function declareChain(rs: NftRuleset, name: string, c: NftChain, out: string[]): void {
  out.push(`add chain ${rs.family} ${rs.table} ${name}${c.spec ? ` { ${c.spec} }` : ''}`);
}

/** The first load: replace the whole table in one transaction (add + delete makes it work whether or not it exists). */
export function renderFull(rs: NftRuleset): string {
  const out: string[] = [];
  const t = `${rs.family} ${rs.table}`;
  out.push(`add table ${t}`, `delete table ${t}`, `add table ${t} { ${rs.tableSpec} }`);
  for (const [name, c] of rs.chains) declareChain(rs, name, c, out);
  for (const [name, s] of rs.sets) out.push(`add ${s.kind} ${t} ${name} { ${s.spec} }`);
  for (const [name, c] of rs.chains) renderRules(rs, name, c, out);
  for (const [name, s] of rs.sets) renderElements(rs, 'add', name, [...s.elements.values()], out);
  return out.join('\n') + '\n';
}

/** What a reader of the kernel reports per chain and set (see kernel-state.ts). */
export interface TableSnapshot {
  chains: Map<string, { hash: string | null; ruleCount: number }>;
  /** Per set or map: its kind and normalised element key → normalised value ('' for sets). */
  sets: Map<string, { kind: 'set' | 'map'; elements: Map<string, string> }>;
}

/** The snapshot a ruleset would produce once loaded: used to diff two desired states with one code path. */
export function snapshotOf(rs: NftRuleset): TableSnapshot {
  const chains = new Map<string, { hash: string | null; ruleCount: number }>();
  for (const [name, c] of rs.chains) chains.set(name, { hash: c.rules.length ? chainHash(c) : null, ruleCount: c.rules.length });
  const sets: TableSnapshot['sets'] = new Map();
  for (const [name, s] of rs.sets) {
    const m = new Map<string, string>();
    if (!s.dynamic) for (const e of s.elements.values()) m.set(elementKey(e), e.value ?? '');
    sets.set(name, { kind: s.kind, elements: m });
  }
  return { chains, sets };
}

/**
 * The transaction that turns `have` into `want`: new chains and sets declared, chains whose hash or rule count
 * differ flushed and rewritten, elements added, deleted or (when the value changed) replaced, then what is no
 * longer wanted removed, elements before the chains they point to. Returns '' when nothing differs.
 */
export function renderDiff(have: TableSnapshot, want: NftRuleset): string {
  const out: string[] = [];
  const t = `${want.family} ${want.table}`;
  for (const [name, c] of want.chains) if (!have.chains.has(name)) declareChain(want, name, c, out);
  for (const [name, s] of want.sets) if (!have.sets.has(name)) out.push(`add ${s.kind} ${t} ${name} { ${s.spec} }`);
  for (const [name, c] of want.chains) {
    const h = have.chains.get(name);
    const wantHash = c.rules.length ? chainHash(c) : null;
    if (h && h.hash === wantHash && h.ruleCount === c.rules.length) continue;
    if (h) out.push(`flush chain ${t} ${name}`);
    renderRules(want, name, c, out);
  }
  for (const [name, s] of want.sets) {
    if (s.dynamic) continue;
    const cur = have.sets.get(name)?.elements ?? new Map<string, string>();
    const add: NftElement[] = [];
    const del: NftElement[] = [];
    for (const [k, e] of s.elements) {
      const v = cur.get(k);
      if (v === undefined) add.push(e);
      else if (v !== (e.value ?? '')) {
        del.push(e);
        add.push(e);
      }
    }
    // Deletions first: should two spellings of one key ever differ, an add after a delete still leaves it in.
    const gone = [...cur.keys()].filter((k) => !s.elements.has(k));
    for (let i = 0; i < gone.length; i += 1000) out.push(`delete element ${t} ${name} { ${gone.slice(i, i + 1000).join(', ')} }`);
    renderElements(want, 'delete', name, del, out);
    renderElements(want, 'add', name, add, out);
  }
  // Chains that are going away are flushed first, so no rule of theirs still jumps to another doomed chain.
  const gone = [...have.chains.keys()].filter((n) => !want.chains.has(n));
  for (const n of gone) out.push(`flush chain ${t} ${n}`);
  for (const n of gone) out.push(`delete chain ${t} ${n}`);
  for (const [n, s] of have.sets) if (!want.sets.has(n)) out.push(`delete ${s.kind} ${t} ${n}`);
  return out.length ? out.join('\n') + '\n' : '';
}

/** Number of rules plus set elements: the `rules count` metric for nft modes. */
export function rulesetSize(rs: NftRuleset): { chains: number; rules: number; elements: number } {
  let rules = 0;
  let elements = 0;
  for (const c of rs.chains.values()) rules += c.rules.length;
  for (const s of rs.sets.values()) elements += s.elements.size;
  return { chains: rs.chains.size, rules, elements };
}
