/**
 * The kernel's own parser accepts what the compilers emit: `iptables-restore --test`, then real loads of a full
 * ruleset and of partial edits, inside a network namespace this test creates and always deletes. Skips (saying
 * why) when not root or when iptables-restore or ip is missing.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIptablesCompiler, ensureText } from '../../../../src/dataplane/proxy/compiler/index.js';
import { rng, syntheticModel, syntheticServicePort } from '../../../../src/dataplane/proxy/compiler/synthetic.js';
import { servicePortName, type ProxyConfig } from '../../../../src/dataplane/proxy/model.js';
import { RuleSet } from '../../../../src/dataplane/proxy/trace/index.js';
import { verifyService } from './expectations.js';

function which(bin: string): boolean {
  return ['/usr/sbin', '/sbin', '/usr/bin', '/bin'].some((d) => existsSync(`${d}/${bin}`));
}

const skipReason =
  process.getuid?.() !== 0 ? 'not root' : !which('iptables-restore') ? 'no iptables-restore' : !which('ip') ? 'no ip command' : '';
if (skipReason) console.warn(`restore-netns tests skipped: ${skipReason}`);

const NS = `skiff-t-${randomBytes(4).toString('hex')}`;
const config: ProxyConfig = { clusterCIDR: '10.0.0.0/8', nodeIPs: ['192.168.0.2'], masqueradeBit: 14 };

function inNs(args: string[], input?: string): string {
  try {
    return execFileSync('ip', ['netns', 'exec', NS, ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${args.join(' ')} failed: ${err.stderr ?? err.message}`);
  }
}

/** Rules per KUBE-* chain, from iptables-save, so the kernel's state can be compared with the RuleSet model. */
function kernelCounts(table: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of inNs(['iptables-save', '-t', table]).split('\n')) {
    if (line.startsWith(':KUBE-')) out[line.slice(1).split(' ')[0]!] ??= 0;
    else if (line.startsWith('-A KUBE-')) {
      const ch = line.split(' ')[1]!;
      out[ch] = (out[ch] ?? 0) + 1;
    }
  }
  return out;
}

function modelCounts(rs: RuleSet, table: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [ch, rules] of rs.tables.get(table) ?? []) if (ch.startsWith('KUBE-')) out[ch] = rules.length;
  return out;
}

describe.skipIf(skipReason !== '')('iptables-restore accepts compiled rulesets (throwaway netns)', () => {
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', NS]);
  });
  afterAll(() => {
    try {
      execFileSync('ip', ['netns', 'del', NS]);
    } catch {
      // Already gone.
    }
  });

  it('--test accepts full rulesets with comments (small) and without (above 1,000 endpoints)', async () => {
    for (const [count, seed] of [[80, 11], [400, 12]] as const) {
      const model = syntheticModel(count, { seed, empty: 0.1, nodeIP: '192.168.0.2', endpoints: [0, 8] });
      const text = (await createIptablesCompiler(config)).full(model).text;
      inNs(['iptables-restore', '--test', '--noflush'], text);
    }
  });

  it('loads ensure + full, then partial edits; the kernel ends where the model says', async () => {
    const compiler = await createIptablesCompiler(config);
    let model = syntheticModel(150, { seed: 21, empty: 0.1, nodeIP: '192.168.0.2', endpoints: [0, 6] });
    const full = compiler.full(model);
    inNs(['iptables-restore', '--noflush'], ensureText());
    inNs(['iptables-restore', '--noflush'], full.text);
    const rs = RuleSet.parse(ensureText());
    rs.apply(full.text);
    const r = rng(5);
    let next = 5000;
    for (let step = 0; step < 8; step++) {
      const byName = new Map(model.map((sp) => [servicePortName(sp), sp]));
      const names = [...byName.keys()];
      const victim = names[Math.floor(r() * names.length)]!;
      const old = byName.get(victim)!;
      const reshaped = { ...syntheticServicePort(next++, r, { endpoints: [0, 6] }), namespace: old.namespace, name: old.name, portName: old.portName };
      const added = syntheticServicePort(next++, r, { endpoints: [1, 4] });
      const removed = names[Math.floor(r() * names.length)]!;
      const changed = [reshaped, added].filter((sp) => servicePortName(sp) !== removed);
      byName.delete(removed);
      for (const sp of changed) byName.set(servicePortName(sp), sp);
      const partial = compiler.partial(changed, [removed]);
      expect(partial.kind).toBe('partial');
      inNs(['iptables-restore', '--noflush'], partial.text);
      rs.apply(partial.text);
      model = [...byName.values()];
    }
    expect(kernelCounts('nat')).toEqual(modelCounts(rs, 'nat'));
    expect(kernelCounts('filter')).toEqual(modelCounts(rs, 'filter'));
    // The tracer over what the kernel itself prints (iptables-save's normalised rules) agrees with the model.
    const saved = RuleSet.parse(inNs(['iptables-save']));
    expect(model.flatMap((sp) => verifyService(saved, sp, '192.168.0.2'))).toEqual([]);
  });
});
