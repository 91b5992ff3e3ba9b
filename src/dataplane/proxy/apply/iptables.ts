/**
 * Applies iptables-restore text inside the target namespace. Restores always use `--noflush`: only the chains a
 * text declares are flushed, so the tables' other users keep their rules (as upstream). A reconcile reads the
 * kernel's KUBE-* chains (`iptables-save`), compares them chain by chain with the full desired text and sends
 * only the difference: differing chains re-declared and refilled, dispatch chains edited rule by rule (-D/-A/-I),
 * chains no longer wanted flushed and deleted. At 10,000 services that is what keeps a periodic resync cheap.
 */
import { exec, execChecked, type NetnsTarget } from './exec.js';
import type { JumpRule } from '../compiler/types.js';

/** Chains shared by all services: edited rule by rule, never flushed by a reconcile. */
export const DISPATCH_CHAINS = new Set(['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-EXTERNAL-SERVICES', 'KUBE-PROXY-FIREWALL']);
/** Tables the proxy writes, in the order restore texts carry them. */
export const TABLES = ['filter', 'nat'] as const;
export type Table = (typeof TABLES)[number];

/** Per table: chain → rule argument strings (after "-A CHAIN "), in order. */
export type ChainMap = Map<Table, Map<string, string[]>>;

/**
 * Parse iptables-save or iptables-restore text. Keeps chains matching `keep` (declared or appended to);
 * built-in chains (policy other than "-") are skipped.
 */
export function parseRestore(text: string, keep: (chain: string) => boolean = (c) => c.startsWith('KUBE-')): ChainMap {
  const out: ChainMap = new Map(TABLES.map((t) => [t, new Map<string, string[]>()]));
  let table: Map<string, string[]> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      table = out.get(line.slice(1).trim() as Table);
    } else if (!table) {
      continue;
    } else if (line.startsWith(':')) {
      const [name, policy] = line.slice(1).split(' ');
      if (name && policy === '-' && keep(name) && !table.has(name)) table.set(name, []);
    } else if (line.startsWith('-A ')) {
      const sp = line.indexOf(' ', 3);
      const chain = line.slice(3, sp);
      if (!keep(chain)) continue;
      let rules = table.get(chain);
      if (!rules) table.set(chain, (rules = []));
      rules.push(line.slice(sp + 1));
    }
  }
  return out;
}

/** Split rule arguments into words, honouring double quotes as iptables-save writes them. */
function words(rule: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rule))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

const IP_ONLY = /^\d+\.\d+\.\d+\.\d+$/;

/** 0x00004000 and 0x4000 are the same mark. */
function hex(x: string): string {
  return /^0x[0-9a-f]+$/i.test(x) ? `0x${parseInt(x, 16).toString(16)}` : x;
}

/**
 * A comparable form of one rule: what iptables-save prints differs from what a compiler writes in spelling only
 * (option order inside a match, default options spelled out, /32 suffixes, probability digits, mark shorthands),
 * so a rule becomes the sorted multiset of its option groups after those are normalised.
 */
export function normalizeRule(rule: string): string {
  const w = words(rule);
  const groups: string[] = [];
  let i = 0;
  let hasReject = false;
  let hasRejectWith = false;
  while (i < w.length) {
    let neg = '';
    if (w[i] === '!') {
      neg = '! ';
      i++;
    }
    const opt = w[i++] ?? '';
    const args: string[] = [];
    while (i < w.length && !(w[i]!.startsWith('-') && w[i]!.length > 1 && !/^-\d/.test(w[i]!)) && w[i] !== '!') args.push(w[i++]!);
    let a = args;
    switch (opt) {
      case '-s':
      case '-d':
      case '--source':
      case '--destination':
        a = args.map((x) => (IP_ONLY.test(x) ? `${x}/32` : x));
        break;
      case '--probability':
        // The kernel keeps round(p × 2^31); iptables-save prints that back with 11 digits.
        a = args.map((x) => String(Math.round(Number(x) * 0x80000000)));
        break;
      case '--or-mark':
        groups.push(`${neg}--set-xmark ${hex(args[0]!)}/${hex(args[0]!)}`);
        continue;
      case '--xor-mark':
        groups.push(`${neg}--set-xmark ${hex(args[0]!)}/0x0`);
        continue;
      case '--mark':
      case '--set-xmark':
        a = args.map((x) => x.split('/').map(hex).join('/'));
        break;
      case '--mask':
        if (args[0] === '255.255.255.255') continue;
        break;
      case '--rsource':
        continue;
      case '--reject-with':
        hasRejectWith = true;
        break;
      case '-j':
        if (args[0] === 'REJECT') hasReject = true;
        break;
    }
    groups.push(`${neg}${opt}${a.length ? ' ' + a.join(' ') : ''}`);
  }
  if (hasReject && !hasRejectWith) groups.push('--reject-with icmp-port-unreachable');
  return groups.sort().join(' ');
}

export interface ReconcileResult {
  /** Bytes of restore input sent (0 = kernel already matched). */
  bytes: number;
  rewrittenChains: number;
  dispatchEdits: number;
  deletedChains: number;
}

