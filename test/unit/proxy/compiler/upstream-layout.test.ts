/**
 * Upstream conformance: the services of kube-proxy's own overall-rules test scenario (six service ports:
 * ClusterIP, LoadBalancer with Local policy, NodePort, external IP, LoadBalancer with source ranges and
 * affinity, no endpoints), compiled here, give the rules upstream's iptables proxier emits for them, chain by
 * chain and in order. Differences that come from configuration are normalised first: upstream's test uses
 * mark "0x4000" (a real kube-proxy prints %#08x, as we do) and localhost NodePorts (nfacct rules,
 * KUBE-FIREWALL), which Skiff leaves off.
 */
import { describe, expect, it } from 'vitest';
import { createIptablesCompiler, createReferenceIptablesCompiler } from '../../../../src/dataplane/proxy/compiler/index.js';
import type { EndpointInfo, ServicePortInfo } from '../../../../src/dataplane/proxy/model.js';
import { RuleSet } from '../../../../src/dataplane/proxy/trace/index.js';

const ep = (ip: string, isLocal = false): EndpointInfo => ({ ip, port: 80, ready: true, serving: true, terminating: false, isLocal });
const base = { portName: 'p80', protocol: 'TCP' as const, port: 80, nodePort: 0, externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], affinityTimeoutSeconds: 0, externalTrafficLocal: false, internalTrafficLocal: false, healthCheckNodePort: 0 };
const model: ServicePortInfo[] = [
  { ...base, namespace: 'ns1', name: 'svc1', type: 'ClusterIP', clusterIP: '172.30.0.41', endpoints: [ep('10.180.0.1')] },
  { ...base, namespace: 'ns2', name: 'svc2', type: 'LoadBalancer', clusterIP: '172.30.0.42', nodePort: 3001, loadBalancerIPs: ['1.2.3.4'], externalIPs: ['192.168.99.22'], externalTrafficLocal: true, healthCheckNodePort: 30000, endpoints: [ep('10.180.0.2')] },
  { ...base, namespace: 'ns3', name: 'svc3', type: 'NodePort', clusterIP: '172.30.0.43', nodePort: 3003, endpoints: [ep('10.180.0.3')] },
  { ...base, namespace: 'ns4', name: 'svc4', type: 'NodePort', clusterIP: '172.30.0.44', externalIPs: ['192.168.99.33'], endpoints: [ep('10.180.0.4'), ep('10.180.0.5', true)] },
  { ...base, namespace: 'ns5', name: 'svc5', type: 'LoadBalancer', clusterIP: '172.30.0.45', nodePort: 3002, loadBalancerIPs: ['5.6.7.8'], loadBalancerSourceRanges: ['203.0.113.0/25'], affinityTimeoutSeconds: 10800, endpoints: [ep('10.180.0.3')] },
  { ...base, namespace: 'ns6', name: 'svc6', type: 'ClusterIP', clusterIP: '172.30.0.46', endpoints: [] },
];

