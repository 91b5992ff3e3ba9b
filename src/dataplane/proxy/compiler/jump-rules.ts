/**
 * The jumps from built-in chains into kube-proxy's chains (upstream's iptablesJumpChains). They live in chains
 * other programs share, so they are never part of a restore: the apply layer checks each once (iptables -C)
 * and inserts the missing ones (iptables -I), after creating the target chain (iptables -N).
 */
import type { JumpRule } from './types.js';

const NEW = ['-m', 'conntrack', '--ctstate', 'NEW'];

function jump(table: 'filter' | 'nat', srcChain: string, dstChain: string, comment: string, extra: string[] = []): JumpRule {
  return { table, srcChain, dstChain, args: [...extra, '-m', 'comment', '--comment', comment, '-j', dstChain] };
}

export function jumpRules(): JumpRule[] {
  return [
    jump('filter', 'INPUT', 'KUBE-EXTERNAL-SERVICES', 'kubernetes externally-visible service portals', NEW),
    jump('filter', 'FORWARD', 'KUBE-EXTERNAL-SERVICES', 'kubernetes externally-visible service portals', NEW),
    jump('filter', 'INPUT', 'KUBE-NODEPORTS', 'kubernetes health check service ports'),
    jump('filter', 'FORWARD', 'KUBE-SERVICES', 'kubernetes service portals', NEW),
    jump('filter', 'OUTPUT', 'KUBE-SERVICES', 'kubernetes service portals', NEW),
    jump('filter', 'FORWARD', 'KUBE-FORWARD', 'kubernetes forwarding rules'),
    jump('filter', 'INPUT', 'KUBE-PROXY-FIREWALL', 'kubernetes load balancer firewall', NEW),
    jump('filter', 'OUTPUT', 'KUBE-PROXY-FIREWALL', 'kubernetes load balancer firewall', NEW),
    jump('filter', 'FORWARD', 'KUBE-PROXY-FIREWALL', 'kubernetes load balancer firewall', NEW),
    jump('nat', 'OUTPUT', 'KUBE-SERVICES', 'kubernetes service portals'),
    jump('nat', 'PREROUTING', 'KUBE-SERVICES', 'kubernetes service portals'),
    jump('nat', 'POSTROUTING', 'KUBE-POSTROUTING', 'kubernetes postrouting rules'),
  ];
}

function quote(a: string): string {
  return /^[A-Za-z0-9_.:\/,!-]+$/.test(a) ? a : `"${a}"`;
}

/**
 * The same jumps as one iptables-restore --noflush input that declares our chains and inserts each jump at the
 * top of its built-in chain. Only for a namespace known to hold none of them yet (a fresh test netns): a
 * restore cannot check first, so on a live node use jumpRules() with iptables -C.
 */
export function ensureText(): string {
  const out: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    const rules = jumpRules().filter((r) => r.table === table);
    out.push('*' + table);
    for (const ch of new Set(rules.map((r) => r.dstChain))) out.push(`:${ch} - [0:0]`);
    // Each -I … 1 goes to the top, as upstream's EnsureRule(Prepend) does: the last listed ends up first.
    for (const r of rules) out.push(`-I ${r.srcChain} 1 ${r.args.map(quote).join(' ')}`);
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}
