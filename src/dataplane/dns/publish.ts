/**
 * How pods reach this DNS server: the kube-dns Service (bootstrapped selectorless at the Service CIDR's tenth
 * address) gets an EndpointSlice per DNS server, written by the server itself with the address it answers on as
 * the cluster sees it (a node's address inside that node's network namespace). The proxy then sends
 * 10.96.0.10:53 there like any Service. The slice is managed by `skiff-dns`, so the EndpointSlice controllers
 * leave it alone; it is removed when the server stops.
 */
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { isIPv4, isIPv6 } from 'node:net';
import { EndpointSlices, isConflict, isNotFound, type KubeObject, type RestClient } from '../../client/index.js';
import { KUBE_DNS } from './snapshot.js';

export const DNS_MANAGED_BY = 'skiff-dns';

/** One slice per server, named for its node (or the address when it has none). */
export function kubeDnsSliceName(nodeName: string | undefined, address: string): string {
  const base = (nodeName || address).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return `${KUBE_DNS.name}-skiff-${base}`.slice(0, 63).replace(/-+$/, '');
}

export function kubeDnsSlice(o: { address: string; port: number; nodeName?: string }): EndpointSlice & KubeObject {
  if (!isIPv4(o.address) && !isIPv6(o.address)) throw new Error(`advertise address ${JSON.stringify(o.address)} is not an IP address`);
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: kubeDnsSliceName(o.nodeName, o.address),
      namespace: KUBE_DNS.namespace,
      labels: { 'kubernetes.io/service-name': KUBE_DNS.name, 'endpointslice.kubernetes.io/managed-by': DNS_MANAGED_BY },
    },
    addressType: isIPv4(o.address) ? 'IPv4' : 'IPv6',
    endpoints: [{ addresses: [o.address], conditions: { ready: true, serving: true, terminating: false }, ...(o.nodeName ? { nodeName: o.nodeName } : {}) }],
    ports: [
      { name: 'dns', port: o.port, protocol: 'UDP' },
      { name: 'dns-tcp', port: o.port, protocol: 'TCP' },
    ],
  };
}

/** Creates or replaces the slice; returns a function that deletes it. */
export async function publishKubeDnsSlice(client: RestClient, slice: EndpointSlice & KubeObject): Promise<() => Promise<void>> {
  const name = slice.metadata!.name!;
  const ns = slice.metadata!.namespace!;
  for (let attempt = 0; ; attempt++) {
    try {
      const cur = await client.get<EndpointSlice & KubeObject>(EndpointSlices, name, ns).catch((e: unknown) => {
        if (isNotFound(e)) return null;
        throw e;
      });
      if (cur) await client.update(EndpointSlices, { ...slice, metadata: { ...slice.metadata, resourceVersion: cur.metadata!.resourceVersion } });
      else await client.create(EndpointSlices, slice);
      break;
    } catch (e) {
      if (!isConflict(e) || attempt >= 3) throw e;
    }
  }
  return async () => {
    await client.delete(EndpointSlices, ns, name).catch((e: unknown) => {
      if (!isNotFound(e)) throw e;
    });
  };
}
