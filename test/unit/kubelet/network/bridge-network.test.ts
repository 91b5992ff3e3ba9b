/** What the pod network checks before it touches anything (no root needed: these never reach `ip`). */
import { describe, expect, it } from 'vitest';
import { BridgePodNetwork } from '../../../../src/dataplane/kubelet/network/bridge-network.js';
import { uplinkIP } from '../../../../src/dataplane/kubelet/network/cluster-link.js';
import type { PodNetworkRequest } from '../../../../src/dataplane/kubelet/network/types.js';

describe('pod network options and requests', () => {
  it('rejects bad options naming the field', () => {
    expect(() => new BridgePodNetwork({ stateDir: '' })).toThrow(/stateDir must be set/);
    expect(() => new BridgePodNetwork({ stateDir: '/x', bridgeName: 'a-bridge-name-too-long' })).toThrow(/bridgeName "a-bridge-name-too-long"/);
    expect(() => new BridgePodNetwork({ stateDir: '/x', prefix: 'no/slash' })).toThrow(/prefix "no\/slash"/);
    expect(() => new BridgePodNetwork({ stateDir: '/x', uplink: { clusterNetns: 'c', address: '10.99.0.2' } })).toThrow(/uplink.address: "10.99.0.2" must be an IPv4 address with a prefix/);
    expect(uplinkIP('10.99.0.2/24')).toBe('10.99.0.2');
    expect(() => new BridgePodNetwork({ stateDir: '/x', nodeNetns: 'a b' })).toThrow(/nodeNetns "a b"/);
  });

  it('start() checks its config before creating anything', async () => {
    const net = new BridgePodNetwork({ stateDir: '/nonexistent' });
    await expect(net.start({ nodeName: '', podCIDR: '10.244.1.0/24', hostNetwork: false })).rejects.toThrow(/nodeName must be set/);
    await expect(net.start({ nodeName: 'n1', podCIDR: '10.244.1.0', hostNetwork: false })).rejects.toThrow(/podCIDR: "10.244.1.0" is not an IPv4 CIDR/);
    const up = new BridgePodNetwork({ stateDir: '/nonexistent', uplink: { clusterNetns: 'c', address: '10.99.0.2/24' } });
    await expect(up.start({ nodeName: 'n1', podCIDR: '10.244.1.0/24', hostNetwork: true })).rejects.toThrow(/uplink needs a node namespace of its own/);
    expect(net.nodeNetnsPath()).toBeUndefined();
    const given = new BridgePodNetwork({ stateDir: '/nonexistent', nodeNetns: 'mine' });
    await expect(given.start({ nodeName: 'n1', podCIDR: '10.244.1.0/24', hostNetwork: true })).rejects.toThrow(/nodeNetns and hostNetwork exclude each other/);
  });

  it('refuses pods before start() and requests with missing fields', async () => {
    const net = new BridgePodNetwork({ stateDir: '/nonexistent' });
    const req: PodNetworkRequest = { namespace: 'default', name: 'p', uid: 'u1', hostNetwork: false };
    await expect(net.setUp(req)).rejects.toThrow(/start\(\) has not completed/);
    await expect(net.list()).rejects.toThrow(/start\(\) has not completed/);
    await expect(net.setUp({ ...req, uid: '' })).rejects.toThrow(/uid must be a non-empty string/);
    await expect(net.setUp({ ...req, hostNetwork: 'no' as unknown as boolean })).rejects.toThrow(/hostNetwork must be a boolean/);
    await expect(net.tearDown('')).rejects.toThrow(/uid must not be empty/);
    await net.destroy(); // never started: nothing to do
  });
});
