/** Strategies of EndpointSlice, Lease and HorizontalPodAutoscaler. */
import { isIP } from 'node:net';
import type { FieldError, KubeObject, Strategy } from '../../resource.js';
import { invalid, notSupported, required, tooMany } from '../../validation/errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../validation/meta.js';
import { isDNS1123Subdomain, nameIsDNSSubdomain } from '../../validation/names.js';
import { validateNonnegative } from '../../validation/numbers.js';
import { validateProtocol, isValidPortNum } from '../../validation/ports.js';
import { ensure, records, rec, setDefault, str } from './json.js';

const namespaced = { namespaced: true, name: nameIsDNSSubdomain };
const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN'];

function validateEndpointSlice(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const type = obj.addressType;
  if (type === undefined || type === '') errs.push(required('addressType', ''));
  else if (!ADDRESS_TYPES.includes(type as string)) errs.push(notSupported('addressType', type, ADDRESS_TYPES));
  const endpoints = records(obj.endpoints);
  if (endpoints.length > 1000) errs.push(tooMany('endpoints', endpoints.length, 1000));
  endpoints.forEach((e, i) => {
    const addrs = Array.isArray(e.addresses) ? e.addresses : [];
    if (addrs.length === 0) errs.push(required(`endpoints[${i}].addresses`, 'must contain at least 1 address'));
    addrs.forEach((a: unknown, j) => {
      const p = `endpoints[${i}].addresses[${j}]`;
      const s = str(a);
      if (type === 'IPv4' && isIP(s) !== 4) errs.push(invalid(p, a, 'must be a valid IPv4 address'));
      else if (type === 'IPv6' && isIP(s) !== 6) errs.push(invalid(p, a, 'must be a valid IPv6 address'));
      else if (type === 'FQDN') for (const m of isDNS1123Subdomain(s)) errs.push(invalid(p, a, m));
    });
  });
  records(obj.ports).forEach((p, i) => {
    if (p.port !== undefined && p.port !== null) {
      for (const m of isValidPortNum(p.port as number)) errs.push(invalid(`ports[${i}].port`, p.port, m));
    }
    errs.push(...validateProtocol(p.protocol, `ports[${i}].protocol`));
  });
  return errs;
}

export const endpointSliceStrategy: Strategy = {
  default(obj) {
    for (const p of records(obj.ports)) {
      if (p.name === undefined) p.name = '';
      setDefault(p, 'protocol', 'TCP');
    }
  },
  validate: (obj) => [...validateObjectMeta(obj, namespaced), ...validateEndpointSlice(obj)],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validateEndpointSlice(obj)],
};

function validateLease(obj: KubeObject): FieldError[] {
  const spec = rec(obj.spec) ?? {};
  const errs = [
    ...validateNonnegative(spec.leaseTransitions, 'spec.leaseTransitions'),
  ];
  const d = spec.leaseDurationSeconds;
  if (d !== undefined && d !== null && (typeof d !== 'number' || d <= 0)) errs.push(invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'));
  return errs;
}

export const leaseStrategy: Strategy = {
  validate: (obj) => [...validateObjectMeta(obj, namespaced), ...validateLease(obj)],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validateLease(obj)],
};

function validateHPA(obj: KubeObject): FieldError[] {
  const spec = rec(obj.spec);
  if (!spec) return [required('spec', '')];
  const errs: FieldError[] = [];
  const ref = rec(spec.scaleTargetRef);
  if (!ref) errs.push(required('spec.scaleTargetRef', ''));
  else {
    if (!ref.kind) errs.push(required('spec.scaleTargetRef.kind', ''));
    if (!ref.name) errs.push(required('spec.scaleTargetRef.name', ''));
  }
  const min = spec.minReplicas;
  const max = spec.maxReplicas;
  if (typeof min === 'number' && min < 1) errs.push(invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  if (typeof max !== 'number' || max < 1) errs.push(invalid('spec.maxReplicas', max ?? 0, 'must be greater than 0'));
  else if (typeof min === 'number' && max < min) errs.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  records(spec.metrics).forEach((m, i) => {
    const types = ['Object', 'Pods', 'Resource', 'ContainerResource', 'External'];
    if (!types.includes(str(m.type))) errs.push(m.type ? notSupported(`spec.metrics[${i}].type`, m.type, types) : required(`spec.metrics[${i}].type`, 'must specify a metric source type'));
  });
  return errs;
}

export const hpaStrategy: Strategy = {
  default(obj) {
    const spec = ensure(obj, 'spec');
    setDefault(spec, 'minReplicas', 1);
    if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
      spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
    }
  },
  validate: (obj) => [...validateObjectMeta(obj, namespaced), ...validateHPA(obj)],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validateHPA(obj)],
  hasStatus: true,
  hasGeneration: true,
};
