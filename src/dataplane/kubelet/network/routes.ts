/**
 * Routes between nodes, as flannel's host-gw backend does it: for every other node, its podCIDR via its
 * InternalIP, which must be on a link the node shares with it (the cluster link, see cluster-link.ts).
 * Routes Skiff sets carry their own protocol number, so applying a new set replaces only those and never
 * a route someone else put there.
 */
import { ipToString, parseCIDR, parseIP } from '../runtime/simulated/ipam.js';
import { ipBatchForce, ipJson } from './ip.js';

/** rtm_protocol of Skiff's routes (`ip route show proto 83`); unused by the usual routing daemons. */
export const ROUTE_PROTO = 83;

/** The fields of a v1.Node the routes are made from. */
export interface NodeLike {
  metadata?: { name?: string };
  spec?: { podCIDR?: string; podCIDRs?: string[] };
  status?: { addresses?: Array<{ type?: string; address?: string }> };
}

export interface PeerRoute {
  /** The peer's podCIDR, normalised (a.b.c.0/n). */
  dst: string;
  /** The peer's InternalIP. */
  via: string;
  node: string;
}

function ipv4PodCIDR(n: NodeLike): string | undefined {
  for (const c of [n.spec?.podCIDR, ...(n.spec?.podCIDRs ?? [])]) {
    if (!c || c.includes(':')) continue;
    try {
      const p = parseCIDR(c);
      return `${ipToString(p.base)}/${p.prefix}`;
    } catch {
      // a malformed podCIDR is the node IPAM's problem; this node just gets no route to it
    }
  }
  return undefined;
}

function internalIPv4(n: NodeLike): string | undefined {
  for (const a of n.status?.addresses ?? []) if (a.type === 'InternalIP' && parseIP(a.address) !== null) return a.address;
  return undefined;
}

/**
 * The routes node `self` needs to reach every other node's pods: skips itself, nodes without an IPv4
 * podCIDR or InternalIP, and a podCIDR claimed twice (the first node by name keeps it). Sorted by dst.
 */
export function routesFor(self: string, nodes: Iterable<NodeLike>): PeerRoute[] {
  const byDst = new Map<string, PeerRoute>();
  const sorted = [...nodes].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  let own: string | undefined;
  for (const n of sorted) if (n.metadata?.name === self) own = ipv4PodCIDR(n);
  for (const n of sorted) {
    const name = n.metadata?.name;
    if (!name || name === self) continue;
    const dst = ipv4PodCIDR(n);
    const via = internalIPv4(n);
    if (!dst || !via || dst === own || byDst.has(dst)) continue;
    byDst.set(dst, { dst, via, node: name });
  }
  return [...byDst.values()].sort((a, b) => (a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : 0));
}

/** A route of ours as `ip -json route show proto 83` prints it. */
export interface InstalledRoute {
  dst: string;
  gateway?: string;
}

/** `ip -batch` lines that turn the installed routes into the wanted ones (nothing when they match). */
export function planRoutes(installed: InstalledRoute[], want: PeerRoute[]): string[] {
  const have = new Map(installed.map((r) => [r.dst, r.gateway]));
  const lines: string[] = [];
  const wanted = new Set<string>();
  for (const r of want) {
    wanted.add(r.dst);
    if (have.get(r.dst) !== r.via) lines.push(`route replace ${r.dst} via ${r.via} proto ${ROUTE_PROTO}`);
  }
  for (const r of installed) if (!wanted.has(r.dst)) lines.push(`route del ${r.dst} proto ${ROUTE_PROTO}`);
  return lines;
}

export interface RouteSync {
  /** Lines applied (replaced or deleted routes). */
  changes: number;
  /** iproute2's complaints, e.g. a peer whose InternalIP is not on any link here ('' when none). */
  error: string;
}

/**
 * Makes the namespace's Skiff routes equal `want`. `netns === null` is the agent's own namespace (hostNetwork
 * only). A route that cannot be set (its gateway unreachable) is reported, the others are still applied.
 */
export async function applyRoutes(netns: string | null, want: PeerRoute[]): Promise<RouteSync> {
  const installed = await ipJson<InstalledRoute>(netns, ['route', 'show', 'proto', String(ROUTE_PROTO)]);
  const lines = planRoutes(installed, want);
  const error = await ipBatchForce(netns, lines);
  return { changes: lines.length, error };
}
