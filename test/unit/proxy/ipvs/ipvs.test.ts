import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compileIpvs, diffIpvs, ipsetRestoreText, ipvsIptablesText, ipvsadmRestoreText, ipvsStateFromSave, parseIpset, parseIpvsadm, traceIpvs,
} from '../../../../src/dataplane/proxy/ipvs/index.js';
import { syntheticModel, syntheticServicePort, rng } from '../../../../src/dataplane/proxy/compiler/synthetic.js';
import type { EndpointInfo, ProxyConfig, ServicePortInfo } from '../../../../src/dataplane/proxy/model.js';
import { RuleSet, checkJumps } from '../../../../src/dataplane/proxy/trace/index.js';

const NODE_IP = '192.168.0.2';
const config: ProxyConfig = { clusterCIDR: '10.0.0.0/8', nodeIPs: [NODE_IP], masqueradeBit: 14 };
const POD = '10.255.255.200';
const OUTSIDE = '198.51.100.7';

function usable(eps: EndpointInfo[]): EndpointInfo[] {
  const ready = eps.filter((e) => e.ready);
  return ready.length > 0 ? ready : eps.filter((e) => e.serving && e.terminating);
}

/** IPVS mode's endpoints: Local policy uses local ones, or falls back to the cluster's (upstream #97081). */
function expected(sp: ServicePortInfo, local: boolean): string[] {
  const ext = sp.nodePort !== 0 || sp.externalIPs.length > 0 || sp.loadBalancerIPs.length > 0;
  const loc = usable(sp.endpoints.filter((e) => e.isLocal));
  const cluster = !sp.internalTrafficLocal || ext ? usable(sp.endpoints) : [];
  return (local && loc.length > 0 ? loc : cluster).map((e) => `${e.ip}:${e.port}`).sort();
}

function parsedState(model: ServicePortInfo[]) {
  const state = compileIpvs(model, config);
  return { state, vss: parseIpvsadm(ipvsadmRestoreText(state)), sets: parseIpset(ipsetRestoreText(state)), rules: ipvsIptablesText(state, config) };
}

