/**
 * The IPVS backend against a real kernel, in a namespace this file creates (`skiff-t-ipvs-…`) and deletes.
 * The ipsets, kube-ipvs0's addresses and the iptables rules are applied for real and read back (`ipset save`,
 * `ip addr`, `iptables-save`). Virtual servers go to the kernel's ipvsadm where it has ip_vs; this kernel has
 * none, so there they go to a table that applies every ipvsadm-restore text with the parser (which rejects
 * what ipvsadm would: a -d of a missing real server, an -A of an existing service, a non-masq real server).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerProxyCommand } from '../../src/cli/proxy.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../src/dataplane/proxy/backends.js';
import { IpvsBackend } from '../../src/dataplane/proxy/apply/ipvs-backend.js';
import { KernelVirtualServers, deviceAddresses, ipsetSave, ipvsUnavailableReason, type VirtualServerTable } from '../../src/dataplane/proxy/apply/ipvs.js';
import { normalizeRule, parseRestore } from '../../src/dataplane/proxy/apply/iptables.js';
import { exec } from '../../src/dataplane/proxy/apply/exec.js';
import { startProxy } from '../../src/dataplane/proxy/start.js';
import {
  compileIpvs, ipvsIptablesText, ipvsStateFromSave, ipvsadmRestoreText, parseIpvsadm, traceIpvs, type IpvsState, type VirtualServer,
} from '../../src/dataplane/proxy/ipvs/index.js';
import type { ProxyConfig, ServicePortInfo } from '../../src/dataplane/proxy/model.js';
import { ProxyAgent, StaticSource } from '../../src/dataplane/proxy/agent.js';
import { dataplaneSkipReason, type Pod } from './netns.js';
import { service, slice } from './fixtures.js';

const skip = dataplaneSkipReason(['ipset', 'ipvsadm', 'ipvsadm-save', 'ipvsadm-restore', 'iptables-restore', 'iptables-save']);
const NODE_IP = '192.168.100.1';
const cfg: ProxyConfig = { clusterCIDR: '10.244.0.0/16', nodeIPs: [NODE_IP], masqueradeBit: 14 };

function svc(name: string, clusterIP: string, eps: string[], extra: Partial<ServicePortInfo> = {}): ServicePortInfo {
  return {
    namespace: 'default', name, portName: 'http', protocol: 'TCP', type: 'ClusterIP', clusterIP, port: 80, nodePort: 0,
    externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], affinityTimeoutSeconds: 0,
    externalTrafficLocal: false, internalTrafficLocal: false, healthCheckNodePort: 0,
    endpoints: eps.map((ip) => ({ ip, port: extra.protocol === 'UDP' ? 5353 : 8080, ready: true, serving: true, terminating: false, isLocal: true })),
    ...extra,
  };
}

const base: ServicePortInfo[] = [
  svc('web', '10.96.0.10', ['10.244.1.10', '10.244.1.11']),
  svc('api', '10.96.0.20', ['10.244.1.12'], { type: 'NodePort', nodePort: 30080 }),
  svc('dns', '10.96.0.53', ['10.244.1.13'], { protocol: 'UDP', port: 53 }),
  svc('sticky', '10.96.0.30', ['10.244.1.14', '10.244.1.15'], { affinityTimeoutSeconds: 10800 }),
  svc('empty', '10.96.0.40', []),
];

/** Virtual servers where the kernel has no ip_vs: each restore text is applied by the parser, as ipvsadm would. */
class ParsedVirtualServers implements VirtualServerTable {
  readonly table = new Map<string, VirtualServer>();
  /** Lines the parser cannot hold (firewall-mark services) that a real ipvsadm-save may print. */
  foreign = '';
  async save(): Promise<string> {
    return ipvsadmRestoreText({ virtualServers: this.table, sets: new Map(), addresses: [] }) + this.foreign;
  }
  async restore(text: string): Promise<void> {
    parseIpvsadm(text, this.table);
  }
}

