/**
 * The iptables rule compiler in plain TypeScript: upstream kube-proxy's layout (pkg/proxy/iptables/proxier.go,
 * syncProxyRules), written for clarity. It is the oracle the WASM compiler is tested against byte for byte, and
 * the baseline of the compile benchmark.
 */
import { servicePortName, type ProxyConfig, type ServicePortInfo } from '../model.js';
import type { IptablesCompiler, RestoreText } from '../compiler/types.js';
import { categorize } from './categorize.js';
import { cidrContains, endpointString, masqueradeMark, probability, referenceChainName } from './names.js';

/** Upstream's largeClusterEndpointsThreshold: above it, per-endpoint comments are left out. */
export const LARGE_CLUSTER_ENDPOINTS = 1000;

const FILTER_CHAINS = ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL'];
const NAT_CHAINS = ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'];
const NODEPORTS_COMMENT = '"kubernetes service nodeports; NOTE: this must be the last rule in this chain"';

/** One service port's share of the ruleset. Rule strings omit the leading "-A " (partial turns them into -D/-I). */
export interface ServiceRules {
  filter: string[];
  natDispatch: string[];
  natChains: string[];
  natRules: string[];
}

interface Ctx {
  config: ProxyConfig;
  mark: string;
  large: boolean;
}

function emitService(sp: ServicePortInfo, ctx: Ctx): ServiceRules {
  const out: ServiceRules = { filter: [], natDispatch: [], natChains: [], natRules: [] };
  const proto = sp.protocol.toLowerCase();
  const name = servicePortName(sp);
  const c = categorize(sp);
  const svcChain = referenceChainName('KUBE-SVC-', name, proto);
  const svlChain = referenceChainName('KUBE-SVL-', name, proto);
  const extChain = referenceChainName('KUBE-EXT-', name, proto);
  const fwChain = referenceChainName('KUBE-FW-', name, proto);
  const usesClusterChain = c.cluster.length > 0 && c.usesCluster;
  const usesLocalChain = c.local.length > 0 && c.usesLocal;
  const internalChain = sp.internalTrafficLocal ? svlChain : svcChain;
  const hasInternal = c.hasEndpoints && !(sp.internalTrafficLocal && c.local.length === 0);
  const externalPolicyChain = c.externalLocal ? svlChain : svcChain;
  const hasExternal = c.hasEndpoints && !(c.externalLocal && c.local.length === 0);
  const usesExtChain = c.hasEndpoints && c.externallyAccessible;
  const usesFw = c.hasEndpoints && sp.loadBalancerIPs.length > 0 && sp.loadBalancerSourceRanges.length > 0;
  const lbChain = usesFw ? fwChain : extChain;
  let intTarget = '';
  let intComment = '';
  let extTarget = '';
  let extComment = '';
  if (!c.hasEndpoints) {
    intTarget = extTarget = 'REJECT';
    intComment = extComment = `"${name} has no endpoints"`;
  } else {
    if (!hasInternal) {
      intTarget = 'DROP';
      intComment = `"${name} has no local endpoints"`;
    }
    if (!hasExternal) {
      extTarget = 'DROP';
      extComment = `"${name} has no local endpoints"`;
    }
  }
  const mp = `-m ${proto} -p ${proto}`;
  const port = String(sp.port);

  if (hasInternal) {
    out.natDispatch.push(`KUBE-SERVICES -m comment --comment "${name} cluster IP" ${mp} -d ${sp.clusterIP} --dport ${port} -j ${internalChain}`);
  } else {
    out.filter.push(`KUBE-SERVICES -m comment --comment ${intComment} ${mp} -d ${sp.clusterIP} --dport ${port} -j ${intTarget}`);
  }
  for (const ip of sp.externalIPs) {
    if (c.hasEndpoints) {
      out.natDispatch.push(`KUBE-SERVICES -m comment --comment "${name} external IP" ${mp} -d ${ip} --dport ${port} -j ${extChain}`);
    }
    if (!hasExternal) {
      out.filter.push(`KUBE-EXTERNAL-SERVICES -m comment --comment ${extComment} ${mp} -d ${ip} --dport ${port} -j ${extTarget}`);
    }
  }
  for (const ip of sp.loadBalancerIPs) {
    if (c.hasEndpoints) {
      out.natDispatch.push(`KUBE-SERVICES -m comment --comment "${name} loadbalancer IP" ${mp} -d ${ip} --dport ${port} -j ${lbChain}`);
    }
    if (usesFw) {
      out.filter.push(`KUBE-PROXY-FIREWALL -m comment --comment "${name} traffic not accepted by ${fwChain}" ${mp} -d ${ip} --dport ${port} -j DROP`);
    }
  }
  if (!hasExternal) {
    for (const ip of sp.loadBalancerIPs) {
      out.filter.push(`KUBE-EXTERNAL-SERVICES -m comment --comment ${extComment} ${mp} -d ${ip} --dport ${port} -j ${extTarget}`);
    }
  }
  if (sp.nodePort !== 0) {
    if (c.hasEndpoints) {
      out.natDispatch.push(`KUBE-NODEPORTS -m comment --comment ${name} ${mp} --dport ${sp.nodePort} -j ${extChain}`);
    }
    if (!hasExternal) {
      out.filter.push(`KUBE-EXTERNAL-SERVICES -m comment --comment ${extComment} -m addrtype --dst-type LOCAL ${mp} --dport ${sp.nodePort} -j ${extTarget}`);
    }
  }
  if (sp.healthCheckNodePort !== 0) {
    out.filter.push(`KUBE-NODEPORTS -m comment --comment "${name} health check node port" -m tcp -p tcp --dport ${sp.healthCheckNodePort} -j ACCEPT`);
  }

  const cidr = ctx.config.clusterCIDR;
  if (hasInternal) {
    const args = `-m comment --comment "${name} cluster IP" ${mp} -d ${sp.clusterIP} --dport ${port}`;
    // An empty clusterCIDR means masquerade-all (the model's contract); otherwise only off-cluster sources.
    out.natRules.push(cidr === '' ? `${internalChain} ${args} -j KUBE-MARK-MASQ` : `${internalChain} ${args} ! -s ${cidr} -j KUBE-MARK-MASQ`);
  }
  if (usesExtChain) {
    out.natChains.push(extChain);
    if (!c.externalLocal) {
      out.natRules.push(`${extChain} -m comment --comment "masquerade traffic for ${name} external destinations" -j KUBE-MARK-MASQ`);
    } else {
      if (cidr !== '') {
        out.natRules.push(`${extChain} -m comment --comment "pod traffic for ${name} external destinations" -s ${cidr} -j ${svcChain}`);
      }
      out.natRules.push(`${extChain} -m comment --comment "masquerade LOCAL traffic for ${name} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`);
      out.natRules.push(`${extChain} -m comment --comment "route LOCAL traffic for ${name} external destinations" -m addrtype --src-type LOCAL -j ${svcChain}`);
    }
    if (hasExternal) out.natRules.push(`${extChain} -j ${externalPolicyChain}`);
  }
  if (usesFw) {
    out.natChains.push(fwChain);
    const head = `${fwChain} -m comment --comment "${name} loadbalancer IP"`;
    let allowFromNode = false;
    for (const range of sp.loadBalancerSourceRanges) {
      out.natRules.push(`${head} -s ${range} -j ${extChain}`);
      if (ctx.config.nodeIPs.length > 0 && cidrContains(range, ctx.config.nodeIPs[0]!)) allowFromNode = true;
    }
    if (allowFromNode) {
      for (const ip of sp.loadBalancerIPs) out.natRules.push(`${head} -s ${ip} -j ${extChain}`);
    }
    out.natRules.push(`${fwChain} -m comment --comment "other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL"`);
  }

  const sepChains = new Map<string, string>();
  const sep = (ip: string, p: number): string => {
    const ep = endpointString(ip, p);
    let ch = sepChains.get(ep);
    if (ch === undefined) sepChains.set(ep, (ch = referenceChainName('KUBE-SEP-', name, proto, ep)));
    return ch;
  };
  const toEndpoints = (chain: string, eps: typeof c.cluster): void => {
    if (sp.affinityTimeoutSeconds > 0) {
      for (const e of eps) {
        const ch = sep(e.ip, e.port);
        const comment = ctx.large ? '' : ` -m comment --comment "${name} -> ${endpointString(e.ip, e.port)}"`;
        out.natRules.push(`${chain}${comment} -m recent --name ${ch} --rcheck --seconds ${sp.affinityTimeoutSeconds} --reap -j ${ch}`);
      }
    }
    const n = eps.length;
    for (let i = 0; i < n; i++) {
      const e = eps[i]!;
      const ch = sep(e.ip, e.port);
      const comment = ctx.large ? '' : ` -m comment --comment "${name} -> ${endpointString(e.ip, e.port)}"`;
      const stat = i < n - 1 ? ` -m statistic --mode random --probability ${probability(n - i)}` : '';
      out.natRules.push(`${chain}${comment}${stat} -j ${ch}`);
    }
  };
  if (usesClusterChain) {
    out.natChains.push(svcChain);
    toEndpoints(svcChain, c.cluster);
  }
  if (usesLocalChain) {
    out.natChains.push(svlChain);
    toEndpoints(svlChain, c.local);
  }
  for (const e of c.reachable) {
    const ch = sep(e.ip, e.port);
    out.natChains.push(ch);
    const comment = ctx.large ? '' : ` -m comment --comment ${name}`;
    out.natRules.push(`${ch}${comment} -s ${e.ip} -j KUBE-MARK-MASQ`);
    const recent = sp.affinityTimeoutSeconds > 0 ? ` -m recent --name ${ch} --set` : '';
    out.natRules.push(`${ch}${comment}${recent} ${mp} -j DNAT --to-destination ${endpointString(e.ip, e.port)}`);
  }
  return out;
}

