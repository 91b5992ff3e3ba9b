/**
 * Seeded synthetic service-port models for differential tests and benchmarks: a mix of ClusterIP, NodePort
 * and LoadBalancer ports with external IPs, source ranges, ClientIP affinity, Local traffic policies, and
 * ready / serving-terminating / not-ready endpoints, some on this node.
 */
import type { EndpointInfo, ServicePortInfo } from '../model.js';

/** mulberry32: small, fast, seedable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticOptions {
  seed?: number;
  /** Endpoints per service port, uniform in [min, max]. Default [1, 9] (mean 5). */
  endpoints?: [number, number];
  /** Share of service ports with no endpoints at all. Default 0. */
  empty?: number;
  /** Node IP used in some source ranges (so the FW chain's allow-from-node rules appear). */
  nodeIP?: string;
}

function ip(a: number): string {
  return `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** One service port; `i` makes names and addresses unique (up to 16M ports). */
export function syntheticServicePort(i: number, r: () => number, opts: SyntheticOptions = {}): ServicePortInfo {
  const [lo, hi] = opts.endpoints ?? [1, 9];
  const roll = r();
  const type = roll < 0.6 ? 'ClusterIP' : roll < 0.85 ? 'NodePort' : 'LoadBalancer';
  const pr = r();
  const protocol = pr < 0.8 ? 'TCP' : pr < 0.97 ? 'UDP' : 'SCTP';
  const portNames = ['', 'http', 'p80', 'metrics'];
  const externalIPs = r() < 0.1 ? [ip(0xc0a86300 + (i % 250) + 1)] : [];
  const lb = type === 'LoadBalancer';
  const loadBalancerIPs = lb ? [ip(0xcb007100 + (i % 65000))] : [];
  const ranges = lb && r() < 0.4 ? (r() < 0.5 ? ['203.0.113.0/24'] : ['203.0.113.0/24', (opts.nodeIP ?? '192.168.0.2') + '/32']) : [];
  const externallyAccessible = type !== 'ClusterIP' || externalIPs.length > 0;
  const externalTrafficLocal = externallyAccessible && r() < 0.3;
  const internalTrafficLocal = r() < 0.1;
  const port = r() < 0.5 ? 80 : 1 + Math.floor(r() * 65000);
  let n = lo + Math.floor(r() * (hi - lo + 1));
  if (opts.empty && r() < opts.empty) n = 0;
  const endpoints: EndpointInfo[] = [];
  const targetPort = r() < 0.5 ? port : 8080;
  for (let j = 0; j < n; j++) {
    const s = r();
    const ready = s < 0.85;
    const terminating = !ready && s < 0.95;
    endpoints.push({
      ip: ip(((10 << 24) | ((i & 0xffff) << 8) | (j + 1)) >>> 0),
      port: targetPort,
      ready,
      serving: ready || terminating,
      terminating,
      isLocal: r() < 0.3,
    });
  }
  return {
    namespace: `ns${i % 97}`,
    name: `svc${i}`,
    portName: portNames[i % portNames.length]!,
    protocol,
    type,
    clusterIP: ip(0xac1e0000 + i + 1),
    port,
    nodePort: type === 'ClusterIP' ? 0 : 30000 + (i % 2767),
    externalIPs,
    loadBalancerIPs,
    loadBalancerSourceRanges: ranges,
    affinityTimeoutSeconds: r() < 0.15 ? 10800 : 0,
    externalTrafficLocal,
    internalTrafficLocal,
    healthCheckNodePort: lb && externalTrafficLocal ? 32000 + (i % 700) : 0,
    endpoints,
  };
}

export function syntheticModel(count: number, opts: SyntheticOptions = {}): ServicePortInfo[] {
  const r = rng(opts.seed ?? 1);
  const out: ServicePortInfo[] = [];
  for (let i = 0; i < count; i++) out.push(syntheticServicePort(i, r, opts));
  return out;
}
