import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileUpstream } from '../../../../src/dataplane/proxy/nftables/upstream.js';
import { compileFlat } from '../../../../src/dataplane/proxy/nftables/flat.js';
import { renderDiff, renderFull, snapshotOf } from '../../../../src/dataplane/proxy/nftables/ruleset.js';
import { exec } from '../../../../src/dataplane/proxy/apply/exec.js';
import { dataplaneSkipReason, scratchNetns } from '../../../dataplane/netns.js';
import { cfg, ep, overall, sp } from './fixtures.js';

describe('upstream nft layout', () => {
  const rs = compileUpstream(overall(), cfg);
  const text = renderFull(rs);

  it('names chains as upstream does', () => {
    expect(rs.chains.has('service-ULMVA6XW-ns1/svc1/tcp/p80')).toBe(true);
    expect(rs.chains.has('endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80')).toBe(true);
    expect(rs.chains.has('endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80')).toBe(true);
    expect(rs.sets.has('affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80')).toBe(true);
  });

  it('writes upstream rules for a service, its endpoints and its elements', () => {
    expect(rs.chains.get('service-ULMVA6XW-ns1/svc1/tcp/p80')!.rules).toEqual([
      'ip daddr 172.30.0.41 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade',
      'numgen random mod 1 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 }',
    ]);
    expect(rs.chains.get('endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80')!.rules).toEqual([
      'ip saddr 10.180.0.1 jump mark-for-masquerade',
      'meta l4proto tcp dnat to 10.180.0.1:80',
    ]);
    expect(text).toMatch(/add element ip kube-proxy service-ips \{ [^\n]*172\.30\.0\.41 \. tcp \. 80 : goto service-ULMVA6XW-ns1\/svc1\/tcp\/p80/);
    expect(text).toMatch(/add element ip kube-proxy no-endpoint-services \{ [^\n]*172\.30\.0\.46 \. tcp \. 80 comment "ns6\/svc6:p80" : goto reject-chain/);
    // svc2: Local external policy with no local endpoint: short-circuit chain plus drop for outsiders.
    expect(rs.chains.get('external-42NFTM6N-ns2/svc2/tcp/p80')!.rules).toEqual([
      'ip saddr 10.0.0.0/8 goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit pod traffic"',
      'fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"',
      'fib saddr type local goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit local traffic"',
    ]);
    expect(rs.sets.get('no-endpoint-nodeports')!.elements.get('tcp . 3001')!.value).toBe('drop');
    expect(rs.chains.get('service-HVFWP5L3-ns5/svc5/tcp/p80')!.rules[1]).toBe(
      'ip saddr @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80',
    );
    expect(rs.chains.get('firewall-HVFWP5L3-ns5/svc5/tcp/p80')!.rules).toEqual(['ip saddr != { 203.0.113.0/25 } drop']);
  });

  it('diffs two states into only the changed chains and elements', () => {
    const before = overall();
    const after = overall();
    after[3] = { ...after[3]!, endpoints: [ep('10.180.0.4')] };
    const diff = renderDiff(snapshotOf(compileUpstream(before, cfg)), compileUpstream(after, cfg));
    expect(diff.split('\n').filter(Boolean)).toEqual([
      'flush chain ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80',
      expect.stringMatching(/^add rule ip kube-proxy service-LAUZTJTB-ns4\/svc4\/tcp\/p80 ip daddr 172.30.0.44/),
      expect.stringMatching(/^add rule ip kube-proxy service-LAUZTJTB-ns4\/svc4\/tcp\/p80 numgen random mod 1 vmap/),
      'flush chain ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80',
      'delete chain ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80',
    ]);
    expect(renderDiff(snapshotOf(compileUpstream(after, cfg)), compileUpstream(after, cfg))).toBe('');
  });
});

describe('flat nft layout', () => {
  const rs = compileFlat(overall(), cfg);

  it('keeps the chain count independent of the number of services', () => {
    const many = Array.from({ length: 200 }, (_, i) => sp(i, { clusterIP: `172.31.${i >> 8}.${i & 255}`, name: `m${i}`, endpoints: [ep(`10.1.${i >> 8}.${i & 255}`), ep(`10.2.${i >> 8}.${i & 255}`)] }));
    const few = compileFlat(many.slice(0, 2), cfg);
    const lots = compileFlat(many, cfg);
    expect(lots.chains.size).toBe(few.chains.size);
    expect(lots.sets.get('dst-tcp-2')!.elements.size).toBe(400);
  });

  it('maps each destination to its class chain and backends', () => {
    expect(rs.sets.get('service-ips')!.elements.get('172.30.0.44 . tcp . 80')!.value).toBe('goto int-tcp-2');
    expect(rs.sets.get('service-ips')!.elements.get('192.168.99.33 . tcp . 80')!.value).toBe('goto ext-tcp-2');
    expect(rs.sets.get('dst-tcp-2')!.elements.get('172.30.0.44 . 80 . 1')!.value).toBe('10.180.0.5 . 80');
    expect(rs.chains.get('int-tcp-2')!.rules).toEqual([
      'ip saddr != 10.0.0.0/8 jump mark-for-masquerade',
      'meta l4proto tcp dnat ip to ip daddr . tcp dport . numgen random mod 2 map @dst-tcp-2',
    ]);
    // NodePort: one destination per node IP.
    expect(rs.sets.get('service-ips')!.elements.get('192.168.0.2 . tcp . 3003')!.value).toBe('goto ext-tcp-1');
    // Affinity: svc5 goes through the ct-mark chain with its timeout.
    expect(rs.sets.get('service-ips')!.elements.get('172.30.0.45 . tcp . 80')!.value).toBe('goto int-tcp-1-a10800');
    expect(rs.sets.get('dsta-tcp-1')!.elements.get('172.30.0.45 . 80 . 0')!.value).toBe('10.180.0.3 . 80');
    // Local external policy without local endpoints: pods short-circuit, outsiders dropped.
    expect(rs.sets.get('service-ips')!.elements.get('192.168.99.22 . tcp . 80')!.value).toBe('goto extl-tcp-0');
    expect(rs.sets.get('service-ips-cluster')!.elements.get('192.168.99.22 . tcp . 80')!.value).toBe('goto sc-tcp-1');
    expect(rs.sets.get('no-endpoint-services')!.elements.get('192.168.99.22 . tcp . 80')!.value).toBe('drop');
    expect(rs.sets.get('no-endpoint-services')!.elements.get('172.30.0.46 . tcp . 80')!.value).toBe('goto reject-chain');
    expect(rs.sets.get('firewall-allow')!.elements.has('5.6.7.8 . tcp . 80 . 203.0.113.0/25')).toBe(true);
    expect(rs.sets.get('hairpin')!.elements.has('10.180.0.4 . 10.180.0.4')).toBe(true);
  });

  it('adds a service with map elements only', () => {
    const more = [...overall(), sp(7, { endpoints: [ep('10.180.0.7'), ep('10.180.0.8')] })];
    const diff = renderDiff(snapshotOf(compileFlat(overall(), cfg)), compileFlat(more, cfg));
    expect(diff).not.toMatch(/chain/);
    expect(diff).toContain('add element ip skiff-proxy service-ips { 172.30.0.47 . tcp . 80 : goto int-tcp-2 }');
  });
});

const skip = dataplaneSkipReason();
describe.skipIf(skip !== null)('nft -c accepts both layouts (scratch netns)', () => {
  let ns: { name: string; cleanup: () => void };
  beforeAll(() => {
    ns = scratchNetns('nftc');
  });
  afterAll(() => ns?.cleanup());
  for (const [label, compile] of [['upstream', compileUpstream], ['flat', compileFlat]] as const) {
    it(label, async () => {
      const r = await exec({ netns: ns.name }, 'nft', ['-c', '-f', '-'], renderFull(compile(overall(), cfg)));
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    });
  }
});
if (skip) console.warn(`skipping nft -c checks: ${skip}`);

describe.skipIf(skip !== null)('flat layout diffs apply on top of a loaded table (scratch netns)', () => {
  it('a new class chain can use a backend map loaded by an earlier transaction', async () => {
    const ns = scratchNetns('nftd');
    try {
      const t = { netns: ns.name };
      const one = [sp(1, { endpoints: [ep('10.180.0.1'), ep('10.180.0.2')] })];
      // svc2 joins the same class (K=2) through a new role chain (ext) while dst-tcp-2 already exists.
      const two = [...one, sp(2, { type: 'NodePort', nodePort: 30002, endpoints: [ep('10.180.0.3'), ep('10.180.0.4')] })];
      expect((await exec(t, 'nft', ['-f', '-'], renderFull(compileFlat(one, cfg)))).code).toBe(0);
      const diff = renderDiff(snapshotOf(compileFlat(one, cfg)), compileFlat(two, cfg));
      expect(diff).toContain('add chain ip skiff-proxy ext-tcp-2');
      const r = await exec(t, 'nft', ['-f', '-'], diff);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    } finally {
      ns.cleanup();
    }
  });
});