/**
 * The restore text that turns `have` into `want` (both from parseRestore). Exposed for tests; `reconcile` runs it.
 */
export function diffChains(have: ChainMap, want: ChainMap): { text: string; stats: Omit<ReconcileResult, 'bytes'> } {
  const out: string[] = [];
  const stats = { rewrittenChains: 0, dispatchEdits: 0, deletedChains: 0 };
  for (const table of TABLES) {
    const h = have.get(table)!;
    const w = want.get(table)!;
    const decl: string[] = [];
    const dels: string[] = [];
    const body: string[] = [];
    const tail: string[] = [];
    for (const [chain, rules] of w) {
      const cur = h.get(chain);
      if (cur && DISPATCH_CHAINS.has(chain)) {
        // Rule-level edits: remove what is extra, add what is missing, keep the rest in place.
        const wantN = rules.map(normalizeRule);
        const curN = cur.map(normalizeRule);
        const wantCount = new Map<string, number>();
        for (const r of wantN) wantCount.set(r, (wantCount.get(r) ?? 0) + 1);
        cur.forEach((r, idx) => {
          const n = curN[idx]!;
          const c = wantCount.get(n) ?? 0;
          if (c > 0) wantCount.set(n, c - 1);
          else {
            dels.push(`-D ${chain} ${r}`);
            stats.dispatchEdits++;
          }
        });
        rules.forEach((r, idx) => {
          const n = wantN[idx]!;
          const c = wantCount.get(n) ?? 0;
          if (c <= 0) return;
          wantCount.set(n, c - 1);
          stats.dispatchEdits++;
          // nat KUBE-SERVICES ends with the jump to KUBE-NODEPORTS: service rules go before it.
          const last = idx === rules.length - 1;
          body.push(last ? `-A ${chain} ${r}` : `-I ${chain} 1 ${r}`);
        });
        continue;
      }
      if (cur && cur.length === rules.length && cur.every((r, i) => normalizeRule(r) === normalizeRule(rules[i]!))) continue;
      decl.push(`:${chain} - [0:0]`);
      for (const r of rules) body.push(`-A ${chain} ${r}`);
      stats.rewrittenChains++;
    }
    for (const chain of h.keys()) {
      if (w.has(chain)) continue;
      decl.push(`:${chain} - [0:0]`);
      tail.push(`-X ${chain}`);
      stats.deletedChains++;
    }
    if (decl.length || dels.length || body.length || tail.length) {
      out.push(`*${table}`, ...decl, ...dels, ...body, ...tail, 'COMMIT');
    }
  }
  return { text: out.length ? out.join('\n') + '\n' : '', stats };
}

export class IptablesApplier {
  constructor(private readonly target: NetnsTarget) {}

  async restore(input: Uint8Array | string): Promise<void> {
    await execChecked(this.target, 'iptables-restore', ['-w', '--noflush'], typeof input === 'string' ? input : Buffer.from(input).toString('latin1'));
  }

  /** Validate without committing (`iptables-restore --test`). */
  async test(input: string): Promise<void> {
    await execChecked(this.target, 'iptables-restore', ['-w', '--noflush', '--test'], input);
  }

  async save(): Promise<ChainMap> {
    const texts = await Promise.all(TABLES.map((t) => execChecked(this.target, 'iptables-save', ['-t', t])));
    return parseRestore(texts.map((r) => r.stdout).join('\n'));
  }

  /** Create each jump's target chain and insert the jump once (iptables -C, then -I). */
  async ensureJumps(jumps: JumpRule[]): Promise<void> {
    for (const j of jumps) {
      await exec(this.target, 'iptables', ['-w', '-t', j.table, '-N', j.dstChain]);
      const present = await exec(this.target, 'iptables', ['-w', '-t', j.table, '-C', j.srcChain, ...j.args]);
      if (present.code !== 0) await execChecked(this.target, 'iptables', ['-w', '-t', j.table, '-I', j.srcChain, ...j.args]);
    }
  }

  async reconcile(fullText: string): Promise<ReconcileResult> {
    const want = parseRestore(fullText, () => true);
    const have = await this.save();
    const { text, stats } = diffChains(have, want);
    if (text) await this.restore(text);
    return { bytes: text.length, ...stats };
  }

  /** Remove jumps and every KUBE-* chain (agent cleanup). */
  async removeAll(jumps: JumpRule[]): Promise<void> {
    for (const j of jumps) await exec(this.target, 'iptables', ['-w', '-t', j.table, '-D', j.srcChain, ...j.args]);
    const have = await this.save();
    const lines: string[] = [];
    for (const t of TABLES) {
      const chains = [...have.get(t)!.keys()];
      if (!chains.length) continue;
      lines.push(`*${t}`, ...chains.map((c) => `:${c} - [0:0]`), ...chains.map((c) => `-X ${c}`), 'COMMIT');
    }
    if (lines.length) await this.restore(lines.join('\n') + '\n');
  }
}
