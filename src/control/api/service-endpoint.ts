/**
 * Where the API server reaches a Service it calls itself (admission and conversion webhooks, APIServices): the
 * Service's port by number, then an address of its Endpoints with that port's name, as upstream's endpoint
 * service resolver does. The reasons and messages of what is missing are the aggregator's availability
 * controller's. An address the server could only reach through its default route is refused (reachability.ts).
 */
import type { KubeObject } from './resource.js';
import { reachableWithoutDefaultRoute } from './reachability.js';

export interface ServiceLookup {
  get(plural: 'services' | 'endpoints', namespace: string, name: string): Promise<KubeObject | undefined>;
}

export type EndpointResolution = { ip: string; port: number } | { reason: string; message: string };

interface ServicePort { name?: string; port?: number }
interface Subset { addresses?: Array<{ ip: string }>; ports?: Array<{ name?: string; port: number }> }

export async function resolveServiceEndpoint(
  objects: ServiceLookup, namespace: string, name: string, port: number,
  reachable: (ip: string) => boolean = reachableWithoutDefaultRoute,
): Promise<EndpointResolution> {
  const svc = await objects.get('services', namespace, name);
  if (!svc) return { reason: 'ServiceNotFound', message: `service/${name} in "${namespace}" is not present` };
  const sp = (((svc['spec'] as { ports?: ServicePort[] } | undefined)?.ports) ?? []).find((p) => p.port === port);
  if (!sp) return { reason: 'ServicePortError', message: `service/${name} in "${namespace}" is not listening on port ${port}` };
  const portName = sp.name ?? '';
  const subsets = ((await objects.get('endpoints', namespace, name))?.['subsets'] as Subset[] | undefined) ?? [];
  let unreachable: string | undefined;
  for (const s of subsets) {
    const ep = (s.ports ?? []).find((p) => (p.name ?? '') === portName);
    if (!ep) continue;
    for (const a of s.addresses ?? []) {
      if (reachable(a.ip)) return { ip: a.ip, port: ep.port };
      unreachable ??= a.ip;
    }
  }
  if (unreachable !== undefined) {
    return { reason: 'EndpointsUnreachable', message: `endpoints for service/${name} in "${namespace}" are not reachable from the API server (${unreachable} is on no network it reaches without its default route)` };
  }
  return { reason: 'MissingEndpoints', message: `endpoints for service/${name} in "${namespace}" have no addresses with port name ${JSON.stringify(portName)}` };
}

