/**
 * Upstream kube-proxy's nftables layout: table `ip kube-proxy`, verdict maps `service-ips` and
 * `service-nodeports`, one chain per service port (service-, local-, external-, firewall-) and one per endpoint
 * (endpoint-), `numgen random mod N vmap` to pick an endpoint, per-endpoint affinity sets with timeouts, the
 * no-endpoint maps consulted by the filter hooks. Chain count grows with services and endpoints.
 */
import { categorizeEndpoints } from '../categorize.js';
import type { EndpointInfo, ProxyConfig, ServicePortInfo } from '../model.js';
import { servicePortName } from '../model.js';
import { externalAddrs, hasExternalDestinations, hashedName, masqMark, proto, servicePortBase } from './common.js';
import { addElement, newRuleset, type NftRuleset } from './ruleset.js';

export const UPSTREAM_TABLE = 'kube-proxy';

const IP_PROTO_PORT = 'type ipv4_addr . inet_proto . inet_service : verdict ;';

/** The chains, sets and maps every sync has, before any service. */
function baseLayout(cfg: ProxyConfig): NftRuleset {
  const rs = newRuleset(UPSTREAM_TABLE, 'rules for kube-proxy');
  const c = (name: string, rules: string[], spec?: string) => rs.chains.set(name, { spec, rules });
  const m = (name: string, kind: 'set' | 'map', spec: string) => rs.sets.set(name, { kind, spec, elements: new Map() });
  m('cluster-ips', 'set', 'type ipv4_addr ; comment "Active ClusterIPs" ;');
  m('service-ips', 'map', `${IP_PROTO_PORT} comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ;`);
  m('service-nodeports', 'map', 'type inet_proto . inet_service : verdict ; comment "NodePort traffic" ;');
  m('firewall-ips', 'map', `${IP_PROTO_PORT} comment "destinations that are subject to LoadBalancerSourceRanges" ;`);
  m('no-endpoint-services', 'map', `${IP_PROTO_PORT} comment "vmap to drop or reject packets to services with no endpoints" ;`);
  m('no-endpoint-nodeports', 'map', 'type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ;');
  const newConn = (target: string) => `ct state new jump ${target}`;
  c('filter-prerouting', [newConn('firewall-check')], 'type filter hook prerouting priority -110 ;');
  c('filter-input', [newConn('nodeport-endpoints-check'), newConn('service-endpoints-check')], 'type filter hook input priority -110 ;');
  c('filter-forward', [newConn('service-endpoints-check'), newConn('cluster-ips-check')], 'type filter hook forward priority -110 ;');
  c('filter-output', [newConn('service-endpoints-check'), newConn('firewall-check')], 'type filter hook output priority -110 ;');
  c('filter-output-post-dnat', [newConn('cluster-ips-check')], 'type filter hook output priority -90 ;');
  c('nat-prerouting', ['jump services'], 'type nat hook prerouting priority -100 ;');
  c('nat-output', ['jump services'], 'type nat hook output priority -100 ;');
  c('nat-postrouting', ['jump masquerading'], 'type nat hook postrouting priority 100 ;');
  const mark = masqMark(cfg);
  c('mark-for-masquerade', [`mark set mark or ${mark}`]);
  c('masquerading', [`mark and ${mark} == 0 return`, `mark set mark xor ${mark}`, 'masquerade fully-random']);
  c('services', [
    'ip daddr . meta l4proto . th dport vmap @service-ips',
    'fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports',
  ]);
  c('firewall-check', ['ip daddr . meta l4proto . th dport vmap @firewall-ips']);
  c('reject-chain', ['reject']);
  c('service-endpoints-check', ['ip daddr . meta l4proto . th dport vmap @no-endpoint-services']);
  c('nodeport-endpoints-check', ['fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports']);
  c('cluster-ips-check', ['ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"']);
  return rs;
}

function endpointBase(sp: ServicePortInfo, ep: EndpointInfo): string {
  return `${servicePortBase(sp)}__${ep.ip}/${ep.port}`;
}

/** Rules that pick one of `eps`: affinity lookups first, then the random choice. */
function dispatchRules(sp: ServicePortInfo, eps: EndpointInfo[]): string[] {
  const rules: string[] = [];
  if (sp.affinityTimeoutSeconds > 0) {
    for (const ep of eps) {
      const b = endpointBase(sp, ep);
      rules.push(`ip saddr @${hashedName('affinity', b)} goto ${hashedName('endpoint', b)}`);
    }
  }
  const vm = eps.map((ep, i) => `${i} : goto ${hashedName('endpoint', endpointBase(sp, ep))}`).join(' , ');
  rules.push(`numgen random mod ${eps.length} vmap { ${vm} }`);
  return rules;
}

