import { describe, expect, it } from 'vitest';
import { IncrementalNft } from '../../../../src/dataplane/proxy/nftables/incremental.js';
import { compileFlat, flatLayout } from '../../../../src/dataplane/proxy/nftables/flat.js';
import { compileUpstream, upstreamLayout } from '../../../../src/dataplane/proxy/nftables/upstream.js';
import { renderDiff, renderFull, snapshotOf, type NftRuleset } from '../../../../src/dataplane/proxy/nftables/ruleset.js';
import { NftApplier, readTable } from '../../../../src/dataplane/proxy/apply/nft.js';
import { exec } from '../../../../src/dataplane/proxy/apply/exec.js';
import { rng, syntheticModel, syntheticServicePort } from '../../../../src/dataplane/proxy/compiler/synthetic.js';
import type { ServicePortInfo } from '../../../../src/dataplane/proxy/model.js';
import { dataplaneSkipReason, scratchNetns } from '../../../dataplane/netns.js';
import { cfg } from './fixtures.js';

function sorted(rs: NftRuleset) {
  const s = snapshotOf(rs);
  return {
    chains: [...s.chains].sort(([a], [b]) => (a < b ? -1 : 1)),
    sets: [...s.sets].map(([n, v]) => [n, v.kind, [...v.elements].sort()] as const).sort(([a], [b]) => (a < b ? -1 : 1)),
  };
}

/** A sequence of models: endpoints change, services come and go. */
function* steps(seed: number, n: number, count: number): Generator<ServicePortInfo[]> {
  const r = rng(seed);
  let model = syntheticModel(n, { seed, nodeIP: cfg.nodeIPs[0] });
  let next = n;
  for (let s = 0; s < count; s++) {
    model = model.slice();
    const i = Math.floor(r() * model.length);
    const roll = r();
    if (roll < 0.4) model[i] = { ...model[i]!, endpoints: model[i]!.endpoints.slice(0, Math.floor(r() * (model[i]!.endpoints.length + 1))) };
    else if (roll < 0.7) model.splice(i, 1);
    else model.push(syntheticServicePort(next++, r, { nodeIP: cfg.nodeIPs[0] }));
    yield model;
  }
}

for (const [name, layout, compile] of [['upstream', upstreamLayout, compileUpstream], ['flat', flatLayout, compileFlat]] as const) {
  describe(`incremental ${name} layout`, () => {
    it('equals a full compile after every step of random changes', () => {
      const inc = new IncrementalNft(layout, cfg);
      for (const model of steps(3, 60, 40)) {
        inc.update(model);
        expect(sorted(inc.ruleset())).toEqual(sorted(compile(model, cfg)));
      }
    });

    it('emits nothing for an unchanged model and a small transaction for one change', () => {
      const model = syntheticModel(200, { seed: 5, nodeIP: cfg.nodeIPs[0] });
      const inc = new IncrementalNft(layout, cfg);
      inc.update(model);
      expect(inc.update(model.map((sp) => ({ ...sp }))).text).toBe('');
      const changed = model.slice();
      const i = changed.findIndex((sp) => sp.endpoints.length > 2);
      changed[i] = { ...changed[i]!, endpoints: changed[i]!.endpoints.slice(1) };
      const r = inc.update(changed);
      expect(r.changed).toBe(1);
      expect(r.text.split('\n').length).toBeLessThan(20);
      expect(r.text).not.toBe('');
      // The same transaction a diff of two full compiles gives, up to order.
      const full = renderDiff(snapshotOf(compile(model, cfg)), compile(changed, cfg));
      expect(r.text.split('\n').sort()).toEqual(full.split('\n').sort());
    });
  });
}

const skip = dataplaneSkipReason();
describe.skipIf(skip !== null)('incremental transactions in the kernel (scratch netns)', () => {
  for (const [name, layout, compile] of [['upstream', upstreamLayout, compileUpstream], ['flat', flatLayout, compileFlat]] as const) {
    it(`${name}: after each transaction the kernel holds exactly a full compile`, async () => {
      const ns = scratchNetns(`inc${name[0]}`);
      try {
        const t = { netns: ns.name };
        const inc = new IncrementalNft(layout, cfg);
        const first = syntheticModel(80, { seed: 11, nodeIP: cfg.nodeIPs[0] });
        inc.update(first);
        expect((await exec(t, 'nft', ['-f', '-'], renderFull(inc.ruleset()))).code).toBe(0);
        const applier = new NftApplier(t);
        let i = 0;
        for (const model of steps(11, 80, 12)) {
          const { text } = inc.update(model);
          await applier.applyText(text);
          if (++i % 4 === 0) {
            const want = compile(model, cfg);
            const dyn = new Set([...want.sets].filter(([, s]) => s.dynamic).map(([n]) => n));
            expect(renderDiff((await readTable(t, want.table, dyn))!, want)).toBe('');
          }
        }
      } finally {
        ns.cleanup();
      }
    });
  }
});
