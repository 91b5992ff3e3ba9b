/**
 * Beyond upstream: an nft layout whose chain count does not grow with services or endpoints. Every service
 * destination (ClusterIP, external IP, load-balancer IP, node IP × NodePort) is one `service-ips` element that
 * jumps to a shared chain for its protocol and endpoint-count class K, whose rule picks a backend with
 *   dnat ip to ip daddr . tcp dport . numgen random mod K map @dst-tcp-K
 * so adding a service adds map elements only. Chains exist per (role, protocol, K[, affinity timeout]):
 *   int    ClusterIP traffic, masquerade when the source is outside the cluster CIDR      maps dst-P-K / dsta-P-K
 *   intl   ClusterIP traffic with internalTrafficPolicy Local (local endpoints)           maps dst-P-K / dsta-P-K
 *   ext    external traffic, Cluster policy: always masquerade                            maps dst-P-K / dsta-P-K
 *   extl   external traffic, Local policy: pods and the node short-circuit to all        maps dst-P-K / dsta-P-K
 *          endpoints (via @service-ips-cluster), others keep their source and see local ones
 *   sc     the short-circuit targets                                                      maps dstc-P-K / dstca-P-K
 * Backend maps are per protocol (`tcp dport`, not `th dport`): nft 1.0.6 cannot reference a map declared with
 * `typeof … th dport` from a later transaction ("conflicting protocols specified: tcp vs. th").
 * ClientIP affinity keeps the chosen index in the connection's ct mark and in a dynamic map per protocol keyed
 * by (client . destination) with the service's timeout; a stale index (endpoint count changed) falls back to a
 * fresh random pick. Hairpin traffic (an endpoint reaching itself) is masqueraded through a set of (ip . ip).
 */
import { categorizeEndpoints } from '../categorize.js';
import type { EndpointInfo, ProxyConfig, ServicePortInfo } from '../model.js';
import { servicePortName } from '../model.js';
import { externalAddrs, masqMark, proto } from './common.js';
import { addElement, newRuleset, type NftRuleset } from './ruleset.js';

export const FLAT_TABLE = 'skiff-proxy';

const DEST = 'typeof ip daddr . meta l4proto . th dport';
const affinityKey = (p: string) => `ip saddr . ip daddr . ${p} dport`;

type Role = 'int' | 'intl' | 'ext' | 'extl' | 'sc';

function baseLayout(cfg: ProxyConfig): NftRuleset {
  const rs = newRuleset(FLAT_TABLE, 'skiff flat service rules');
  const c = (name: string, rules: string[], spec?: string) => rs.chains.set(name, { spec, rules });
  const m = (name: string, kind: 'set' | 'map', spec: string, dynamic = false) =>
    rs.sets.set(name, { kind, spec, dynamic, elements: new Map() });
  m('cluster-ips', 'set', 'type ipv4_addr ; comment "Active ClusterIPs" ;');
  m('service-ips', 'map', `${DEST} : verdict ; comment "every service destination, to its endpoint-count class" ;`);
  m('service-ips-cluster', 'map', `${DEST} : verdict ; comment "Local-policy destinations, cluster-wide endpoints for pods and the node" ;`);
  m('no-endpoint-services', 'map', `${DEST} : verdict ; comment "destinations without usable endpoints" ;`);
  m('firewall-dests', 'set', `${DEST} ; comment "load-balancer destinations with source ranges" ;`);
  m('firewall-allow', 'set', `${DEST} . ip saddr ; flags interval ; comment "allowed sources per destination" ;`);
  m('hairpin', 'set', 'typeof ip saddr . ip daddr ; comment "endpoint to itself through a service" ;');
  const newConn = (target: string) => `ct state new jump ${target}`;
  c('filter-prerouting', [newConn('firewall-check')], 'type filter hook prerouting priority -110 ;');
  c('filter-input', [newConn('service-endpoints-check')], 'type filter hook input priority -110 ;');
  c('filter-forward', [newConn('service-endpoints-check'), newConn('cluster-ips-check')], 'type filter hook forward priority -110 ;');
  c('filter-output', [newConn('service-endpoints-check'), newConn('firewall-check')], 'type filter hook output priority -110 ;');
  c('filter-output-post-dnat', [newConn('cluster-ips-check')], 'type filter hook output priority -90 ;');
  c('nat-prerouting', ['jump services'], 'type nat hook prerouting priority -100 ;');
  c('nat-output', ['jump services'], 'type nat hook output priority -100 ;');
  c('nat-postrouting', ['jump masquerading'], 'type nat hook postrouting priority 100 ;');
  const mark = masqMark(cfg);
  c('mark-for-masquerade', [`mark set mark or ${mark}`]);
  c('masquerading', [
    'ct status dnat ip saddr . ip daddr @hairpin masquerade fully-random comment "hairpin"',
    `mark and ${mark} == 0 return`,
    `mark set mark xor ${mark}`,
    'masquerade fully-random',
  ]);
  c('services', ['ip daddr . meta l4proto . th dport vmap @service-ips']);
  c('cluster-shortcut', ['ip daddr . meta l4proto . th dport vmap @service-ips-cluster']);
  c('firewall-check', [
    'ip daddr . meta l4proto . th dport @firewall-dests ip daddr . meta l4proto . th dport . ip saddr != @firewall-allow drop',
  ]);
  c('reject-chain', ['reject']);
  c('service-endpoints-check', ['ip daddr . meta l4proto . th dport vmap @no-endpoint-services']);
  c('cluster-ips-check', ['ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"']);
  return rs;
}

