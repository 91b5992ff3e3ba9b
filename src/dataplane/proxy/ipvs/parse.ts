/**
 * Reading IPVS-mode text back: ipvsadm-restore lines (full or diff) applied to a table of virtual servers,
 * ipset restore lines applied to sets, and a tracer that combines them with the IPVS-mode iptables rules:
 * nat PREROUTING (masquerade marks by set membership), filter INPUT (firewalls), the IPVS virtual server's
 * round-robin choice among its real servers, then nat POSTROUTING. This kernel has no ip_vs, so this is how
 * IPVS output is proven.
 */
import { RuleSet } from '../trace/ruleset.js';
import { Tracer, type State, type TracePacket } from '../trace/trace.js';
import { IPVS_JUMPS, vsKey, type IpvsState, type VirtualServer } from './compile.js';
import { SETS } from './sets.js';

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  if (i < 0) throw new Error(`address ${s} has no port`);
  return [s.slice(0, i).replace(/^\[|\]$/g, ''), Number(s.slice(i + 1))];
}

/** Applies ipvsadm-restore text to `table` (a new one when omitted); throws on lines ipvsadm would reject. */
export function parseIpvsadm(text: string, table = new Map<string, VirtualServer>()): Map<string, VirtualServer> {
  for (const [n, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const w = line.split(/\s+/);
    const cmd = w[0];
    const pflag = w[1];
    const protocol = pflag === '-t' ? 'tcp' : pflag === '-u' ? 'udp' : pflag === '--sctp-service' ? 'sctp' : null;
    if (!protocol) throw new Error(`line ${n + 1}: unknown service type ${pflag}`);
    const [address, port] = splitHostPort(w[2] ?? '');
    const key = vsKey(protocol, address, port);
    const opt = (f: string) => {
      const i = w.indexOf(f);
      return i >= 0 ? w[i + 1] : undefined;
    };
    const vs = table.get(key);
    switch (cmd) {
      case '-A':
      case '-E': {
        if (cmd === '-A' && vs) throw new Error(`line ${n + 1}: service ${key} exists`);
        if (cmd === '-E' && !vs) throw new Error(`line ${n + 1}: no service ${key}`);
        table.set(key, {
          protocol, address, port,
          scheduler: opt('-s') ?? 'wlc',
          persistence: opt('-p') !== undefined ? Number(opt('-p')) : 0,
          reals: vs?.reals ?? [],
          service: vs?.service ?? '',
        });
        break;
      }
      case '-D':
        if (!vs) throw new Error(`line ${n + 1}: no service ${key}`);
        table.delete(key);
        break;
      case '-a':
      case '-d': {
        if (!vs) throw new Error(`line ${n + 1}: no service ${key}`);
        const [ip, rport] = splitHostPort(opt('-r') ?? '');
        const i = vs.reals.findIndex((r) => r.ip === ip && r.port === rport);
        if (cmd === '-a') {
          if (i >= 0) throw new Error(`line ${n + 1}: destination ${ip}:${rport} exists`);
          if (!w.includes('-m')) throw new Error(`line ${n + 1}: real server not in masquerade mode`);
          vs.reals.push({ ip, port: rport });
        } else {
          if (i < 0) throw new Error(`line ${n + 1}: no destination ${ip}:${rport}`);
          vs.reals.splice(i, 1);
        }
        break;
      }
      default:
        throw new Error(`line ${n + 1}: unknown command ${cmd}`);
    }
  }
  return table;
}

/** Applies `ipset restore` text (create/add/del) to `sets`. */
export function parseIpset(text: string, sets = new Map<string, string[]>()): Map<string, string[]> {
  // Membership by hash: `ipset save` of a large node has hundreds of thousands of entries.
  const index = new Map<string, Set<string>>();
  const members = (name: string, set: string[]): Set<string> => {
    let m = index.get(name);
    if (!m) index.set(name, (m = new Set(set)));
    return m;
  };
  for (const [n, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const [cmd, name, entry] = line.split(/\s+/);
    if (!name) throw new Error(`line ${n + 1}: missing set name`);
    if (cmd === 'create') {
      if (!sets.has(name)) sets.set(name, []);
      continue;
    }
    const set = sets.get(name);
    if (!set) throw new Error(`line ${n + 1}: set ${name} does not exist`);
    if (!entry) throw new Error(`line ${n + 1}: missing entry`);
    const m = members(name, set);
    if (cmd === 'add') {
      if (!m.has(entry)) {
        set.push(entry);
        m.add(entry);
      }
    } else if (cmd === 'del') {
      if (!m.has(entry)) throw new Error(`line ${n + 1}: ${entry} is not in ${name}`);
      set.splice(set.indexOf(entry), 1);
      m.delete(entry);
    } else throw new Error(`line ${n + 1}: unknown command ${cmd}`);
  }
  return sets;
}

/**
 * The kernel's current IPVS state from `ipvsadm-save -n`, `ipset save` and the addresses on kube-ipvs0, in the
 * shape diffIpvs takes: a resync diffs it against the compiled state instead of reloading everything. Sets
 * that are not kube-proxy's are ignored.
 */
export function ipvsStateFromSave(ipvsadmSave: string, ipsetSave: string, addresses: readonly string[]): IpvsState {
  const parsed = parseIpset(ipsetSave.split('\n').filter((l) => !l.startsWith('#')).join('\n'));
  const sets = new Map<string, string[]>();
  for (const s of SETS) sets.set(s.name, [...(parsed.get(s.name) ?? [])].sort());
  return { virtualServers: parseIpvsadm(ipvsadmSave), sets, addresses: [...addresses].sort() };
}

export interface IpvsTraceOutcome {
  /** DNAT: a real server; NO-ENDPOINTS: a virtual server without real servers; DROP/REJECT: iptables; ACCEPT: not a service. */
  verdict: 'DNAT' | 'NO-ENDPOINTS' | 'DROP' | 'REJECT' | 'ACCEPT';
  endpoint?: string;
  masquerade: boolean;
  probability: number;
  persistence: number;
}

const JUMPS = IPVS_JUMPS.map((j) => ({ table: j.table, srcChain: j.from, args: ['-m', 'comment', '--comment', j.comment, '-j', j.to] }));

/** Where a new connection goes in IPVS mode. `localAddresses` must include the node IPs (VIPs are added). */
export function traceIpvs(
  iptables: string | RuleSet,
  vss: ReadonlyMap<string, VirtualServer>,
  sets: ReadonlyMap<string, readonly string[]>,
  packet: TracePacket,
  opts: { localAddresses?: string[]; addresses?: readonly string[] } = {},
): IpvsTraceOutcome[] {
  const rs = typeof iptables === 'string' ? RuleSet.parse(iptables) : iptables;
  // VIPs live on kube-ipvs0, so they are local addresses too.
  const local = [...(opts.localAddresses ?? []), ...(opts.addresses ?? [])];
  const t = new Tracer(rs, { localAddresses: local, ipsets: sets, jumps: JUMPS });
  const proto = packet.proto ?? 'tcp';
  const start: State = { src: packet.src, dst: packet.dst, dport: packet.dport, proto, mark: 0, masquerade: false, chains: [] };
  const out: IpvsTraceOutcome[] = [];
  for (const pre of t.walk('nat', 'PREROUTING', start, 1)) {
    for (const f of t.walk('filter', 'INPUT', pre.st, pre.p)) {
      if (f.verdict === 'DROP' || f.verdict === 'REJECT') {
        out.push({ verdict: f.verdict, masquerade: false, probability: f.p, persistence: 0 });
        continue;
      }
      const vs = vss.get(vsKey(proto, f.st.dst, f.st.dport));
      if (!vs) {
        out.push({ verdict: 'ACCEPT', masquerade: false, probability: f.p, persistence: 0 });
        continue;
      }
      if (vs.reals.length === 0) {
        out.push({ verdict: 'NO-ENDPOINTS', masquerade: false, probability: f.p, persistence: vs.persistence });
        continue;
      }
      for (const r of vs.reals) {
        const st: State = { ...f.st, dst: r.ip, dport: r.port };
        let masq = false;
        for (const post of t.walk('nat', 'POSTROUTING', st, 1)) if (post.st.masquerade) masq = true;
        out.push({ verdict: 'DNAT', endpoint: `${r.ip}:${r.port}`, masquerade: masq, probability: f.p / vs.reals.length, persistence: vs.persistence });
      }
    }
  }
  return out;
}
