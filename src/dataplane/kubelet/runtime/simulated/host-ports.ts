/**
 * The kubelet's NodePorts admission (the scheduler's nodeports.Fits over the node's active pods): a pod bound
 * to a node where an active pod already holds one of its hostPorts is rejected, reason NodePorts. A port is
 * protocol/hostPort/hostIP (TCP and 0.0.0.0 by default); 0.0.0.0 conflicts with every address of the same
 * protocol and port, as HostPortInfo.CheckConflict decides.
 */
import { containersOf, initContainersOf, isRestartableInit } from '../../pod/podspec.js';
import type { Pod } from '../../types.js';

const WILDCARD = '0.0.0.0';

/** The pod's host ports as `PROTOCOL/port/ip` keys (containers' and sidecars' ports with hostPort > 0). */
export function podHostPorts(pod: Pod): string[] {
  const out: string[] = [];
  const containers = [...containersOf(pod), ...initContainersOf(pod).filter(isRestartableInit)];
  for (const c of containers) {
    const ports = (c as { ports?: unknown }).ports;
    if (!Array.isArray(ports)) continue;
    for (const p of ports as { hostPort?: unknown; protocol?: unknown; hostIP?: unknown }[]) {
      if (!p || typeof p.hostPort !== 'number' || !(p.hostPort > 0)) continue;
      const protocol = typeof p.protocol === 'string' && p.protocol ? p.protocol : 'TCP';
      const ip = typeof p.hostIP === 'string' && p.hostIP ? p.hostIP : WILDCARD;
      out.push(`${protocol}/${p.hostPort}/${ip}`);
    }
  }
  return out;
}

/** Host ports held on one node: per protocol/port, how many active pods hold it on each address. */
export class HostPortUse {
  private readonly held = new Map<string, Map<string, number>>();

  private static split(key: string): [string, string] {
    const i = key.lastIndexOf('/');
    return [key.slice(0, i), key.slice(i + 1)];
  }

  add(keys: readonly string[]): void {
    for (const k of keys) {
      const [pp, ip] = HostPortUse.split(k);
      let ips = this.held.get(pp);
      if (!ips) this.held.set(pp, (ips = new Map()));
      ips.set(ip, (ips.get(ip) ?? 0) + 1);
    }
  }

  remove(keys: readonly string[]): void {
    for (const k of keys) {
      const [pp, ip] = HostPortUse.split(k);
      const ips = this.held.get(pp);
      const n = ips?.get(ip);
      if (!ips || n === undefined) continue;
      if (n > 1) ips.set(ip, n - 1);
      else {
        ips.delete(ip);
        if (ips.size === 0) this.held.delete(pp);
      }
    }
  }

  /** Whether any of `keys` conflicts with a held port. */
  conflicts(keys: readonly string[]): boolean {
    for (const k of keys) {
      const [pp, ip] = HostPortUse.split(k);
      const ips = this.held.get(pp);
      if (!ips) continue;
      if (ip === WILDCARD || ips.has(WILDCARD) || ips.has(ip)) return true;
    }
    return false;
  }
}

/** The rejection's reason and the predicate's description, as the kubelet words them. */
export const NODE_PORTS_REJECTION = {
  reason: 'NodePorts',
  message: "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports",
};
