import type { EndpointInfo, ProxyConfig, ServicePortInfo } from '../../../../src/dataplane/proxy/model.js';

export const cfg: ProxyConfig = { clusterCIDR: '10.0.0.0/8', nodeIPs: ['192.168.0.2'], masqueradeBit: 14 };

export function ep(ip: string, port = 80, extra: Partial<EndpointInfo> = {}): EndpointInfo {
  return { ip, port, ready: true, serving: true, terminating: false, isLocal: false, ...extra };
}

export function sp(n: number, extra: Partial<ServicePortInfo> = {}): ServicePortInfo {
  return {
    namespace: `ns${n}`, name: `svc${n}`, portName: 'p80', protocol: 'TCP', type: 'ClusterIP', clusterIP: `172.30.0.${40 + n}`,
    port: 80, nodePort: 0, externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], affinityTimeoutSeconds: 0,
    externalTrafficLocal: false, internalTrafficLocal: false, healthCheckNodePort: 0, endpoints: [], ...extra,
  };
}

/** Services shaped like upstream's TestOverallNFTablesRules. */
export function overall(): ServicePortInfo[] {
  return [
    sp(1, { endpoints: [ep('10.180.0.1')] }),
    sp(2, { type: 'NodePort', nodePort: 3001, externalIPs: ['192.168.99.22'], loadBalancerIPs: [], externalTrafficLocal: true, endpoints: [ep('10.180.0.2')] }),
    sp(3, { type: 'NodePort', nodePort: 3003, endpoints: [ep('10.180.0.3')] }),
    sp(4, { externalIPs: ['192.168.99.33'], endpoints: [ep('10.180.0.4'), ep('10.180.0.5')] }),
    sp(5, { type: 'LoadBalancer', nodePort: 3002, loadBalancerIPs: ['5.6.7.8'], loadBalancerSourceRanges: ['203.0.113.0/25'], affinityTimeoutSeconds: 10800, endpoints: [ep('10.180.0.3')] }),
    sp(6, {}),
  ];
}

/** n service ports × k endpoints, addresses unique. */
export function synthetic(n: number, k: number): ServicePortInfo[] {
  const out: ServicePortInfo[] = [];
  for (let i = 0; i < n; i++) {
    const eps: EndpointInfo[] = [];
    for (let j = 0; j < k; j++) eps.push(ep(`10.${128 + ((i * k + j) >> 16)}.${((i * k + j) >> 8) & 255}.${(i * k + j) & 255}`, 8080));
    out.push(sp(0, { namespace: 'bench', name: `s${i}`, clusterIP: `172.${16 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, endpoints: eps, type: i % 10 === 0 ? 'NodePort' : 'ClusterIP', nodePort: i % 10 === 0 ? 30000 + (i % 2700) : 0 }));
  }
  return out;
}
