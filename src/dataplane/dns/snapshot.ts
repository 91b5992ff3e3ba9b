/**
 * The cluster as the DNS server sees it: Services, their ready endpoints (from EndpointSlices) and the
 * namespaces, indexed for lookups by name and by address. Kept incrementally: a change to one Service or one of
 * its slices recomputes that Service's entry and its share of the address indexes, nothing else (a full build of
 * 10,000 Services is hundreds of milliseconds, too long to pay on the query after every endpoint change).
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

/** What the answers read. */
export interface DnsSnapshot {
  /** By namespace and name, lower case. */
  service(namespace: string, name: string): DnsService | undefined;
  namespaceExists(namespace: string): boolean;
  /** The Service holding a ClusterIP (ipKey); the first by namespace/name if several claim it. */
  serviceForIP(ipKey: string): DnsService | undefined;
  /** `<hostname>.<service>.<namespace>` of every ready endpoint with this address (ipKey). */
  endpointNamesForIP(ipKey: string): string[];
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** The Service the kubelet's clusterDNS address belongs to; its ClusterIPs are the zone's nameserver. */
export const KUBE_DNS = { namespace: 'kube-system', name: 'kube-dns' };

const port = (name: string | undefined, num: number | undefined | null, protocol: string | undefined): DnsPort => ({
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

/** `<namespace>/<name>`, lower case: the key of a Service and of the slices that belong to it. */
export const serviceKey = (ns: string, name: string) => `${ns.toLowerCase()}/${name.toLowerCase()}`;

/** The Service key a slice belongs to (its service-name label), or null. */
export function sliceServiceKey(s: EndpointSlice): string | null {
  const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
  const ns = s.metadata?.namespace;
  return svc && ns ? serviceKey(ns, svc) : null;
}

/** Endpoints of one Service from its slices: ready (nil counts as ready), FQDN slices skipped, one per address. */
function endpointsOf(slices: EndpointSlice[], publishNotReady: boolean): DnsEndpoint[] {
  const out: DnsEndpoint[] = [];
  const seen = new Set<string>();
  for (const s of slices) {
    if (s.addressType !== 'IPv4' && s.addressType !== 'IPv6') continue;
    const ports = (s.ports ?? []).filter((p) => p.port !== undefined && p.port !== null).map((p) => port(p.name, p.port, p.protocol));
    const portsId = ports.map((p) => `${p.name}/${p.port}/${p.protocol}`).join(',');
    for (const ep of s.endpoints ?? []) {
      if (!publishNotReady && ep.conditions?.ready === false) continue;
      for (const ip of ep.addresses ?? []) {
        const hostname = endpointHostname(ep.hostname, ip);
        // The same endpoint may sit in two slices while the controller moves it; answer it once per port set.
        const id = `${ip}|${hostname}|${portsId}`;
        if (seen.has(id)) continue;
        seen.add(id);
        out.push({ ip, hostname, ports });
      }
    }
  }
  return out;
}

/** One Service's entry from the object and its slices. */
export function serviceEntry(svc: Service, slices: EndpointSlice[]): DnsService | null {
  const name = svc.metadata?.name;
  const ns = svc.metadata?.namespace;
  if (!name || !ns) return null;
  const kind = serviceKind(svc);
  const ips = svc.spec?.clusterIPs?.length ? svc.spec.clusterIPs : svc.spec?.clusterIP ? [svc.spec.clusterIP] : [];
  return {
    name: name.toLowerCase(),
    namespace: ns.toLowerCase(),
    kind,
    clusterIPs: kind === 'ClusterIP' ? ips.filter((ip) => ipKey(ip) !== null) : [],
    externalName: kind === 'ExternalName' ? (svc.spec?.externalName ?? '').toLowerCase().replace(/\.$/, '') : '',
    ports: (svc.spec?.ports ?? []).map((p) => port(p.name, p.port, p.protocol)),
    endpoints: kind === 'ExternalName' ? [] : endpointsOf(slices, publishesNotReady(svc)),
  };
}

const addOwner = <V>(m: Map<string, Map<string, V>>, ip: string, key: string, v: V) => {
  let owners = m.get(ip);
  if (!owners) m.set(ip, (owners = new Map()));
  owners.set(key, v);
};
const dropOwner = <V>(m: Map<string, Map<string, V>>, ip: string, key: string) => {
  const owners = m.get(ip);
  if (!owners) return;
  owners.delete(key);
  if (owners.size === 0) m.delete(ip);
};

/** The index itself: entries by Service key and the address indexes, each Service replaced on its own. */
export class DnsIndex implements DnsSnapshot {
  private readonly services = new Map<string, DnsService>();
  /** ipKey → Service key → entry. */
  private readonly clusterIPs = new Map<string, Map<string, DnsService>>();
  /** ipKey → Service key → endpoint names. */
  private readonly endpointIPs = new Map<string, Map<string, string[]>>();
  /** Namespaces that exist; null when not watched (then a namespace exists if it holds a Service). */
  namespaces: Set<string> | null = null;

  /** Replaces (or with null removes) the entry under `key`. */
  set(key: string, entry: DnsService | null): void {
    const old = this.services.get(key);
    if (old) {
      for (const ip of old.clusterIPs) dropOwner(this.clusterIPs, ipKey(ip)!, key);
      for (const ep of old.endpoints) {
        const k = ipKey(ep.ip);
        if (k) dropOwner(this.endpointIPs, k, key);
      }
      this.services.delete(key);
    }
    if (!entry) return;
    this.services.set(key, entry);
    for (const ip of entry.clusterIPs) addOwner(this.clusterIPs, ipKey(ip)!, key, entry);
    const names = new Map<string, string[]>();
    for (const ep of entry.endpoints) {
      const k = ipKey(ep.ip);
      if (!k) continue;
      const name = `${ep.hostname}.${entry.name}.${entry.namespace}`;
      const list = names.get(k);
      if (!list) names.set(k, [name]);
      else if (!list.includes(name)) list.push(name);
    }
    for (const [k, list] of names) addOwner(this.endpointIPs, k, key, list);
  }

  service(namespace: string, name: string): DnsService | undefined {
    return this.services.get(`${namespace}/${name}`);
  }

  namespaceExists(ns: string): boolean {
    if (this.namespaces) return this.namespaces.has(ns);
    for (const svc of this.services.values()) if (svc.namespace === ns) return true;
    return false;
  }

  serviceForIP(k: string): DnsService | undefined {
    const owners = this.clusterIPs.get(k);
    if (!owners) return undefined;
    // Normally one owner; when several claim an address, the answer must not depend on watch order.
    return owners.get([...owners.keys()].sort()[0]!);
  }

  endpointNamesForIP(k: string): string[] {
    const owners = this.endpointIPs.get(k);
    if (!owners) return [];
    return [...owners.keys()].sort().flatMap((key) => owners.get(key)!);
  }
}

/** A whole index from object lists (tests, tools). */
export function buildSnapshot(services: Iterable<Service>, slices: Iterable<EndpointSlice>, namespaces: Iterable<Namespace> | null): DnsIndex {
  const bySvc = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const k = sliceServiceKey(s);
    if (!k) continue;
    const list = bySvc.get(k);
    if (list) list.push(s);
    else bySvc.set(k, [s]);
  }
  const index = new DnsIndex();
  for (const svc of services) {
    if (!svc.metadata?.name || !svc.metadata.namespace) continue;
    const key = serviceKey(svc.metadata.namespace, svc.metadata.name);
    index.set(key, serviceEntry(svc, bySvc.get(key) ?? []));
  }
  if (namespaces) index.namespaces = namespaceSet(namespaces);
  return index;
}

export function namespaceSet(namespaces: Iterable<Namespace>): Set<string> {
  const out = new Set<string>();
  for (const n of namespaces) if (n.metadata?.name) out.add(n.metadata.name.toLowerCase());
  return out;
}
