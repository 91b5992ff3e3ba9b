/**
 * kube-proxy's IPVS mode as text: the virtual and real servers (ipvsadm-restore), the ipsets (ipset restore),
 * the addresses bound to the kube-ipvs0 dummy interface, and the iptables rules IPVS mode still needs
 * (masquerade and firewall decisions by set membership). `compileIpvs` builds a state object; the render
 * functions turn it into text; diff.ts turns two states into -D/-d/del edits, since restore does not diff.
 */
import { servicePortName, type ProxyConfig, type ServicePortInfo } from '../model.js';
import { categorize } from '../reference/categorize.js';
import { cidrContains, masqueradeMark } from '../reference/names.js';
import { SETS, SET_RULES, setInfo } from './sets.js';
import { hostPort } from '../../../net/host-port.js';

export interface RealServer {
  ip: string;
  port: number;
}

export interface VirtualServer {
  protocol: 'tcp' | 'udp' | 'sctp';
  address: string;
  port: number;
  scheduler: string;
  /** ClientIP affinity timeout (ipvsadm -p); 0 = none. */
  persistence: number;
  reals: RealServer[];
  /** The service port it serves (servicePortName). */
  service: string;
}

export interface IpvsState {
  /** Keyed by "proto:address:port". */
  virtualServers: Map<string, VirtualServer>;
  /** Every set in SETS, with its entries (sorted). */
  sets: Map<string, string[]>;
  /** Addresses bound to kube-ipvs0 (sorted). */
  addresses: string[];
}

export interface IpvsOptions {
  /** IPVS scheduler; upstream's default is rr. */
  scheduler?: string;
}

export const DUMMY_DEVICE = 'kube-ipvs0';

export function vsKey(protocol: string, address: string, port: number): string {
  return `${protocol}:${address}:${port}`;
}

export function compileIpvs(model: readonly ServicePortInfo[], config: ProxyConfig, opts: IpvsOptions = {}): IpvsState {
  const scheduler = opts.scheduler ?? 'rr';
  const vss = new Map<string, VirtualServer>();
  const sets = new Map<string, Set<string>>(SETS.map((s) => [s.name, new Set<string>()]));
  const add = (set: string, entry: string): void => {
    sets.get(set)!.add(entry);
  };
  const addresses = new Set<string>();
  for (const sp of model) {
    const proto = sp.protocol.toLowerCase() as VirtualServer['protocol'];
    const name = servicePortName(sp);
    const c = categorize(sp);
    // Upstream's syncEndpoint: a Local policy uses local endpoints, and falls back to the Cluster ones when
    // there are none (so pods on this node can still reach the service, kubernetes#97081).
    const pick = (local: boolean) => (local && c.local.length > 0 ? c.local : c.cluster).map((e) => ({ ip: e.ip, port: e.port }));
    const internal = pick(sp.internalTrafficLocal);
    const external = pick(sp.externalTrafficLocal);
    const vs = (address: string, port: number, reals: RealServer[]): void => {
      vss.set(vsKey(proto, address, port), { protocol: proto, address, port, scheduler, persistence: sp.affinityTimeoutSeconds, reals, service: name });
    };
    const ipPort = (ip: string, port: number) => `${ip},${proto}:${port}`;

    add('KUBE-CLUSTER-IP', ipPort(sp.clusterIP, sp.port));
    add('KUBE-IPVS-IPS', sp.clusterIP);
    addresses.add(sp.clusterIP);
    vs(sp.clusterIP, sp.port, internal);
    for (const e of sp.endpoints) if (e.isLocal) add('KUBE-LOOP-BACK', `${e.ip},${proto}:${e.port},${e.ip}`);
    for (const ip of sp.externalIPs) {
      add(sp.externalTrafficLocal ? 'KUBE-EXTERNAL-IP-LOCAL' : 'KUBE-EXTERNAL-IP', ipPort(ip, sp.port));
      add('KUBE-IPVS-IPS', ip);
      addresses.add(ip);
      vs(ip, sp.port, external);
    }
    for (const ip of sp.loadBalancerIPs) {
      add('KUBE-LOAD-BALANCER', ipPort(ip, sp.port));
      add('KUBE-IPVS-IPS', ip);
      addresses.add(ip);
      if (sp.externalTrafficLocal) add('KUBE-LOAD-BALANCER-LOCAL', ipPort(ip, sp.port));
      if (sp.loadBalancerSourceRanges.length > 0) {
        add('KUBE-LOAD-BALANCER-FW', ipPort(ip, sp.port));
        let allowFromNode = false;
        for (const r of sp.loadBalancerSourceRanges) {
          // ipset keeps a /32 net as a bare address (so `ipset save` prints it): use that form, or a diff
          // against the kernel would delete and re-add it on every resync.
          add('KUBE-LOAD-BALANCER-SOURCE-CIDR', `${ip},${proto}:${sp.port},${r.endsWith('/32') ? r.slice(0, -3) : r}`);
          if (config.nodeIPs[0] !== undefined && cidrContains(r, config.nodeIPs[0])) allowFromNode = true;
        }
        if (allowFromNode) add('KUBE-LOAD-BALANCER-SOURCE-IP', `${ip},${proto}:${sp.port},${ip}`);
      }
      vs(ip, sp.port, external);
    }
    if (sp.nodePort !== 0) {
      if (proto === 'sctp') {
        for (const nip of config.nodeIPs) {
          add('KUBE-NODE-PORT-SCTP-HASH', ipPort(nip, sp.nodePort));
          if (sp.externalTrafficLocal) add('KUBE-NODE-PORT-LOCAL-SCTP-HASH', ipPort(nip, sp.nodePort));
        }
      } else {
        const up = proto.toUpperCase();
        add(`KUBE-NODE-PORT-${up}`, String(sp.nodePort));
        if (sp.externalTrafficLocal) add(`KUBE-NODE-PORT-LOCAL-${up}`, String(sp.nodePort));
      }
      // NodePort virtual servers sit on the node's addresses (none are created without config.nodeIPs).
      for (const nip of config.nodeIPs) vs(nip, sp.nodePort, external);
    }
    if (sp.healthCheckNodePort !== 0) add('KUBE-HEALTH-CHECK-NODE-PORT', String(sp.healthCheckNodePort));
  }
  const sorted = new Map<string, string[]>();
  for (const [k, v] of sets) sorted.set(k, [...v].sort());
  return { virtualServers: vss, sets: sorted, addresses: [...addresses].sort() };
}

