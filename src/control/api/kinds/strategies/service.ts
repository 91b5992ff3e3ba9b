/**
 * Services: upstream's defaults and validation. ClusterIP and NodePort allocation (and carrying allocated values
 * over on update) belong to the API server; nothing here allocates.
 */
import { isIP } from 'node:net';
import type { FieldError, KubeObject, Strategy } from '../../resource.js';
import { duplicate, forbidden, invalid, notSupported, required } from '../../validation/errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../validation/meta.js';
import { isDNS1123Label, isDNS1123Subdomain, nameIsDNS1035Label } from '../../validation/names.js';
import { validateLabels } from '../../validation/labels.js';
import { validatePortNumber, validatePortNumOrName, validateProtocol } from '../../validation/ports.js';
import { ensure, records, rec, setDefault, str, type Json } from './json.js';
import { prepareServiceUpdate } from './service-update.js';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const AFFINITIES = ['ClientIP', 'None'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const FAMILY_POLICIES = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];
const FAMILIES = ['IPv4', 'IPv6'];
const IP_DETAIL = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

const externallyAccessible = (spec: Json): boolean =>
  spec.type === 'LoadBalancer' || spec.type === 'NodePort' ||
  (spec.type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);

function defaultService(obj: KubeObject): void {
  const spec = ensure(obj, 'spec');
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const clientIP = rec(rec(spec.sessionAffinityConfig)?.clientIP);
    if (!clientIP || clientIP.timeoutSeconds === undefined) spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  setDefault(spec, 'type', 'ClusterIP');
  for (const p of records(spec.ports)) {
    setDefault(p, 'protocol', 'TCP');
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (externallyAccessible(spec)) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type !== 'ExternalName') {
    setDefault(spec, 'internalTrafficPolicy', 'Cluster');
    // Upstream's allocator sets the families; Skiff is single-stack, so the family follows the cluster IP.
    const ip = str(spec.clusterIP);
    setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
    if (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0) spec.ipFamilies = [isIP(ip) === 6 ? 'IPv6' : 'IPv4'];
  }
  if (spec.type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  const status = ensure(obj, 'status');
  if (!rec(status.loadBalancer)) status.loadBalancer = {};
}

function validateServiceSpec(spec: unknown): FieldError[] {
  if (!rec(spec)) return [required('spec', '')];
  const s = spec as Json;
  const errs: FieldError[] = [];
  const type = s.type;
  if (!SERVICE_TYPES.includes(type as string)) {
    errs.push(type === undefined || type === '' ? required('spec.type', '') : notSupported('spec.type', type, SERVICE_TYPES));
  }
  const ports = Array.isArray(s.ports) ? s.ports : [];
  if (type === 'ExternalName') {
    const name = str(s.externalName);
    if (name === '') errs.push(required('spec.externalName', ''));
    else for (const m of isDNS1123Subdomain(name.replace(/\.$/, ''))) errs.push(invalid('spec.externalName', name, m));
    if (s.clusterIP && s.clusterIP !== '') errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
  } else if (ports.length === 0) {
    errs.push(required('spec.ports', ''));
  }
  const names = new Set<string>();
  const keys = new Set<string>();
  ports.forEach((p: unknown, i) => {
    const path = `spec.ports[${i}]`;
    if (!rec(p)) { errs.push(invalid(path, p, 'must be an object')); return; }
    const port = p as Json;
    const name = str(port.name);
    if (ports.length > 1 && name === '') errs.push(required(`${path}.name`, ''));
    else if (name !== '') {
      for (const m of isDNS1123Label(name)) errs.push(invalid(`${path}.name`, name, m));
      if (names.has(name)) errs.push(duplicate(`${path}.name`, name));
      names.add(name);
    }
    errs.push(...validatePortNumber(port.port, `${path}.port`));
    errs.push(...validateProtocol(port.protocol, `${path}.protocol`));
    if (port.targetPort !== undefined) errs.push(...validatePortNumOrName(port.targetPort, `${path}.targetPort`));
    if (port.nodePort !== undefined && port.nodePort !== 0 && type === 'ClusterIP') {
      errs.push(forbidden(`${path}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
    }
    const key = `${String(port.port)}/${String(port.protocol)}`;
    if (keys.has(key)) errs.push(duplicate(path, key));
    keys.add(key);
  });
  errs.push(...validateLabels(s.selector, 'spec.selector'));
  if (s.sessionAffinity === undefined || s.sessionAffinity === '') errs.push(required('spec.sessionAffinity', ''));
  else if (!AFFINITIES.includes(s.sessionAffinity as string)) errs.push(notSupported('spec.sessionAffinity', s.sessionAffinity, AFFINITIES));

  const clusterIPs = Array.isArray(s.clusterIPs) ? s.clusterIPs : s.clusterIP ? [s.clusterIP] : [];
  clusterIPs.forEach((ip: unknown, i) => {
    if (ip === 'None') {
      if (i === 0 && type !== 'ClusterIP' && type !== undefined && SERVICE_TYPES.includes(type as string) && type !== 'ExternalName') {
        errs.push(invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${String(type)} services`));
      }
    } else if (ip !== '' && isIP(String(ip)) === 0) {
      errs.push(invalid(`spec.clusterIPs[${i}]`, ip, IP_DETAIL));
    }
  });
  if (Array.isArray(s.externalIPs)) {
    s.externalIPs.forEach((ip: unknown, i) => {
      if (isIP(String(ip)) === 0) errs.push(invalid(`spec.externalIPs[${i}]`, ip, IP_DETAIL));
    });
  }
  const etp = s.externalTrafficPolicy;
  if (externallyAccessible(s)) {
    if (etp === undefined || etp === '') errs.push(required('spec.externalTrafficPolicy', ''));
    else if (!TRAFFIC_POLICIES.includes(etp as string)) errs.push(notSupported('spec.externalTrafficPolicy', etp, TRAFFIC_POLICIES));
  } else if (etp !== undefined && etp !== '') {
    errs.push(invalid('spec.externalTrafficPolicy', etp, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"));
  }
  const itp = s.internalTrafficPolicy;
  if (type !== 'ExternalName') {
    if (itp === undefined || itp === '') errs.push(required('spec.internalTrafficPolicy', ''));
    else if (!TRAFFIC_POLICIES.includes(itp as string)) errs.push(notSupported('spec.internalTrafficPolicy', itp, TRAFFIC_POLICIES));
  }
  if (s.ipFamilyPolicy !== undefined && !FAMILY_POLICIES.includes(s.ipFamilyPolicy as string)) {
    errs.push(notSupported('spec.ipFamilyPolicy', s.ipFamilyPolicy, FAMILY_POLICIES));
  }
  if (Array.isArray(s.ipFamilies)) {
    s.ipFamilies.forEach((f: unknown, i) => {
      if (!FAMILIES.includes(f as string)) errs.push(notSupported(`spec.ipFamilies[${i}]`, f, FAMILIES));
    });
  }
  return errs;
}

function validateService(obj: KubeObject): FieldError[] {
  return [
    ...validateObjectMeta(obj, { namespaced: true, name: nameIsDNS1035Label }),
    ...validateServiceSpec(obj.spec),
  ];
}

function validateServiceUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = [...validateObjectMetaUpdate(obj, old), ...validateServiceSpec(obj.spec)];
  const next = rec(obj.spec) ?? {};
  const prev = rec(old.spec) ?? {};
  // The primary cluster IP is fixed once allocated, unless the Service moves to or from ExternalName.
  const oldIP = str(prev.clusterIP);
  const newIP = str(next.clusterIP);
  if (oldIP !== '' && newIP !== oldIP && next.type !== 'ExternalName' && prev.type !== 'ExternalName') {
    errs.push(invalid('spec.clusterIPs[0]', newIP, 'may not change once set'));
  }
  return errs;
}

export const serviceStrategy: Strategy = {
  default: defaultService,
  validate: validateService,
  validateUpdate: validateServiceUpdate,
  prepareForUpdate: prepareServiceUpdate,
  hasStatus: true,
};