function addServicePort(rs: NftRuleset, sp: ServicePortInfo, cfg: ProxyConfig): void {
  const base = servicePortBase(sp);
  const p = proto(sp.protocol);
  const spn = servicePortName(sp);
  const cat = categorizeEndpoints(sp);
  const serviceChain = hashedName('service', base);
  const localChain = hashedName('local', base);
  const externalChain = hashedName('external', base);
  const noEndpoints = cat.hasEndpoints ? 'drop' : 'goto reject-chain';

  addElement(rs, 'cluster-ips', { key: [sp.clusterIP] });

  const useCluster = cat.cluster.length > 0;
  const useLocal = (sp.internalTrafficLocal || sp.externalTrafficLocal) && cat.local.length > 0;
  const eps = new Map<string, EndpointInfo>();
  // The ClusterIP masquerade rule lives in the chain internal traffic uses (service- or local-), as upstream;
  // it matches the ClusterIP only, so external traffic sharing the chain is not affected.
  const masq = cfg.clusterCIDR
    ? `ip daddr ${sp.clusterIP} ${p} dport ${sp.port} ip saddr != ${cfg.clusterCIDR} jump mark-for-masquerade`
    : `ip daddr ${sp.clusterIP} ${p} dport ${sp.port} jump mark-for-masquerade`;
  if (useCluster) {
    rs.chains.set(serviceChain, { rules: [...(sp.internalTrafficLocal ? [] : [masq]), ...dispatchRules(sp, cat.cluster)] });
    for (const ep of cat.cluster) eps.set(`${ep.ip}:${ep.port}`, ep);
  }
  if (useLocal) {
    rs.chains.set(localChain, { rules: [...(sp.internalTrafficLocal ? [masq] : []), ...dispatchRules(sp, cat.local)] });
    for (const ep of cat.local) eps.set(`${ep.ip}:${ep.port}`, ep);
  }
  for (const ep of eps.values()) {
    const b = endpointBase(sp, ep);
    const rules = [`ip saddr ${ep.ip} jump mark-for-masquerade`];
    if (sp.affinityTimeoutSeconds > 0) {
      const set = hashedName('affinity', b);
      rs.sets.set(set, {
        kind: 'set',
        spec: `type ipv4_addr ; flags dynamic,timeout ; timeout ${sp.affinityTimeoutSeconds}s ;`,
        dynamic: true,
        elements: new Map(),
      });
      rules.push(`update @${set} { ip saddr }`);
    }
    rules.push(`meta l4proto ${p} dnat to ${ep.ip}:${ep.port}`);
    rs.chains.set(hashedName('endpoint', b), { rules });
  }

  // Internal (ClusterIP) traffic.
  const internalChain = sp.internalTrafficLocal ? (useLocal ? localChain : null) : useCluster ? serviceChain : null;
  if (internalChain) addElement(rs, 'service-ips', { key: [sp.clusterIP, p, String(sp.port)], value: `goto ${internalChain}` });
  else addElement(rs, 'no-endpoint-services', { key: [sp.clusterIP, p, String(sp.port)], value: noEndpoints, comment: spn });

  if (!hasExternalDestinations(sp)) return;
  // External traffic (NodePort, external IPs, load-balancer IPs).
  let extTarget: string | null = null;
  if (sp.externalTrafficLocal) {
    // Pods and the node itself still reach every endpoint (short-circuit), as upstream does.
    const rules: string[] = [];
    if (useCluster) {
      if (cfg.clusterCIDR) rules.push(`ip saddr ${cfg.clusterCIDR} goto ${serviceChain} comment "short-circuit pod traffic"`);
      rules.push('fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"');
      rules.push(`fib saddr type local goto ${serviceChain} comment "short-circuit local traffic"`);
    }
    if (useLocal) rules.push(`goto ${localChain}`);
    if (rules.length) {
      rs.chains.set(externalChain, { rules });
      extTarget = externalChain;
    }
  } else if (useCluster) {
    rs.chains.set(externalChain, { rules: ['jump mark-for-masquerade', `goto ${serviceChain}`] });
    extTarget = externalChain;
  }
  const hasExternalEndpoints = cat.external.length > 0;
  for (const addr of externalAddrs(sp)) {
    const key = [addr, p, String(sp.port)];
    if (extTarget) addElement(rs, 'service-ips', { key, value: `goto ${extTarget}` });
    if (!hasExternalEndpoints) addElement(rs, 'no-endpoint-services', { key, value: noEndpoints, comment: spn });
  }
  if (sp.nodePort > 0) {
    const key = [p, String(sp.nodePort)];
    if (extTarget) addElement(rs, 'service-nodeports', { key, value: `goto ${extTarget}` });
    if (!hasExternalEndpoints) addElement(rs, 'no-endpoint-nodeports', { key, value: noEndpoints, comment: spn });
  }
  if (sp.loadBalancerSourceRanges.length > 0 && sp.loadBalancerIPs.length > 0) {
    const fw = hashedName('firewall', base);
    rs.chains.set(fw, { rules: [`ip saddr != { ${sp.loadBalancerSourceRanges.join(', ')} } drop`] });
    for (const addr of sp.loadBalancerIPs) addElement(rs, 'firewall-ips', { key: [addr, p, String(sp.port)], value: `goto ${fw}`, comment: spn });
  }
}

/** Compile the model into upstream's layout. */
export function compileUpstream(model: ServicePortInfo[], cfg: ProxyConfig): NftRuleset {
  const rs = baseLayout(cfg);
  for (const sp of model) addServicePort(rs, sp, cfg);
  return rs;
}

/** The layout as base + per-service-port contributions (incremental.ts builds on this). */
export const upstreamLayout = {
  table: UPSTREAM_TABLE,
  base: baseLayout,
  add: addServicePort,
};