/** Rules a role runs before choosing a backend. */
function preRules(role: Role, cfg: ProxyConfig): string[] {
  switch (role) {
    case 'int':
    case 'intl':
      return [cfg.clusterCIDR ? `ip saddr != ${cfg.clusterCIDR} jump mark-for-masquerade` : 'jump mark-for-masquerade'];
    case 'ext':
      return ['jump mark-for-masquerade'];
    case 'extl':
      return [
        ...(cfg.clusterCIDR ? [`ip saddr ${cfg.clusterCIDR} goto cluster-shortcut`] : []),
        'fib saddr type local jump mark-for-masquerade',
        'fib saddr type local goto cluster-shortcut',
      ];
    default:
      return [];
  }
}

class FlatBuilder {
  constructor(
    private readonly rs: NftRuleset,
    private readonly cfg: ProxyConfig,
  ) {}

  private ensureMap(name: string, p: string, keyTail: string): void {
    if (!this.rs.sets.has(name)) {
      this.rs.sets.set(name, { kind: 'map', spec: `typeof ip daddr . ${p} dport . ${keyTail} : ip daddr . ${p} dport ;`, elements: new Map() });
    }
  }

  private backendMap(role: Role, p: string, k: number, affinity: number): string {
    return `${role === 'sc' ? 'dstc' : 'dst'}${affinity > 0 ? 'a' : ''}-${p}-${k}`;
  }

  /** The class chain for (role, protocol, K, affinity timeout), created on first use. */
  private classChain(role: Role, p: string, k: number, affinity: number): string {
    const name = affinity > 0 ? `${role}-${p}-${k}-a${affinity}` : `${role}-${p}-${k}`;
    if (this.rs.chains.has(name)) return name;
    const rules = preRules(role, this.cfg);
    if (k > 0) {
      const map = this.backendMap(role, p, k, affinity);
      if (affinity > 0) {
        this.ensureMap(map, p, 'ct mark');
        const aff = `affinity-${p}`;
        if (!this.rs.sets.has(aff)) {
          this.rs.sets.set(aff, { kind: 'map', spec: `typeof ${affinityKey(p)} : ct mark ; flags dynamic,timeout ; size 1048576 ; timeout 3h ;`, dynamic: true, elements: new Map() });
        }
        const pick = `pick-${map}-${affinity}`;
        if (!this.rs.chains.has(pick)) {
          const update = `update @${aff} { ${affinityKey(p)} timeout ${affinity}s : ct mark }`;
          const dnat = `meta l4proto ${p} dnat ip to ip daddr . ${p} dport . ct mark map @${map}`;
          // Second try after a stale index: the endpoint count changed since the client was last seen.
          this.rs.chains.set(pick, { rules: [update, dnat, `ct mark set numgen random mod ${k}`, update, dnat] });
        }
        rules.push(`ct mark set ${affinityKey(p)} map @${aff} goto ${pick}`);
        rules.push(`ct mark set numgen random mod ${k} goto ${pick}`);
      } else {
        this.ensureMap(map, p, `numgen random mod ${k}`);
        rules.push(`meta l4proto ${p} dnat ip to ip daddr . ${p} dport . numgen random mod ${k} map @${map}`);
      }
    }
    this.rs.chains.set(name, { rules });
    return name;
  }