function protoFlag(p: string): string {
  return p === 'tcp' ? '-t' : p === 'udp' ? '-u' : '--sctp-service';
}

/** One virtual server line (ipvsadm -A/-E syntax, without the command). */
export function vsSpec(vs: VirtualServer): string {
  return `${protoFlag(vs.protocol)} ${hostPort(vs.address, vs.port)} -s ${vs.scheduler}${vs.persistence > 0 ? ` -p ${vs.persistence}` : ''}`;
}

export function rsSpec(vs: VirtualServer, rs: RealServer): string {
  return `${protoFlag(vs.protocol)} ${hostPort(vs.address, vs.port)} -r ${hostPort(rs.ip, rs.port)} -m -w 1`;
}

/** Full `ipvsadm-restore` input (apply after `ipvsadm -C` on a fresh node; use diff.ts afterwards). */
export function ipvsadmRestoreText(state: IpvsState): string {
  const out: string[] = [];
  for (const vs of state.virtualServers.values()) {
    out.push(`-A ${vsSpec(vs)}`);
    const head = `-a ${protoFlag(vs.protocol)} ${hostPort(vs.address, vs.port)} -r `;
    for (const rs of vs.reals) out.push(`${head}${hostPort(rs.ip, rs.port)} -m -w 1`);
  }
  return out.length ? out.join('\n') + '\n' : '';
}

export function createSetLine(name: string): string {
  const s = setInfo(name);
  return s.type === 'bitmap:port' ? `create ${name} bitmap:port range 0-65535` : `create ${name} ${s.type} family inet hashsize 1024 maxelem 65536`;
}

/** Full `ipset restore -exist` input: every set is created (iptables rules refer to them), then filled. */
export function ipsetRestoreText(state: IpvsState): string {
  const out: string[] = [];
  for (const s of SETS) {
    out.push(createSetLine(s.name));
    for (const e of state.sets.get(s.name) ?? []) out.push(`add ${s.name} ${e}`);
  }
  return out.join('\n') + '\n';
}

/** `ip addr add` arguments per address, for the kube-ipvs0 dummy interface. */
export function addressCommands(addresses: readonly string[], op: 'add' | 'del' = 'add'): string[][] {
  return addresses.map((a) => ['addr', op, a.includes(':') ? `${a}/128` : `${a}/32`, 'dev', DUMMY_DEVICE]);
}

/**
 * The iptables rules IPVS mode needs (upstream's writeIptablesRules), as restore text for `--noflush`. Rules
 * that match a set are written only when the set has entries, as upstream does.
 */
