/**
 * A packet tracer over iptables rules: where a new connection goes. It walks nat PREROUTING (or OUTPUT for
 * locally generated packets), then the filter chain the packet meets (INPUT, FORWARD or OUTPUT), then nat
 * POSTROUTING, following every `statistic` branch with its probability, and returns the set of outcomes:
 * DNAT to an endpoint (with masquerade or not), DROP, REJECT, or ACCEPT untouched. Built-in chains without
 * rules get kube-proxy's jump rules (the apply layer ensures those apart from the restore text).
 */
import { jumpRules } from '../compiler/jump-rules.js';
import { RuleSet, type Rule, jumpTarget } from './ruleset.js';

export interface TracePacket {
  src: string;
  dst: string;
  dport: number;
  proto?: 'tcp' | 'udp' | 'sctp';
}

export interface TraceOptions {
  /** PREROUTING: the packet arrives on an interface; OUTPUT: a process on the node sends it. Default PREROUTING. */
  hook?: 'PREROUTING' | 'OUTPUT';
  /** Addresses the node owns (addrtype LOCAL), besides 127.0.0.0/8. */
  localAddresses?: string[];
  /** `recent` lists that already hold the source (affinity from an earlier connection). */
  recent?: string[];
  /** ipset contents for `-m set --match-set` (IPVS mode), entries as `ipset list` prints them. */
  ipsets?: ReadonlyMap<string, readonly string[]>;
  /** Jumps assumed in empty built-in chains; default kube-proxy's iptables-mode jumpRules(). */
  jumps?: ReadonlyArray<{ table: string; srcChain: string; args: string[] }>;
}

export interface TraceOutcome {
  verdict: 'DNAT' | 'DROP' | 'REJECT' | 'ACCEPT';
  /** ip:port after DNAT. */
  endpoint?: string;
  masquerade: boolean;
  probability: number;
  /** The `recent` list the connection was added to (ClientIP affinity). */
  affinity?: string;
  /** Chains walked on the most likely path to this outcome. */
  chains: string[];
}

export interface TraceResult {
  outcomes: TraceOutcome[];
  /** Matches the tracer does not model (foreign rules on a real host), each assumed to match; deduplicated. */
  warnings: string[];
}

export interface State {
  src: string;
  dst: string;
  dport: number;
  proto: string;
  mark: number;
  affinity?: string;
  masquerade: boolean;
  chains: string[];
}

export interface Path {
  st: State;
  p: number;
  verdict: 'RETURN' | 'ACCEPT' | 'DROP' | 'REJECT' | 'DNAT';
}

function ip4(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4) return NaN;
  let v = 0;
  for (const x of parts) v = v * 256 + Number(x);
  return v;
}

function inCidr(ip: string, cidr: string): boolean {
  const [a, bits] = cidr.split('/');
  const n = bits === undefined ? 32 : Number(bits);
  const x = ip4(ip);
  const y = ip4(a!);
  if (Number.isNaN(x) || Number.isNaN(y)) return ip === a;
  if (n === 0) return true;
  const d = 2 ** (32 - n);
  return Math.floor(x / d) === Math.floor(y / d);
}

function parseNum(s: string): number {
  return s.startsWith('0x') ? parseInt(s, 16) : Number(s);
}

export class Tracer {
  private readonly local: string[];
  private readonly recent: Set<string>;
  private readonly sets: ReadonlyMap<string, readonly string[]>;
  private readonly jumps: ReadonlyArray<{ table: string; srcChain: string; args: string[] }>;

  readonly warnings = new Set<string>();

  private warn(w: string): void {
    this.warnings.add(w);
  }

  constructor(private readonly rs: RuleSet, opts: TraceOptions) {
    this.local = opts.localAddresses ?? [];
    this.recent = new Set(opts.recent ?? []);
    this.sets = opts.ipsets ?? new Map();
    this.jumps = opts.jumps ?? jumpRules();
  }

  private setMatch(name: string, dirs: string, st: State): boolean {
    const entries = this.sets.get(name);
    if (!entries) throw new Error(`match on unknown ipset ${name}`);
    const parts = dirs.split(',');
    if (parts.length === 1) {
      const v = parts[0] === 'dst' ? st.dst : st.src;
      const port = String(parts[0] === 'dst' ? st.dport : -1);
      return entries.includes(v) || entries.includes(port);
    }
    const key = `${st.dst},${st.proto}:${st.dport}`;
    if (parts.length === 2) return entries.includes(key);
    const third = parts[2] === 'src' ? st.src : st.dst;
    return entries.some((e) => {
      if (!e.startsWith(key + ',')) return false;
      const x = e.slice(key.length + 1);
      return x.includes('/') ? inCidr(third, x) : x === third;
    });
  }

  private isLocal(ip: string): boolean {
    return inCidr(ip, '127.0.0.0/8') || this.local.includes(ip);
  }

