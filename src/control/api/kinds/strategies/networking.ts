/**
 * Strategies of networking.k8s.io/v1 NetworkPolicy, Ingress and IngressClass, as upstream's
 * pkg/apis/networking/validation: policy ports and peers (one of selectors or an ipBlock whose exceptions lie
 * strictly inside it) with TCP and policyTypes defaults; ingress rules whose paths carry a pathType and a
 * service (name and port name or number) or resource backend; class controllers as domain-prefixed paths.
 */
import { BlockList, isIP } from 'node:net';
import type { FieldError, KubeObject, Strategy } from '../../resource.js';
import { forbidden, immutable, invalid, notSupported, required, tooLong } from '../../validation/errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../validation/meta.js';
import {
  DNS1123_SUBDOMAIN_MAX, isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isValidPathSegmentName, maxLenError, nameIsDNSSubdomain, regexError,
} from '../../validation/names.js';
import { isValidPortName, isValidPortNum, PROTOCOLS } from '../../validation/ports.js';
import { validateLabelSelector } from '../../validation/selectors.js';
import { ensure, rec, records, setDefault, str, type Json } from './json.js';

const namespaced = { namespaced: true, name: nameIsDNSSubdomain };
const present = (v: unknown): boolean => v !== undefined && v !== null;

// ---------------------------------------------------------------- CIDRs

const CIDR_MESSAGE = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

interface Cidr { ip: string; bits: number; family: 'ipv4' | 'ipv6' }

function parseCidr(text: string): Cidr | undefined {
  const [ip, bits, extra] = text.split('/');
  if (ip === undefined || bits === undefined || extra !== undefined || !/^\d{1,3}$/.test(bits)) return undefined;
  const v = isIP(ip);
  const n = Number(bits);
  if (v === 0 || n > (v === 4 ? 32 : 128)) return undefined;
  return { ip, bits: n, family: v === 4 ? 'ipv4' : 'ipv6' };
}

/** Whether `inner` is a strictly smaller block inside `outer` (upstream: contains inner's IP, shorter mask). */
function strictSubset(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || outer.bits >= inner.bits) return false;
  const list = new BlockList();
  list.addSubnet(outer.ip, outer.bits, outer.family);
  return list.check(inner.ip, inner.family);
}

// ---------------------------------------------------------------- NetworkPolicy

const POLICY_TYPES = ['Ingress', 'Egress'];
const POLICY_PROTOCOLS = ['TCP', 'UDP', 'SCTP'];

function validatePolicyPort(port: Json, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (present(port.protocol) && !(PROTOCOLS as readonly unknown[]).includes(port.protocol)) {
    errs.push(notSupported(`${p}.protocol`, port.protocol, POLICY_PROTOCOLS));
  }
  const end = port.endPort;
  if (typeof port.port === 'number') {
    for (const m of isValidPortNum(port.port)) errs.push(invalid(`${p}.port`, port.port, m));
    if (typeof end === 'number') {
      if (end < port.port) errs.push(invalid(`${p}.endPort`, port.port, 'must be greater than or equal to `port`'));
      for (const m of isValidPortNum(end)) errs.push(invalid(`${p}.endPort`, end, m));
    }
  } else if (typeof port.port === 'string') {
    if (present(end)) errs.push(invalid(`${p}.endPort`, end, 'may not be specified when `port` is non-numeric'));
    for (const m of isValidPortName(port.port)) errs.push(invalid(`${p}.port`, port.port, m));
  } else if (present(end)) {
    errs.push(invalid(`${p}.endPort`, end, 'may not be specified when `port` is not specified'));
  }
  return errs;
}

function validateIPBlock(block: Json, p: string): FieldError[] {
  const cidrText = str(block.cidr);
  if (cidrText === '') return [required(`${p}.cidr`, '')];
  const cidr = parseCidr(cidrText);
  if (!cidr) return [invalid(`${p}.cidr`, cidrText, CIDR_MESSAGE)];
  const errs: FieldError[] = [];
  (Array.isArray(block.except) ? block.except : []).forEach((e: unknown, i) => {
    const ep = `${p}.except[${i}]`;
    const except = parseCidr(str(e));
    if (!except) errs.push(invalid(ep, e, CIDR_MESSAGE));
    else if (!strictSubset(cidr, except)) errs.push(invalid(ep, e, 'must be a strict subset of `cidr`'));
  });
  return errs;
}

