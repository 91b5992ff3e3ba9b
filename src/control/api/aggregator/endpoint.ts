/**
 * Where an APIService's service is served: its port on the Service, then a ready address of its Endpoints with
 * that port's name (the aggregator's endpoint routing). The reasons and messages of what is missing are the
 * availability controller's.
 */
import type { KubeObject } from '../resource.js';
import type { RemoteAPI } from './remote-apis.js';
import type { ProxyTarget } from './proxy.js';

export interface ObjectLookup {
  get(plural: 'services' | 'endpoints', namespace: string, name: string): Promise<KubeObject | undefined>;
}

export type Resolution = { target: ProxyTarget } | { reason: string; message: string };

interface ServicePort { name?: string; port?: number }
interface Subset { addresses?: Array<{ ip: string }>; ports?: Array<{ name?: string; port: number }> }

export async function resolveEndpoint(objects: ObjectLookup, api: RemoteAPI): Promise<Resolution> {
  const { namespace, name, port } = api.service;
  const svc = await objects.get('services', namespace, name);
  if (!svc) return { reason: 'ServiceNotFound', message: `service/${name} in "${namespace}" is not present` };
  const ports = ((svc['spec'] as { ports?: ServicePort[] } | undefined)?.ports) ?? [];
  const sp = ports.find((p) => p.port === port);
  if (!sp) return { reason: 'ServicePortError', message: `service/${name} in "${namespace}" is not listening on port ${port}` };
  const portName = sp.name ?? '';
  const subsets = ((await objects.get('endpoints', namespace, name))?.['subsets'] as Subset[] | undefined) ?? [];
  for (const s of subsets) {
    const ep = (s.ports ?? []).find((p) => (p.name ?? '') === portName);
    const ip = s.addresses?.[0]?.ip;
    if (ep && ip) {
      return {
        target: {
          origin: `https://${ip.includes(':') ? `[${ip}]` : ip}:${ep.port}`, serverName: `${name}.${namespace}.svc`,
          ...(api.caBundle ? { caBundle: api.caBundle } : {}), insecureSkipTLSVerify: api.insecureSkipTLSVerify,
        },
      };
    }
  }
  return { reason: 'MissingEndpoints', message: `endpoints for service/${name} in "${namespace}" have no addresses with port name ${JSON.stringify(portName)}` };
}
