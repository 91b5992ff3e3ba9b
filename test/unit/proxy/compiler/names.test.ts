import { describe, expect, it } from 'vitest';
import { chainName } from '../../../../src/dataplane/proxy/compiler/index.js';
import { masqueradeMark, probability, referenceChainName } from '../../../../src/dataplane/proxy/reference/names.js';

describe('chain names', () => {
  it('match upstream check vectors, in WASM and in the reference', () => {
    expect(chainName('KUBE-SVC-', 'ns1/svc1:p80', 'tcp')).toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
    expect(referenceChainName('KUBE-SVC-', 'ns1/svc1:p80', 'tcp')).toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
    expect(chainName('KUBE-SEP-', 'ns4/svc4:p80', 'tcp', '10.180.0.4:80')).toBe('KUBE-SEP-UKSFD7AGPMPPLUHC');
    expect(referenceChainName('KUBE-SEP-', 'ns4/svc4:p80', 'tcp', '10.180.0.4:80')).toBe('KUBE-SEP-UKSFD7AGPMPPLUHC');
  });

  it('lower-cases the protocol as upstream does', () => {
    expect(chainName('KUBE-SVC-', 'ns1/svc1:p80', 'TCP')).toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
  });

  it('WASM sha256/base32 agrees with node:crypto on many inputs, one- and two-block messages', () => {
    for (let i = 0; i < 300; i++) {
      const name = `namespace-${i}/${'s'.repeat(i % 90)}${i}:port${i % 7}`;
      const proto = ['tcp', 'udp', 'sctp'][i % 3]!;
      const ep = i % 2 ? `10.${i % 256}.${(i * 7) % 256}.${i % 200}:${1000 + i}` : '';
      expect(chainName('KUBE-SEP-', name, proto, ep)).toBe(referenceChainName('KUBE-SEP-', name, proto, ep));
    }
  });
});

describe('number formats', () => {
  it("probabilities print as Go's %0.10f of 1/n", () => {
    expect(probability(2)).toBe('0.5000000000');
    expect(probability(3)).toBe('0.3333333333');
    expect(probability(6)).toBe('0.1666666667');
    expect(probability(7)).toBe('0.1428571429');
    expect(probability(1024)).toBe('0.0009765625');
    // 1/2048 = 0.00048828125 exactly: Go rounds the tie to even, toFixed would round up.
    expect(probability(2048)).toBe('0.0004882812');
    expect(probability(3000)).toBe('0.0003333333');
  });

  it("the masquerade mark prints as Go's %#08x", () => {
    expect(masqueradeMark(14)).toBe('0x00004000');
    expect(masqueradeMark(0)).toBe('0x00000001');
  });
});

describe('bad input', () => {
  it('gets a clear error from the WASM compiler, and the compiler keeps working', async () => {
    const { createIptablesCompiler } = await import('../../../../src/dataplane/proxy/compiler/index.js');
    const { syntheticModel } = await import('../../../../src/dataplane/proxy/compiler/synthetic.js');
    const c = await createIptablesCompiler({ clusterCIDR: '10.0.0.0/8', nodeIPs: [], masqueradeBit: 14 });
    const [sp] = syntheticModel(1, { seed: 1 });
    expect(() => c.full([{ ...sp!, name: 'x'.repeat(1000) }])).toThrow(/too long/);
    expect(() => c.full([{ ...sp!, port: 70000 }])).toThrow(/out of range/);
    expect(() => c.full([{ ...sp!, namespace: 'ns-é' }])).toThrow(/ASCII/);
    expect(c.full([sp!]).text).toContain('KUBE-SERVICES');
  });
});

describe('bad input to partial()', () => {
  it('leaves the compiler state untouched', async () => {
    const { createIptablesCompiler, createReferenceIptablesCompiler } = await import('../../../../src/dataplane/proxy/compiler/index.js');
    const { syntheticModel } = await import('../../../../src/dataplane/proxy/compiler/synthetic.js');
    const config = { clusterCIDR: '10.0.0.0/8', nodeIPs: [], masqueradeBit: 14 };
    const model = syntheticModel(20, { seed: 4 });
    const w = await createIptablesCompiler(config);
    const r = createReferenceIptablesCompiler(config);
    w.full(model);
    r.full(model);
    const bad = { ...model[3]!, port: -1, endpoints: [] };
    expect(() => w.partial([bad], [`${model[5]!.namespace}/${model[5]!.name}:${model[5]!.portName}`.replace(/:$/, '')])).toThrow(/out of range/);
    const good = { ...model[3]!, endpoints: model[3]!.endpoints.slice(1) };
    expect(w.partial([good], []).text).toBe(r.partial([good], []).text);
  });
});

describe('WASM output lifetime', () => {
  it('bytes stay valid across later compiles; view() is refused once overwritten', async () => {
    const { createIptablesCompiler } = await import('../../../../src/dataplane/proxy/compiler/index.js');
    const { syntheticModel } = await import('../../../../src/dataplane/proxy/compiler/synthetic.js');
    const c = await createIptablesCompiler({ clusterCIDR: '10.0.0.0/8', nodeIPs: [], masqueradeBit: 14 });
    const first = c.full(syntheticModel(10, { seed: 1 }));
    const kept = first.bytes;
    const text = Buffer.from(kept).toString('latin1');
    const unread = c.full(syntheticModel(12, { seed: 2 }));
    c.full(syntheticModel(30, { seed: 3 }));
    expect(Buffer.from(kept).toString('latin1')).toBe(text);
    expect(first.text).toBe(text);
    expect(() => unread.view()).toThrow(/overwritten/);
  });
});