function validatePeer(peer: Json, p: string): FieldError[] {
  const errs: FieldError[] = [];
  let peers = 0;
  if (present(peer.podSelector)) { peers++; errs.push(...validateLabelSelector(peer.podSelector, `${p}.podSelector`)); }
  if (present(peer.namespaceSelector)) { peers++; errs.push(...validateLabelSelector(peer.namespaceSelector, `${p}.namespaceSelector`)); }
  const block = rec(peer.ipBlock);
  if (block) { peers++; errs.push(...validateIPBlock(block, `${p}.ipBlock`)); }
  if (peers === 0) errs.push(required(p, 'must specify a peer'));
  else if (peers > 1 && block) errs.push(forbidden(p, 'may not specify both ipBlock and another peer'));
  return errs;
}

function validateNetworkPolicy(obj: KubeObject): FieldError[] {
  const spec = rec(obj.spec) ?? {};
  const errs = validateLabelSelector(spec.podSelector ?? {}, 'spec.podSelector');
  for (const [dir, peerField] of [['ingress', 'from'], ['egress', 'to']] as const) {
    records(spec[dir]).forEach((rule, i) => {
      const p = `spec.${dir}[${i}]`;
      records(rule.ports).forEach((port, j) => errs.push(...validatePolicyPort(port, `${p}.ports[${j}]`)));
      records(rule[peerField]).forEach((peer, j) => errs.push(...validatePeer(peer, `${p}.${peerField}[${j}]`)));
    });
  }
  const types = Array.isArray(spec.policyTypes) ? spec.policyTypes : [];
  if (types.length > POLICY_TYPES.length) {
    errs.push(invalid('spec.policyTypes', types, 'may not specify more than two policyTypes'));
    return errs;
  }
  types.forEach((t: unknown, i) => {
    if (!POLICY_TYPES.includes(t as string)) errs.push(notSupported(`spec.policyTypes[${i}]`, t, POLICY_TYPES));
  });
  return errs;
}

export const networkPolicyStrategy: Strategy = {
  default(obj) {
    const spec = ensure(obj, 'spec');
    for (const dir of ['ingress', 'egress']) {
      for (const rule of records(spec[dir])) for (const port of records(rule.ports)) setDefault(port, 'protocol', 'TCP');
    }
    // Upstream: a policy without types is an Ingress policy, and an Egress one too when it lists egress rules.
    if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
      spec.policyTypes = Array.isArray(spec.egress) && spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
    }
  },
  validate: (obj) => [...validateObjectMeta(obj, namespaced), ...validateNetworkPolicy(obj)],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validateNetworkPolicy(obj)],
  hasGeneration: true,
};

// ---------------------------------------------------------------- Ingress

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];
const WILDCARD_FMT = '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const WILDCARD_RE = new RegExp(`^${WILDCARD_FMT}$`);
const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

export function isWildcardDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX));
  if (!WILDCARD_RE.test(value)) {
    errs.push(regexError("a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
      WILDCARD_FMT, '*.example.com'));
  }
  return errs;
}

const hostMessages = (host: string): string[] => (host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host));

function validateTypedLocalRef(ref: Json, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof ref.apiGroup === 'string') for (const m of isDNS1123Subdomain(ref.apiGroup)) errs.push(invalid(`${p}.apiGroup`, ref.apiGroup, m));
  for (const k of ['kind', 'name'] as const) {
    const v = str(ref[k]);
    if (v === '') errs.push(required(`${p}.${k}`, `${k} is required`));
    else for (const m of isValidPathSegmentName(v)) errs.push(invalid(`${p}.${k}`, v, m));
  }
  return errs;
}

