/**
 * hostPort mappings, as CNI's portmap plugin makes them, in the NODE's network namespace (never the host's):
 * connections to a local address of the node namespace on a pod's hostPort are DNATed to the pod's IP and
 * containerPort. One nftables table (`ip skiff_hostports`) holds everything:
 *
 *   prerouting / output   nat base chains: destination a local address → jump hostports
 *   hostports             one `jump pod-<uid>` per pod with hostPorts
 *   pod-<uid>             per mapping: mark hairpin and node-local sources (portmap's SETMARK), then DNAT
 *   postrouting           marked connections are masqueraded (a pod reaching itself, 127.0.0.1 of the node)
 *
 * Each change is one `nft -f` transaction that rewrites only the pod's own chain and the jump list, so mappings
 * of other pods (also those of an agent before a restart) stay. hostNetwork pods need no mapping; a node in
 * the host's namespace (--host-network) gets none either, by design: the host's network is never changed here.
 */
import { exec, type NetnsTarget } from '../../../proxy/apply/exec.js';
import { isHostNetwork, containersOf, initContainersOf } from '../../pod/podspec.js';
import type { Pod } from '../../types.js';

export const HOSTPORT_TABLE = 'skiff_hostports';
/** portmap's masquerade mark (CNI-HOSTPORT-SETMARK's 0x2000). */
export const HOSTPORT_MASQ_MARK = 0x2000;

export interface HostPortMapping {
  protocol: 'tcp' | 'udp' | 'sctp';
  hostPort: number;
  /** Only connections to this address (ports[].hostIP); undefined: every local address. */
  hostIP?: string;
  containerPort: number;
  podIP: string;
}