const C = '-m comment --comment';
const T = '-m tcp -p tcp';
const expected: Record<string, Record<string, string[]>> = {
  filter: {
    'KUBE-NODEPORTS': [`${C} "ns2/svc2:p80 health check node port" ${T} --dport 30000 -j ACCEPT`],
    'KUBE-SERVICES': [`${C} "ns6/svc6:p80 has no endpoints" ${T} -d 172.30.0.46 --dport 80 -j REJECT`],
    'KUBE-EXTERNAL-SERVICES': [
      `${C} "ns2/svc2:p80 has no local endpoints" ${T} -d 192.168.99.22 --dport 80 -j DROP`,
      `${C} "ns2/svc2:p80 has no local endpoints" ${T} -d 1.2.3.4 --dport 80 -j DROP`,
      `${C} "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL ${T} --dport 3001 -j DROP`,
    ],
    'KUBE-FORWARD': [
      `${C} "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT`,
      `${C} "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    ],
    'KUBE-PROXY-FIREWALL': [`${C} "ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C" ${T} -d 5.6.7.8 --dport 80 -j DROP`],
  },
  nat: {
    'KUBE-NODEPORTS': [
      `${C} ns2/svc2:p80 ${T} --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT`,
      `${C} ns3/svc3:p80 ${T} --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK`,
      `${C} ns5/svc5:p80 ${T} --dport 3002 -j KUBE-EXT-NUKIZ6OKUXPJNT4C`,
    ],
    'KUBE-SERVICES': [
      `${C} "ns1/svc1:p80 cluster IP" ${T} -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O`,
      `${C} "ns2/svc2:p80 cluster IP" ${T} -d 172.30.0.42 --dport 80 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT`,
      `${C} "ns2/svc2:p80 external IP" ${T} -d 192.168.99.22 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT`,
      `${C} "ns2/svc2:p80 loadbalancer IP" ${T} -d 1.2.3.4 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT`,
      `${C} "ns3/svc3:p80 cluster IP" ${T} -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK`,
      `${C} "ns4/svc4:p80 cluster IP" ${T} -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK`,
      `${C} "ns4/svc4:p80 external IP" ${T} -d 192.168.99.33 --dport 80 -j KUBE-EXT-4SW47YFZTEDKD3PK`,
      `${C} "ns5/svc5:p80 cluster IP" ${T} -d 172.30.0.45 --dport 80 -j KUBE-SVC-NUKIZ6OKUXPJNT4C`,
      `${C} "ns5/svc5:p80 loadbalancer IP" ${T} -d 5.6.7.8 --dport 80 -j KUBE-FW-NUKIZ6OKUXPJNT4C`,
      `${C} "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`,
    ],
    'KUBE-EXT-4SW47YFZTEDKD3PK': [`${C} "masquerade traffic for ns4/svc4:p80 external destinations" -j KUBE-MARK-MASQ`, '-j KUBE-SVC-4SW47YFZTEDKD3PK'],
    'KUBE-EXT-GNZBNJ2PO5MGZ6GT': [
      `${C} "pod traffic for ns2/svc2:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT`,
      `${C} "masquerade LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
      `${C} "route LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT`,
    ],
    'KUBE-EXT-NUKIZ6OKUXPJNT4C': [`${C} "masquerade traffic for ns5/svc5:p80 external destinations" -j KUBE-MARK-MASQ`, '-j KUBE-SVC-NUKIZ6OKUXPJNT4C'],
    'KUBE-EXT-X27LE4BHSL4DOUIK': [`${C} "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ`, '-j KUBE-SVC-X27LE4BHSL4DOUIK'],
    'KUBE-FW-NUKIZ6OKUXPJNT4C': [
      `${C} "ns5/svc5:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-NUKIZ6OKUXPJNT4C`,
      `${C} "other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"`,
    ],
    'KUBE-MARK-MASQ': ['-j MARK --or-mark 0x4000'],
    'KUBE-POSTROUTING': [
      '-m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-j MARK --xor-mark 0x4000',
      `${C} "kubernetes service traffic requiring SNAT" -j MASQUERADE`,
    ],
    'KUBE-SEP-C6EBXVWJJZMIWKLZ': [`${C} ns4/svc4:p80 -s 10.180.0.5 -j KUBE-MARK-MASQ`, `${C} ns4/svc4:p80 ${T} -j DNAT --to-destination 10.180.0.5:80`],
    'KUBE-SEP-I77PXRDZVX7PMWMN': [
      `${C} ns5/svc5:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ`,
      `${C} ns5/svc5:p80 -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --set ${T} -j DNAT --to-destination 10.180.0.3:80`,
    ],
    'KUBE-SEP-OYPFS5VJICHGATKP': [`${C} ns3/svc3:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ`, `${C} ns3/svc3:p80 ${T} -j DNAT --to-destination 10.180.0.3:80`],
    'KUBE-SEP-RS4RBKLTHTF2IUXJ': [`${C} ns2/svc2:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ`, `${C} ns2/svc2:p80 ${T} -j DNAT --to-destination 10.180.0.2:80`],
    'KUBE-SEP-SXIVWICOYRO3J4NJ': [`${C} ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ`, `${C} ns1/svc1:p80 ${T} -j DNAT --to-destination 10.180.0.1:80`],
    'KUBE-SEP-UKSFD7AGPMPPLUHC': [`${C} ns4/svc4:p80 -s 10.180.0.4 -j KUBE-MARK-MASQ`, `${C} ns4/svc4:p80 ${T} -j DNAT --to-destination 10.180.0.4:80`],
    'KUBE-SVC-4SW47YFZTEDKD3PK': [
      `${C} "ns4/svc4:p80 cluster IP" ${T} -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ`,
      `${C} "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC`,
      `${C} "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ`,
    ],
    'KUBE-SVC-GNZBNJ2PO5MGZ6GT': [
      `${C} "ns2/svc2:p80 cluster IP" ${T} -d 172.30.0.42 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ`,
      `${C} "ns2/svc2:p80 -> 10.180.0.2:80" -j KUBE-SEP-RS4RBKLTHTF2IUXJ`,
    ],
    'KUBE-SVC-NUKIZ6OKUXPJNT4C': [
      `${C} "ns5/svc5:p80 cluster IP" ${T} -d 172.30.0.45 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ`,
      `${C} "ns5/svc5:p80 -> 10.180.0.3:80" -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --rcheck --seconds 10800 --reap -j KUBE-SEP-I77PXRDZVX7PMWMN`,
      `${C} "ns5/svc5:p80 -> 10.180.0.3:80" -j KUBE-SEP-I77PXRDZVX7PMWMN`,
    ],
    'KUBE-SVC-X27LE4BHSL4DOUIK': [
      `${C} "ns3/svc3:p80 cluster IP" ${T} -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ`,
      `${C} "ns3/svc3:p80 -> 10.180.0.3:80" -j KUBE-SEP-OYPFS5VJICHGATKP`,
    ],
    'KUBE-SVC-XPGD46QRK7WJZT7O': [
      `${C} "ns1/svc1:p80 cluster IP" ${T} -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ`,
      `${C} "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ`,
    ],
  },
};

/** Our text, chain by chain, with the configuration differences described above taken out. */
function chains(text: string): Record<string, Record<string, string[]>> {
  const normalised = text
    .replaceAll('0x00004000', '0x4000')
    .replace(' -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS', ' -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
    .split('\n')
    .filter((l) => l !== '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP')
    .join('\n');
  const rs = RuleSet.parse(normalised);
  const out: Record<string, Record<string, string[]>> = {};
  for (const [table, t] of rs.tables) {
    out[table] = {};
    for (const [name, rules] of t) if (name.startsWith('KUBE-')) out[table]![name] = rules.map((r) => r.spec);
  }
  return out;
}

describe("upstream kube-proxy's rules for its own overall-rules scenario", () => {
  const config = { clusterCIDR: '10.0.0.0/8', nodeIPs: [], masqueradeBit: 14 };

  it('reference compiler: every chain and rule as upstream', () => {
    expect(chains(createReferenceIptablesCompiler(config).full(model).text)).toEqual(expected);
  });

  it('WASM compiler: the same', async () => {
    expect(chains((await createIptablesCompiler(config)).full(model).text)).toEqual(expected);
  });
});