  /** Rules of a chain; empty built-in chains get kube-proxy's jumps. */
  private rules(table: string, chain: string): Rule[] {
    const rules = this.rs.chain(table, chain);
    if (rules && rules.length > 0) return rules;
    if (rules === undefined && !['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'].includes(chain)) {
      throw new Error(`jump to missing chain ${table}/${chain}`);
    }
    // Each jump is prepended (iptables -I), so the last one listed ends up first.
    return this.jumps
      .filter((j) => j.table === table && j.srcChain === chain && this.rs.chain(table, jumpTarget(j.args) ?? '') !== undefined)
      .reverse()
      .map((j) => ({ args: j.args, spec: j.args.join(' ') }));
  }

  /** Probability that the rule's matches hold for `st` (statistic gives a fraction), and the state after its set-like matches. */
  private match(args: string[], st: State): { p: number; affinity?: string } {
    let p = 1;
    let affinity: string | undefined;
    let neg = false;
    // `recent` options come in either order (ours: --name then --rcheck; iptables-save: --rcheck … --name).
    let recentOp: 'check' | 'set' | null = null;
    let recentName = 'DEFAULT';
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const v = args[i + 1] ?? '';
      let ok = true;
      switch (a) {
        case '!':
          neg = true;
          continue;
        case '-j':
        case '-g':
          i = args.length;
          continue;
        case '-m':
          i++;
          continue;
        case '-p':
          ok = st.proto === v;
          i++;
          break;
        case '-s':
          ok = inCidr(st.src, v);
          i++;
          break;
        case '-d':
          ok = inCidr(st.dst, v);
          i++;
          break;
        case '--dport':
          ok = st.dport === Number(v);
          i++;
          break;
        case '--comment':
          i++;
          continue;
        case '--dst-type':
          ok = v === 'LOCAL' ? this.isLocal(st.dst) : false;
          i++;
          break;
        case '--src-type':
          ok = v === 'LOCAL' ? this.isLocal(st.src) : false;
          i++;
          break;
        case '--mark': {
          const [val, mask] = v.split('/');
          const m = mask === undefined ? 0xffffffff : parseNum(mask);
          ok = ((st.mark & m) >>> 0) === (parseNum(val!) & m) >>> 0;
          i++;
          break;
        }
        case '--ctstate':
          // Every traced packet opens a new connection.
          ok = v.split(',').includes('NEW');
          i++;
          break;
        case '--mode':
          i++;
          continue;
        case '--probability':
          if (neg) throw new Error('negated statistic is not supported');
          p *= Number(v);
          i++;
          continue;
        case '--name':
          recentName = v;
          i++;
          continue;
        case '--rcheck':
        case '--update':
          recentOp = 'check';
          continue;
        case '--set':
          recentOp = 'set';
          continue;
        case '--reap':
        case '--rsource':
        case '--rdest':
        case '--rttl':
          continue;
        case '--seconds':
        case '--hitcount':
        case '--mask':
          i++;
          continue;
        case '-i':
        case '-o':
          i++;
          continue;
        case '--match-set':
          ok = this.setMatch(v, args[i + 2] ?? '', st);
          i += 2;
          break;
        case '--physdev-is-in':
          // Traced packets do not come through a bridge port.
          ok = false;
          break;
        case '--sport':
          // Traced packets come from an unspecified ephemeral port: only a match on "any" would be exact.
          this.warn(`--sport ${v} assumed to match`);
          i++;
          continue;
        case '--dports':
          ok = v.split(',').some((r) => {
            const [lo, hi] = r.split(':').map(Number);
            return hi === undefined ? st.dport === lo : st.dport >= lo! && st.dport <= hi;
          });
          i++;
          break;
        default: {
          // Options of matches this tracer does not model: assume the match holds, and say so.
          let j = i + 1;
          while (j < args.length && !args[j]!.startsWith('-') && args[j] !== '!') j++;
          this.warn(`${args.slice(i, j).join(' ')} assumed to match`);
          i = j - 1;
          neg = false;
          continue;
        }
      }
      if (neg) ok = !ok;
      neg = false;
      if (!ok) return { p: 0 };
    }
    if (recentOp === 'check' && !this.recent.has(recentName)) return { p: 0 };
    if (recentOp === 'set') affinity = recentName;
    return { p, affinity };
  }

  walk(table: string, chain: string, st: State, p: number, depth = 0): Path[] {
    if (depth > 64) throw new Error(`jump loop through ${table}/${chain}`);
    const done: Path[] = [];
    let active: Array<{ st: State; p: number }> = [{ st: { ...st, chains: [...st.chains, chain] }, p }];
    for (const rule of this.rules(table, chain)) {
      if (active.length === 0) break;
      const next: Array<{ st: State; p: number }> = [];
      const target = jumpTarget(rule.args);
      for (const path of active) {
        const m = this.match(rule.args, path.st);
        if (m.p < 1) next.push({ st: path.st, p: path.p * (1 - m.p) });
        if (m.p <= 0) continue;
        const pp = path.p * m.p;
        const s: State = { ...path.st, affinity: m.affinity ?? path.st.affinity };
        const opt = (name: string): string | undefined => {
          const i = rule.args.indexOf(name);
          return i >= 0 ? rule.args[i + 1] : undefined;
        };
        switch (target) {
          case null:
            next.push({ st: s, p: pp });
            break;
          case 'MARK': {
            const or = opt('--or-mark');
            const xor = opt('--xor-mark');
            const setx = opt('--set-xmark');
            if (or) s.mark = (s.mark | parseNum(or)) >>> 0;
            if (xor) s.mark = (s.mark ^ parseNum(xor)) >>> 0;
            if (setx) {
              const [v, m] = setx.split('/');
              const mask = m === undefined ? 0xffffffff : parseNum(m);
              s.mark = ((s.mark & ~mask) ^ parseNum(v!)) >>> 0;
            }
            next.push({ st: s, p: pp });
            break;
          }
          case 'RETURN':
            done.push({ st: s, p: pp, verdict: 'RETURN' });
            break;
          case 'ACCEPT':
          case 'DROP':
          case 'REJECT':
            done.push({ st: s, p: pp, verdict: target });
            break;
          case 'MASQUERADE':
            s.masquerade = true;
            done.push({ st: s, p: pp, verdict: 'ACCEPT' });
            break;
          case 'DNAT': {
            const to = opt('--to-destination') ?? '';
            const colon = to.lastIndexOf(':');
            s.dst = colon >= 0 ? to.slice(0, colon).replace(/^\[|\]$/g, '') : to;
            if (colon >= 0) s.dport = Number(to.slice(colon + 1));
            done.push({ st: s, p: pp, verdict: 'DNAT' });
            break;
          }
          default:
            for (const sub of this.walk(table, target, s, pp, depth + 1)) {
              if (sub.verdict === 'RETURN') next.push({ st: sub.st, p: sub.p });
              else done.push(sub);
            }
        }
      }
      active = next;
    }
    for (const path of active) done.push({ st: path.st, p: path.p, verdict: 'RETURN' });
    return done.filter((d) => d.p > 0);
  }
}

