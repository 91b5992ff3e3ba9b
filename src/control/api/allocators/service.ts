/**
 * A Service's allocated values (ClusterIP and NodePorts) across create, update and delete, as the service
 * REST storage does: allocate before validation, carry values over on update when the client left them out,
 * release on delete and on failed writes. Errors are field errors in upstream's words.
 */
import type { FieldError, KubeObject } from '../resource.js';
import { ClusterIPAllocator, IPRangeError, isIPv4 } from './clusterip.js';
import { NodePortAllocator, PortRangeError } from './nodeport.js';

interface ServicePort {
  name?: string;
  port?: number;
  protocol?: string;
  nodePort?: number;
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
}

const specOf = (svc: KubeObject): ServiceSpec => (svc['spec'] ??= {}) as ServiceSpec;

const needsClusterIP = (s: ServiceSpec): boolean => (s.type ?? 'ClusterIP') !== 'ExternalName' && s.clusterIP !== 'None';
const needsNodePorts = (s: ServiceSpec): boolean => s.type === 'NodePort' || s.type === 'LoadBalancer';

/** What one write allocated, so a failed write can give it back. */
export interface Allocation {
  ips: string[];
  ports: number[];
}

export class ServiceAllocator {
  constructor(
    readonly ips: ClusterIPAllocator,
    readonly ports: NodePortAllocator,
  ) {}

  /** Marks a stored Service's values as used (start-up rebuild). */
  observe(svc: KubeObject): void {
    const s = specOf(svc);
    for (const ip of s.clusterIPs ?? (s.clusterIP ? [s.clusterIP] : [])) if (isIPv4(ip)) this.ips.markUsed(ip);
    for (const p of s.ports ?? []) if (p.nodePort) this.ports.markUsed(p.nodePort);
  }

  release(a: Allocation): void {
    for (const ip of a.ips) this.ips.release(ip);
    for (const p of a.ports) this.ports.release(p);
  }

  /** Releases everything a deleted Service held. */
  releaseService(svc: KubeObject): void {
    const s = specOf(svc);
    for (const ip of s.clusterIPs ?? (s.clusterIP ? [s.clusterIP] : [])) if (isIPv4(ip)) this.ips.release(ip);
    for (const p of s.ports ?? []) if (p.nodePort) this.ports.release(p.nodePort);
  }

  /** Allocates on create; returns the allocation or field errors (nothing held on errors). */
  allocateCreate(svc: KubeObject): { alloc: Allocation; errors: FieldError[] } {
    return this.allocate(svc, null);
  }

  /**
   * On update: values the client left empty are carried over from the old object (upstream's
   * patchAllocatedValues); new needs are allocated; values no longer needed are returned in `freed`, to be
   * released once the write succeeded.
   */
  allocateUpdate(svc: KubeObject, old: KubeObject): { alloc: Allocation; errors: FieldError[]; freed: Allocation } {
    const s = specOf(svc);
    const o = specOf(old);
    if (needsClusterIP(s) && needsClusterIP(o) && !s.clusterIP && o.clusterIP) {
      s.clusterIP = o.clusterIP;
      s.clusterIPs = o.clusterIPs ?? [o.clusterIP];
    }
    if (needsNodePorts(s) && needsNodePorts(o)) {
      for (const p of s.ports ?? []) {
        if (p.nodePort) continue;
        const match = (o.ports ?? []).find((q) => q.port === p.port && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
        if (match?.nodePort) p.nodePort = match.nodePort;
      }
    }
    const res = this.allocate(svc, old);
    const freed: Allocation = { ips: [], ports: [] };
    if (res.errors.length === 0) {
      const keptIPs = new Set(s.clusterIPs ?? (s.clusterIP ? [s.clusterIP] : []));
      for (const ip of o.clusterIPs ?? (o.clusterIP ? [o.clusterIP] : [])) if (isIPv4(ip) && !keptIPs.has(ip)) freed.ips.push(ip);
      const keptPorts = new Set((s.ports ?? []).map((p) => p.nodePort).filter(Boolean));
      for (const p of o.ports ?? []) if (p.nodePort && !keptPorts.has(p.nodePort)) freed.ports.push(p.nodePort);
    }
    return { ...res, freed };
  }

  private allocate(svc: KubeObject, old: KubeObject | null): { alloc: Allocation; errors: FieldError[] } {
    const s = specOf(svc);
    const o = old ? specOf(old) : null;
    const alloc: Allocation = { ips: [], ports: [] };
    const errors: FieldError[] = [];
    const oldIPs = new Set(o?.clusterIPs ?? (o?.clusterIP ? [o.clusterIP] : []));
    const oldPorts = new Set((o?.ports ?? []).map((p) => p.nodePort).filter((p): p is number => !!p));

    if (needsClusterIP(s)) {
      const want = s.clusterIP || s.clusterIPs?.[0] || '';
      if (want && oldIPs.has(want)) {
        // Unchanged on update.
      } else if (want && !isIPv4(want)) {
        // Left to validation (invalid IP text).
      } else {
        try {
          const ip = this.ips.allocate(want || undefined);
          alloc.ips.push(ip);
          s.clusterIP = ip;
          s.clusterIPs = [ip];
        } catch (err) {
          if (!(err instanceof IPRangeError)) throw err;
          errors.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs', message: `Invalid value: []string{"${want}"}: ${err.message}` });
        }
      }
      if (s.clusterIP) {
        s.clusterIPs ??= [s.clusterIP];
        s.ipFamilies ??= ['IPv4'];
        s.ipFamilyPolicy ??= 'SingleStack';
      }
    } else if (s.clusterIP === 'None') {
      s.clusterIPs ??= ['None'];
    }

    if (needsNodePorts(s)) {
      (s.ports ?? []).forEach((p, i) => {
        if (p.nodePort && oldPorts.has(p.nodePort)) return;
        try {
          const port = this.ports.allocate(p.nodePort || undefined);
          alloc.ports.push(port);
          p.nodePort = port;
        } catch (err) {
          if (!(err instanceof PortRangeError)) throw err;
          errors.push({ type: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, message: `Invalid value: ${p.nodePort}: ${err.message}` });
        }
      });
    } else {
      // A ClusterIP Service has no node ports (upstream clears them when the type changes away).
      for (const p of s.ports ?? []) {
        if (p.nodePort && !oldPorts.has(p.nodePort)) {
          errors.push({ type: 'FieldValueForbidden', field: `spec.ports[${(s.ports ?? []).indexOf(p)}].nodePort`, message: 'Forbidden: may not be used when `type` is \'ClusterIP\'' });
        } else delete p.nodePort;
      }
    }

    if (errors.length > 0) {
      this.release(alloc);
      return { alloc: { ips: [], ports: [] }, errors };
    }
    return { alloc, errors };
  }
}
