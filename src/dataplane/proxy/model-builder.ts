/**
 * Services + EndpointSlices (discovery.k8s.io/v1) → the proxy model, as kube-proxy's ServiceChangeTracker and
 * EndpointSliceCache would see them: one ServicePortInfo per (Service, port), IPv4 only. A pure function: the
 * agent calls it on every sync with its informers' current objects.
 */
import type { EndpointInfo, Protocol, ServicePortInfo } from './model.js';

/** The parts of a core/v1 Service the proxy reads (plain API JSON). */
export interface ServiceObject {
  metadata: { namespace?: string; name: string };
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    ports?: Array<{ name?: string; protocol?: string; port: number; nodePort?: number }>;
    externalIPs?: string[];
    loadBalancerSourceRanges?: string[];
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    externalTrafficPolicy?: string;
    internalTrafficPolicy?: string;
    healthCheckNodePort?: number;
  };
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string; ipMode?: string }> } };
}

/** The parts of a discovery.k8s.io/v1 EndpointSlice the proxy reads. */
export interface EndpointSliceObject {
  metadata: { namespace?: string; name: string; labels?: Record<string, string> };
  addressType: string;
  endpoints?: Array<{
    addresses: string[];
    conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
    nodeName?: string | null;
  }> | null;
  ports?: Array<{ name?: string | null; protocol?: string | null; port?: number | null }> | null;
}

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** Upstream's default ClientIP affinity timeout (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const CIDR4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;

export function isIPv4(s: string): boolean {
  return IPV4.test(s);
}

function protocolOf(p: string | null | undefined): Protocol | null {
  const v = p ?? 'TCP';
  return v === 'TCP' || v === 'UDP' || v === 'SCTP' ? v : null;
}

/** Key of one service port: namespace/name:portName/protocol. */
function portKey(namespace: string, name: string, portName: string, protocol: Protocol): string {
  return `${namespace}/${name}:${portName}/${protocol}`;
}

/**
 * Endpoints per service port key, merged over all slices of a service. The same ip:port in two slices (which
 * happens while the EndpointSlice controller moves endpoints) counts once; a ready copy wins over a not-ready one.
 */
function collectEndpoints(slices: EndpointSliceObject[], nodeName: string): Map<string, Map<string, EndpointInfo>> {
  const byPort = new Map<string, Map<string, EndpointInfo>>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    const namespace = slice.metadata.namespace ?? 'default';
    const svcName = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svcName) continue;
    for (const port of slice.ports ?? []) {
      const protocol = protocolOf(port.protocol);
      if (protocol === null || port.port == null || port.port <= 0 || port.port > 65535) continue;
      const key = portKey(namespace, svcName, port.name ?? '', protocol);
      let eps = byPort.get(key);
      if (!eps) byPort.set(key, (eps = new Map()));
      for (const ep of slice.endpoints ?? []) {
        // kube-proxy uses an endpoint's first address only.
        const ip = ep.addresses?.[0];
        if (!ip || !isIPv4(ip)) continue;
        const c = ep.conditions ?? {};
        const ready = c.ready ?? true;
        const info: EndpointInfo = {
          ip,
          port: port.port,
          ready,
          serving: c.serving ?? ready,
          terminating: c.terminating ?? false,
          isLocal: nodeName !== '' && ep.nodeName === nodeName,
        };
        const id = `${ip}:${port.port}`;
        const prev = eps.get(id);
        if (!prev || (!prev.ready && info.ready)) eps.set(id, info);
      }
    }
  }
  return byPort;
}

function ipv4ClusterIP(spec: NonNullable<ServiceObject['spec']>): string {
  const ips = spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  return ips.find(isIPv4) ?? '';
}