describe.skipIf(skip !== null).sequential('IPVS backend in a scratch netns', () => {
  const ns = `skiff-t-ipvs-${randomBytes(4).toString('hex')}`;
  const target = { netns: ns };
  const sh = (cmd: string, ...args: string[]) => {
    const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  let hasIpvs = false;
  let deviceType: 'dummy' | 'bridge' = 'dummy';
  let vsTable: VirtualServerTable;
  let backend: IpvsBackend;

  beforeAll(() => {
    spawnSync('ip', ['netns', 'add', ns]);
    // Everything below runs in this fresh namespace, never the host's.
    expect(sh('ip', 'netns', 'identify').trim()).toBe(ns);
    sh('ip', 'link', 'set', 'lo', 'up');
    hasIpvs = ipvsUnavailableReason(spawnSyncResult(ns, 'ipvsadm', ['-Ln']), ns) === null;
    // This kernel has no dummy driver either; a bridge that is never brought up holds addresses the same way
    // (local routes, no traffic of its own), so the address part still runs for real.
    if (spawnSync('ip', ['-n', ns, 'link', 'add', 'skiff-probe', 'type', 'dummy']).status === 0) sh('ip', 'link', 'del', 'skiff-probe');
    else deviceType = 'bridge';
    vsTable = hasIpvs ? new KernelVirtualServers(target) : new ParsedVirtualServers();
    backend = new IpvsBackend({ target, config: cfg, virtualServers: vsTable, deviceType });
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns]);
  });

  async function kernelChains() {
    const out = await Promise.all(['filter', 'nat'].map((t) => exec(target, 'iptables-save', ['-t', t])));
    return parseRestore(out.map((r) => r.stdout).join('\n'));
  }

  /** What the namespace holds equals the compiled state: sets, addresses, iptables chains, virtual servers. */
  async function expectKernel(want: IpvsState): Promise<void> {
    const vsText = (await vsTable.save()).split('\n').filter((l) => !/^-[Aa] -f /.test(l)).join('\n');
    const saved = ipvsStateFromSave(vsText, await ipsetSave(target), await deviceAddresses(target));
    expect(saved.addresses).toEqual(want.addresses);
    for (const [name, entries] of want.sets) expect(saved.sets.get(name), name).toEqual(entries);
    const ours = [...saved.virtualServers].filter(([, v]) => !v.address.startsWith('172.16.'));
    expect(ours.map(([k]) => k).sort()).toEqual([...want.virtualServers.keys()].sort());
    for (const [k, vs] of ours) {
      const w = want.virtualServers.get(k)!;
      expect([vs.scheduler, vs.persistence], k).toEqual([w.scheduler, w.persistence]);
      expect(vs.reals.map((r) => `${r.ip}:${r.port}`).sort(), k).toEqual(w.reals.map((r) => `${r.ip}:${r.port}`).sort());
    }
    const have = await kernelChains();
    const wantChains = parseRestore(ipvsIptablesText(want, cfg), () => true);
    for (const [table, chains] of wantChains) {
      for (const [chain, rules] of chains) expect(have.get(table)!.get(chain)?.map(normalizeRule), `${table} ${chain}`).toEqual(rules.map(normalizeRule));
    }
  }

  it('createBackend refuses ipvs mode without ip_vs, naming the module, and changes nothing', async (ctx) => {
    if (hasIpvs) ctx.skip('this kernel has ip_vs, so there is no refusal to check');
    await expect(createBackend({ mode: 'ipvs', target, config: cfg })).rejects.toThrow(/ipvs mode needs the ip_vs kernel module, which is not available in netns skiff-t-ipvs-/);
    // The agent does not start half-configured either: startProxy fails before serving or syncing.
    await expect(
      startProxy({ client: { server: 'http://127.0.0.1:9' }, mode: 'ipvs', netns: ns, nodeName: 'n1', nodeIPs: [NODE_IP], healthzBindAddress: null, metricsBindAddress: null }),
    ).rejects.toThrow(/ip_vs kernel module/);
    expect(spawnSync('ip', ['-n', ns, 'link', 'show', 'kube-ipvs0']).status).not.toBe(0);
    expect(sh('ipset', 'list', '-n').trim()).toBe('');
    expect(sh('iptables-save')).not.toContain('KUBE-');
  });

  it('`skiff proxy --mode ipvs` reaches the IPVS backend (here: its refusal, one line, exit 1)', async (ctx) => {
    if (hasIpvs) ctx.skip('this kernel has ip_vs; the agent would start and wait for the API server');
    const dir = mkdtempSync(join(tmpdir(), 'skiff-ipvs-'));
    const kc = join(dir, 'kubeconfig');
    writeFileSync(kc, 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "http://127.0.0.1:9"}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {}\ncurrent-context: c\n');
    const errors: string[] = [];
    const origError = console.error;
    console.error = (...a: unknown[]) => void errors.push(a.join(' '));
    try {
      const program = new Command('skiff').exitOverride();
      registerProxyCommand(program);
      await program.parseAsync(['proxy', '--mode', 'ipvs', '--netns', ns, '--kubeconfig', kc, '--node-ip', NODE_IP, '--healthz-bind-address', '127.0.0.1:0', '--metrics-bind-address', '127.0.0.1:0'], { from: 'user' });
      expect(process.exitCode).toBe(1);
    } finally {
      console.error = origError;
      process.exitCode = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^skiff proxy: ipvs mode needs the ip_vs kernel module, which is not available in netns skiff-t-ipvs-/);
  });

  it('first sync: kube-ipvs0, sets, iptables rules and virtual servers, read back from the namespace', async () => {
    const r = await backend.sync(base, true);
    expect(r.full).toBe(true);
    expect(sh('ip', '-d', 'link', 'show', 'kube-ipvs0')).toContain(deviceType);
    await expectKernel(compileIpvs(base, cfg));
    expect(backend.lastSync!.ipvsadm).toBe(ipvsadmRestoreText(compileIpvs(base, cfg)));
    // The jumps from built-in chains are inserted once, however many kernel syncs run.
    await backend.sync(base, true);
    const nat = sh('iptables-save', '-t', 'nat');
    expect(nat.match(/^-A PREROUTING .*-j KUBE-SERVICES$/gm)).toHaveLength(1);
    expect(sh('iptables-save', '-t', 'filter').match(/^-A INPUT .*-j KUBE-IPVS-FILTER$/gm)).toHaveLength(1);
  });

  it('a resync right after finds nothing to change', async () => {
    const r = await backend.sync(base, true);
    expect(r).toEqual({ full: true, bytes: 0 });
  });

  it('one service\'s endpoints change: only -d/-a and its hairpin entries, no address or iptables change', async () => {
    const next = base.map((sp) => (sp.name === 'web' ? svc('web', '10.96.0.10', ['10.244.1.10', '10.244.1.16']) : sp));
    const r = await backend.sync(next, false);
    expect(r.full).toBe(false);
    const s = backend.lastSync!;
    expect(s.ipvsadm).toBe('-d -t 10.96.0.10:80 -r 10.244.1.11:8080\n-a -t 10.96.0.10:80 -r 10.244.1.16:8080 -m -w 1\n');
    // The endpoints are local, so the hairpin set follows them; nothing else changes.
    expect(s.ipset).toBe('del KUBE-LOOP-BACK 10.244.1.11,tcp:8080,10.244.1.11\nadd KUBE-LOOP-BACK 10.244.1.16,tcp:8080,10.244.1.16\n');
    expect([s.iptables, s.addressesToAdd, s.addressesToDel]).toEqual(['', [], []]);
    await expectKernel(compileIpvs(next, cfg));
  });

  it('one service\'s cluster IP changes: -D/-A, set del/add and address del/add for it only', async () => {
    const next = base.map((sp) => (sp.name === 'web' ? svc('web', '10.96.0.11', ['10.244.1.10', '10.244.1.16']) : sp));
    await backend.sync(next, false);
    const s = backend.lastSync!;
    expect(s.ipvsadm.split('\n').filter(Boolean)).toEqual([
      '-D -t 10.96.0.10:80',
      '-A -t 10.96.0.11:80 -s rr',
      '-a -t 10.96.0.11:80 -r 10.244.1.10:8080 -m -w 1',
      '-a -t 10.96.0.11:80 -r 10.244.1.16:8080 -m -w 1',
    ]);
    expect(s.ipset.split('\n').filter(Boolean).sort()).toEqual([
      'add KUBE-CLUSTER-IP 10.96.0.11,tcp:80',
      'add KUBE-IPVS-IPS 10.96.0.11',
      'del KUBE-CLUSTER-IP 10.96.0.10,tcp:80',
      'del KUBE-IPVS-IPS 10.96.0.10',
    ]);
    expect([s.addressesToAdd, s.addressesToDel, s.iptables]).toEqual([['10.96.0.11'], ['10.96.0.10'], '']);
    await expectKernel(compileIpvs(next, cfg));
    base.splice(0, 1, next[0]!);
  });

  it('a LoadBalancer with source ranges arrives: its sets fill and only the chains matching them are rewritten', async () => {
    const lb = svc('lb', '10.96.0.60', ['10.244.1.17'], {
      type: 'LoadBalancer', nodePort: 30090, loadBalancerIPs: ['203.0.113.10'], loadBalancerSourceRanges: ['198.51.100.0/24'],
      externalTrafficLocal: true, healthCheckNodePort: 30091,
    });
    const next = [...base, lb];
    await backend.sync(next, false);
    const s = backend.lastSync!;
    const declared = s.iptables.split('\n').filter((l) => l.startsWith(':')).sort();
    expect(declared).toEqual([':KUBE-LOAD-BALANCER - [0:0]', ':KUBE-NODE-PORT - [0:0]', ':KUBE-PROXY-FIREWALL - [0:0]', ':KUBE-SERVICES - [0:0]', ':KUBE-SOURCE-RANGES-FIREWALL - [0:0]']);
    expect(s.addressesToAdd.sort()).toEqual(['10.96.0.60', '203.0.113.10']);
    expect(s.ipvsadm).not.toContain('10.96.0.20');
    await expectKernel(compileIpvs(next, cfg));
    base.push(lb);
  });

  it('a resync repairs only what drifted, and leaves others\' virtual servers alone', async () => {
    sh('ip', 'addr', 'del', '10.96.0.20/32', 'dev', 'kube-ipvs0');
    sh('ipset', 'del', 'KUBE-CLUSTER-IP', '10.96.0.53,udp:53');
    sh('ipset', 'add', 'KUBE-CLUSTER-IP', '10.96.9.9,tcp:9');
    sh('iptables', '-t', 'nat', '-F', 'KUBE-POSTROUTING');
    await vsTable.restore('-d -t 10.96.0.30:80 -r 10.244.1.14:8080\n-A -t 172.16.0.1:80 -s wlc\n');
    // Someone else's firewall-mark service: read past, never touched.
    const fwmark = '-A -f 100 -s rr\n-a -f 100 -r 10.0.0.1:0 -g -w 1\n';
    if (vsTable instanceof ParsedVirtualServers) vsTable.foreign = fwmark;
    else await exec(target, 'ipvsadm-restore', [], fwmark);
    try {
      await resyncRepairs();
    } finally {
      if (vsTable instanceof ParsedVirtualServers) vsTable.foreign = '';
      else await exec(target, 'ipvsadm', ['-D', '-f', '100']);
    }
  });

  async function resyncRepairs(): Promise<void> {
    const r = await backend.sync(base, true);
    expect(r.full).toBe(true);
    const s = backend.lastSync!;
    expect([s.addressesToAdd, s.addressesToDel]).toEqual([['10.96.0.20'], []]);
    expect(s.ipset).toBe('del KUBE-CLUSTER-IP 10.96.9.9,tcp:9\nadd KUBE-CLUSTER-IP 10.96.0.53,udp:53\n');
    expect(s.ipvsadm).toBe('-a -t 10.96.0.30:80 -r 10.244.1.14:8080 -m -w 1\n');
    expect(s.iptables.split('\n').filter((l) => l.startsWith(':'))).toEqual([':KUBE-POSTROUTING - [0:0]']);
    await expectKernel(compileIpvs(base, cfg));
    expect(await vsTable.save()).toMatch(/^-A -t 172\.16\.0\.1:80 -s wlc$/m);
    expect(await backend.sync(base, true)).toEqual({ full: true, bytes: 0 });
    expect(await vsTable.save()).toContain('-A -f 100 -s rr');
  }

  it('what the namespace holds (iptables-save, ipset save, virtual servers) traces to the right endpoints', async () => {
    const rules = [sh('iptables-save', '-t', 'filter'), sh('iptables-save', '-t', 'nat')].join('\n');
    const kernel = ipvsStateFromSave(await vsTable.save(), await ipsetSave(target), await deviceAddresses(target));
    const trace = (src: string, dst: string, dport: number, proto: 'tcp' | 'udp' = 'tcp') =>
      traceIpvs(rules, kernel.virtualServers, kernel.sets, { src, dst, dport, proto }, { localAddresses: [NODE_IP], addresses: kernel.addresses })
        .map((o) => `${o.verdict}${o.endpoint ? ' ' + o.endpoint : ''}${o.masquerade ? ' masq' : ''} p=${o.probability}${o.persistence ? ` persist=${o.persistence}` : ''}`)
        .sort();
    const POD = '10.244.1.99';
    const OUTSIDE = '198.51.100.7';
    expect(trace(POD, '10.96.0.30', 80)).toEqual(['DNAT 10.244.1.14:8080 p=0.5 persist=10800', 'DNAT 10.244.1.15:8080 p=0.5 persist=10800']);
    expect(trace(OUTSIDE, '10.96.0.11', 80)).toEqual(['DNAT 10.244.1.10:8080 masq p=0.5', 'DNAT 10.244.1.16:8080 masq p=0.5']);
    expect(trace(OUTSIDE, NODE_IP, 30080)).toEqual(['DNAT 10.244.1.12:8080 masq p=1']);
    expect(trace(POD, '10.96.0.53', 53, 'udp')).toEqual(['DNAT 10.244.1.13:5353 p=1']);
    expect(trace(POD, '10.96.0.40', 80)).toEqual(['NO-ENDPOINTS p=1']);
    // Local policy: no masquerade; the source ranges admit 198.51.100.0/24 only.
    expect(trace(OUTSIDE, '203.0.113.10', 80)).toEqual(['DNAT 10.244.1.17:8080 p=1']);
    expect(trace('192.0.2.1', '203.0.113.10', 80)).toEqual(['DROP p=1']);
    // Hairpin: an endpoint reaching its own service through the VIP is masqueraded.
    expect(trace('10.244.1.12', '10.96.0.20', 80)).toEqual(['DNAT 10.244.1.12:8080 masq p=1']);
  });

  it('ipvsadm-save in the kernel reads back the virtual servers', async (ctx) => {
    if (!hasIpvs) ctx.skip('this kernel has no ip_vs: virtual servers were checked only by applying the ipvsadm texts with the parser');
    const saved = parseIpvsadm((await exec(target, 'ipvsadm-save', ['-n'])).stdout);
    const want = compileIpvs(base, cfg);
    for (const [k, vs] of want.virtualServers) expect(saved.get(k)?.reals.length, k).toBe(vs.reals.length);
  });

  it('cleanup removes our virtual servers, chains, jumps, sets and kube-ipvs0', async () => {
    await backend.cleanup();
    expect(spawnSync('ip', ['-n', ns, 'link', 'show', 'kube-ipvs0']).status).not.toBe(0);
    expect(sh('ipset', 'list', '-n').trim()).toBe('');
    expect(sh('iptables-save')).not.toContain('KUBE-');
    expect((await vsTable.save()).trim()).toBe('-A -t 172.16.0.1:80 -s wlc');
  });

  it('the agent drives it: first sync against the kernel, an EndpointSlice change as a partial sync', async () => {
    const agentBackend = new IpvsBackend({ target, config: cfg, virtualServers: vsTable, deviceType });
    const pod = (i: number): Pod => ({ name: `p${i}`, ns: '', ip: `10.244.1.${20 + i}`, node: 1, port: 8080 });
    const source = new StaticSource([service('shop', '10.96.1.1')], [slice('shop', [pod(0), pod(1)])]);
    const agent = new ProxyAgent({ backend: agentBackend, source, nodeName: 'node1', minSyncPeriodMs: 10, syncPeriodMs: 600_000, healthzBindAddress: null, metricsBindAddress: null });
    const abort = new AbortController();
    try {
      const first = agent.waitForSync();
      await agent.start(abort.signal);
      expect(await first).toMatchObject({ resync: true, servicePorts: 1 });
      expect(await deviceAddresses(target)).toEqual(['10.96.1.1']);
      const next = agent.waitForSync();
      source.upsertSlice(slice('shop', [pod(0), pod(2)]));
      const rec = await next;
      expect(rec).toMatchObject({ resync: false, servicePorts: 1 });
      expect(rec.error).toBeUndefined();
      expect(agentBackend.lastSync!.ipvsadm).toBe('-d -t 10.96.1.1:80 -r 10.244.1.21:8080\n-a -t 10.96.1.1:80 -r 10.244.1.22:8080 -m -w 1\n');
      const reals = parseIpvsadm(await vsTable.save()).get('tcp:10.96.1.1:80')!.reals.map((r) => r.ip).sort();
      expect(reals).toEqual(['10.244.1.20', '10.244.1.22']);
      expect(sh('ipset', 'list', 'KUBE-CLUSTER-IP')).toContain('10.96.1.1,tcp:80');
    } finally {
      abort.abort();
      await agent.stop();
      await agentBackend.cleanup();
    }
    expect(sh('ipset', 'list', '-n').trim()).toBe('');
  });
});

function spawnSyncResult(ns: string, cmd: string, args: string[]) {
  const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