  /** One destination (address, protocol, port) → its class chain plus its K backend elements. */
  destination(vmap: 'service-ips' | 'service-ips-cluster', dest: [string, string, string], role: Role, eps: EndpointInfo[], affinity: number): void {
    const [addr, p, port] = dest;
    const k = eps.length;
    const chain = this.classChain(role, p, k, affinity);
    addElement(this.rs, vmap, { key: dest, value: `goto ${chain}` });
    if (k === 0) return;
    const map = this.backendMap(role, p, k, affinity);
    eps.forEach((ep, i) => addElement(this.rs, map, { key: [addr, port, String(i)], value: `${ep.ip} . ${ep.port}` }));
    for (const ep of eps) addElement(this.rs, 'hairpin', { key: [ep.ip, ep.ip] });
  }
}

function addServicePort(b: FlatBuilder, rs: NftRuleset, sp: ServicePortInfo, cfg: ProxyConfig): void {
  const p = proto(sp.protocol);
  const spn = servicePortName(sp);
  const cat = categorizeEndpoints(sp);
  const noEndpoints = cat.hasEndpoints ? 'drop' : 'goto reject-chain';
  const aff = sp.affinityTimeoutSeconds;
  addElement(rs, 'cluster-ips', { key: [sp.clusterIP] });

  const internalKey: [string, string, string] = [sp.clusterIP, p, String(sp.port)];
  if (cat.internal.length > 0) b.destination('service-ips', internalKey, sp.internalTrafficLocal ? 'intl' : 'int', cat.internal, aff);
  else addElement(rs, 'no-endpoint-services', { key: internalKey, value: noEndpoints, comment: spn });

  const externalKeys = externalAddrs(sp).map((a): [string, string, string] => [a, p, String(sp.port)]);
  if (sp.nodePort > 0) for (const ip of cfg.nodeIPs) externalKeys.push([ip, p, String(sp.nodePort)]);
  for (const key of externalKeys) {
    if (sp.externalTrafficLocal) {
      if (cat.cluster.length > 0) {
        b.destination('service-ips', key, 'extl', cat.local, aff);
        b.destination('service-ips-cluster', key, 'sc', cat.cluster, aff);
      } else if (cat.local.length > 0) {
        b.destination('service-ips', key, 'extl', cat.local, aff);
      }
    } else if (cat.cluster.length > 0) {
      b.destination('service-ips', key, 'ext', cat.cluster, aff);
    }
    if (cat.external.length === 0) addElement(rs, 'no-endpoint-services', { key, value: noEndpoints, comment: spn });
  }
  if (sp.loadBalancerSourceRanges.length > 0) {
    for (const addr of sp.loadBalancerIPs) {
      const key = [addr, p, String(sp.port)];
      addElement(rs, 'firewall-dests', { key });
      // nft lists a /32 as the bare address; writing it the same way keeps resync diffs empty.
      for (const r of sp.loadBalancerSourceRanges) addElement(rs, 'firewall-allow', { key: [...key, r.endsWith('/32') ? r.slice(0, -3) : r] });
    }
  }
}

/** Compile the model into the flat layout. NodePorts are keyed by `cfg.nodeIPs`, so those must be set. */
export function compileFlat(model: ServicePortInfo[], cfg: ProxyConfig): NftRuleset {
  const rs = baseLayout(cfg);
  const b = new FlatBuilder(rs, cfg);
  for (const sp of model) addServicePort(b, rs, sp, cfg);
  return rs;
}

/** The layout as base + per-service-port contributions (incremental.ts builds on this). */
export const flatLayout = {
  table: FLAT_TABLE,
  base: baseLayout,
  add(rs: NftRuleset, sp: ServicePortInfo, cfg: ProxyConfig): void {
    addServicePort(new FlatBuilder(rs, cfg), rs, sp, cfg);
  },
};