/** Where `packet` goes under `rules` (restore text, or a RuleSet after partial edits). */
export function trace(rules: string | RuleSet, packet: TracePacket, opts: TraceOptions = {}): TraceResult {
  const rs = typeof rules === 'string' ? RuleSet.parse(rules) : rules;
  const t = new Tracer(rs, opts);
  const hook = opts.hook ?? 'PREROUTING';
  const start: State = {
    src: packet.src,
    dst: packet.dst,
    dport: packet.dport,
    proto: packet.proto ?? 'tcp',
    mark: 0,
    masquerade: false,
    chains: [],
  };
  const merged = new Map<string, TraceOutcome>();
  const add = (o: TraceOutcome): void => {
    const key = `${o.verdict}|${o.endpoint ?? ''}|${o.masquerade}|${o.affinity ?? ''}`;
    const prev = merged.get(key);
    if (prev) {
      if (o.probability > prev.probability) prev.chains = o.chains;
      prev.probability += o.probability;
    } else merged.set(key, o);
  };
  for (const natPath of t.walk('nat', hook, start, 1)) {
    const st = natPath.st;
    const dnat = natPath.verdict === 'DNAT';
    // DNAT and ACCEPT (or falling off) end the nat table; the filter table sees the translated packet.
    const filterChain = hook === 'OUTPUT' ? 'OUTPUT' : isLocalDst(st.dst, opts) ? 'INPUT' : 'FORWARD';
    for (const fp of t.walk('filter', filterChain, st, natPath.p)) {
      if (fp.verdict === 'DROP' || fp.verdict === 'REJECT') {
        add({ verdict: fp.verdict, masquerade: false, probability: fp.p, chains: fp.st.chains });
        continue;
      }
      let masq = false;
      let chains = fp.st.chains;
      for (const pp of t.walk('nat', 'POSTROUTING', fp.st, 1)) {
        if (pp.st.masquerade) masq = true;
        chains = pp.st.chains;
      }
      add({
        verdict: dnat ? 'DNAT' : 'ACCEPT',
        endpoint: dnat ? `${fp.st.dst}:${fp.st.dport}` : undefined,
        masquerade: masq,
        probability: fp.p,
        affinity: fp.st.affinity,
        chains,
      });
    }
  }
  return { outcomes: [...merged.values()].sort((a, b) => b.probability - a.probability), warnings: [...t.warnings] };
}

function isLocalDst(ip: string, opts: TraceOptions): boolean {
  return inCidr(ip, '127.0.0.0/8') || (opts.localAddresses ?? []).includes(ip);
}
