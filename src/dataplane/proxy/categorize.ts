/**
 * Which endpoints a service port's traffic may go to, as kube-proxy's CategorizeEndpoints decides: ready
 * endpoints, or serving+terminating ones when none is ready; Local policies keep only this node's endpoints.
 */
import type { EndpointInfo, ServicePortInfo } from './model.js';

export interface EndpointCategories {
  /** Endpoints for traffic from inside the cluster (ClusterIP). */
  internal: EndpointInfo[];
  /** Endpoints for traffic from outside (NodePort, external IPs, load balancer IPs). */
  external: EndpointInfo[];
  /** Usable endpoints cluster-wide, and on this node only (computed only when a Local policy asks). */
  cluster: EndpointInfo[];
  local: EndpointInfo[];
  /** Whether the service has any usable endpoint at all (drives reject vs drop). */
  hasEndpoints: boolean;
}

function usable(eps: EndpointInfo[]): EndpointInfo[] {
  const ready = eps.filter((e) => e.ready);
  return ready.length > 0 ? ready : eps.filter((e) => e.serving && e.terminating);
}

export function categorizeEndpoints(sp: ServicePortInfo): EndpointCategories {
  const cluster = usable(sp.endpoints);
  const local = sp.internalTrafficLocal || sp.externalTrafficLocal ? usable(sp.endpoints.filter((e) => e.isLocal)) : [];
  const internal = sp.internalTrafficLocal ? local : cluster;
  const external = sp.externalTrafficLocal ? local : cluster;
  return { internal, external, cluster, local, hasEndpoints: cluster.length > 0 || local.length > 0 };
}
