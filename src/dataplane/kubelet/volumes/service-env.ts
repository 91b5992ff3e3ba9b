/**
 * Service environment variables (Docker links), as the kubelet's getServiceEnvVarMap and envvars.FromServices
 * make them: the `kubernetes` Service of `default` always (KUBERNETES_SERVICE_HOST/PORT, what in-cluster clients
 * read), and with enableServiceLinks every Service of the pod's namespace that has a cluster IP.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import { hostPort } from '../../../net/host-port.js';

const MASTER_SERVICES = new Set(['kubernetes']);

function envName(s: string): string {
  return s.replaceAll('-', '_').toUpperCase();
}

function hasClusterIP(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  return ip !== undefined && ip !== '' && ip !== 'None';
}

function joinHostPort(host: string, port: number): string {
  return hostPort(host, port);
}

/** envvars.FromServices for one service, in upstream's order. */
export function serviceEnvVars(svc: Service): [string, string][] {
  const prefix = envName(svc.metadata?.name ?? '');
  const ip = svc.spec?.clusterIP ?? '';
  const ports = svc.spec?.ports ?? [];
  if (ports.length === 0) return []; // validation forbids a ClusterIP service without ports; never crash on one
  const out: [string, string][] = [];
  out.push([prefix + '_SERVICE_HOST', ip]);
  out.push([prefix + '_SERVICE_PORT', String(ports[0]!.port)]);
  for (const p of ports) if (p.name) out.push([prefix + '_SERVICE_PORT_' + envName(p.name), String(p.port)]);
  ports.forEach((p, i) => {
    const protocol = p.protocol || 'TCP';
    const url = `${protocol.toLowerCase()}://${joinHostPort(ip, p.port)}`;
    if (i === 0) out.push([prefix + '_PORT', url]);
    const pp = `${prefix}_PORT_${p.port}_${protocol.toUpperCase()}`;
    out.push([pp, url], [pp + '_PROTO', protocol.toLowerCase()], [pp + '_PORT', String(p.port)], [pp + '_ADDR', ip]);
  });
  return out;
}

/** getServiceEnvVarMap: the service variables a pod in `namespace` sees, given every Service the node knows. */
export function serviceEnvMap(services: readonly Service[], namespace: string, enableServiceLinks: boolean): Map<string, string> {
  const chosen = new Map<string, Service>();
  for (const svc of services) {
    if (!hasClusterIP(svc)) continue;
    const name = svc.metadata?.name ?? '';
    const ns = svc.metadata?.namespace ?? '';
    if (ns === 'default' && MASTER_SERVICES.has(name)) {
      if (!chosen.has(name)) chosen.set(name, svc);
    } else if (ns === namespace && enableServiceLinks) {
      chosen.set(name, svc);
    }
  }
  const m = new Map<string, string>();
  // Upstream walks a Go map (random order); sort by name so the result is stable.
  for (const name of [...chosen.keys()].sort()) for (const [k, v] of serviceEnvVars(chosen.get(name)!)) m.set(k, v);
  return m;
}
