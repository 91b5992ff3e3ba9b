import { describe, expect, it } from 'vitest';
import { clusterPortName, hostVethName, netnsPath, nodeNetnsName, podNetnsName } from '../../../../src/dataplane/kubelet/network/names.js';

describe('pod network names', () => {
  it('names the node namespace skiff-node-<name> and honours a prefix', () => {
    expect(nodeNetnsName('n1')).toBe('skiff-node-n1');
    expect(nodeNetnsName('n1', 'skiff-t-abc-')).toBe('skiff-t-abc-node-n1');
    expect(netnsPath(nodeNetnsName('n1'))).toBe('/run/netns/skiff-node-n1');
  });

  it('cuts a long node name and appends a hash, staying within 64 characters and distinct', () => {
    const long = 'worker-' + 'x'.repeat(80) + '.example.com';
    const a = nodeNetnsName(long);
    const b = nodeNetnsName(long.replace('worker', 'wörker'));
    expect(a.length).toBeLessThanOrEqual(64);
    expect(a).toMatch(/^skiff-node-worker-x+-[0-9a-f]{8}$/);
    expect(b).toMatch(/^[A-Za-z0-9_.-]{1,64}$/);
    expect(a).not.toBe(b);
    expect(nodeNetnsName(long)).toBe(a); // stable across restarts
  });

  it('names pod namespaces by uid and the host veth within 15 characters', () => {
    const uid = '3f1c2a9e-5b7d-4c11-9a0e-7d2b1c6e8f40';
    expect(podNetnsName(uid, 'skiff-t-abc-')).toBe(`skiff-t-abc-pod-${uid}`);
    expect(hostVethName(uid)).toMatch(/^veth[0-9a-f]{8}$/);
    expect(hostVethName(uid)).not.toBe(hostVethName(uid.replace('3f', '4f')));
    expect(clusterPortName('skiff-node-n1').length).toBeLessThanOrEqual(15);
  });

  it('rejects a prefix that is not a namespace name and empty names', () => {
    expect(() => nodeNetnsName('n1', 'bad prefix/')).toThrow(/prefix "bad prefix\/"/);
    expect(() => nodeNetnsName('')).toThrow(/nodeName/);
    expect(() => podNetnsName('')).toThrow(/uid/);
  });
});
