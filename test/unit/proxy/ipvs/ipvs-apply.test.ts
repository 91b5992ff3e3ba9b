/**
 * Pure parts of the IPVS apply layer: the missing-ip_vs detection message, and the chain-level iptables diff
 * (differing chains rewritten whole and in order, matching ones not sent).
 */
import { describe, expect, it } from 'vitest';
import { ipsetUnavailableReason, ipvsUnavailableReason, savedSetNames } from '../../../../src/dataplane/proxy/apply/ipvs.js';
import { diffIpvsChains, ipvsJumpRules } from '../../../../src/dataplane/proxy/apply/ipvs-iptables.js';
import { parseRestore } from '../../../../src/dataplane/proxy/apply/iptables.js';
import { compileIpvs, ipvsIptablesText } from '../../../../src/dataplane/proxy/ipvs/index.js';
import { syntheticModel } from '../../../../src/dataplane/proxy/compiler/synthetic.js';
import type { ProxyConfig } from '../../../../src/dataplane/proxy/model.js';

// What ipvsadm 1.31 prints in a namespace of a kernel built without IP_VS (this machine's).
const NO_IPVS = "Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?\n";

describe('ip_vs detection', () => {
  it('names the missing kernel module and the way out', () => {
    const msg = ipvsUnavailableReason({ code: 2, stdout: '', stderr: NO_IPVS }, 'netns n1');
    expect(msg).toContain('ip_vs kernel module');
    expect(msg).toContain('netns n1');
    expect(msg).toContain('Protocol not available');
    expect(msg).toMatch(/modprobe ip_vs/);
    expect(msg).toMatch(/--mode iptables or nftables/);
  });

  it('a missing ipvsadm tool is told apart from a missing module', () => {
    const msg = ipvsUnavailableReason({ code: 255, stdout: '', stderr: 'exec of "ipvsadm" failed: No such file or directory\n' }, 'netns n1');
    expect(msg).toMatch(/needs the ipvsadm tools/);
    expect(msg).not.toContain('kernel module');
  });

  it('success means available; other failures are reported as they are', () => {
    expect(ipvsUnavailableReason({ code: 0, stdout: 'IP Virtual Server version 1.2.1\n', stderr: '' }, 'x')).toBeNull();
    expect(ipvsUnavailableReason({ code: 1, stdout: '', stderr: 'Memory allocation problem\n' }, 'x')).toMatch(/failed in x \(exit 1\): Memory allocation problem/);
    expect(ipsetUnavailableReason({ code: 0, stdout: '', stderr: '' }, 'x')).toBeNull();
    expect(ipsetUnavailableReason({ code: 1, stdout: '', stderr: 'ipset v7.17: Kernel error received: Operation not supported\n' }, 'x')).toMatch(/ip_set kernel module/);
  });

  it('reads set names from ipset save', () => {
    expect(savedSetNames('create A hash:ip family inet\nadd A 1.2.3.4\ncreate B bitmap:port range 0-65535\n')).toEqual(new Set(['A', 'B']));
  });
});

describe('IPVS-mode iptables diff', () => {
  const config: ProxyConfig = { clusterCIDR: '10.0.0.0/8', nodeIPs: ['192.168.0.2'], masqueradeBit: 14 };
  const model = syntheticModel(40, { seed: 5, nodeIP: '192.168.0.2', endpoints: [0, 4] });
  const full = ipvsIptablesText(compileIpvs(model, config), config);
  const want = parseRestore(full, () => true);

  it('from nothing, every chain is declared and filled in order', () => {
    const empty = parseRestore('');
    const d = diffIpvsChains(empty, want);
    // The diff, restored over nothing, gives back exactly the wanted chains (order inside a chain kept).
    expect(parseRestore(d.text, () => true)).toEqual(want);
    expect(d.chains.length).toBe([...want.values()].reduce((n, t) => n + t.size, 0));
  });

  it('equal chains send nothing; the same rules spelled as iptables-save prints them count as equal', () => {
    expect(diffIpvsChains(want, want)).toEqual({ text: '', chains: [] });
    const saved = full.replace('--or-mark 0x00004000', '--set-xmark 0x4000/0x4000').replace('--xor-mark 0x00004000', '--set-xmark 0x4000/0x0');
    expect(saved).not.toBe(full);
    expect(diffIpvsChains(parseRestore(saved, () => true), want).text).toBe('');
  });

  it('a set turning non-empty rewrites only the chains whose rules depend on it, whole and in order', () => {
    const noLb = model.map((sp) => ({ ...sp, loadBalancerIPs: [], loadBalancerSourceRanges: [] }));
    const before = parseRestore(ipvsIptablesText(compileIpvs(noLb, config), config), () => true);
    const d = diffIpvsChains(before, want);
    // LB sets feed KUBE-SERVICES (jump), KUBE-LOAD-BALANCER (Local RETURN) and the source-range firewall chains.
    expect(d.chains.sort()).toEqual(['filter/KUBE-PROXY-FIREWALL', 'filter/KUBE-SOURCE-RANGES-FIREWALL', 'nat/KUBE-LOAD-BALANCER', 'nat/KUBE-SERVICES']);
    expect(d.text).not.toContain(':KUBE-POSTROUTING');
    expect(d.text).not.toContain(':KUBE-FORWARD');
    const natSvc = want.get('nat')!.get('KUBE-SERVICES')!;
    const lines = d.text.split('\n').filter((l) => l.startsWith('-A KUBE-SERVICES '));
    expect(lines.map((l) => l.slice('-A KUBE-SERVICES '.length))).toEqual(natSvc);
    // The loopback RETURN stays first, the masquerade mark stays ahead of the ACCEPT (order is meaning here).
    expect(natSvc[0]).toBe('-s 127.0.0.0/8 -j RETURN');
    const mark = natSvc.findIndex((r) => r.includes('KUBE-CLUSTER-IP dst,dst ! -s'));
    const accept = natSvc.findIndex((r) => r.includes('KUBE-CLUSTER-IP dst,dst -j ACCEPT'));
    expect(mark).toBeGreaterThan(0);
    expect(accept).toBeGreaterThan(mark);
  });

  it('jump rules come from upstream\'s list, each naming an existing chain of the text', () => {
    const jumps = ipvsJumpRules();
    expect(jumps.length).toBe(9);
    for (const j of jumps) expect(want.get(j.table)!.has(j.dstChain), `${j.table} ${j.dstChain}`).toBe(true);
  });
});
