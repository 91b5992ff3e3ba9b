/**
 * The per-service-port desired state against the whole-model compiler: after any sequence of changes its full
 * state equals compileIpvs(model), and its edits, applied with the parsers, move the previous state to it.
 */
import { describe, expect, it } from 'vitest';
import { IncrementalIpvs } from '../../../../src/dataplane/proxy/apply/ipvs-incremental.js';
import {
  compileIpvs, ipsetRestoreText, ipvsIptablesText, ipvsadmRestoreText, parseIpset, parseIpvsadm, type IpvsState,
} from '../../../../src/dataplane/proxy/ipvs/index.js';
import { rng, syntheticModel, syntheticServicePort } from '../../../../src/dataplane/proxy/compiler/synthetic.js';
import type { ProxyConfig, ServicePortInfo } from '../../../../src/dataplane/proxy/model.js';

const NODE_IP = '192.168.0.2';
const config: ProxyConfig = { clusterCIDR: '10.0.0.0/8', nodeIPs: [NODE_IP], masqueradeBit: 14 };

function comparable(s: IpvsState) {
  return {
    vs: [...s.virtualServers].map(([k, v]) => `${k} ${v.scheduler} ${v.persistence} ${v.reals.map((r) => `${r.ip}:${r.port}`).sort().join(',')}`).sort(),
    sets: Object.fromEntries([...s.sets].map(([n, e]) => [n, [...e].sort()])),
    addresses: [...s.addresses].sort(),
  };
}

describe('IncrementalIpvs', () => {
  it('random changes: full() equals the whole-model compile, and the edits replay to it', () => {
    const r = rng(11);
    let model = syntheticModel(120, { seed: 17, empty: 0.1, nodeIP: NODE_IP, endpoints: [0, 6] });
    const inc = new IncrementalIpvs(config);
    const first = inc.update(model);
    expect(first.changed).toBe(model.length);
    expect(comparable(inc.full())).toEqual(comparable(compileIpvs(model, config)));
    // Replay: the first diff from nothing, then each step's, through the parsers (which reject bad edits).
    const vss = parseIpvsadm(first.diff.ipvsadm);
    const sets = parseIpset(ipsetRestoreText({ virtualServers: new Map(), sets: new Map(), addresses: [] }) + first.diff.ipset);
    const addrs = new Set(first.diff.addressesToAdd);
    for (let step = 0; step < 40; step++) {
      const next = model.slice();
      const i = Math.floor(r() * next.length);
      const roll = r();
      if (roll < 0.25) next.splice(i, 1);
      else if (roll < 0.4) next.push(syntheticServicePort(1000 + step, r, { endpoints: [0, 6], nodeIP: NODE_IP }));
      else if (roll < 0.55) {
        // A second port of an existing Service: shares its cluster IP (address and KUBE-IPVS-IPS entry).
        const sp = next[i]!;
        next.push({ ...sp, portName: `extra${step}`, port: 10000 + step, nodePort: 0 });
      } else {
        const old = next[i]!;
        next[i] = { ...syntheticServicePort(2000 + step, r, { endpoints: [0, 6], nodeIP: NODE_IP }), namespace: old.namespace, name: old.name, portName: old.portName, clusterIP: old.clusterIP };
      }
      const { diff, changed } = inc.update(next);
      expect(changed).toBe(1);
      parseIpvsadm(diff.ipvsadm, vss);
      parseIpset(diff.ipset, sets);
      for (const a of diff.addressesToDel) expect(addrs.delete(a), `unbind ${a}`).toBe(true);
      for (const a of diff.addressesToAdd) {
        expect(addrs.has(a), `bind ${a} twice`).toBe(false);
        addrs.add(a);
      }
      const want = compileIpvs(next, config);
      expect(comparable(inc.full())).toEqual(comparable(want));
      expect(comparable({ virtualServers: vss, sets, addresses: [...addrs] })).toEqual(comparable(want));
      expect(ipvsIptablesText(inc.setsShape(), config)).toBe(ipvsIptablesText(want, config));
      model = next;
    }
    expect(inc.update(model)).toEqual({ diff: { ipvsadm: '', ipset: '', addressesToAdd: [], addressesToDel: [] }, changed: 0 });
  });

  it('removing one of two ports of a Service keeps the shared cluster IP bound and in KUBE-IPVS-IPS', () => {
    const [a] = syntheticModel(1, { seed: 3, nodeIP: NODE_IP, endpoints: [1, 3] }) as [ServicePortInfo];
    const b: ServicePortInfo = { ...a, portName: 'second', port: a.port + 1, nodePort: 0 };
    const inc = new IncrementalIpvs(config);
    inc.update([a, b]);
    const { diff } = inc.update([a]);
    expect(diff.addressesToDel).toEqual([]);
    expect(diff.ipset).not.toContain('KUBE-IPVS-IPS');
    expect(diff.ipvsadm).toMatch(new RegExp(`^-D -[tu]|^-D --sctp-service`));
    expect(diff.ipvsadm.split('\n').filter(Boolean)).toHaveLength(1);
    const gone = inc.update([]).diff;
    expect(gone.addressesToDel).toEqual([a.clusterIP]);
    expect(gone.ipset).toContain(`del KUBE-IPVS-IPS ${a.clusterIP}`);
  });

  it('an update without a diff (a sync against the kernel) still moves the state; the next diff starts from it', () => {
    const model = syntheticModel(30, { seed: 29, nodeIP: NODE_IP, endpoints: [1, 4] });
    const inc = new IncrementalIpvs(config);
    expect(inc.update(model, false)).toEqual({ diff: { ipvsadm: '', ipset: '', addressesToAdd: [], addressesToDel: [] }, changed: 30 });
    expect(comparable(inc.full())).toEqual(comparable(compileIpvs(model, config)));
    const next = model.slice(1);
    const { diff } = inc.update(next);
    expect(diff.addressesToDel).toEqual([model[0]!.clusterIP]);
    expect(diff.ipvsadm).toContain(`-D `);
  });

  it('the full load equals ipvsadmRestoreText of the compile, line for line (order aside)', () => {
    const model = syntheticModel(50, { seed: 23, nodeIP: NODE_IP, endpoints: [0, 4] });
    const inc = new IncrementalIpvs(config);
    const lines = (t: string) => t.split('\n').filter(Boolean).sort();
    expect(lines(inc.update(model).diff.ipvsadm)).toEqual(lines(ipvsadmRestoreText(compileIpvs(model, config))));
  });
});