export function ipvsIptablesText(state: IpvsState, config: ProxyConfig): string {
  const m = masqueradeMark(config.masqueradeBit);
  const has = (set: string) => (state.sets.get(set)?.length ?? 0) > 0;
  const comment = (set: string) => `"${setInfo(set).comment}"`;
  const filterChains = ['KUBE-FORWARD', 'KUBE-NODE-PORT', 'KUBE-PROXY-FIREWALL', 'KUBE-SOURCE-RANGES-FIREWALL', 'KUBE-IPVS-FILTER', 'KUBE-IPVS-OUT-FILTER'];
  const natChains = ['KUBE-SERVICES', 'KUBE-POSTROUTING', 'KUBE-NODE-PORT', 'KUBE-LOAD-BALANCER', 'KUBE-MARK-MASQ'];
  const filter: string[] = [];
  const nat: string[] = ['-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN'];
  for (const r of SET_RULES) {
    if (!has(r.set)) continue;
    const line = `-A ${r.from}${r.proto ? ` -p ${r.proto}` : ''} -m comment --comment ${comment(r.set)} -m set --match-set ${r.set} ${r.match} -j ${r.to}`;
    (r.table === 'filter' ? filter : nat).push(line);
  }
  if (has('KUBE-CLUSTER-IP')) {
    const head = `-A KUBE-SERVICES -m comment --comment ${comment('KUBE-CLUSTER-IP')} -m set --match-set KUBE-CLUSTER-IP`;
    nat.push(config.clusterCIDR === '' ? `${head} dst,dst -j KUBE-MARK-MASQ` : `${head} dst,dst ! -s ${config.clusterCIDR} -j KUBE-MARK-MASQ`);
  }
  const externalRules = (head: string): void => {
    // Accept external-IP traffic from off the machine (not bridged, not local) and traffic to local addresses.
    nat.push(`${head} -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT`);
    nat.push(`${head} -m addrtype --dst-type LOCAL -j ACCEPT`);
  };
  if (has('KUBE-EXTERNAL-IP')) {
    const head = `-A KUBE-SERVICES -m comment --comment ${comment('KUBE-EXTERNAL-IP')} -m set --match-set KUBE-EXTERNAL-IP dst,dst`;
    nat.push(`${head} -j KUBE-MARK-MASQ`);
    externalRules(head);
  }
  if (has('KUBE-EXTERNAL-IP-LOCAL')) {
    externalRules(`-A KUBE-SERVICES -m comment --comment ${comment('KUBE-EXTERNAL-IP-LOCAL')} -m set --match-set KUBE-EXTERNAL-IP-LOCAL dst,dst`);
  }
  nat.push('-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT');
  nat.push('-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ');
  filter.push('-A KUBE-SOURCE-RANGES-FIREWALL -j DROP');
  for (const set of ['KUBE-CLUSTER-IP', 'KUBE-LOAD-BALANCER']) {
    if (has(set)) nat.push(`-A KUBE-SERVICES -m set --match-set ${set} dst,dst -j ACCEPT`);
  }
  filter.push(`-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${m}/${m} -j ACCEPT`);
  filter.push('-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
  filter.push(`-A KUBE-NODE-PORT -m comment --comment ${comment('KUBE-HEALTH-CHECK-NODE-PORT')} -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j ACCEPT`);
  for (const set of ['KUBE-LOAD-BALANCER', 'KUBE-CLUSTER-IP', 'KUBE-EXTERNAL-IP', 'KUBE-EXTERNAL-IP-LOCAL']) {
    filter.push(`-A KUBE-IPVS-FILTER -m set --match-set ${set} dst,dst -j RETURN`);
  }
  filter.push('-A KUBE-IPVS-FILTER -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j RETURN');
  filter.push('-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT');
  nat.push(`-A KUBE-POSTROUTING -m mark ! --mark ${m}/${m} -j RETURN`);
  nat.push(`-A KUBE-POSTROUTING -j MARK --xor-mark ${m}`);
  nat.push('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE');
  nat.push(`-A KUBE-MARK-MASQ -j MARK --or-mark ${m}`);
  return [
    '*filter',
    ...filterChains.map((c) => `:${c} - [0:0]`),
    ...filter,
    'COMMIT',
    '*nat',
    ...natChains.map((c) => `:${c} - [0:0]`),
    ...nat,
    'COMMIT',
    '',
  ].join('\n');
}

/** The jumps IPVS mode needs from built-in chains (upstream's iptablesJumpChain), ensured once. */
export const IPVS_JUMPS: Array<{ table: 'nat' | 'filter'; from: string; to: string; comment: string }> = [
  { table: 'nat', from: 'OUTPUT', to: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'nat', from: 'PREROUTING', to: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'nat', from: 'POSTROUTING', to: 'KUBE-POSTROUTING', comment: 'kubernetes postrouting rules' },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-FORWARD', comment: 'kubernetes forwarding rules' },
  { table: 'filter', from: 'INPUT', to: 'KUBE-NODE-PORT', comment: 'kubernetes health check rules' },
  { table: 'filter', from: 'INPUT', to: 'KUBE-PROXY-FIREWALL', comment: 'kube-proxy firewall rules' },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-PROXY-FIREWALL', comment: 'kube-proxy firewall rules' },
  { table: 'filter', from: 'INPUT', to: 'KUBE-IPVS-FILTER', comment: 'kubernetes ipvs access filter' },
  { table: 'filter', from: 'OUTPUT', to: 'KUBE-IPVS-OUT-FILTER', comment: 'kubernetes ipvs access filter' },
];