function compareIP(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

/**
 * Flatten Services and EndpointSlices for the proxy on `nodeName`. Skipped as upstream does: ExternalName
 * services, headless services (clusterIP None), services without an IPv4 cluster IP, ports with an unknown
 * protocol. Output is sorted by service port name, endpoints by IP then port, so equal inputs give equal models.
 */
export function buildServicePorts(
  services: Iterable<ServiceObject>,
  slices: Iterable<EndpointSliceObject>,
  nodeName: string,
): ServicePortInfo[] {
  const endpoints = collectEndpoints([...slices], nodeName);
  const out: ServicePortInfo[] = [];
  for (const svc of services) {
    const spec = svc.spec;
    if (!spec) continue;
    const type = spec.type ?? 'ClusterIP';
    if (type === 'ExternalName') continue;
    if (type !== 'ClusterIP' && type !== 'NodePort' && type !== 'LoadBalancer') continue;
    if (spec.clusterIP === 'None') continue;
    const clusterIP = ipv4ClusterIP(spec);
    if (clusterIP === '') continue;
    const namespace = svc.metadata.namespace ?? 'default';
    const name = svc.metadata.name;
    const externalIPs = (spec.externalIPs ?? []).filter(isIPv4);
    // Ingress IPs in Proxy mode are handled by the load balancer itself, so kube-proxy programs nothing for them.
    const loadBalancerIPs =
      type === 'LoadBalancer'
        ? (svc.status?.loadBalancer?.ingress ?? [])
            .filter((i) => i.ip && isIPv4(i.ip) && i.ipMode !== 'Proxy')
            .map((i) => i.ip as string)
        : [];
    const loadBalancerSourceRanges =
      type === 'LoadBalancer' ? (spec.loadBalancerSourceRanges ?? []).map((r) => r.trim()).filter((r) => CIDR4.test(r)) : [];
    const affinityTimeoutSeconds =
      spec.sessionAffinity === 'ClientIP'
        ? spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS
        : 0;
    // externalTrafficPolicy only matters for traffic that can arrive from outside the cluster.
    const externallyAccessible = type === 'NodePort' || type === 'LoadBalancer' || externalIPs.length > 0;
    const externalTrafficLocal = externallyAccessible && spec.externalTrafficPolicy === 'Local';
    const internalTrafficLocal = spec.internalTrafficPolicy === 'Local';
    const healthCheckNodePort =
      type === 'LoadBalancer' && externalTrafficLocal ? spec.healthCheckNodePort ?? 0 : 0;
    for (const port of spec.ports ?? []) {
      const protocol = protocolOf(port.protocol);
      if (protocol === null) continue;
      const portName = port.name ?? '';
      const eps = [...(endpoints.get(portKey(namespace, name, portName, protocol))?.values() ?? [])];
      eps.sort((a, b) => compareIP(a.ip, b.ip) || a.port - b.port);
      out.push({
        namespace,
        name,
        portName,
        protocol,
        type,
        clusterIP,
        port: port.port,
        nodePort: type === 'ClusterIP' ? 0 : port.nodePort ?? 0,
        externalIPs: [...externalIPs],
        loadBalancerIPs: [...loadBalancerIPs],
        loadBalancerSourceRanges: [...loadBalancerSourceRanges],
        affinityTimeoutSeconds,
        externalTrafficLocal,
        internalTrafficLocal,
        healthCheckNodePort,
        endpoints: eps,
      });
    }
  }
  out.sort((a, b) => {
    const ka = `${a.namespace}/${a.name}:${a.portName}/${a.protocol}`;
    const kb = `${b.namespace}/${b.name}:${b.portName}/${b.protocol}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return out;
}

/**
 * Memo for buildServicePortsCached: informer objects are replaced, never mutated, on change, so a Service whose
 * object and EndpointSlice objects are the same as last time yields the same ServicePortInfo objects, which lets
 * the backends skip it by identity. Makes a sync after one change O(services) in cheap comparisons only.
 */
export class ServicePortCache {
  entries = new Map<string, { svc: ServiceObject; slices: EndpointSliceObject[]; ports: ServicePortInfo[] }>();
}

export function buildServicePortsCached(
  services: Iterable<ServiceObject>,
  slices: Iterable<EndpointSliceObject>,
  nodeName: string,
  cache: ServicePortCache,
): ServicePortInfo[] {
  const bySvc = new Map<string, EndpointSliceObject[]>();
  for (const s of slices) {
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svc) continue;
    const key = `${s.metadata.namespace ?? 'default'}/${svc}`;
    let l = bySvc.get(key);
    if (!l) bySvc.set(key, (l = []));
    l.push(s);
  }
  const next = new Map<string, { svc: ServiceObject; slices: EndpointSliceObject[]; ports: ServicePortInfo[] }>();
  const out: ServicePortInfo[] = [];
  for (const svc of services) {
    const key = `${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`;
    const sl = bySvc.get(key) ?? [];
    const prev = cache.entries.get(key);
    let ports: ServicePortInfo[];
    if (prev && prev.svc === svc && prev.slices.length === sl.length && prev.slices.every((s) => sl.includes(s))) ports = prev.ports;
    else ports = buildServicePorts([svc], sl, nodeName);
    next.set(key, { svc, slices: sl, ports });
    out.push(...ports);
  }
  cache.entries = next;
  out.sort((a, b) => {
    const ka = `${a.namespace}/${a.name}:${a.portName}/${a.protocol}`;
    const kb = `${b.namespace}/${b.name}:${b.portName}/${b.protocol}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return out;
}
