/**
 * How node namespaces on one host reach each other: a shared "cluster" namespace holding one bridge, the
 * hosts' LAN in miniature. Each node namespace gets a veth into it, its end inside the node named eth0 and
 * holding the node's address (its InternalIP); routes to the other nodes' podCIDRs via their addresses
 * (routes.ts) then make pod-to-pod traffic work, as on hosts sharing a LAN.
 *
 *   cluster ns (bridge skiff-lan) ──veth── node ns A: eth0 10.99.0.2/24, skiff0 10.244.1.1/24 ── pods
 *                                 ──veth── node ns B: eth0 10.99.0.3/24, skiff0 10.244.2.1/24 ── pods
 *
 * Deleting a node namespace deletes its veth with it, so the cluster namespace needs no cleanup per node.
 * Whoever starts the cluster creates and finally removes the cluster namespace (a test, or the CLI).
 */
import { parseCIDR, parseIP } from '../runtime/simulated/ipam.js';
import { addNetns, deleteNetns, ipBatch, links, netnsExists } from './ip.js';
import { clusterPortName } from './names.js';

export const CLUSTER_BRIDGE = 'skiff-lan';
/** The node's end of its cluster link. */
export const UPLINK_NAME = 'eth0';

export interface ClusterLink {
  /** The cluster namespace (created by ensureClusterNetns). */
  clusterNetns: string;
  /** The node's address on the cluster link with its prefix, e.g. 10.99.0.2/24: the node's InternalIP. */
  address: string;
}

/** Checks an `a.b.c.d/n` address; returns the bare IP. */
export function uplinkIP(address: string): string {
  const [ip, prefix] = address.split('/');
  if (parseIP(ip) === null || prefix === undefined) throw new Error(`uplink.address: ${JSON.stringify(address)} must be an IPv4 address with a prefix (a.b.c.d/n)`);
  parseCIDR(address);
  return ip!;
}

/** Creates the cluster namespace with its bridge; idempotent. */
export async function ensureClusterNetns(name: string): Promise<void> {
  if (!(await netnsExists(name))) await addNetns(name);
  const have = await links(name);
  const lines: string[] = [];
  if (!have.some((l) => l.ifname === 'lo' && l.flags?.includes('UP'))) lines.push('link set dev lo up');
  if (!have.some((l) => l.ifname === CLUSTER_BRIDGE)) lines.push(`link add name ${CLUSTER_BRIDGE} type bridge`);
  if (!have.some((l) => l.ifname === CLUSTER_BRIDGE && l.flags?.includes('UP'))) lines.push(`link set dev ${CLUSTER_BRIDGE} up`);
  await ipBatch(name, lines);
}

export async function removeClusterNetns(name: string): Promise<void> {
  await deleteNetns(name);
}

/** Connects a node namespace to the cluster namespace (which must exist); idempotent. */
export async function connectNode(nodeNetns: string, link: ClusterLink): Promise<void> {
  uplinkIP(link.address);
  if (!(await netnsExists(link.clusterNetns))) throw new Error(`uplink.clusterNetns: network namespace ${link.clusterNetns} does not exist`);
  const port = clusterPortName(nodeNetns);
  let node = await links(nodeNetns);
  if (!node.some((l) => l.ifname === UPLINK_NAME)) {
    await ipBatch(link.clusterNetns, [
      `link add name ${port} type veth peer name ${UPLINK_NAME} netns ${nodeNetns}`,
      `link set dev ${port} master ${CLUSTER_BRIDGE}`,
      `link set dev ${port} up`,
    ]);
    node = await links(nodeNetns);
  }
  const up = node.find((l) => l.ifname === UPLINK_NAME)!;
  const lines: string[] = [];
  if (!(up.addr_info ?? []).some((a) => a.family === 'inet' && `${a.local}/${a.prefixlen}` === link.address)) lines.push(`addr add ${link.address} dev ${UPLINK_NAME}`);
  if (!up.flags?.includes('UP')) lines.push(`link set dev ${UPLINK_NAME} up`);
  await ipBatch(nodeNetns, lines);
}
