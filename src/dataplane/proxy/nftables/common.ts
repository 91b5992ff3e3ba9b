/** Pieces both nft layouts share: names, the masquerade mark, protocol spellings. */
import { createHash } from 'node:crypto';
import type { Protocol, ProxyConfig, ServicePortInfo } from '../model.js';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32(buf: Uint8Array): string {
  let bits = 0;
  let v = 0;
  let out = '';
  for (const x of buf) {
    v = ((v << 8) | x) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += B32[(v >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(v << (5 - bits)) & 31];
  return out;
}

/** Upstream nftables proxier's chain names: first 8 chars of base32(sha256(base)) + "-" + base. */
export function hashedName(prefix: string, base: string): string {
  const h = base32(createHash('sha256').update(base).digest()).slice(0, 8);
  return `${prefix}-${h}-${base}`;
}

export function proto(p: Protocol): string {
  return p.toLowerCase();
}

/** "ns/name/tcp/portName", the base of upstream's per-service names. */
export function servicePortBase(sp: ServicePortInfo): string {
  return `${sp.namespace}/${sp.name}/${proto(sp.protocol)}/${sp.portName}`;
}

export function masqMark(cfg: ProxyConfig): string {
  return `0x${(1 << cfg.masqueradeBit).toString(16)}`;
}

/** Destinations reached from outside the cluster: external IPs and load-balancer ingress IPs. */
export function externalAddrs(sp: ServicePortInfo): string[] {
  return [...sp.externalIPs, ...sp.loadBalancerIPs];
}

export function hasExternalDestinations(sp: ServicePortInfo): boolean {
  return sp.nodePort > 0 || sp.externalIPs.length > 0 || sp.loadBalancerIPs.length > 0;
}
