/**
 * What upstream's Service REST update does to the new object before defaulting and validation: clusterIPs follow
 * a changed clusterIP (normalizeClusterIPs: an old client that clears or changes only the singular field), and
 * fields a type change leaves behind are dropped when the client did not change them itself
 * (dropTypeDependentFields). A 1.20 client turning a ClusterIP or NodePort Service into an ExternalName one sends
 * clusterIP "" with the old clusterIPs, nodePorts and externalTrafficPolicy; upstream accepts that.
 */
import type { KubeObject } from '../../resource.js';
import { isRecord, records, type Json } from './json.js';

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const sameStrings = (a: unknown, b: unknown): boolean => {
  const x = strings(a);
  const y = strings(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
};
const clusterIP = (s: Json): string => (typeof s['clusterIP'] === 'string' ? s['clusterIP'] : '');
const type = (s: Json): string => (typeof s['type'] === 'string' && s['type'] ? s['type'] : 'ClusterIP');
const needsClusterIP = (s: Json): boolean => type(s) !== 'ExternalName';
const needsNodePort = (s: Json): boolean => type(s) === 'NodePort' || type(s) === 'LoadBalancer';
const needsHCNodePort = (s: Json): boolean => type(s) === 'LoadBalancer' && s['externalTrafficPolicy'] === 'Local';
const externallyAccessible = (s: Json): boolean =>
  type(s) === 'LoadBalancer' || type(s) === 'NodePort' || (type(s) === 'ClusterIP' && strings(s['externalIPs']).length > 0);
const nodePorts = (s: Json): unknown[] => records(s['ports']).map((p) => p['nodePort'] ?? 0);

/** upstream's normalizeClusterIPs for an update. */
export function normalizeClusterIPs(spec: Json, old: Json): void {
  const oldIPs = strings(old['clusterIPs']);
  // An old client that knows only clusterIP and left it as it was.
  if (oldIPs.length > 0 && strings(spec['clusterIPs']).length === 0 && clusterIP(old) === clusterIP(spec)) spec['clusterIPs'] = [...oldIPs];
  if (clusterIP(old) === clusterIP(spec)) return;
  if (clusterIP(old) && !clusterIP(spec)) {
    // Cleared: clear the plural too, unless the client changed that as well (validation has its say then).
    if (sameStrings(old['clusterIPs'], spec['clusterIPs'])) delete spec['clusterIPs'];
  } else if (sameStrings(old['clusterIPs'], spec['clusterIPs'])) {
    spec['clusterIPs'] = [clusterIP(spec)];
  }
}

/** upstream's dropTypeDependentFields: what no longer applies after a type change and the client left unchanged. */
export function dropTypeDependentFields(obj: KubeObject, spec: Json, old: Json): void {
  if (needsClusterIP(old) && !needsClusterIP(spec)) {
    if (clusterIP(old) === clusterIP(spec) && sameStrings(old['clusterIPs'], spec['clusterIPs'])) {
      delete spec['clusterIP'];
      delete spec['clusterIPs'];
    }
    if (sameStrings(old['ipFamilies'], spec['ipFamilies'])) delete spec['ipFamilies'];
    if (old['ipFamilyPolicy'] === spec['ipFamilyPolicy']) delete spec['ipFamilyPolicy'];
  }
  if (needsNodePort(old) && !needsNodePort(spec) && sameNodePorts(old, spec)) {
    for (const p of records(spec['ports'])) delete p['nodePort'];
  }
  if (needsHCNodePort(old) && !needsHCNodePort(spec) && old['healthCheckNodePort'] === spec['healthCheckNodePort']) delete spec['healthCheckNodePort'];
  if (type(old) === 'LoadBalancer' && type(spec) !== 'LoadBalancer') {
    if (typeof spec['allocateLoadBalancerNodePorts'] === 'boolean' && spec['allocateLoadBalancerNodePorts'] === old['allocateLoadBalancerNodePorts']) delete spec['allocateLoadBalancerNodePorts'];
    if (spec['loadBalancerClass'] === old['loadBalancerClass']) delete spec['loadBalancerClass'];
  }
  if (externallyAccessible(old) && !externallyAccessible(spec) && old['externalTrafficPolicy'] === spec['externalTrafficPolicy']) delete spec['externalTrafficPolicy'];
  // A load balancer's status no longer applies.
  if (type(spec) !== 'LoadBalancer' && isRecord(obj['status'])) obj['status']['loadBalancer'] = {};
}

function sameNodePorts(old: Json, spec: Json): boolean {
  const a = nodePorts(old);
  const b = nodePorts(spec);
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The Service strategy's prepareForUpdate for the main resource. */
export function prepareServiceUpdate(obj: KubeObject, old: KubeObject, subresource: string): void {
  if (subresource !== '' || !isRecord(obj['spec']) || !isRecord(old['spec'])) return;
  normalizeClusterIPs(obj['spec'], old['spec']);
  dropTypeDependentFields(obj, obj['spec'], old['spec']);
  // "" is unset (omitempty upstream).
  if (obj['spec']['clusterIP'] === '') delete obj['spec']['clusterIP'];
}
