/**
 * The iptables side of IPVS mode. Its ruleset is a few dozen rules whatever the number of services (set
 * membership does the per-service work), so a chain that differs is re-declared and refilled whole, in order:
 * unlike iptables mode's KUBE-SERVICES, the order of IPVS mode's KUBE-SERVICES matters (the 127.0.0.0/8 RETURN
 * first, the masquerade marks before the ACCEPTs), so it is never edited rule by rule. Chains that match are
 * not sent at all; chains the text does not declare are left alone.
 */
import { IptablesApplier, TABLES, normalizeRule, parseRestore, type ChainMap } from './iptables.js';
import { IPVS_JUMPS } from '../ipvs/index.js';
import type { JumpRule } from '../compiler/types.js';
import type { NetnsTarget } from './exec.js';

/** IPVS mode's jumps from built-in chains, in the apply layer's shape (checked with -C, inserted once). */
export function ipvsJumpRules(): JumpRule[] {
  return IPVS_JUMPS.map((j) => ({ table: j.table, srcChain: j.from, dstChain: j.to, args: ['-m', 'comment', '--comment', j.comment, '-j', j.to] }));
}

function sameRules(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((r, i) => normalizeRule(r) === normalizeRule(b[i]!));
}

/**
 * `iptables-restore --noflush` text turning the chains `want` declares from `have` into `want`: each differing
 * chain is declared (which flushes it) and refilled. '' when nothing differs.
 */
export function diffIpvsChains(have: ChainMap, want: ChainMap): { text: string; chains: string[] } {
  const out: string[] = [];
  const chains: string[] = [];
  for (const table of TABLES) {
    const h = have.get(table)!;
    const decl: string[] = [];
    const body: string[] = [];
    for (const [chain, rules] of want.get(table)!) {
      if (sameRules(h.get(chain), rules)) continue;
      chains.push(`${table}/${chain}`);
      decl.push(`:${chain} - [0:0]`);
      for (const r of rules) body.push(`-A ${chain} ${r}`);
    }
    if (decl.length) out.push(`*${table}`, ...decl, ...body, 'COMMIT');
  }
  return { text: out.length ? out.join('\n') + '\n' : '', chains };
}

export class IpvsIptables {
  private readonly ipt: IptablesApplier;
  /** The chains as last applied; null = unknown (read the kernel next time). */
  private last: ChainMap | null = null;

  constructor(target: NetnsTarget) {
    this.ipt = new IptablesApplier(target);
  }

  /**
   * Make the kernel hold `text` (ipvsIptablesText). Against the kernel (`iptables-save`) when asked or when the
   * last applied state is unknown, else against the last applied text. Returns the text sent ('' = none).
   */
  async apply(text: string, againstKernel: boolean): Promise<string> {
    const want = parseRestore(text, () => true);
    if (againstKernel || this.last === null) {
      this.last = null;
      await this.ipt.ensureJumps(ipvsJumpRules());
      this.last = await this.ipt.save();
    }
    const d = diffIpvsChains(this.last, want);
    if (d.text) {
      try {
        await this.ipt.restore(d.text);
      } catch (e) {
        this.last = null;
        throw e;
      }
    }
    this.last = want;
    return d.text;
  }

  /** Remove the jumps, then flush and delete every KUBE-* chain (agent cleanup, as upstream's). */
  async remove(): Promise<void> {
    this.last = null;
    await this.ipt.removeAll(ipvsJumpRules());
  }
}
