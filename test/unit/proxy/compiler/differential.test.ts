import { describe, expect, it } from 'vitest';
import { createIptablesCompiler, createReferenceIptablesCompiler } from '../../../../src/dataplane/proxy/compiler/index.js';
import { rng, syntheticModel, syntheticServicePort } from '../../../../src/dataplane/proxy/compiler/synthetic.js';
import { servicePortName, type ProxyConfig, type ServicePortInfo } from '../../../../src/dataplane/proxy/model.js';
import { RuleSet, checkJumps } from '../../../../src/dataplane/proxy/trace/index.js';
import { verifyService } from './expectations.js';

const NODE_IP = '192.168.0.2';
const configs: ProxyConfig[] = [
  { clusterCIDR: '10.0.0.0/8', nodeIPs: [NODE_IP], masqueradeBit: 14 },
  { clusterCIDR: '', nodeIPs: [], masqueradeBit: 14 },
];
const DISPATCH = new Set(['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-EXTERNAL-SERVICES', 'KUBE-PROXY-FIREWALL']);

describe('WASM compiler against the TypeScript reference', () => {
  for (const [ci, config] of configs.entries()) {
    // 60 ports stay under the 1,000-endpoint threshold (comments kept); 300 (about 1,200 endpoints) go over it (comments dropped).
    for (const [count, seed] of [[60, 1], [60, 2], [300, 3], [300, 4]] as const) {
      it(`full compile, config ${ci}, ${count} service ports, seed ${seed}: same bytes, jumps declared, tracer agrees`, async () => {
        const model = syntheticModel(count, { seed, empty: 0.1, nodeIP: NODE_IP, endpoints: [0, 8] });
        const wasm = (await createIptablesCompiler(config)).full(model);
        const ref = createReferenceIptablesCompiler(config).full(model);
        expect(wasm.text).toBe(ref.text);
        expect([wasm.filterRules, wasm.natRules, wasm.filterChains, wasm.natChains]).toEqual([ref.filterRules, ref.natRules, ref.filterChains, ref.natChains]);
        expect(wasm.natRules).toBe(ref.text.split('\n').filter((l) => l.startsWith('-A ')).length - wasm.filterRules);
        const large = model.reduce((n, sp) => n + sp.endpoints.length, 0) > 1000;
        expect(ref.text.includes(' -> ')).toBe(!large);
        expect(checkJumps(ref.text)).toEqual([]);
        const rules = RuleSet.parse(ref.text);
        const errors = model.flatMap((sp) => verifyService(rules, sp, config.nodeIPs[0] ?? NODE_IP, config.clusterCIDR));
        expect(errors).toEqual([]);
      });
    }
  }

  it('partial compiles: same bytes as the reference, and full + partials leave the tables a fresh full would', async () => {
    const config = configs[0]!;
    const r = rng(99);
    let model = syntheticModel(120, { seed: 7, empty: 0.1, nodeIP: NODE_IP, endpoints: [0, 6] });
    const wasm = await createIptablesCompiler(config);
    const ref = createReferenceIptablesCompiler(config);
    const first = ref.full(model);
    expect(wasm.full(model).text).toBe(first.text);
    const kernel = RuleSet.parse(first.text);
    let next = 1000;
    for (let step = 0; step < 25; step++) {
      const byName = new Map(model.map((sp) => [servicePortName(sp), sp]));
      const changed: ServicePortInfo[] = [];
      const removed: string[] = [];
      const k = 1 + Math.floor(r() * 4);
      for (let j = 0; j < k; j++) {
        const op = r();
        const names = [...byName.keys()];
        const victim = names[Math.floor(r() * names.length)]!;
        if (op < 0.2) {
          removed.push(victim);
          byName.delete(victim);
        } else if (op < 0.4) {
          const sp = syntheticServicePort(next++, r, { nodeIP: NODE_IP, endpoints: [0, 6] });
          changed.push(sp);
          byName.set(servicePortName(sp), sp);
        } else {
          // Same service port, new shape: endpoints, policies, type, protocol may all change.
          const fresh = syntheticServicePort(next++, r, { nodeIP: NODE_IP, endpoints: [0, 6] });
          const old = byName.get(victim)!;
          const sp = { ...fresh, namespace: old.namespace, name: old.name, portName: old.portName, clusterIP: old.clusterIP };
          changed.push(sp);
          byName.set(victim, sp);
        }
      }
      const uniq = new Map(changed.map((c) => [servicePortName(c), c]));
      const ch = [...uniq.values()].filter((c) => byName.has(servicePortName(c)));
      const rm = [...new Set(removed)].filter((n) => !uniq.has(n) || !byName.has(n));
      const pw = wasm.partial(ch, rm);
      const pr = ref.partial(ch, rm);
      expect(pw.text).toBe(pr.text);
      expect([pw.filterRules, pw.natRules, pw.natChains]).toEqual([pr.filterRules, pr.natRules, pr.natChains]);
      expect(checkJumps(pr.text, kernel)).toEqual([]);
      kernel.apply(pr.text);
      model = [...byName.values()];
      const fresh = RuleSet.parse(createReferenceIptablesCompiler(config).full(model).text);
      expect(kernel.canonical(DISPATCH)).toEqual(fresh.canonical(DISPATCH));
    }
    const errors = model.flatMap((sp) => verifyService(kernel, sp, NODE_IP));
    expect(errors).toEqual([]);
  });

  it('a partial that crosses the large-cluster threshold falls back to a full text', async () => {
    const config = configs[0]!;
    const model = syntheticModel(100, { seed: 5, endpoints: [9, 9] }); // 900 endpoints
    const wasm = await createIptablesCompiler(config);
    const ref = createReferenceIptablesCompiler(config);
    wasm.full(model);
    ref.full(model);
    const big = { ...model[0]!, endpoints: syntheticModel(1, { seed: 6, endpoints: [200, 200] })[0]!.endpoints };
    const pw = wasm.partial([big], []);
    const pr = ref.partial([big], []);
    expect(pr.kind).toBe('full');
    expect(pw.text).toBe(pr.text);
    expect(pr.text.includes(' -> ')).toBe(false);
  });

  it('partial before full is an error', async () => {
    const wasm = await createIptablesCompiler(configs[0]!);
    expect(() => wasm.partial([], [])).toThrow(/before full/);
  });
});

describe('long names (hashes longer than one SHA-256 block)', () => {
  it('WASM equals the reference when names and endpoints push messages past 55 bytes', async () => {
    const config = configs[0]!;
    const model = syntheticModel(40, { seed: 77, endpoints: [1, 5] }).map((sp, i) => ({
      ...sp,
      namespace: `namespace-with-a-rather-long-name-${'x'.repeat(i % 30)}`,
      name: `service-${i}-${'y'.repeat((i * 7) % 40)}`,
    }));
    const wasm = (await createIptablesCompiler(config)).full(model).text;
    expect(wasm).toBe(createReferenceIptablesCompiler(config).full(model).text);
  });
});