describe('IPVS mode text', () => {
  const model = syntheticModel(80, { seed: 31, empty: 0.1, nodeIP: NODE_IP, endpoints: [0, 6] });

  it('ipvsadm-restore and ipset restore text parse back to the compiled state', () => {
    const { state, vss, sets } = parsedState(model);
    expect(vss.size).toBe(state.virtualServers.size);
    for (const [k, vs] of state.virtualServers) {
      const got = vss.get(k)!;
      expect(got.reals).toEqual(vs.reals);
      expect([got.scheduler, got.persistence]).toEqual(['rr', vs.persistence]);
    }
    for (const [name, entries] of state.sets) expect([...(sets.get(name) ?? [])].sort()).toEqual(entries);
    expect(sets.get('KUBE-CLUSTER-IP')).toContain(`${model[0]!.clusterIP},${model[0]!.protocol.toLowerCase()}:${model[0]!.port}`);
    expect(state.addresses).toContain(model[0]!.clusterIP);
    expect(ipvsadmRestoreText(state)).toMatch(/^-A -t \d+\.\d+\.\d+\.\d+:\d+ -s rr/m);
    expect(ipsetRestoreText(state)).toMatch(/^create KUBE-NODE-PORT-TCP bitmap:port range 0-65535$/m);
  });

  it('ClientIP affinity becomes persistence', () => {
    const sp = model.find((s) => s.affinityTimeoutSeconds > 0)!;
    const text = ipvsadmRestoreText(compileIpvs([sp], config));
    expect(text).toContain(`-A -${sp.protocol === 'TCP' ? 't' : sp.protocol === 'UDP' ? 'u' : '-sctp-service'} ${sp.clusterIP}:${sp.port} -s rr -p ${sp.affinityTimeoutSeconds}`);
  });

  it('the tracer over the parsed text reaches what the model says, with the right masquerade', () => {
    const { state, vss, sets, rules } = parsedState(model);
    expect(checkJumps(rules)).toEqual([]);
    const rs = RuleSet.parse(rules);
    const errors: string[] = [];
    const run = (label: string, sp: ServicePortInfo, src: string, dst: string, dport: number, local: boolean, masq: boolean) => {
      const proto = sp.protocol.toLowerCase() as 'tcp';
      const out = traceIpvs(rs, vss, sets, { src, dst, dport, proto }, { localAddresses: [NODE_IP], addresses: state.addresses });
      const want = expected(sp, local);
      if (want.length === 0) {
        if (out.length !== 1 || out[0]!.verdict !== 'NO-ENDPOINTS') errors.push(`${label}: want NO-ENDPOINTS, got ${JSON.stringify(out)}`);
        return;
      }
      const got = out.map((o) => o.endpoint ?? o.verdict).sort();
      if (JSON.stringify(got) !== JSON.stringify(want)) errors.push(`${label}: want ${want}, got ${got}`);
      for (const o of out) {
        if (Math.abs(o.probability - 1 / want.length) > 1e-9) errors.push(`${label}: probability ${o.probability}`);
        const hairpin = o.endpoint?.startsWith(src + ':') ?? false;
        if (o.masquerade !== (masq || hairpin)) errors.push(`${label}: ${o.endpoint} masquerade ${o.masquerade}`);
      }
    };
    for (const sp of model) {
      const name = `${sp.namespace}/${sp.name}:${sp.portName}`;
      run(`${name} clusterIP`, sp, POD, sp.clusterIP, sp.port, sp.internalTrafficLocal, false);
      run(`${name} clusterIP off-cluster`, sp, OUTSIDE, sp.clusterIP, sp.port, sp.internalTrafficLocal, true);
      if (sp.nodePort && sp.protocol !== 'SCTP') run(`${name} nodePort`, sp, OUTSIDE, NODE_IP, sp.nodePort, sp.externalTrafficLocal, !sp.externalTrafficLocal);
      for (const ip of sp.externalIPs) run(`${name} externalIP`, sp, OUTSIDE, ip, sp.port, sp.externalTrafficLocal, !sp.externalTrafficLocal);
      for (const ip of sp.loadBalancerIPs) {
        const ranged = sp.loadBalancerSourceRanges.length > 0;
        run(`${name} LB`, sp, ranged ? '203.0.113.9' : OUTSIDE, ip, sp.port, sp.externalTrafficLocal, !sp.externalTrafficLocal);
        if (ranged) {
          const out = traceIpvs(rs, vss, sets, { src: OUTSIDE, dst: ip, dport: sp.port, proto: sp.protocol.toLowerCase() as 'tcp' }, { localAddresses: [NODE_IP], addresses: state.addresses });
          if (out.length !== 1 || out[0]!.verdict !== 'DROP') errors.push(`${name} LB out of range: ${JSON.stringify(out)}`);
        }
      }
    }
    expect(errors).toEqual([]);
  });

  it('diffs move the kernel state from one model to the next (-D/-d, del) and only touch what changed', () => {
    const r = rng(3);
    let prevModel = model;
    let vss = parseIpvsadm(ipvsadmRestoreText(compileIpvs(prevModel, config)));
    let sets = parseIpset(ipsetRestoreText(compileIpvs(prevModel, config)));
    let addresses = new Set(compileIpvs(prevModel, config).addresses);
    for (let step = 0; step < 10; step++) {
      const next = prevModel.slice();
      const i = Math.floor(r() * next.length);
      if (r() < 0.3) next.splice(i, 1);
      else {
        const old = next[i]!;
        next[i] = { ...syntheticServicePort(900 + step, r, { endpoints: [0, 6] }), namespace: old.namespace, name: old.name, portName: old.portName, clusterIP: old.clusterIP };
      }
      const d = diffIpvs(compileIpvs(prevModel, config), compileIpvs(next, config));
      vss = parseIpvsadm(d.ipvsadm, vss);
      sets = parseIpset(d.ipset, sets);
      for (const a of d.addressesToDel) addresses.delete(a);
      for (const a of d.addressesToAdd) addresses.add(a);
      const want = compileIpvs(next, config);
      expect(new Set(vss.keys())).toEqual(new Set(want.virtualServers.keys()));
      for (const [k, vs] of want.virtualServers) {
        expect(vss.get(k)!.reals.map((x) => `${x.ip}:${x.port}`).sort()).toEqual(vs.reals.map((x) => `${x.ip}:${x.port}`).sort());
        expect(vss.get(k)!.persistence).toBe(vs.persistence);
      }
      for (const [name, entries] of want.sets) expect([...sets.get(name)!].sort()).toEqual(entries);
      expect([...addresses].sort()).toEqual(want.addresses);
      prevModel = next;
    }
    const same = diffIpvs(compileIpvs(prevModel, config), compileIpvs(prevModel, config));
    expect(same).toEqual({ ipvsadm: '', ipset: '', addressesToAdd: [], addressesToDel: [] });
  });

  it('removing an endpoint yields exactly one -d line', () => {
    const sp = { ...model.find((s) => s.type === 'ClusterIP' && usable(s.endpoints).length >= 2 && usable(s.endpoints).length === s.endpoints.filter((e) => e.ready).length)! };
    const gone = sp.endpoints.find((e) => e.ready)!;
    const next = { ...sp, endpoints: sp.endpoints.filter((e) => e !== gone) };
    const d = diffIpvs(compileIpvs([sp], config), compileIpvs([next], config));
    const flag = sp.protocol === 'TCP' ? '-t' : sp.protocol === 'UDP' ? '-u' : '--sctp-service';
    expect(d.ipvsadm).toBe(`-d ${flag} ${sp.clusterIP}:${sp.port} -r ${gone.ip}:${gone.port}\n`);
  });
});

