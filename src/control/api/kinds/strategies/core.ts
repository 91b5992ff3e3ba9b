/** Strategies of the small core/v1 kinds: Namespace, Node, Endpoints, ConfigMap, Secret, ServiceAccount, Event. */
import { isIP } from 'node:net';
import type { FieldError, KubeObject, Strategy } from '../../resource.js';
import { forbidden, immutable, invalid, required, tooLong } from '../../validation/errors.js';
import { validateObjectMeta, validateObjectMetaUpdate, type MetaRules } from '../../validation/meta.js';
import { nameIsDNSLabel, nameIsDNSSubdomain } from '../../validation/names.js';
import { isConfigMapKey } from '../../validation/keys.js';
import { validatePortNumber, validateProtocol } from '../../validation/ports.js';
import { ensure, isRecord, records, rec, setDefault, str, type Json } from './json.js';

/** A strategy that checks metadata only, with the given name rule. */
function metaOnly(rules: MetaRules, extra: Partial<Strategy> = {}): Strategy {
  return {
    validate: (obj) => validateObjectMeta(obj, rules),
    validateUpdate: (obj, old) => validateObjectMetaUpdate(obj, old),
    ...extra,
  };
}

const namespaced = { namespaced: true, name: nameIsDNSSubdomain };

// ---------------------------------------------------------------- Namespace

export const namespaceStrategy: Strategy = {
  default(obj) {
    const meta = obj.metadata ?? (obj.metadata = {});
    // Upstream labels every namespace with its own name so selectors can pick namespaces by name.
    if (meta.name) meta.labels = { ...(meta.labels ?? {}), 'kubernetes.io/metadata.name': meta.name };
    const spec = ensure(obj, 'spec');
    if (!Array.isArray(spec.finalizers)) spec.finalizers = ['kubernetes'];
    setDefault(ensure(obj, 'status'), 'phase', 'Active');
  },
  validate: (obj) => validateObjectMeta(obj, { namespaced: false, name: nameIsDNSLabel }),
  validateUpdate: (obj, old) => validateObjectMetaUpdate(obj, old),
  hasStatus: true,
};

// ---------------------------------------------------------------- Node

