/** Services, EndpointSlices and Namespaces as the API serves them, for the DNS record tests. */
import type { Namespace, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';

export const ns = (name: string): Namespace => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

export function clusterIPService(name: string, namespace: string, ip: string | string[], ports: { name?: string; port: number; protocol?: string }[]): Service {
  const ips = Array.isArray(ip) ? ip : [ip];
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { type: 'ClusterIP', clusterIP: ips[0], clusterIPs: ips, ports } };
}

export function headlessService(name: string, namespace: string, ports: { name?: string; port: number; protocol?: string }[], publishNotReadyAddresses = false): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports, publishNotReadyAddresses } };
}

export function externalNameService(name: string, namespace: string, externalName: string): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { type: 'ExternalName', externalName } };
}

export interface Ep {
  ip: string;
  hostname?: string;
  ready?: boolean | null;
}

export function slice(service: string, namespace: string, eps: Ep[], ports: { name?: string; port: number; protocol?: string }[], addressType: 'IPv4' | 'IPv6' | 'FQDN' = 'IPv4', suffix = 'abc'): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-${suffix}`, namespace, labels: { 'kubernetes.io/service-name': service } },
    addressType,
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      ...(e.hostname ? { hostname: e.hostname } : {}),
      conditions: e.ready === null ? {} : { ready: e.ready ?? true },
    })),
    ports,
  };
}
