import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_NODE_SPEC, expandNodes, hostAddress, loadNodeSpecFile, parseLabelFlag, parseNodeSpec, parseTaint } from '../../../src/dataplane/kubelet/spec.js';

describe('node spec', () => {
  it('defaults to one roomy node named sim-node-0', () => {
    const [n, ...rest] = expandNodes(parseNodeSpec(undefined));
    expect(rest).toEqual([]);
    expect(n!.name).toBe('sim-node-0');
    expect(n!.capacity).toMatchObject({ cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' });
    expect(n!.allocatable).toEqual(n!.capacity);
    // No nodeCIDR: every node is reached at the agent's address.
    expect(n!.internalIP).toBe('127.0.0.1');
    expect(expandNodes(parseNodeSpec({ count: 2 }), '127.0.0.9').map((x) => x.internalIP)).toEqual(['127.0.0.9', '127.0.0.9']);
    expect(n!.labels).toMatchObject({ 'kubernetes.io/hostname': 'sim-node-0', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' });
    expect(n!.labels['topology.kubernetes.io/zone']).toBeUndefined();
  });

  it('spreads zones round-robin, sets region, labels and taints, and numbers IPs', () => {
    const spec = parseNodeSpec({ count: 5, namePrefix: 'n-', cpu: 4, memory: '16Gi', pods: '50', zones: ['a', 'b'], region: 'eu', labels: { pool: 'x' }, taints: ['gpu=yes:NoSchedule', { key: 'k', effect: 'NoExecute' }], nodeCIDR: '192.168.4.0/24' });
    const nodes = expandNodes(spec);
    expect(nodes.map((n) => n.name)).toEqual(['n-0', 'n-1', 'n-2', 'n-3', 'n-4']);
    expect(nodes.map((n) => n.labels['topology.kubernetes.io/zone'])).toEqual(['a', 'b', 'a', 'b', 'a']);
    expect(nodes.every((n) => n.labels['topology.kubernetes.io/region'] === 'eu' && n.labels.pool === 'x')).toBe(true);
    expect(nodes[4]!.internalIP).toBe('192.168.4.5');
    expect(nodes[0]!.capacity).toMatchObject({ cpu: '4', memory: '16Gi', pods: '50' });
    expect(nodes[0]!.taints).toEqual([{ key: 'gpu', value: 'yes', effect: 'NoSchedule' }, { key: 'k', effect: 'NoExecute' }]);
  });

  it('takes explicit names (count follows)', () => {
    const spec = parseNodeSpec({ names: ['alpha', 'beta.example'] });
    expect(spec.count).toBe(2);
    expect(expandNodes(spec).map((n) => n.name)).toEqual(['alpha', 'beta.example']);
    expect(() => parseNodeSpec({ names: ['a', 'a'] })).toThrow(/names: "a" appears twice/);
    expect(() => parseNodeSpec({ names: ['Bad_Name'] })).toThrow(/names\[0\]: "Bad_Name"/);
    expect(() => parseNodeSpec({ names: ['a'], count: 3 })).toThrow(/count: 3 disagrees/);
  });

  it('rejects bad input with errors naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [{ count: -1 }, /count: -1 is not a non-negative integer/],
      [{ count: 1.5 }, /count: 1.5/],
      [{ memroy: '1Gi' }, /memroy: unknown field/],
      [{ cpu: 'lots' }, /cpu: "lots" is not a quantity/],
      [{ memory: '32GB' }, /memory: "32GB" is not a quantity/],
      [{ namePrefix: 'Upper-' }, /namePrefix: "Upper-"/],
      [{ labels: { 'bad key!': 'x' } }, /labels\.bad key!: invalid key/],
      [{ labels: { ok: 'bad value!' } }, /labels\.ok: invalid value/],
      [{ taints: [{ key: 'k', effect: 'Sometimes' }] }, /taints\[0\]\.effect: "Sometimes": supported values/],
      [{ taints: [{ effect: 'NoSchedule' }] }, /taints\[0\]\.key: required/],
      [{ zones: ['ok', ''] }, /zones\[1\]: must be a non-empty string/],
      [{ nodeCIDR: '10.0.0.0' }, /nodeCIDR: "10.0.0.0" is not an IPv4 CIDR/],
      [{ count: 300, nodeCIDR: '10.0.0.0/24' }, /count: 300 nodes do not fit nodeCIDR 10.0.0.0\/24 \(254 addresses\)/],
      [[1, 2], /\(root\): must be a map/],
    ];
    for (const [input, re] of cases) expect(() => parseNodeSpec(input, 'spec.yaml'), JSON.stringify(input)).toThrow(re);
    expect(() => parseNodeSpec({ cpu: 'x' }, 'spec.yaml')).toThrow(/^spec\.yaml: cpu:/);
  });

  it('reads YAML files, over a base (flags) spec', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-spec-'));
    const file = join(dir, 'nodes.yaml');
    writeFileSync(file, 'count: 4\nmemory: 64Gi\nzones: [z1, z2]\n');
    const spec = loadNodeSpecFile(file, { ...DEFAULT_NODE_SPEC, cpu: '2' });
    expect(spec).toMatchObject({ count: 4, memory: '64Gi', cpu: '2', zones: ['z1', 'z2'] });
    writeFileSync(file, 'count: [\n');
    expect(() => loadNodeSpecFile(file)).toThrow(/nodes\.yaml: \(file\): not YAML/);
    writeFileSync(file, 'pods: many\n');
    expect(() => loadNodeSpecFile(file)).toThrow(/nodes\.yaml: pods: "many"/);
    expect(() => loadNodeSpecFile(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: \(file\): cannot read/);
  });

  it('parses flag syntaxes for taints and labels', () => {
    expect(parseTaint('a=b:NoExecute')).toEqual({ key: 'a', value: 'b', effect: 'NoExecute' });
    expect(parseTaint('a:PreferNoSchedule')).toEqual({ key: 'a', effect: 'PreferNoSchedule' });
    expect(() => parseTaint('a=b')).toThrow(/not key\[=value\]:Effect/);
    expect(parseLabelFlag('a=1, b=two')).toEqual({ a: '1', b: 'two' });
    expect(() => parseLabelFlag('novalue')).toThrow(/labels: "novalue" is not key=value/);
  });

  it('host addresses skip the network address and stop at the broadcast', () => {
    expect(hostAddress('10.1.2.0/23', 0)).toBe('10.1.2.1');
    expect(hostAddress('10.1.2.0/23', 300)).toBe('10.1.3.45');
    expect(() => hostAddress('10.1.2.0/30', 2)).toThrow(/room for 2 nodes/);
  });
});
