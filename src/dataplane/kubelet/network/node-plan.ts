/**
 * What the node's side needs, as `ip -batch` lines computed from what exists: loopback up, the bridge with
 * the podCIDR's first address as the pods' gateway. Running the plan twice changes nothing the second time,
 * which is what lets a restarted agent call start() on a node that is already set up.
 */
import { ipToString, parseIP, type CIDR } from '../runtime/simulated/ipam.js';
import type { IpLink } from './ip.js';

/** The pods' gateway: the first address of the podCIDR (as the CNI bridge plugin picks it). */
export function gatewayOf(cidr: CIDR): string {
  return ipToString(cidr.base + 1);
}

/**
 * A fixed MAC for an address: 0a:58 (locally administered) + the IPv4 bytes, as OVN-Kubernetes derives them.
 * The bridge needs one: left alone, Linux gives it the lowest MAC of its ports, which changes as pods come and
 * go, and every pod's ARP entry for the gateway goes stale (its traffic then floods past the node).
 */
export function macFor(ip: string): string {
  const n = parseIP(ip);
  if (n === null) throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
  return ['0a', '58', ...[24, 16, 8, 0].map((s) => ((n >>> s) & 255).toString(16).padStart(2, '0'))].join(':');
}

export interface BridgePlanInput {
  bridge: string;
  cidr: CIDR;
  /** Bring `lo` up too (a node namespace of our own; never the host's). */
  loopback: boolean;
}

export function planBridge(current: IpLink[], want: BridgePlanInput): string[] {
  const lines: string[] = [];
  const byName = new Map(current.map((l) => [l.ifname, l]));
  const lo = byName.get('lo');
  if (want.loopback && lo && !lo.flags?.includes('UP')) lines.push('link set dev lo up');
  const gw = `${gatewayOf(want.cidr)}/${want.cidr.prefix}`;
  const mac = macFor(gatewayOf(want.cidr));
  const br = byName.get(want.bridge);
  if (!br) {
    lines.push(`link add name ${want.bridge} address ${mac} type bridge`, `addr add ${gw} dev ${want.bridge}`, `link set dev ${want.bridge} up`);
    return lines;
  }
  const kind = br.linkinfo?.info_kind;
  if (kind !== undefined && kind !== 'bridge') throw new Error(`pod network: ${want.bridge} exists but is a ${kind} link, not a bridge`);
  let has = false;
  for (const a of br.addr_info ?? []) {
    if (a.family !== 'inet') continue;
    const cidr = `${a.local}/${a.prefixlen}`;
    if (cidr === gw) has = true;
    // A podCIDR that changed leaves the old gateway behind; it would route to pods that no longer exist.
    else lines.push(`addr del ${cidr} dev ${want.bridge}`);
  }
  if (!has) lines.push(`addr add ${gw} dev ${want.bridge}`);
  if (br.address !== undefined && br.address !== mac) lines.push(`link set dev ${want.bridge} address ${mac}`);
  if (!br.flags?.includes('UP')) lines.push(`link set dev ${want.bridge} up`);
  return lines;
}

/** The pod namespace's side of a sandbox: lo, eth0 with the pod's address, the default route to the gateway. */
export function planPodInterface(ip: string, cidr: CIDR): string[] {
  // A MAC from the address: a reused address keeps its MAC, so neighbours' ARP entries stay right.
  return ['link set dev lo up', `link set dev eth0 address ${macFor(ip)}`, `addr add ${ip}/${cidr.prefix} dev eth0`, 'link set dev eth0 up', `route add default via ${gatewayOf(cidr)} dev eth0`];
}

/** The node's side: a veth whose peer becomes the pod's eth0, on the bridge, hairpin on so a pod reaches itself through a Service. */
export function planHostVeth(veth: string, podNetns: string, bridge: string): string[] {
  return [
    `link add name ${veth} type veth peer name eth0 netns ${podNetns}`,
    `link set dev ${veth} master ${bridge}`,
    `link set dev ${veth} type bridge_slave hairpin on`,
    `link set dev ${veth} up`,
  ];
}
