/**
 * The cluster as the DNS server sees it: Services, their ready endpoints (from EndpointSlices) and the
 * namespaces, indexed for lookups by name and by address. Built from informer contents in one pass; the server
 * rebuilds it lazily after a change, so a burst of watch events costs one rebuild.
 */
import type { Namespace, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { endpointHostname, ipKey } from './names.js';

export interface DnsPort {
  /** Lower case; '' for an unnamed port (which has no SRV record of its own). */
  name: string;
  port: number;
  /** Lower case: tcp, udp, sctp. */
  protocol: string;
}

export interface DnsEndpoint {
  ip: string;
  /** The endpoint's hostname, or its address with dashes (lower case). */
  hostname: string;
  /** The slice's ports; empty when the slice lists none. */
  ports: DnsPort[];
}

export interface DnsService {
  name: string;
  namespace: string;
  kind: 'ClusterIP' | 'Headless' | 'ExternalName';
  clusterIPs: string[];
  /** ExternalName target, normalised (lower case, no trailing dot). */
  externalName: string;
  ports: DnsPort[];
  /** Ready endpoints (all of them when the Service publishes not-ready addresses), one per address. */
  endpoints: DnsEndpoint[];
}

export interface DnsSnapshot {
  /** By `<namespace>/<name>`, lower case. */
  services: Map<string, DnsService>;
  /** Namespaces that exist; null when not watched (then a namespace exists if it holds a Service). */
  namespaces: Set<string> | null;
  /** ClusterIP (ipKey) → the first Service holding it (by namespace/name). */
  clusterIPs: Map<string, DnsService>;
  /** Endpoint address (ipKey) → `<hostname>.<service>.<namespace>` of every ready endpoint with it. */
  endpointIPs: Map<string, string[]>;
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** The Service the kubelet's clusterDNS address belongs to; its ClusterIPs are the zone's nameserver. */
export const KUBE_DNS = { namespace: 'kube-system', name: 'kube-dns' };

const port = (name: string | undefined, num: number | undefined, protocol: string | undefined): DnsPort => ({
  name: (name ?? '').toLowerCase(),
  port: num ?? -1,
  protocol: (protocol ?? 'TCP').toLowerCase(),
});

function serviceKind(svc: Service): DnsService['kind'] {
  if (svc.spec?.type === 'ExternalName') return 'ExternalName';
  return svc.spec?.clusterIP === 'None' ? 'Headless' : 'ClusterIP';
}

/** publishNotReadyAddresses, or the deprecated annotation the specification still names for "ready". */
const publishesNotReady = (svc: Service): boolean =>
  svc.spec?.publishNotReadyAddresses === true || svc.metadata?.annotations?.['service.alpha.kubernetes.io/tolerate-unready-endpoints'] === 'true';

const keyOf = (ns: string, name: string) => `${ns.toLowerCase()}/${name.toLowerCase()}`;

/** Endpoints of one Service from its slices: ready (nil counts as ready), FQDN slices skipped, one per address. */
function endpointsOf(slices: EndpointSlice[], publishNotReady: boolean): DnsEndpoint[] {
  const out: DnsEndpoint[] = [];
  const seen = new Set<string>();
  for (const s of slices) {
    if (s.addressType !== 'IPv4' && s.addressType !== 'IPv6') continue;
    const ports = (s.ports ?? []).filter((p) => p.port !== undefined && p.port !== null).map((p) => port(p.name, p.port, p.protocol));
    for (const ep of s.endpoints ?? []) {
      if (!publishNotReady && ep.conditions?.ready === false) continue;
      for (const ip of ep.addresses ?? []) {
        const hostname = endpointHostname(ep.hostname, ip);
        // The same endpoint may sit in two slices while the controller moves it; answer it once per port set.
        const id = `${ipKey(ip) ?? ip}|${hostname}|${JSON.stringify(ports)}`;
        if (seen.has(id)) continue;
        seen.add(id);
        out.push({ ip, hostname, ports });
      }
    }
  }
  return out;
}

export function buildSnapshot(services: Iterable<Service>, slices: Iterable<EndpointSlice>, namespaces: Iterable<Namespace> | null): DnsSnapshot {
  const slicesBySvc = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    const ns = s.metadata?.namespace;
    if (!svc || !ns) continue;
    const k = keyOf(ns, svc);
    const list = slicesBySvc.get(k);
    if (list) list.push(s);
    else slicesBySvc.set(k, [s]);
  }
  const byKey = new Map<string, DnsService>();
  for (const svc of services) {
    const name = svc.metadata?.name;
    const ns = svc.metadata?.namespace;
    if (!name || !ns) continue;
    const kind = serviceKind(svc);
    const clusterIPs = kind === 'ClusterIP' ? (svc.spec?.clusterIPs?.length ? svc.spec.clusterIPs : svc.spec?.clusterIP ? [svc.spec.clusterIP] : []).filter((ip) => ipKey(ip) !== null) : [];
    const key = keyOf(ns, name);
    byKey.set(key, {
      name: name.toLowerCase(),
      namespace: ns.toLowerCase(),
      kind,
      clusterIPs,
      externalName: kind === 'ExternalName' ? (svc.spec?.externalName ?? '').toLowerCase().replace(/\.$/, '') : '',
      ports: (svc.spec?.ports ?? []).map((p) => port(p.name, p.port, p.protocol)),
      endpoints: kind === 'ExternalName' ? [] : endpointsOf(slicesBySvc.get(key) ?? [], publishesNotReady(svc)),
    });
  }
  // Sorted so that "the first Service holding an address" does not depend on watch order.
  const sorted = [...byKey.keys()].sort();
  const services_ = new Map(sorted.map((k) => [k, byKey.get(k)!]));
  const clusterIPs = new Map<string, DnsService>();
  const endpointIPs = new Map<string, string[]>();
  for (const svc of services_.values()) {
    for (const ip of svc.clusterIPs) {
      const k = ipKey(ip)!;
      if (!clusterIPs.has(k)) clusterIPs.set(k, svc);
    }
    for (const ep of svc.endpoints) {
      const k = ipKey(ep.ip);
      if (!k) continue;
      const name = `${ep.hostname}.${svc.name}.${svc.namespace}`;
      const list = endpointIPs.get(k);
      if (!list) endpointIPs.set(k, [name]);
      else if (!list.includes(name)) list.push(name);
    }
  }
  const nsSet = namespaces === null ? null : new Set([...namespaces].map((n) => (n.metadata?.name ?? '').toLowerCase()).filter(Boolean));
  return { services: services_, namespaces: nsSet, clusterIPs, endpointIPs };
}

export function namespaceExists(snap: DnsSnapshot, ns: string): boolean {
  if (snap.namespaces) return snap.namespaces.has(ns);
  for (const svc of snap.services.values()) if (svc.namespace === ns) return true;
  return false;
}