class Text implements RestoreText {
  private decoded: string | undefined;
  private encoded: Uint8Array | undefined;
  constructor(
    source: string,
    readonly kind: 'full' | 'partial',
    readonly filterRules: number,
    readonly natRules: number,
    readonly filterChains: number,
    readonly natChains: number,
  ) {
    this.decoded = source;
  }
  get text(): string {
    return this.decoded!;
  }
  get bytes(): Uint8Array {
    return (this.encoded ??= Buffer.from(this.decoded!, 'latin1'));
  }
  copy(): Uint8Array {
    return this.bytes.slice();
  }
  view(): Uint8Array {
    return this.bytes;
  }
}

function nodePortJumps(config: ProxyConfig): string[] {
  if (config.nodeIPs.length === 0) {
    return [`KUBE-SERVICES -m comment --comment ${NODEPORTS_COMMENT} -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS`];
  }
  return config.nodeIPs
    .filter((ip) => !ip.startsWith('127.'))
    .map((ip) => `KUBE-SERVICES -m comment --comment ${NODEPORTS_COMMENT} -d ${ip} -j KUBE-NODEPORTS`);
}

function totalEndpoints(model: Iterable<ServicePortInfo>): number {
  let n = 0;
  for (const sp of model) n += sp.endpoints.length;
  return n;
}