function validateBackend(backend: Json, p: string): FieldError[] {
  const resource = rec(backend.resource);
  const service = rec(backend.service);
  if (resource && service) return [invalid(p, '', 'cannot set both resource and service backends')];
  if (resource) return validateTypedLocalRef(resource, `${p}.resource`);
  if (!service) return [invalid(p, '', 'resource or service backend is required')];
  const errs: FieldError[] = [];
  const name = str(service.name);
  if (name === '') errs.push(required(`${p}.service.name`, ''));
  else for (const m of isDNS1035Label(name)) errs.push(invalid(`${p}.service.name`, name, m));
  const port = rec(service.port) ?? {};
  const portName = str(port.name);
  const portNumber = typeof port.number === 'number' ? port.number : 0;
  if (portName && portNumber) errs.push(invalid(p, '', 'cannot set both port name & port number'));
  else if (portName) for (const m of isValidPortName(portName)) errs.push(invalid(`${p}.service.port.name`, portName, m));
  else if (portNumber) for (const m of isValidPortNum(portNumber)) errs.push(invalid(`${p}.service.port.number`, portNumber, m));
  else errs.push(required(p, 'port name or number is required'));
  return errs;
}

function validateHTTPPath(path: Json, p: string): FieldError[] {
  const type = path.pathType;
  if (!present(type)) return [required(`${p}.pathType`, 'pathType must be specified')];
  const errs: FieldError[] = [];
  const text = str(path.path);
  if (type === 'Exact' || type === 'Prefix') {
    if (!text.startsWith('/')) errs.push(invalid(`${p}.path`, text, 'must be an absolute path'));
    for (const seq of INVALID_PATH_SEQUENCES) if (text.includes(seq)) errs.push(invalid(`${p}.path`, text, `must not contain '${seq}'`));
    for (const suffix of INVALID_PATH_SUFFIXES) if (text.endsWith(suffix)) errs.push(invalid(`${p}.path`, text, `cannot end with '${suffix}'`));
  } else if (type === 'ImplementationSpecific') {
    if (text !== '' && !text.startsWith('/')) errs.push(invalid(`${p}.path`, text, 'must be an absolute path'));
  } else {
    errs.push(notSupported(`${p}.pathType`, type, PATH_TYPES));
  }
  errs.push(...validateBackend(rec(path.backend) ?? {}, `${p}.backend`));
  return errs;
}

function validateIngressSpec(obj: KubeObject): FieldError[] {
  const spec = rec(obj.spec) ?? {};
  const errs: FieldError[] = [];
  const rules = records(spec.rules);
  const defaultBackend = rec(spec.defaultBackend);
  if (rules.length === 0 && !defaultBackend) errs.push(invalid('spec', spec.rules ?? null, 'either `defaultBackend` or `rules` must be specified'));
  if (defaultBackend) errs.push(...validateBackend(defaultBackend, 'spec.defaultBackend'));
  rules.forEach((rule, i) => {
    const p = `spec.rules[${i}]`;
    const host = str(rule.host);
    if (host !== '') {
      if (isIP(host) !== 0) errs.push(invalid(`${p}.host`, host, 'must be a DNS name, not an IP address'));
      for (const m of hostMessages(host)) errs.push(invalid(`${p}.host`, host, m));
    }
    const http = rec(rule.http);
    if (http) {
      const paths = records(http.paths);
      if (paths.length === 0) errs.push(required(`${p}.http.paths`, ''));
      paths.forEach((path, j) => errs.push(...validateHTTPPath(path, `${p}.http.paths[${j}]`)));
    }
  });
  records(spec.tls).forEach((tls, i) => {
    (Array.isArray(tls.hosts) ? tls.hosts : []).forEach((h: unknown, j) => {
      for (const m of hostMessages(str(h))) errs.push(invalid(`spec.tls[${i}].hosts[${j}]`, h, m));
    });
    const secret = str(tls.secretName);
    if (secret !== '') for (const m of isDNS1123Subdomain(secret)) errs.push(invalid(`spec.tls[${i}].secretName`, secret, m));
  });
  if (typeof spec.ingressClassName === 'string') {
    for (const m of isDNS1123Subdomain(spec.ingressClassName)) errs.push(invalid('spec.ingressClassName', spec.ingressClassName, m));
  }
  return errs;
}

