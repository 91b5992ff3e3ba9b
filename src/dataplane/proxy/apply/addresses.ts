/** The node's IPv4 addresses as seen inside the target namespace (for NodePorts), loopback excluded. */
import { execChecked, type NetnsTarget } from './exec.js';

export async function nodeAddresses(target: NetnsTarget): Promise<string[]> {
  const r = await execChecked(target, 'ip', ['-j', '-4', 'addr', 'show']);
  const links = JSON.parse(r.stdout) as Array<{ addr_info?: Array<{ family?: string; local?: string; scope?: string }> }>;
  const out: string[] = [];
  for (const l of links) for (const a of l.addr_info ?? []) if (a.local && a.scope !== 'host' && !a.local.startsWith('127.')) out.push(a.local);
  return out;
}