function validateNodeSpec(obj: KubeObject): FieldError[] {
  const spec = rec(obj.spec) ?? {};
  const errs: FieldError[] = [];
  const cidrs = Array.isArray(spec.podCIDRs) ? spec.podCIDRs : spec.podCIDR ? [spec.podCIDR] : [];
  cidrs.forEach((c: unknown, i) => {
    const [ip, bits] = str(c).split('/');
    if (!ip || bits === undefined || isIP(ip) === 0 || !/^\d+$/.test(bits)) errs.push(invalid(`spec.podCIDRs[${i}]`, c, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
  });
  records(spec.taints).forEach((t, i) => {
    if (!t.key) errs.push(required(`spec.taints[${i}].key`, ''));
    if (!['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(str(t.effect))) {
      errs.push(t.effect ? invalid(`spec.taints[${i}].effect`, t.effect, 'not a valid taint effect')
        : required(`spec.taints[${i}].effect`, ''));
    }
  });
  return errs;
}

export const nodeStrategy: Strategy = {
  default(obj) {
    // Upstream: a node that reports capacity but no allocatable can allocate all of it.
    const status = rec(obj.status);
    const capacity = rec(status?.capacity);
    if (status && capacity && !rec(status.allocatable)) status.allocatable = { ...capacity };
  },
  validate: (obj) => [...validateObjectMeta(obj, { namespaced: false, name: nameIsDNSSubdomain }), ...validateNodeSpec(obj)],
  validateUpdate: (obj, old) => {
    const errs = [...validateObjectMetaUpdate(obj, old), ...validateNodeSpec(obj)];
    const oldCIDR = rec(old.spec)?.podCIDR;
    if (oldCIDR && rec(obj.spec)?.podCIDR !== oldCIDR) {
      errs.push(forbidden('spec.podCIDR', 'node updates may not change podCIDR except from "" to valid'));
    }
    return errs;
  },
  hasStatus: true,
};

// ---------------------------------------------------------------- Endpoints

function validateEndpoints(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  records(obj.subsets).forEach((ss, i) => {
    const path = `subsets[${i}]`;
    for (const kind of ['addresses', 'notReadyAddresses'] as const) {
      records(ss[kind]).forEach((a, j) => {
        if (isIP(str(a.ip)) === 0) errs.push(invalid(`${path}.${kind}[${j}].ip`, a.ip ?? '', 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
      });
    }
    const ports = records(ss.ports);
    ports.forEach((p, j) => {
      if (ports.length > 1 && !p.name) errs.push(required(`${path}.ports[${j}].name`, ''));
      errs.push(...validatePortNumber(p.port, `${path}.ports[${j}].port`));
      errs.push(...validateProtocol(p.protocol, `${path}.ports[${j}].protocol`));
    });
  });
  return errs;
}

export const endpointsStrategy: Strategy = {
  default(obj) {
    for (const ss of records(obj.subsets)) for (const p of records(ss.ports)) setDefault(p, 'protocol', 'TCP');
  },
  validate: (obj) => [...validateObjectMeta(obj, namespaced), ...validateEndpoints(obj)],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validateEndpoints(obj)],
};

// ---------------------------------------------------------------- ConfigMap and Secret

/** Upstream caps ConfigMap and Secret payloads at 1 MiB. */
const MAX_DATA_SIZE = 1024 * 1024;

function validateKeyedData(obj: KubeObject, fields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let size = 0;
  for (const f of fields) {
    const data = obj[f];
    if (data === undefined || data === null) continue;
    if (!isRecord(data)) { errs.push(invalid(f, data, 'must be a map of string keys to string values')); continue; }
    for (const [k, v] of Object.entries(data)) {
      for (const m of isConfigMapKey(k)) errs.push(invalid(`${f}[${k}]`, k, m));
      if (seen.has(k)) errs.push(invalid(f, k, 'duplicate of key present in data'));
      seen.add(k);
      size += k.length + (typeof v === 'string' ? v.length : 0);
    }
  }
  if (size > MAX_DATA_SIZE) errs.push(tooLong(fields[0]!, MAX_DATA_SIZE));
  return errs;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Byte fields travel as base64; upstream's decoder refuses anything else, so storing it would hand clients data
 * they cannot decode. The value itself is never echoed (it may be a secret).
 */
function validateBase64(obj: KubeObject, f: string): FieldError[] {
  const data = rec(obj[f]);
  if (!data) return [];
  return Object.entries(data)
    .filter(([, v]) => typeof v !== 'string' || !BASE64.test(v))
    .map(([k]) => invalid(`${f}[${k}]`, '<value omitted>', 'must be base64-encoded bytes'));
}

/** With `immutable: true` neither the data nor the flag may change. */
function validateImmutableData(obj: KubeObject, old: KubeObject, fields: string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (obj.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) {
    if (immutable(f, obj[f], old[f]).length) errs.push(forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return errs;
}

const CONFIGMAP_DATA = ['data', 'binaryData'];

export const configMapStrategy: Strategy = {
  validate: (obj) => [...validateObjectMeta(obj, namespaced), ...validateKeyedData(obj, CONFIGMAP_DATA), ...validateBase64(obj, 'binaryData')],
  validateUpdate: (obj, old) => [
    ...validateObjectMetaUpdate(obj, old), ...validateKeyedData(obj, CONFIGMAP_DATA), ...validateBase64(obj, 'binaryData'),
    ...validateImmutableData(obj, old, CONFIGMAP_DATA),
  ],
};

function validateSecret(obj: KubeObject): FieldError[] {
  const errs = [...validateKeyedData(obj, ['data']), ...validateBase64(obj, 'data')];
  const data = (rec(obj.data) ?? {}) as Json;
  const type = str(obj.type);
  const requireKey = (k: string) => { if (data[k] === undefined) errs.push(required(`data[${k}]`, '')); };
  switch (type) {
    case 'kubernetes.io/service-account-token':
      if (!obj.metadata?.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(required('metadata.annotations[kubernetes.io/service-account.name]', ''));
      }
      break;
    case 'kubernetes.io/dockerconfigjson': requireKey('.dockerconfigjson'); break;
    case 'kubernetes.io/dockercfg': requireKey('.dockercfg'); break;
    case 'kubernetes.io/tls': requireKey('tls.crt'); requireKey('tls.key'); break;
    case 'kubernetes.io/ssh-auth': requireKey('ssh-privatekey'); break;
    case 'kubernetes.io/basic-auth':
      if (data.username === undefined && data.password === undefined) errs.push(required('data[username]', ''));
      break;
    default:
  }
  return errs;
}

export const secretStrategy: Strategy = {
  default(obj) {
    setDefault(obj, 'type', 'Opaque');
    // stringData is write-only upstream: merged into data (base64) and never stored.
    const stringData = rec(obj.stringData);
    if (stringData) {
      const data = ensure(obj, 'data');
      for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(String(v)).toString('base64');
      delete obj.stringData;
    }
  },
  validate: (obj) => [...validateObjectMeta(obj, namespaced), ...validateSecret(obj)],
  validateUpdate: (obj, old) => [
    ...validateObjectMetaUpdate(obj, old), ...validateSecret(obj), ...immutable('type', obj.type, old.type),
    ...validateImmutableData(obj, old, ['data']),
  ],
};

// ---------------------------------------------------------------- ServiceAccount and Event

export const serviceAccountStrategy: Strategy = metaOnly(namespaced);

function validateEvent(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const involved = rec(obj.involvedObject);
  const ns = obj.metadata?.namespace;
  if (involved && involved.namespace && ns && involved.namespace !== ns) {
    errs.push(invalid('involvedObject.namespace', involved.namespace, 'does not match event.namespace'));
  }
  if (obj.type !== undefined && obj.type !== '' && obj.type !== 'Normal' && obj.type !== 'Warning') {
    errs.push(invalid('type', obj.type, 'has invalid value: must be one of Normal, Warning'));
  }
  return errs;
}

export const eventStrategy: Strategy = {
  validate: (obj) => [...validateObjectMeta(obj, namespaced), ...validateEvent(obj)],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validateEvent(obj)],
};