/** Lines of `b` not in `a`, as a multiset, in `b`'s order. */
function minus(b: readonly string[], a: readonly string[]): string[] {
  if (a.length === 0) return b.slice();
  const counts = new Map<string, number>();
  for (const x of a) counts.set(x, (counts.get(x) ?? 0) + 1);
  const out: string[] = [];
  for (const x of b) {
    const k = counts.get(x) ?? 0;
    if (k > 0) counts.set(x, k - 1);
    else out.push(x);
  }
  return out;
}

export class ReferenceIptablesCompiler implements IptablesCompiler {
  private readonly mark: string;
  private state: Map<string, ServicePortInfo> | null = null;
  private endpoints = 0;
  private large = false;

  constructor(private readonly config: ProxyConfig) {
    this.mark = masqueradeMark(config.masqueradeBit);
  }

  reset(): void {
    this.state = null;
  }

  full(model: readonly ServicePortInfo[]): RestoreText {
    const ctx: Ctx = { config: this.config, mark: this.mark, large: totalEndpoints(model) > LARGE_CLUSTER_ENDPOINTS };
    const filter: string[] = ['*filter'];
    for (const ch of FILTER_CHAINS) filter.push(`:${ch} - [0:0]`);
    const natChains: string[] = ['*nat'];
    for (const ch of NAT_CHAINS) natChains.push(`:${ch} - [0:0]`);
    const m = this.mark;
    const natRules: string[] = [
      `-A KUBE-POSTROUTING -m mark ! --mark ${m}/${m} -j RETURN`,
      `-A KUBE-POSTROUTING -j MARK --xor-mark ${m}`,
      `-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE`,
      `-A KUBE-MARK-MASQ -j MARK --or-mark ${m}`,
    ];
    const state = new Map<string, ServicePortInfo>();
    for (const sp of model) {
      state.set(servicePortName(sp), sp);
      const r = emitService(sp, ctx);
      for (const l of r.filter) filter.push('-A ' + l);
      for (const ch of r.natChains) natChains.push(`:${ch} - [0:0]`);
      for (const l of r.natDispatch) natRules.push('-A ' + l);
      for (const l of r.natRules) natRules.push('-A ' + l);
    }
    for (const l of nodePortJumps(this.config)) natRules.push('-A ' + l);
    const filterChainCount = FILTER_CHAINS.length;
    filter.push(
      '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
      `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${m}/${m} -j ACCEPT`,
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      'COMMIT',
    );
    natRules.push('COMMIT');
    const text = filter.join('\n') + '\n' + natChains.join('\n') + '\n' + natRules.join('\n') + '\n';
    this.state = state;
    this.endpoints = totalEndpoints(model);
    this.large = ctx.large;
    return new Text(text, 'full', filter.length - 2 - filterChainCount, natRules.length - 1, filterChainCount, natChains.length - 1);
  }