/** The pod's hostPort mappings (containers' and restartable init containers' ports); none for hostNetwork pods. */
export function hostPortMappings(pod: Pod, podIP: string): HostPortMapping[] {
  if (isHostNetwork(pod) || !podIP || podIP.includes(':')) return [];
  const out: HostPortMapping[] = [];
  const seen = new Set<string>();
  for (const c of [...initContainersOf(pod), ...containersOf(pod)]) {
    const ports = (c as { ports?: unknown }).ports;
    if (!Array.isArray(ports)) continue;
    for (const p of ports as { hostPort?: unknown; containerPort?: unknown; protocol?: unknown; hostIP?: unknown }[]) {
      const hostPort = p?.hostPort;
      const containerPort = p?.containerPort;
      if (typeof hostPort !== 'number' || !Number.isInteger(hostPort) || hostPort < 1 || hostPort > 65535) continue;
      if (typeof containerPort !== 'number' || !Number.isInteger(containerPort) || containerPort < 1 || containerPort > 65535) continue;
      const protocol = (typeof p.protocol === 'string' ? p.protocol : 'TCP').toLowerCase();
      if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') continue;
      const hostIP = typeof p.hostIP === 'string' && /^\d{1,3}(\.\d{1,3}){3}$/.test(p.hostIP) && p.hostIP !== '0.0.0.0' ? p.hostIP : undefined;
      const key = `${protocol}/${hostIP ?? ''}/${hostPort}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ protocol, hostPort, ...(hostIP ? { hostIP } : {}), containerPort, podIP });
    }
  }
  return out;
}

/** The pod's spec maps at least one hostPort (ports are immutable, so this holds for the pod's life). */
export function wantsHostPorts(pod: Pod): boolean {
  return hostPortMappings(pod, '0.0.0.0').length > 0;
}

const podChain = (uid: string): string => `pod-${uid}`;
const UID = /^[0-9a-zA-Z-]{1,64}$/;

/** The table's frame: base chains and their rules, rewritten each time (flush, then add). */
function frame(): string[] {
  const t = `ip ${HOSTPORT_TABLE}`;
  return [
    `add table ${t}`,
    `add chain ${t} prerouting { type nat hook prerouting priority dstnat; policy accept; }`,
    `add chain ${t} output { type nat hook output priority -100; policy accept; }`,
    `add chain ${t} postrouting { type nat hook postrouting priority srcnat; policy accept; }`,
    `add chain ${t} hostports`,
    `flush chain ${t} prerouting`,
    `flush chain ${t} output`,
    `flush chain ${t} postrouting`,
    `add rule ${t} prerouting fib daddr type local jump hostports`,
    `add rule ${t} output fib daddr type local jump hostports`,
    `add rule ${t} postrouting meta mark & ${hex(HOSTPORT_MASQ_MARK)} == ${hex(HOSTPORT_MASQ_MARK)} masquerade`,
  ];
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/**
 * One nft transaction: the frame, the pod's chain with `mappings` (none: the chain goes), and the jump list
 * for `podsWithChains` (the pods whose chains exist after this change).
 */
export function hostPortScript(uid: string, mappings: readonly HostPortMapping[], existing: ReadonlySet<string>): string {
  if (!UID.test(uid)) throw new Error(`hostPort: invalid pod uid ${JSON.stringify(uid)}`);
  const t = `ip ${HOSTPORT_TABLE}`;
  const lines = frame();
  const chains = new Set(existing);
  const chain = podChain(uid);
  if (mappings.length > 0) {
    lines.push(`add chain ${t} ${chain}`, `flush chain ${t} ${chain}`);
    for (const m of mappings) {
      const match = `${m.hostIP ? `ip daddr ${m.hostIP} ` : ''}${m.protocol} dport ${m.hostPort}`;
      // The pod reaching itself through its hostPort, and the node namespace's own processes (127.0.0.1
      // included), are masqueraded so replies come back through this namespace (portmap's hairpin and localhost).
      lines.push(`add rule ${t} ${chain} ${match} ip saddr ${m.podIP} meta mark set meta mark | ${hex(HOSTPORT_MASQ_MARK)}`);
      lines.push(`add rule ${t} ${chain} ${match} fib saddr type local meta mark set meta mark | ${hex(HOSTPORT_MASQ_MARK)}`);
      lines.push(`add rule ${t} ${chain} ${match} dnat to ${m.podIP}:${m.containerPort}`);
    }
    chains.add(chain);
  } else {
    chains.delete(chain);
  }
  lines.push(`flush chain ${t} hostports`);
  for (const c of [...chains].sort()) lines.push(`add rule ${t} hostports jump ${c}`);
  if (mappings.length === 0 && existing.has(chain)) lines.push(`flush chain ${t} ${chain}`, `delete chain ${t} ${chain}`);
  return `${lines.join('\n')}\n`;
}

/** What the pod worker asks of the node's hostPort mappings (fakes in unit tests). */
export interface HostPorts {
  /** Maps the pod's hostPorts to podIP (idempotent; a pod without hostPorts costs nothing). */
  set(uid: string, pod: Pod, podIP: string): Promise<void>;
  /** Removes the pod's mappings (idempotent). */
  remove(uid: string): Promise<void>;
}

export interface NftHostPortsOptions {
  /** The node's network namespace name; undefined: the node is in the host's namespace and gets no mappings. */
  netns: () => string | undefined;
  log?: (level: 'warn' | 'info', msg: string, fields?: Record<string, unknown>) => void;
}

/** hostPort mappings with nft inside the node's namespace (`ip netns exec`). */
export class NftHostPorts implements HostPorts {
  /** Serialises transactions: each reads the table, then rewrites the jump list. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Pods known to have (or not to have) a chain in this process: repeats cost nothing. */
  private readonly applied = new Map<string, string>();
  private warned = false;

  constructor(private readonly o: NftHostPortsOptions) {}

  set(uid: string, pod: Pod, podIP: string): Promise<void> {
    const mappings = hostPortMappings(pod, podIP);
    return this.serial(uid, mappings);
  }

  remove(uid: string): Promise<void> {
    return this.serial(uid, []);
  }

  private serial(uid: string, mappings: HostPortMapping[]): Promise<void> {
    const next = this.chain.catch(() => undefined).then(() => this.apply(uid, mappings));
    this.chain = next;
    return next;
  }

  private async apply(uid: string, mappings: HostPortMapping[]): Promise<void> {
    const key = JSON.stringify(mappings);
    if (this.applied.get(uid) === key) return;
    const netns = this.o.netns();
    if (!netns) {
      if (mappings.length > 0 && !this.warned) {
        this.warned = true;
        this.o.log?.('warn', 'hostPort mappings need a node network namespace; this node is in the host namespace, so none are made');
      }
      return;
    }
    const target: NetnsTarget = { netns };
    const existing = await this.podChains(target);
    // Nothing to add and nothing to remove: no transaction (pods without hostPorts never touch nft).
    if (mappings.length === 0 && !existing.has(podChain(uid))) {
      this.applied.set(uid, key);
      return;
    }
    if (mappings.length > 0) {
      // 127.0.0.1:hostPort from the node namespace: DNATed packets from loopback may then leave through the bridge.
      await exec(target, 'sysctl', ['-qw', 'net.ipv4.conf.all.route_localnet=1']);
    }
    const r = await exec(target, 'nft', ['-f', '-'], hostPortScript(uid, mappings, existing));
    if (r.code !== 0) throw new Error(`hostPort: nft in netns ${netns} exited with ${r.code}: ${r.stderr.trim()}`);
    if (mappings.length > 0) this.applied.set(uid, key);
    else this.applied.delete(uid);
  }

  /** Chains `pod-<uid>` of the table now (none when the table does not exist yet). */
  private async podChains(target: NetnsTarget): Promise<Set<string>> {
    const r = await exec(target, 'nft', ['-j', 'list', 'table', 'ip', HOSTPORT_TABLE]);
    if (r.code !== 0) return new Set();
    try {
      const doc = JSON.parse(r.stdout) as { nftables?: { chain?: { name?: string } }[] };
      return new Set((doc.nftables ?? []).map((e) => e.chain?.name).filter((n): n is string => typeof n === 'string' && n.startsWith('pod-')));
    } catch {
      return new Set();
    }
  }
}
