/** Services and EndpointSlices for the dataplane tests, over the pods of a NetnsLab. */
import type { EndpointSliceObject, ServiceObject } from '../../src/dataplane/proxy/model-builder.js';
import type { Pod } from './netns.js';

export function service(name: string, clusterIP: string, extra: NonNullable<ServiceObject['spec']> = {}): ServiceObject {
  return { metadata: { namespace: 'default', name }, spec: { clusterIP, clusterIPs: [clusterIP], ports: [{ name: 'http', port: 80, protocol: 'TCP' }], ...extra } };
}

export function slice(service: string, pods: Pod[], nodeName = (p: Pod) => `node${p.node}`): EndpointSliceObject {
  return {
    metadata: { namespace: 'default', name: `${service}-abcde`, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints: pods.map((p) => ({ addresses: [p.ip], conditions: { ready: true }, nodeName: nodeName(p) })),
    ports: [{ name: 'http', port: pods[0]?.port ?? 8080, protocol: 'TCP' }],
  };
}

/** How often each answer occurred. */
export function tally(answers: string[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const a of answers) t[a] = (t[a] ?? 0) + 1;
  return t;
}