  partial(changed: readonly ServicePortInfo[], removed: readonly string[]): RestoreText {
    const state = this.state;
    if (state === null) throw new Error('iptables compiler: partial() before full()');
    let endpoints = this.endpoints;
    for (const name of removed) endpoints -= state.get(name)?.endpoints.length ?? 0;
    for (const sp of changed) endpoints += sp.endpoints.length - (state.get(servicePortName(sp))?.endpoints.length ?? 0);
    const large = endpoints > LARGE_CLUSTER_ENDPOINTS;
    if (large !== this.large) {
      // Every endpoint rule's comment changes: only a full text is correct.
      const next = new Map(state);
      for (const name of removed) next.delete(name);
      for (const sp of changed) next.set(servicePortName(sp), sp);
      return this.full([...next.values()]);
    }
    const ctx: Ctx = { config: this.config, mark: this.mark, large };
    const filterDel: string[] = [];
    const filterAdd: string[] = [];
    const natDecl: string[] = [];
    const natDel: string[] = [];
    const natBody: string[] = [];
    const natAdd: string[] = [];
    const natDrop: string[] = [];
    const diff = (before: ServiceRules | null, after: ServiceRules | null): void => {
      const b = before ?? { filter: [], natDispatch: [], natChains: [], natRules: [] };
      const a = after ?? { filter: [], natDispatch: [], natChains: [], natRules: [] };
      for (const l of minus(b.filter, a.filter)) filterDel.push('-D ' + l);
      for (const l of minus(a.filter, b.filter)) filterAdd.push('-A ' + l);
      for (const l of minus(b.natDispatch, a.natDispatch)) natDel.push('-D ' + l);
      for (const l of minus(a.natDispatch, b.natDispatch)) {
        // KUBE-SERVICES ends with the NodePort jump, which must stay last: insert service rules at the top.
        natAdd.push(l.startsWith('KUBE-SERVICES ') ? '-I KUBE-SERVICES 1 ' + l.slice(14) : '-A ' + l);
      }
      for (const ch of a.natChains) natDecl.push(`:${ch} - [0:0]`);
      for (const l of a.natRules) natBody.push('-A ' + l);
      for (const ch of minus(b.natChains, a.natChains)) {
        natDecl.push(`:${ch} - [0:0]`);
        natDrop.push('-X ' + ch);
      }
    };
    for (const name of removed) {
      const old = state.get(name);
      if (old === undefined) continue;
      diff(emitService(old, ctx), null);
      state.delete(name);
    }
    for (const sp of changed) {
      const name = servicePortName(sp);
      const old = state.get(name);
      diff(old === undefined ? null : emitService(old, ctx), emitService(sp, ctx));
      state.set(name, sp);
    }
    this.endpoints = endpoints;
    const filter = ['*filter', ...filterDel, ...filterAdd, 'COMMIT'];
    const nat = ['*nat', ...natDecl, ...natDel, ...natBody, ...natAdd, ...natDrop, 'COMMIT'];
    const text = filter.join('\n') + '\n' + nat.join('\n') + '\n';
    return new Text(text, 'partial', filterDel.length + filterAdd.length, natDel.length + natBody.length + natAdd.length + natDrop.length, 0, natDecl.length);
  }
}

export function createReferenceIptablesCompiler(config: ProxyConfig): IptablesCompiler {
  return new ReferenceIptablesCompiler(config);
}
