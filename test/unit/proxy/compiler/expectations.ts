/**
 * What a packet to a service should meet, derived from the model alone (not from the compiler's code): the
 * endpoints Kubernetes' traffic policies allow, or a reject (no endpoints) or drop (Local without local ones).
 */
import type { EndpointInfo, ServicePortInfo } from '../../../../src/dataplane/proxy/model.js';
import { trace, type RuleSet } from '../../../../src/dataplane/proxy/trace/index.js';

function usable(eps: EndpointInfo[]): EndpointInfo[] {
  const ready = eps.filter((e) => e.ready);
  return ready.length > 0 ? ready : eps.filter((e) => e.serving && e.terminating);
}

export type Expected = { kind: 'REJECT' } | { kind: 'DROP' } | { kind: 'DNAT'; endpoints: string[]; masquerade: boolean };

export function expectedFor(sp: ServicePortInfo, path: 'internal' | 'external', masqueradeAll = false): Expected {
  if (usable(sp.endpoints).length === 0) return { kind: 'REJECT' };
  const local = path === 'internal' ? sp.internalTrafficLocal : sp.externalTrafficLocal;
  const eps = local ? usable(sp.endpoints.filter((e) => e.isLocal)) : usable(sp.endpoints);
  if (eps.length === 0) return { kind: 'DROP' };
  return { kind: 'DNAT', endpoints: eps.map((e) => `${e.ip}:${e.port}`), masquerade: (path === 'external' && !local) || (path === 'internal' && masqueradeAll) };
}

export const POD_SRC = '10.255.255.200';
export const EXTERNAL_SRC = '198.51.100.7';
export const IN_RANGE_SRC = '203.0.113.9';

/** Returns a list of mismatches (empty when the rules do what the model says). */
/** `clusterCIDR` '' means masquerade-all, as in ProxyConfig. */
export function verifyService(rules: RuleSet, sp: ServicePortInfo, nodeIP: string, clusterCIDR = '10.0.0.0/8'): string[] {
  const errors: string[] = [];
  const proto = sp.protocol.toLowerCase() as 'tcp' | 'udp' | 'sctp';
  const check = (label: string, exp: Expected, got: ReturnType<typeof trace>): void => {
    const o = got.outcomes;
    if (exp.kind !== 'DNAT') {
      if (o.length !== 1 || o[0]!.verdict !== exp.kind || Math.abs(o[0]!.probability - 1) > 1e-9) {
        errors.push(`${label}: want ${exp.kind}, got ${JSON.stringify(o.map((x) => [x.verdict, x.endpoint, x.probability]))}`);
      }
      return;
    }
    const byEp = new Map(o.map((x) => [x.endpoint ?? x.verdict, x]));
    if (o.length !== exp.endpoints.length) errors.push(`${label}: want ${exp.endpoints.length} outcomes, got ${o.length}: ${JSON.stringify(o.map((x) => [x.verdict, x.endpoint]))}`);
    for (const ep of exp.endpoints) {
      const x = byEp.get(ep);
      if (!x || x.verdict !== 'DNAT') errors.push(`${label}: endpoint ${ep} unreachable`);
      else {
        if (Math.abs(x.probability - 1 / exp.endpoints.length) > 1e-6) errors.push(`${label}: ${ep} probability ${x.probability}`);
        if (x.masquerade !== exp.masquerade) errors.push(`${label}: ${ep} masquerade ${x.masquerade}`);
        if ((sp.affinityTimeoutSeconds > 0) !== (x.affinity !== undefined)) errors.push(`${label}: ${ep} affinity ${x.affinity}`);
      }
    }
  };
  const name = `${sp.namespace}/${sp.name}${sp.portName ? ':' + sp.portName : ''}`;
  check(`${name} clusterIP`, expectedFor(sp, 'internal', clusterCIDR === ''), trace(rules, { src: POD_SRC, dst: sp.clusterIP, dport: sp.port, proto }, { localAddresses: [nodeIP] }));
  // From outside the pod network, ClusterIP traffic is masqueraded (it may leave the node again).
  check(`${name} clusterIP from off-cluster`, expectedFor(sp, 'internal', true), trace(rules, { src: EXTERNAL_SRC, dst: sp.clusterIP, dport: sp.port, proto }, { localAddresses: [nodeIP] }));
  if (sp.nodePort !== 0) {
    check(`${name} nodePort`, expectedFor(sp, 'external'), trace(rules, { src: EXTERNAL_SRC, dst: nodeIP, dport: sp.nodePort, proto }, { localAddresses: [nodeIP] }));
  }
  for (const ip of sp.externalIPs) {
    check(`${name} externalIP`, expectedFor(sp, 'external'), trace(rules, { src: EXTERNAL_SRC, dst: ip, dport: sp.port, proto }, { localAddresses: [nodeIP] }));
  }
  for (const ip of sp.loadBalancerIPs) {
    const exp = expectedFor(sp, 'external');
    const ranged = sp.loadBalancerSourceRanges.length > 0;
    check(`${name} LB in range`, exp, trace(rules, { src: ranged ? IN_RANGE_SRC : EXTERNAL_SRC, dst: ip, dport: sp.port, proto }, { localAddresses: [nodeIP] }));
    if (ranged && exp.kind !== 'REJECT') {
      check(`${name} LB out of range`, { kind: 'DROP' }, trace(rules, { src: EXTERNAL_SRC, dst: ip, dport: sp.port, proto }, { localAddresses: [nodeIP] }));
    }
  }
  return errors;
}
