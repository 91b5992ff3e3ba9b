/**
 * The flat layout against upstream's: for random service sets and probe packets (pod, outside and node-local
 * sources; ClusterIPs, external and load-balancer IPs, NodePorts, unknown destinations), both give the same
 * outcomes with the same probabilities and the same masquerade decisions.
 */
import { describe, expect, it } from 'vitest';
import { compileFlat } from '../../../../src/dataplane/proxy/nftables/flat.js';
import { compileUpstream } from '../../../../src/dataplane/proxy/nftables/upstream.js';
import { traceNft, type NftOutcome, type NftTracePacket } from '../../../../src/dataplane/proxy/nftables/trace.js';
import { syntheticModel } from '../../../../src/dataplane/proxy/compiler/synthetic.js';
import type { ProxyConfig, ServicePortInfo } from '../../../../src/dataplane/proxy/model.js';
import { createReferenceIptablesCompiler } from '../../../../src/dataplane/proxy/compiler/index.js';
import { RuleSet, trace } from '../../../../src/dataplane/proxy/trace/index.js';
import { cfg, ep, overall, sp } from './fixtures.js';

function summary(outs: Array<Pick<NftOutcome, 'endpoint' | 'masquerade' | 'probability'> & { verdict: string }>): string[] {
  const m = new Map<string, number>();
  for (const o of outs) {
    // The iptables tracer's ACCEPT is "no service rule applied", the nft tracer's NONE.
    const v = o.verdict === 'ACCEPT' ? 'NONE' : o.verdict;
    const k = `${v}${o.endpoint ? ' ' + o.endpoint : ''}${o.masquerade ? ' masq' : ''}`;
    m.set(k, (m.get(k) ?? 0) + o.probability);
  }
  return [...m].map(([k, p]) => `${k} p=${p.toFixed(6)}`).sort();
}

function probes(model: ServicePortInfo[], c: ProxyConfig): NftTracePacket[] {
  const sources: Array<Pick<NftTracePacket, 'src' | 'fromNode'>> = [
    { src: '10.1.2.3' }, // a pod (inside 10.0.0.0/8)
    { src: '203.0.113.200' }, // outside, not in the synthetic source ranges' first half
    { src: '203.0.113.5' },
    { src: c.nodeIPs[0]!, fromNode: true },
  ];
  const out: NftTracePacket[] = [];
  for (const s of model) {
    const p = s.protocol.toLowerCase() as NftTracePacket['proto'];
    const dests: Array<[string, number]> = [[s.clusterIP, s.port], ...[...s.externalIPs, ...s.loadBalancerIPs].map((a): [string, number] => [a, s.port])];
    if (s.nodePort) dests.push([c.nodeIPs[0]!, s.nodePort]);
    if (s.endpoints[0]) out.push({ src: s.endpoints[0].ip, dst: s.clusterIP, dport: s.port, proto: p }); // hairpin
    for (const [dst, dport] of dests) for (const src of sources) out.push({ ...src, dst, dport, proto: p });
  }
  out.push({ src: '10.1.2.3', dst: '172.30.255.254', dport: 80, proto: 'tcp' });
  return out;
}

function compare(model: ServicePortInfo[], c: ProxyConfig): number {
  const up = compileUpstream(model, c);
  const flat = compileFlat(model, c);
  let n = 0;
  for (const pkt of probes(model, c)) {
    const opts = { localAddresses: c.nodeIPs };
    const a = summary(traceNft(up, pkt, opts));
    const b = summary(traceNft(flat, pkt, opts));
    expect({ pkt, flat: b }).toEqual({ pkt, flat: a });
    n++;
  }
  return n;
}

