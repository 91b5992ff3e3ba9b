/**
 * Where an APIService's service is served: service-endpoint.ts's resolution, as an HTTPS origin whose certificate
 * names the Service (the aggregator's endpoint routing).
 */
import { resolveServiceEndpoint, type ServiceLookup } from '../service-endpoint.js';
import type { RemoteAPI } from './remote-apis.js';
import type { ProxyTarget } from './proxy.js';
import { hostPort } from '../../../net/host-port.js';

export type ObjectLookup = ServiceLookup;

export type Resolution = { target: ProxyTarget } | { reason: string; message: string };

export async function resolveEndpoint(objects: ObjectLookup, api: RemoteAPI, reachable?: (ip: string) => boolean): Promise<Resolution> {
  const { namespace, name, port } = api.service;
  const r = await resolveServiceEndpoint(objects, namespace, name, port, reachable);
  if ('reason' in r) return r;
  return {
    target: {
      origin: `https://${hostPort(r.ip, r.port)}`, serverName: `${name}.${namespace}.svc`,
      ...(api.caBundle ? { caBundle: api.caBundle } : {}), insecureSkipTLSVerify: api.insecureSkipTLSVerify,
    },
  };
}
