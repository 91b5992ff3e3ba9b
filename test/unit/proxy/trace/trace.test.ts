import { describe, expect, it } from 'vitest';
import { RestoreError, RuleSet, checkJumps, trace } from '../../../../src/dataplane/proxy/trace/index.js';

const RULES = `*filter
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-SERVICES -m comment --comment "ns/empty has no endpoints" -m tcp -p tcp -d 172.30.0.9 --dport 80 -j REJECT
COMMIT
*nat
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-SVC-A - [0:0]
:KUBE-SEP-1 - [0:0]
:KUBE-SEP-2 - [0:0]
:KUBE-SEP-3 - [0:0]
-A KUBE-POSTROUTING -m mark ! --mark 0x00004000/0x00004000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x00004000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000
-A KUBE-SERVICES -m comment --comment "ns/a cluster IP" -m tcp -p tcp -d 172.30.0.1 --dport 80 -j KUBE-SVC-A
-A KUBE-SVC-A -m comment --comment "ns/a cluster IP" -m tcp -p tcp -d 172.30.0.1 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-A -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-1
-A KUBE-SVC-A -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-2
-A KUBE-SVC-A -j KUBE-SEP-3
-A KUBE-SEP-1 -s 10.1.0.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-1 -m tcp -p tcp -j DNAT --to-destination 10.1.0.1:8080
-A KUBE-SEP-2 -s 10.1.0.2 -j KUBE-MARK-MASQ
-A KUBE-SEP-2 -m tcp -p tcp -j DNAT --to-destination 10.1.0.2:8080
-A KUBE-SEP-3 -s 10.1.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-3 -m tcp -p tcp -j DNAT --to-destination 10.1.0.3:8080
COMMIT
`;

describe('trace', () => {
  it('follows every statistic branch: three endpoints at 1/3 each', () => {
    const r = trace(RULES, { src: '10.2.0.5', dst: '172.30.0.1', dport: 80 });
    expect(r.outcomes.map((o) => o.endpoint).sort()).toEqual(['10.1.0.1:8080', '10.1.0.2:8080', '10.1.0.3:8080']);
    for (const o of r.outcomes) {
      expect(o.verdict).toBe('DNAT');
      expect(o.probability).toBeCloseTo(1 / 3, 9);
      expect(o.masquerade).toBe(false);
    }
    expect(r.outcomes[0]!.chains).toContain('KUBE-SVC-A');
  });

  it('masquerades off-cluster sources and hairpin traffic', () => {
    const off = trace(RULES, { src: '192.0.2.1', dst: '172.30.0.1', dport: 80 });
    expect(off.outcomes.every((o) => o.masquerade)).toBe(true);
    const hairpin = trace(RULES, { src: '10.1.0.2', dst: '172.30.0.1', dport: 80 });
    const self = hairpin.outcomes.find((o) => o.endpoint === '10.1.0.2:8080')!;
    expect(self.masquerade).toBe(true);
    expect(hairpin.outcomes.find((o) => o.endpoint === '10.1.0.1:8080')!.masquerade).toBe(false);
  });

  it('rejects a service without endpoints and leaves other traffic alone', () => {
    expect(trace(RULES, { src: '10.2.0.5', dst: '172.30.0.9', dport: 80 }).outcomes).toMatchObject([{ verdict: 'REJECT', probability: 1 }]);
    expect(trace(RULES, { src: '10.2.0.5', dst: '172.30.0.1', dport: 81 }).outcomes).toMatchObject([{ verdict: 'ACCEPT', probability: 1 }]);
    expect(trace(RULES, { src: '10.2.0.5', dst: '172.30.0.1', dport: 80, proto: 'udp' }).outcomes).toMatchObject([{ verdict: 'ACCEPT' }]);
  });

  it('works on a RuleSet edited by a partial restore', () => {
    const rs = RuleSet.parse(RULES);
    rs.apply(`*nat
:KUBE-SVC-A - [0:0]
:KUBE-SEP-2 - [0:0]
:KUBE-SEP-3 - [0:0]
-A KUBE-SVC-A -j KUBE-SEP-1
-X KUBE-SEP-2
-X KUBE-SEP-3
COMMIT
`);
    const r = trace(rs, { src: '10.2.0.5', dst: '172.30.0.1', dport: 80 });
    expect(r.outcomes).toMatchObject([{ verdict: 'DNAT', endpoint: '10.1.0.1:8080', probability: 1 }]);
  });
});