export const ingressStrategy: Strategy = {
  validate: (obj) => {
    const errs = [...validateObjectMeta(obj, namespaced), ...validateIngressSpec(obj)];
    const annotation = obj.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION];
    const className = rec(obj.spec)?.ingressClassName;
    if (annotation !== undefined && typeof className === 'string' && annotation !== className) {
      errs.push(invalid(`annotations.${INGRESS_CLASS_ANNOTATION}`, annotation, 'must match `ingressClassName` when both are specified'));
    }
    return errs;
  },
  validateUpdate: (obj, old, subresource) => [
    ...validateObjectMetaUpdate(obj, old),
    ...(subresource === 'status' ? validateIngressStatus(obj) : validateIngressSpec(obj)),
  ],
  hasStatus: true,
  hasGeneration: true,
};

/** Upstream's ValidateIngressLoadBalancerStatus, for writes through /status. */
function validateIngressStatus(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  records(rec(rec(obj.status)?.loadBalancer)?.ingress).forEach((lb, i) => {
    const p = `status.loadBalancer.ingress[${i}]`;
    const ip = str(lb.ip);
    if (ip !== '' && isIP(ip) === 0) errs.push(invalid(`${p}.ip`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    const host = str(lb.hostname);
    if (host !== '') {
      for (const m of isDNS1123Subdomain(host)) errs.push(invalid(`${p}.hostname`, host, m));
      if (isIP(host) !== 0) errs.push(invalid(`${p}.hostname`, host, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

// ---------------------------------------------------------------- IngressClass

const CONTROLLER_MAX = 250;
const HTTP_PATH_FMT = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";
const HTTP_PATH_RE = new RegExp(`^${HTTP_PATH_FMT}$`);
const SCOPES = ['Cluster', 'Namespace'];

/** Upstream's IsDomainPrefixedPath: `<DNS subdomain>/<HTTP path>`. */
function validateDomainPrefixedPath(value: string, field: string): FieldError[] {
  if (value === '') return [required(field, '')];
  const slash = value.indexOf('/');
  const host = slash < 0 ? value : value.slice(0, slash);
  const path = slash < 0 ? '' : value.slice(slash + 1);
  if (host === '' || path === '') return [invalid(field, value, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const errs = isDNS1123Subdomain(host).map((m) => invalid(field, host, m));
  if (!HTTP_PATH_RE.test(path)) errs.push(invalid(field, path, regexError('Invalid path', HTTP_PATH_FMT)));
  return errs;
}

function validateIngressClass(obj: KubeObject): FieldError[] {
  const spec = rec(obj.spec) ?? {};
  const controller = str(spec.controller);
  const errs: FieldError[] = [];
  if (controller.length > CONTROLLER_MAX) errs.push(tooLong('spec.controller', CONTROLLER_MAX));
  errs.push(...validateDomainPrefixedPath(controller, 'spec.controller'));
  const params = rec(spec.parameters);
  if (params) {
    const p = 'spec.parameters';
    errs.push(...validateTypedLocalRef(params, p));
    const scope = str(params.scope);
    if (!SCOPES.includes(scope)) errs.push(notSupported(`${p}.scope`, scope, SCOPES));
    else if (scope === 'Namespace') {
      if (!present(params.namespace)) errs.push(required(`${p}.namespace`, "`parameters.scope` is set to 'Namespace'"));
      else for (const m of isDNS1123Label(str(params.namespace))) errs.push(invalid(`${p}.namespace`, params.namespace, m));
    } else if (present(params.namespace)) {
      errs.push(forbidden(`${p}.namespace`, "`parameters.scope` is set to 'Cluster'"));
    }
  }
  return errs;
}

export const ingressClassStrategy: Strategy = {
  default(obj) {
    const params = rec(rec(obj.spec)?.parameters);
    if (params && !present(params.scope)) params.scope = 'Cluster';
  },
  validate: (obj) => [...validateObjectMeta(obj, { namespaced: false, name: nameIsDNSSubdomain }), ...validateIngressClass(obj)],
  validateUpdate: (obj, old) => [
    ...validateObjectMetaUpdate(obj, old),
    ...immutable('spec.controller', rec(obj.spec)?.controller, rec(old.spec)?.controller),
    ...validateIngressClass(obj),
  ],
};

