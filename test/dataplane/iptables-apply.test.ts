/**
 * The iptables apply layer against a real kernel, in a scratch namespace: first load, kernel-vs-desired
 * reconcile (nothing to do right after a load; only the drift after tampering), partial restores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIptablesCompiler, jumpRules, type IptablesCompiler } from '../../src/dataplane/proxy/compiler/index.js';
import { syntheticModel } from '../../src/dataplane/proxy/compiler/synthetic.js';
import { IptablesApplier } from '../../src/dataplane/proxy/apply/iptables.js';
import { exec } from '../../src/dataplane/proxy/apply/exec.js';
import type { ProxyConfig } from '../../src/dataplane/proxy/model.js';
import { dataplaneSkipReason, scratchNetns } from './netns.js';

const skip = dataplaneSkipReason(['iptables-restore', 'iptables-save']);
if (skip) console.warn(`skipping iptables apply tests: ${skip}`);

describe.skipIf(skip !== null).sequential('iptables apply layer (scratch netns)', () => {
  const cfg: ProxyConfig = { clusterCIDR: '10.244.0.0/16', nodeIPs: ['192.168.100.1'], masqueradeBit: 14 };
  let ns: { name: string; cleanup: () => void };
  let applier: IptablesApplier;
  let compiler: IptablesCompiler;
  const model = syntheticModel(400, { seed: 7, empty: 0.05, nodeIP: '192.168.100.1' });

  beforeAll(async () => {
    ns = scratchNetns('ipt');
    applier = new IptablesApplier({ netns: ns.name });
    compiler = await createIptablesCompiler(cfg);
  });
  afterAll(() => ns?.cleanup());

  it('iptables-restore --test accepts the full text', async () => {
    await applier.test(compiler.full(model).text);
  });

  it('first load writes everything; a reconcile right after finds nothing to change', async () => {
    await applier.ensureJumps(jumpRules());
    await applier.ensureJumps(jumpRules()); // idempotent: no duplicate jumps
    const save = await exec({ netns: ns.name }, 'iptables-save', ['-t', 'nat']);
    expect(save.stdout.match(/-A PREROUTING .*-j KUBE-SERVICES/g)).toHaveLength(1);
    const text = compiler.full(model).text;
    const first = await applier.reconcile(text);
    expect(first.rewrittenChains).toBeGreaterThan(400);
    const again = await applier.reconcile(text);
    expect(again).toEqual({ bytes: 0, rewrittenChains: 0, dispatchEdits: 0, deletedChains: 0 });
  });

  it('a reconcile repairs only what drifted', async () => {
    const text = compiler.full(model).text;
    const have = await applier.save();
    const svcChain = [...have.get('nat')!.keys()].find((c) => c.startsWith('KUBE-SVC-'))!;
    const svcRule = have.get('nat')!.get(svcChain)![0]!;
    const dispatchRule = have.get('nat')!.get('KUBE-SERVICES')![0]!;
    const t = { netns: ns.name };
    const restore = (s: string) => exec(t, 'iptables-restore', ['--noflush'], s);
    expect((await restore(`*nat\n-D ${svcChain} ${svcRule}\n-D KUBE-SERVICES ${dispatchRule}\n:KUBE-SEP-STRAYSTRAYSTRAY1 - [0:0]\nCOMMIT\n`)).code).toBe(0);
    const r = await applier.reconcile(text);
    expect(r).toMatchObject({ rewrittenChains: 1, dispatchEdits: 1, deletedChains: 1 });
    expect(await applier.reconcile(text)).toMatchObject({ bytes: 0 });
  });

  it('partial restores leave the kernel equal to a full compile', async () => {
    const changed = { ...model[3]!, endpoints: model[3]!.endpoints.slice(1) };
    const removed = model[10]!;
    const next = model.filter((sp) => sp !== removed).map((sp) => (sp === model[3] ? changed : sp));
    const name = `${removed.namespace}/${removed.name}${removed.portName ? ':' + removed.portName : ''}`;
    const p = compiler.partial([changed], [name]);
    expect(p.kind).toBe('partial');
    await applier.restore(p.bytes);
    const check = await createIptablesCompiler(cfg);
    expect(await applier.reconcile(check.full(next).text)).toMatchObject({ bytes: 0 });
  });
});
