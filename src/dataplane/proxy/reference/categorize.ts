/**
 * Upstream's CategorizeEndpoints (pkg/proxy/topology.go) without topology hints: which endpoints the Cluster
 * and Local policy chains use, which get KUBE-SEP chains, and whether the service has any usable endpoint.
 */
import type { EndpointInfo, ServicePortInfo } from '../model.js';

export interface Categories {
  cluster: EndpointInfo[];
  local: EndpointInfo[];
  /** Endpoints that get a KUBE-SEP chain: cluster ∪ local, cluster's order first. */
  reachable: EndpointInfo[];
  hasEndpoints: boolean;
  usesCluster: boolean;
  usesLocal: boolean;
  externallyAccessible: boolean;
  externalLocal: boolean;
}

export function externallyAccessible(sp: ServicePortInfo): boolean {
  return sp.nodePort !== 0 || sp.loadBalancerIPs.length > 0 || sp.externalIPs.length > 0;
}

export function categorize(sp: ServicePortInfo): Categories {
  const ext = externallyAccessible(sp);
  const externalLocal = ext && sp.externalTrafficLocal;
  // Externally reachable ports need Cluster endpoints even with a Local external policy: pod and host traffic
  // to an external address short-circuits to the Cluster chain.
  const usesCluster = !sp.internalTrafficLocal || ext;
  const usesLocal = sp.internalTrafficLocal || (ext && externalLocal);
  let cluster: EndpointInfo[] = [];
  let hasEndpoints = false;
  if (usesCluster) {
    cluster = sp.endpoints.filter((e) => e.ready);
    // No ready endpoint anywhere: fall back to serving-terminating ones, to avoid dropping connections.
    if (cluster.length === 0) cluster = sp.endpoints.filter((e) => e.serving && e.terminating);
    hasEndpoints = cluster.length > 0;
  }
  if (!usesLocal) {
    return { cluster, local: [], reachable: cluster, hasEndpoints, usesCluster, usesLocal, externallyAccessible: ext, externalLocal };
  }
  let localReady = false;
  let localServingTerminating = false;
  for (const e of sp.endpoints) {
    if (e.ready) {
      hasEndpoints = true;
      if (e.isLocal) localReady = true;
    } else if (e.serving && e.terminating) {
      hasEndpoints = true;
      if (e.isLocal) localServingTerminating = true;
    }
  }
  let local: EndpointInfo[] = [];
  if (localReady) local = sp.endpoints.filter((e) => e.isLocal && e.ready);
  else if (localServingTerminating) local = sp.endpoints.filter((e) => e.isLocal && e.serving && e.terminating);
  let reachable: EndpointInfo[];
  if (!usesCluster) reachable = local;
  else if (!localServingTerminating || localReady) reachable = cluster;
  else {
    // Local uses terminating endpoints that the cluster list lacks: the union, cluster's order first.
    const seen = new Set(cluster.map((e) => `${e.ip}:${e.port}`));
    reachable = [...cluster, ...local.filter((e) => !seen.has(`${e.ip}:${e.port}`))];
  }
  return { cluster, local, reachable, hasEndpoints, usesCluster, usesLocal, externallyAccessible: ext, externalLocal };
}