describe('RuleSet.apply', () => {
  it('rejects what iptables-restore rejects', () => {
    const rs = RuleSet.parse(RULES);
    expect(() => rs.apply('*nat\n-X KUBE-SEP-1\nCOMMIT\n')).toThrow(/not empty/);
    expect(() => rs.apply('*nat\n:KUBE-SEP-1 - [0:0]\n-X KUBE-SEP-1\nCOMMIT\n')).toThrow(/referenced/);
    expect(() => rs.apply('*nat\n-A KUBE-SERVICES -j KUBE-SVC-NOPE\nCOMMIT\n')).toThrow(RestoreError);
    expect(() => rs.apply('*filter\n-D KUBE-SERVICES -j ACCEPT\nCOMMIT\n')).toThrow(/no rule/);
    expect(() => rs.apply('*filter\n-A KUBE-SERVICES -j ACCEPT\n')).toThrow(/not committed/);
  });

  it('-I with a position inserts there; -D removes the matching rule', () => {
    const rs = RuleSet.parse(RULES);
    rs.apply('*nat\n-I KUBE-SERVICES 1 -d 1.2.3.4 -j KUBE-SVC-A\nCOMMIT\n');
    expect(rs.chain('nat', 'KUBE-SERVICES')![0]!.spec).toBe('-d 1.2.3.4 -j KUBE-SVC-A');
    rs.apply('*nat\n-D KUBE-SERVICES -d 1.2.3.4 -j KUBE-SVC-A\nCOMMIT\n');
    expect(rs.chain('nat', 'KUBE-SERVICES')!.length).toBe(1);
  });
});

describe('checkJumps', () => {
  it('accepts a consistent ruleset', () => {
    expect(checkJumps(RULES)).toEqual([]);
  });

  it('reports jumps to undeclared chains with their line', () => {
    const bad = RULES.replace(':KUBE-SEP-3 - [0:0]\n', '');
    const errors = checkJumps(bad);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/KUBE-SEP-3/);
  });

  it('counts chains already in the kernel for partial texts', () => {
    const partial = '*nat\n-A KUBE-SVC-A -j KUBE-SEP-1\nCOMMIT\n';
    expect(checkJumps(partial)).toHaveLength(1);
    expect(checkJumps(partial, RuleSet.parse(RULES))).toEqual([]);
  });
});

describe('foreign rules', () => {
  it('matches it does not model are assumed to hold and reported; multiport is modelled', () => {
    const rules = `*nat
:KUBE-SERVICES - [0:0]
-A PREROUTING -i eth0 -m limit --limit 5/sec -j KUBE-SERVICES
-A KUBE-SERVICES -p tcp -m multiport --dports 8000:8100,9000 -j DNAT --to-destination 10.9.9.9:80
COMMIT
`;
    const hit = trace(rules, { src: '1.1.1.1', dst: '2.2.2.2', dport: 9000 });
    expect(hit.outcomes).toMatchObject([{ verdict: 'DNAT', endpoint: '10.9.9.9:80' }]);
    expect(hit.warnings).toEqual(['--limit 5/sec assumed to match']);
    expect(trace(rules, { src: '1.1.1.1', dst: '2.2.2.2', dport: 8500 }).outcomes).toMatchObject([{ verdict: 'ACCEPT' }]);
  });
});