describe('flat layout ≡ upstream layout (nft trace)', () => {
  it('on the upstream-shaped fixture', () => {
    expect(compare(overall(), cfg)).toBeGreaterThan(20);
  });

  it('the tracer sees what the rules say', () => {
    const up = compileUpstream(overall(), cfg);
    const opts = { localAddresses: cfg.nodeIPs };
    expect(summary(traceNft(up, { src: '10.0.0.2', dst: '172.30.0.44', dport: 80, proto: 'tcp' }, opts))).toEqual([
      'DNAT 10.180.0.4:80 p=0.500000',
      'DNAT 10.180.0.5:80 p=0.500000',
    ]);
    expect(summary(traceNft(up, { src: '192.168.5.5', dst: '172.30.0.41', dport: 80, proto: 'tcp' }, opts))).toEqual(['DNAT 10.180.0.1:80 masq p=1.000000']);
    expect(summary(traceNft(up, { src: '10.0.0.2', dst: '172.30.0.46', dport: 80, proto: 'tcp' }, opts))).toEqual(['REJECT p=1.000000']);
    // Local external policy, no local endpoint: outsiders dropped, pods short-circuited.
    expect(summary(traceNft(up, { src: '192.168.5.5', dst: '192.168.99.22', dport: 80, proto: 'tcp' }, opts))).toEqual(['DROP p=1.000000']);
    expect(summary(traceNft(up, { src: '10.0.0.2', dst: '192.168.99.22', dport: 80, proto: 'tcp' }, opts))).toEqual(['DNAT 10.180.0.2:80 p=1.000000']);
    expect(summary(traceNft(up, { src: '192.168.5.5', dst: '5.6.7.8', dport: 80, proto: 'tcp' }, opts))).toEqual(['DROP p=1.000000']);
    expect(summary(traceNft(up, { src: '203.0.113.7', dst: '5.6.7.8', dport: 80, proto: 'tcp' }, opts))).toEqual(['DNAT 10.180.0.3:80 masq p=1.000000']);
  });

  for (const seed of [1, 2, 3, 4]) {
    it(`on synthetic service sets (seed ${seed})`, () => {
      const c: ProxyConfig = { clusterCIDR: '10.0.0.0/8', nodeIPs: ['192.168.0.2'], masqueradeBit: 14 };
      const model = syntheticModel(150, { seed, empty: 0.1, nodeIP: c.nodeIPs[0] });
      expect(compare(model, c)).toBeGreaterThan(300);
    });
  }

  it('with no cluster CIDR (masquerade all ClusterIP traffic)', () => {
    const c: ProxyConfig = { clusterCIDR: '', nodeIPs: ['192.168.0.2'], masqueradeBit: 14 };
    compare([...overall(), sp(9, { endpoints: [ep('10.180.0.9')], internalTrafficLocal: true })], c);
  });
});

describe('upstream nft layout ≡ iptables layout (nft trace vs the iptables tracer)', () => {
  for (const seed of [1, 2]) {
    it(`on synthetic service sets (seed ${seed})`, () => {
      const c: ProxyConfig = { clusterCIDR: '10.0.0.0/8', nodeIPs: ['192.168.0.2'], masqueradeBit: 14 };
      const model = syntheticModel(150, { seed, empty: 0.1, nodeIP: c.nodeIPs[0] });
      const up = compileUpstream(model, c);
      // Parsed once: every probe walks the same rules (trace() would re-parse restore text per packet).
      const ipt = RuleSet.parse(createReferenceIptablesCompiler(c).full(model).text);
      const lbRanges = new Set(model.filter((s) => s.loadBalancerSourceRanges.length).flatMap((s) => s.loadBalancerIPs.map((a) => `${a}:${s.port}`)));
      let compared = 0;
      for (const pkt of probes(model, c)) {
        const a = summary(traceNft(up, pkt, { localAddresses: c.nodeIPs }));
        const noEndpoints = a.some((x) => x.startsWith('REJECT') || x.startsWith('DROP')) && !a.some((x) => x.startsWith('DNAT'));
        // Known, upstream-faithful differences between the two proxiers, left out:
        // - the node's own connections to a destination without endpoints: nft checks them in filter output,
        //   iptables only on input/forward (the iptables tracer walks OUTPUT alone);
        // - load-balancer IPs with source ranges and no endpoints: nft's firewall (priority -110) drops first,
        //   iptables writes no firewall chain without endpoints and rejects.
        if (noEndpoints && (pkt.fromNode || lbRanges.has(`${pkt.dst}:${pkt.dport}`))) continue;
        const b = summary(trace(ipt, pkt, { hook: pkt.fromNode ? 'OUTPUT' : 'PREROUTING', localAddresses: c.nodeIPs }).outcomes);
        expect({ pkt, nft: a }).toEqual({ pkt, nft: b });
        compared++;
      }
      expect(compared).toBeGreaterThan(400);
    });
  }
});
