/**
 * Where a new connection goes through a compiled nft layout (upstream or flat), by interpreting the rule forms
 * the two compilers emit over their structured ruleset: every numgen branch is followed with its probability,
 * masquerade is decided as the kernel would (mark-for-masquerade, hairpin), and packets no rule translates meet
 * the filter-side checks (firewall drop, no-endpoint drop/reject). Not a general nft interpreter: a rule form it
 * does not know is an error, so a compiler change cannot silently escape the differential tests.
 */
import type { NftRuleset } from './ruleset.js';

export interface NftTracePacket {
  src: string;
  dst: string;
  dport: number;
  proto: 'tcp' | 'udp' | 'sctp';
  /** The node itself opened the connection (fib saddr type local; nat OUTPUT). */
  fromNode?: boolean;
}

export interface NftTraceOptions {
  /** Addresses the node owns (fib daddr type local), besides 127.0.0.0/8. */
  localAddresses: string[];
}

export interface NftOutcome {
  verdict: 'DNAT' | 'DROP' | 'REJECT' | 'NONE';
  endpoint?: string;
  masquerade: boolean;
  probability: number;
}

function ip4(s: string): number {
  const p = s.split('.').map(Number);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

export function inCidr(ip: string, cidr: string): boolean {
  const [net, len] = cidr.split('/');
  const bits = len === undefined ? 32 : Number(len);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((ip4(ip) & mask) >>> 0) === ((ip4(net!) & mask) >>> 0);
}

interface State {
  masq: boolean;
  p: number;
}

class Tracer {
  readonly out: NftOutcome[] = [];
  constructor(
    private readonly rs: NftRuleset,
    private readonly pkt: NftTracePacket,
    private readonly opts: NftTraceOptions,
  ) {}

  private lookup(set: string, key: string[]): string | undefined {
    return this.rs.sets.get(set)?.elements.get(key.join(' . '))?.value;
  }

  private isLocalDst(): boolean {
    return !this.pkt.dst.startsWith('127.') && this.opts.localAddresses.includes(this.pkt.dst);
  }

  private finishDnat(st: State, endpoint: string): void {
    const epIP = endpoint.split(':')[0]!;
    // Flat layout: hairpin set of (ip . ip) in postrouting; upstream: the endpoint chain's saddr rule (handled there).
    const hairpin = this.rs.sets.get('hairpin')?.elements.has(`${this.pkt.src} . ${epIP}`) ?? false;
    this.out.push({ verdict: 'DNAT', endpoint, masquerade: st.masq || hairpin, probability: st.p });
  }

  /** Follow one chain; returns false when the packet fell off its end (continue in the caller). */
  chain(name: string, st: State, depth = 0): boolean {
    if (depth > 16) throw new Error(`nft trace: chain depth exceeded at ${name}`);
    const c = this.rs.chains.get(name);
    if (!c) throw new Error(`nft trace: jump to undeclared chain ${name}`);
    const { src, dst, proto, dport } = this.pkt;
    for (const raw of c.rules) {
      const r = raw.replace(/ comment "[^"]*"$/, '');
      let m: RegExpExecArray | null;
      const forThisDest = (mm: RegExpExecArray) => mm[1] === dst && mm[2] === proto && Number(mm[3]) === dport;
      if ((m = /^ip daddr (\S+) (\w+) dport (\d+) ip saddr != (\S+) jump mark-for-masquerade$/.exec(r))) {
        if (forThisDest(m) && !inCidr(src, m[4]!)) st = { ...st, masq: true };
      } else if ((m = /^ip daddr (\S+) (\w+) dport (\d+) jump mark-for-masquerade$/.exec(r))) {
        if (forThisDest(m)) st = { ...st, masq: true };
      } else if (r === 'jump mark-for-masquerade') {
        st = { ...st, masq: true };
      } else if ((m = /^ip saddr != (\S+) jump mark-for-masquerade$/.exec(r))) {
        if (!inCidr(src, m[1]!)) st = { ...st, masq: true };
      } else if ((m = /^ip saddr (\d+\.\d+\.\d+\.\d+) jump mark-for-masquerade$/.exec(r))) {
        if (src === m[1]) st = { ...st, masq: true };
      } else if ((m = /^ip saddr (\S+\/\d+) goto (\S+)$/.exec(r))) {
        if (inCidr(src, m[1]!)) return this.goto(m[2]!, st, depth);
      } else if (r === 'fib saddr type local jump mark-for-masquerade') {
        if (this.pkt.fromNode) st = { ...st, masq: true };
      } else if ((m = /^fib saddr type local goto (\S+)$/.exec(r))) {
        if (this.pkt.fromNode) return this.goto(m[1]!, st, depth);
      } else if ((m = /^goto (\S+)$/.exec(r))) {
        return this.goto(m[1]!, st, depth);
      } else if (/^ip saddr @\S+ goto \S+$/.test(r) || /^update @/.test(r)) {
        // Affinity: a first connection has no entry yet; updates do not change the path.
      } else if ((m = /^numgen random mod (\d+) vmap \{ (.*) \}$/.exec(r))) {
        const n = Number(m[1]);
        for (const part of m[2]!.split(' , ')) {
          const t = /^\d+ : goto (\S+)$/.exec(part.trim());
          if (!t) throw new Error(`nft trace: unknown vmap entry ${part}`);
          this.goto(t[1]!, { ...st, p: st.p / n }, depth);
        }
        return true;
      } else if ((m = /^meta l4proto (\w+) dnat to (\S+)$/.exec(r))) {
        if (m[1] === proto) {
          this.finishDnat(st, m[2]!);
          return true;
        }
      } else if ((m = /^meta l4proto (\w+) dnat ip to ip daddr \. \w+ dport \. numgen random mod (\d+) map @(\S+)$/.exec(r))) {
        if (m[1] !== proto) continue;
        const k = Number(m[2]);
        for (let i = 0; i < k; i++) {
          const v = this.lookup(m[3]!, [dst, String(dport), String(i)]);
          if (v) this.finishDnat({ ...st, p: st.p / k }, v.replace(' . ', ':'));
        }
        return true;
      } else if ((m = /^ct mark set ip saddr \. ip daddr \. \w+ dport map @\S+ goto \S+$/.exec(r))) {
        // Affinity lookup: no entry for a first connection.
      } else if ((m = /^ct mark set numgen random mod (\d+) goto (\S+)$/.exec(r))) {
        const k = Number(m[1]);
        const pick = this.rs.chains.get(m[2]!);
        const dnat = pick?.rules.find((x) => x.includes('dnat ip to'));
        const map = dnat && /map @(\S+)/.exec(dnat)?.[1];
        if (!map) throw new Error(`nft trace: affinity chain ${m[2]} has no dnat map`);
        for (let i = 0; i < k; i++) {
          const v = this.lookup(map, [dst, String(dport), String(i)]);
          if (v) this.finishDnat({ ...st, p: st.p / k }, v.replace(' . ', ':'));
        }
        return true;
      } else if (r === 'ip daddr . meta l4proto . th dport vmap @service-ips-cluster') {
        const v = this.lookup('service-ips-cluster', [dst, proto, String(dport)]);
        if (v) return this.verdict(v, st, depth);
      } else {
        throw new Error(`nft trace: unknown rule form in ${name}: ${r}`);
      }
    }
    return false;
  }

  private goto(target: string, st: State, depth: number): boolean {
    this.chain(target, st, depth + 1);
    return true;
  }

  private verdict(v: string, st: State, depth: number): boolean {
    const m = /^(?:goto|jump) (\S+)$/.exec(v);
    if (!m) throw new Error(`nft trace: unknown verdict ${v}`);
    return this.goto(m[1]!, st, depth);
  }

  run(): NftOutcome[] {
    const { src, dst, proto, dport } = this.pkt;
    const key = [dst, proto, String(dport)];
    // filter prerouting/output at -110: load-balancer source ranges.
    const fw = this.lookup('firewall-ips', key);
    if (fw !== undefined) {
      const rule = this.rs.chains.get(/^goto (\S+)$/.exec(fw)![1]!)!.rules[0]!;
      const ranges = /\{ (.*) \}/.exec(rule)![1]!.split(', ');
      if (!ranges.some((r) => inCidr(src, r))) return [{ verdict: 'DROP', masquerade: false, probability: 1 }];
    }
    if (this.rs.sets.get('firewall-dests')?.elements.has(key.join(' . '))) {
      const allowed = [...this.rs.sets.get('firewall-allow')!.elements.values()].some(
        (e) => e.key.slice(0, 3).join(' . ') === key.join(' . ') && inCidr(src, e.key[3]!),
      );
      if (!allowed) return [{ verdict: 'DROP', masquerade: false, probability: 1 }];
    }
    // nat prerouting/output → services.
    const start: State = { masq: false, p: 1 };
    const v = this.lookup('service-ips', key);
    if (v !== undefined) this.verdict(v, start, 0);
    else if (this.isLocalDst() && this.rs.sets.has('service-nodeports')) {
      const np = this.lookup('service-nodeports', [proto, String(dport)]);
      if (np !== undefined) this.verdict(np, start, 0);
    }
    const translated = this.out.reduce((s, o) => s + o.probability, 0);
    const rest = 1 - translated;
    if (rest > 1e-9) {
      // Untranslated share: the filter hooks' no-endpoint checks.
      let nv = this.lookup('no-endpoint-services', key);
      if (nv === undefined && this.isLocalDst() && this.rs.sets.has('no-endpoint-nodeports')) nv = this.lookup('no-endpoint-nodeports', [proto, String(dport)]);
      const verdict = nv === undefined ? 'NONE' : nv === 'drop' ? 'DROP' : nv === 'goto reject-chain' ? 'REJECT' : null;
      if (verdict === null) throw new Error(`nft trace: unknown no-endpoint verdict ${nv}`);
      if (verdict === 'NONE' && this.rs.sets.get('cluster-ips')?.elements.has(dst)) this.out.push({ verdict: 'REJECT', masquerade: false, probability: rest });
      else this.out.push({ verdict, masquerade: false, probability: rest });
    }
    return this.out;
  }
}

export function traceNft(rs: NftRuleset, packet: NftTracePacket, opts: NftTraceOptions): NftOutcome[] {
  return new Tracer(rs, packet, opts).run();
}
