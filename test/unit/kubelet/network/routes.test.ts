import { describe, expect, it } from 'vitest';
import { planRoutes, routesFor, ROUTE_PROTO, type NodeLike } from '../../../../src/dataplane/kubelet/network/routes.js';

function node(name: string, podCIDR?: string, ip?: string): NodeLike {
  return { metadata: { name }, spec: podCIDR ? { podCIDR } : {}, status: { addresses: ip ? [{ type: 'Hostname', address: name }, { type: 'InternalIP', address: ip }] : [] } };
}

describe('routesFor', () => {
  it('routes every other node\'s podCIDR via its InternalIP, sorted, without itself', () => {
    const nodes = [node('n3', '10.244.3.0/24', '10.99.0.4'), node('n1', '10.244.1.0/24', '10.99.0.2'), node('n2', '10.244.2.7/24', '10.99.0.3')];
    expect(routesFor('n1', nodes)).toEqual([
      { dst: '10.244.2.0/24', via: '10.99.0.3', node: 'n2' },
      { dst: '10.244.3.0/24', via: '10.99.0.4', node: 'n3' },
    ]);
  });

  it('skips nodes without a podCIDR or InternalIP, IPv6 and malformed CIDRs, a duplicate CIDR and one equal to its own', () => {
    const nodes = [
      node('self', '10.244.1.0/24', '10.99.0.2'),
      node('a-none'),
      node('b-noip', '10.244.5.0/24'),
      node('c-v6', 'fd00::/64', '10.99.0.9'),
      node('d-bad', '10.244.300.0/24', '10.99.0.8'),
      node('e-dup1', '10.244.6.0/24', '10.99.0.6'),
      node('f-dup2', '10.244.6.0/24', '10.99.0.7'),
      node('g-same', '10.244.1.0/24', '10.99.0.5'),
      { metadata: { name: 'h-dual' }, spec: { podCIDRs: ['fd00:1::/64', '10.244.8.0/24'] }, status: { addresses: [{ type: 'InternalIP', address: '10.99.0.10' }] } },
    ];
    expect(routesFor('self', nodes)).toEqual([
      { dst: '10.244.6.0/24', via: '10.99.0.6', node: 'e-dup1' },
      { dst: '10.244.8.0/24', via: '10.99.0.10', node: 'h-dual' },
    ]);
  });
});

describe('planRoutes', () => {
  const want = [
    { dst: '10.244.2.0/24', via: '10.99.0.3', node: 'n2' },
    { dst: '10.244.3.0/24', via: '10.99.0.4', node: 'n3' },
  ];

  it('adds what is missing, moves a changed gateway, deletes routes of nodes that left', () => {
    const installed = [
      { dst: '10.244.2.0/24', gateway: '10.99.0.3' },
      { dst: '10.244.3.0/24', gateway: '10.99.0.40' },
      { dst: '10.244.9.0/24', gateway: '10.99.0.9' },
    ];
    expect(planRoutes(installed, want)).toEqual([
      `route replace 10.244.3.0/24 via 10.99.0.4 proto ${ROUTE_PROTO}`,
      `route del 10.244.9.0/24 proto ${ROUTE_PROTO}`,
    ]);
  });

  it('changes nothing when the routes match', () => {
    expect(planRoutes(want.map((r) => ({ dst: r.dst, gateway: r.via })), want)).toEqual([]);
    expect(planRoutes([], [])).toEqual([]);
  });
});