const root = process.getuid?.() === 0 && ['ipset', 'iptables-restore', 'ip'].every((b) => existsSync(`/usr/sbin/${b}`) || existsSync(`/sbin/${b}`));

describe.skipIf(!root)('IPVS-mode ipsets and iptables load in a throwaway netns', () => {
  it('ipset restore, then iptables-restore --test of the IPVS-mode rules', () => {
    const ns = `skiff-t-${randomBytes(4).toString('hex')}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      const state = compileIpvs(syntheticModel(60, { seed: 8, nodeIP: NODE_IP, endpoints: [0, 5] }), config);
      execFileSync('ip', ['netns', 'exec', ns, 'ipset', 'restore', '-exist'], { input: ipsetRestoreText(state) });
      const listed = execFileSync('ip', ['netns', 'exec', ns, 'ipset', 'list', 'KUBE-CLUSTER-IP'], { encoding: 'utf8' });
      expect(listed).toContain('Type: hash:ip,port');
      expect(listed).toContain(`Number of entries: ${state.sets.get('KUBE-CLUSTER-IP')!.length}`);
      execFileSync('ip', ['netns', 'exec', ns, 'iptables-restore', '--test', '--noflush'], { input: ipvsIptablesText(state, config) });
      // Resync path: what `ipset save` prints parses back to the same sets, so a diff against it is empty.
      const saved = execFileSync('ip', ['netns', 'exec', ns, 'ipset', 'save'], { encoding: 'utf8' });
      const kernel = ipvsStateFromSave(ipvsadmRestoreText(state), saved, state.addresses);
      expect(diffIpvs(kernel, state)).toEqual({ ipvsadm: '', ipset: '', addressesToAdd: [], addressesToDel: [] });
      // …and after a change, the diff applies cleanly to the kernel's sets.
      const next = compileIpvs(syntheticModel(55, { seed: 8, nodeIP: NODE_IP, endpoints: [0, 5] }), config);
      execFileSync('ip', ['netns', 'exec', ns, 'ipset', 'restore'], { input: diffIpvs(kernel, next).ipset });
      const after = ipvsStateFromSave('', execFileSync('ip', ['netns', 'exec', ns, 'ipset', 'save'], { encoding: 'utf8' }), []);
      for (const [name, entries] of next.sets) expect(after.sets.get(name)).toEqual(entries);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});
