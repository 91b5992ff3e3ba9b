import { describe, expect, it } from 'vitest';
import { gatewayOf, macFor, planBridge, planHostVeth, planPodInterface } from '../../../../src/dataplane/kubelet/network/node-plan.js';
import { parseCIDR } from '../../../../src/dataplane/kubelet/runtime/simulated/ipam.js';

const cidr = parseCIDR('10.244.1.0/24');
const lo = { ifname: 'lo', flags: ['LOOPBACK'] };

describe('node bridge plan', () => {
  it('the gateway is the first address of the podCIDR', () => {
    expect(gatewayOf(cidr)).toBe('10.244.1.1');
    expect(gatewayOf(parseCIDR('10.244.4.128/25'))).toBe('10.244.4.129');
  });

  it('creates loopback-up, the bridge, its address, up on a fresh namespace', () => {
    expect(planBridge([lo], { bridge: 'skiff0', cidr, loopback: true })).toEqual([
      'link set dev lo up',
      'link add name skiff0 address 0a:58:0a:f4:01:01 type bridge',
      'addr add 10.244.1.1/24 dev skiff0',
      'link set dev skiff0 up',
    ]);
  });

  it('changes nothing on a namespace already set up (an agent restart)', () => {
    const done = [
      { ifname: 'lo', flags: ['LOOPBACK', 'UP'] },
      { ifname: 'skiff0', flags: ['UP'], address: '0a:58:0a:f4:01:01', linkinfo: { info_kind: 'bridge' }, addr_info: [{ family: 'inet', local: '10.244.1.1', prefixlen: 24 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] },
    ];
    expect(planBridge(done, { bridge: 'skiff0', cidr, loopback: true })).toEqual([]);
  });

  it('swaps the gateway address when the podCIDR changed, and never touches lo when told not to', () => {
    const old = [lo, { ifname: 'skiff0', flags: [], linkinfo: { info_kind: 'bridge' }, addr_info: [{ family: 'inet', local: '10.244.9.1', prefixlen: 24 }] }];
    expect(planBridge(old, { bridge: 'skiff0', cidr, loopback: false })).toEqual([
      'addr del 10.244.9.1/24 dev skiff0',
      'addr add 10.244.1.1/24 dev skiff0',
      'link set dev skiff0 up',
    ]);
  });

  it('pins the bridge MAC (one from the gateway address) so it does not follow its ports', () => {
    expect(macFor('10.244.1.1')).toBe('0a:58:0a:f4:01:01');
    const drifting = [{ ifname: 'skiff0', flags: ['UP'], address: '8e:ad:c5:09:91:ce', linkinfo: { info_kind: 'bridge' }, addr_info: [{ family: 'inet', local: '10.244.1.1', prefixlen: 24 }] }];
    expect(planBridge(drifting, { bridge: 'skiff0', cidr, loopback: false })).toEqual(['link set dev skiff0 address 0a:58:0a:f4:01:01']);
    expect(() => macFor('nope')).toThrow(/not an IPv4 address/);
  });

  it('refuses a link of that name that is not a bridge', () => {
    expect(() => planBridge([{ ifname: 'skiff0', linkinfo: { info_kind: 'veth' } }], { bridge: 'skiff0', cidr, loopback: true })).toThrow(/skiff0 exists but is a veth link/);
  });

  it('plans the pod side and the host veth', () => {
    expect(planPodInterface('10.244.1.7', cidr)).toEqual(['link set dev lo up', 'link set dev eth0 address 0a:58:0a:f4:01:07', 'addr add 10.244.1.7/24 dev eth0', 'link set dev eth0 up', 'route add default via 10.244.1.1 dev eth0']);
    expect(planHostVeth('vethabcd1234', 'skiff-pod-u1', 'skiff0')[0]).toBe('link add name vethabcd1234 type veth peer name eth0 netns skiff-pod-u1');
  });
});
