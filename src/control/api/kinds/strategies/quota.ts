/**
 * Strategies of core/v1 LimitRange and ResourceQuota, as upstream's ValidateLimitRange and ValidateResourceQuota:
 * resource names, non-negative (and for counted objects integral) quantities, min ≤ default ≤ max, and quota
 * scopes and scope selectors that fit the resources they limit.
 */
import type { FieldError, KubeObject, Strategy } from '../../resource.js';
import { duplicate, forbidden, invalid, required } from '../../validation/errors.js';
import { isQualifiedName } from '../../validation/labels.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../validation/meta.js';
import { nameIsDNSSubdomain } from '../../validation/names.js';
import { QUANTITY_FORMAT_ERROR } from '../../validation/quantities.js';
import { compareQuantities, printQuantity, toExactQuantity, type ExactQuantity } from '../../validation/quantity-canonical.js';
import { isRecord, records, rec, str } from './json.js';

const namespaced = { namespaced: true, name: nameIsDNSSubdomain };

// ---------------------------------------------------------------- resource names and quantities

const STANDARD_RESOURCES = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods', 'resourcequotas', 'services',
  'replicationcontrollers', 'secrets', 'configmaps', 'persistentvolumeclaims', 'storage', 'requests.storage',
  'services.nodeports', 'services.loadbalancers',
]);
const STANDARD_QUOTA_RESOURCES = new Set([...STANDARD_RESOURCES].filter((r) => r !== 'storage'));
const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const INTEGER_RESOURCES = new Set([
  'pods', 'resourcequotas', 'services', 'replicationcontrollers', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'services.nodeports', 'services.loadbalancers',
]);
const isHugePages = (n: string): boolean => n.startsWith('hugepages-') || n.startsWith('requests.hugepages-');
const isStandardResource = (n: string): boolean => STANDARD_RESOURCES.has(n) || isHugePages(n);
const isStandardQuotaResource = (n: string): boolean => STANDARD_QUOTA_RESOURCES.has(n) || isHugePages(n);
const isNative = (n: string): boolean => !n.includes('/') || n.includes('kubernetes.io/');
/** Extended resources (vendor-domain names) are counted in whole units, as upstream's IsExtendedResourceName. */
const isExtended = (n: string): boolean => !isNative(n) && !n.startsWith('requests.') && isQualifiedName(`requests.${n}`).length === 0;
const isIntegerResource = (n: string): boolean => INTEGER_RESOURCES.has(n) || isExtended(n);

function validateResourceName(name: string, field: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(field, name, m));
  if (errs.length) return errs;
  if (!name.includes('/') && !isStandardResource(name)) return [invalid(field, name, 'must be a standard resource type or fully qualified')];
  return [];
}

function validateContainerResourceName(name: string, field: string): FieldError[] {
  const errs = validateResourceName(name, field);
  if (errs.length) return errs;
  if (!name.includes('/') && !STANDARD_CONTAINER_RESOURCES.has(name) && !name.startsWith('hugepages-')) {
    return [invalid(field, name, 'must be a standard resource for containers')];
  }
  return [];
}

function validateQuotaResourceName(name: string, field: string): FieldError[] {
  const errs = validateResourceName(name, field);
  if (!name.includes('/') && !isStandardQuotaResource(name)) errs.push(invalid(field, name, 'must be a standard resource for quota'));
  return errs;
}

/** A quantity, or the format error at `field`. */
function quantity(v: unknown, field: string, errs: FieldError[]): ExactQuantity | null {
  const q = toExactQuantity(v);
  if (q === null) errs.push(invalid(field, v, QUANTITY_FORMAT_ERROR));
  return q;
}

/** Upstream's ValidateResourceQuantityValue: not negative, and whole for counted resources. */
function validateQuantityValue(resource: string, v: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const q = quantity(v, field, errs);
  if (q === null) return errs;
  if (q.digits < 0n) errs.push(invalid(field, printQuantity(q), 'must be greater than or equal to 0'));
  if (isIntegerResource(resource) && !isWhole(q)) errs.push(invalid(field, printQuantity(q), 'must be an integer'));
  return errs;
}

function isWhole(q: ExactQuantity): boolean {
  if (q.exp10 >= 0) return true;
  return q.digits % 10n ** BigInt(-q.exp10) === 0n;
}

const entries = (v: unknown): Array<[string, unknown]> => (isRecord(v) ? Object.entries(v) : []);

// ---------------------------------------------------------------- LimitRange

const LIMIT_TYPES = new Set(['Pod', 'Container', 'PersistentVolumeClaim']);

function validateLimitTypeName(value: string, field: string): FieldError[] {
  const errs = isQualifiedName(value).map((m) => invalid(field, value, m));
  if (errs.length) return errs;
  if (!value.includes('/') && !LIMIT_TYPES.has(value)) return [invalid(field, value, 'must be a standard limit type or fully qualified')];
  return [];
}

/** Resources that may not be overcommitted: their default limit and request must agree. */
const OVERCOMMIT_ALLOWED = new Set(['cpu', 'memory', 'ephemeral-storage', 'storage']);

function validateLimitRange(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  records(rec(obj.spec)?.limits).forEach((limit, i) => {
    const p = `spec.limits[${i}]`;
    const type = str(limit.type);
    errs.push(...validateLimitTypeName(type, `${p}.type`));
    if (seen.has(type)) errs.push(duplicate(`${p}.type`, type));
    seen.add(type);
    const nameCheck = (k: string, field: string) =>
      (type === 'Pod' || type === 'Container' ? validateContainerResourceName(k, field) : validateResourceName(k, field));
    const maps: Record<string, Map<string, ExactQuantity>> = {};
    const keys = new Set<string>();
    const read = (part: string) => {
      const m = new Map<string, ExactQuantity>();
      for (const [k, v] of entries(limit[part])) {
        const field = `${p}.${part}[${k}]`;
        errs.push(...nameCheck(k, field));
        keys.add(k);
        const q = quantity(v, field, errs);
        if (q) m.set(k, q);
      }
      maps[part] = m;
    };
    read('max');
    read('min');
    if (type === 'Pod') {
      if (entries(limit.default).length) errs.push(forbidden(`${p}.default`, "may not be specified when `type` is 'Pod'"));
      if (entries(limit.defaultRequest).length) errs.push(forbidden(`${p}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
      maps.default = new Map();
      maps.defaultRequest = new Map();
    } else {
      read('default');
      read('defaultRequest');
    }
    if (type === 'PersistentVolumeClaim' && !maps.min!.has('storage') && !maps.max!.has('storage')) {
      errs.push(required(`${p}.limits`, 'either minimum or maximum storage value is required, but neither was provided'));
    }
    read('maxLimitRequestRatio');
    for (const k of keys) {
      const min = maps.min!.get(k);
      const max = maps.max!.get(k);
      const def = maps.default!.get(k);
      const defReq = maps.defaultRequest!.get(k);
      const ratio = maps.maxLimitRequestRatio!.get(k);
      const s = printQuantity;
      if (min && max && compareQuantities(min, max) > 0) {
        errs.push(invalid(`${p}.min[${k}]`, s(min), `min value ${s(min)} is greater than max value ${s(max)}`));
      }
      if (defReq && min && compareQuantities(min, defReq) > 0) {
        errs.push(invalid(`${p}.defaultRequest[${k}]`, s(defReq), `min value ${s(min)} is greater than default request value ${s(defReq)}`));
      }
      if (defReq && max && compareQuantities(defReq, max) > 0) {
        errs.push(invalid(`${p}.defaultRequest[${k}]`, s(defReq), `default request value ${s(defReq)} is greater than max value ${s(max)}`));
      }
      if (defReq && def && compareQuantities(defReq, def) > 0) {
        errs.push(invalid(`${p}.defaultRequest[${k}]`, s(defReq), `default request value ${s(defReq)} is greater than default limit value ${s(def)}`));
      }
      if (def && min && compareQuantities(min, def) > 0) {
        errs.push(invalid(`${p}.default[${k}]`, s(min), `min value ${s(min)} is greater than default value ${s(def)}`));
      }
      if (def && max && compareQuantities(def, max) > 0) {
        errs.push(invalid(`${p}.default[${k}]`, s(max), `default value ${s(def)} is greater than max value ${s(max)}`));
      }
      if (ratio && compareQuantities(ratio, { digits: 1n, exp10: 0, format: 'DecimalSI' } as ExactQuantity) < 0) {
        errs.push(invalid(`${p}.maxLimitRequestRatio[${k}]`, s(ratio), `ratio ${s(ratio)} is less than 1`));
      }
      if (ratio && min && max) {
        const limit = Number(`${max.digits}e${max.exp10}`) / Number(`${min.digits}e${min.exp10}`);
        if (Number(`${ratio.digits}e${ratio.exp10}`) > limit) {
          errs.push(invalid(`${p}.maxLimitRequestRatio[${k}]`, s(ratio), `ratio ${s(ratio)} is greater than max/min = ${limit.toFixed(6)}`));
        }
      }
      if (!OVERCOMMIT_ALLOWED.has(k) && def && defReq && compareQuantities(def, defReq) !== 0) {
        errs.push(invalid(`${p}.defaultRequest[${k}]`, s(defReq), `default value ${s(def)} must equal to defaultRequest value ${s(defReq)} in ${k}`));
      }
    }
  });
  return errs;
}

export const limitRangeStrategy: Strategy = {
  // Upstream's SetDefaults_LimitRangeItem: a Container's default limit falls back to its max, and its default
  // request to the default limit, then to its min.
  default(obj) {
    for (const limit of records(rec(obj.spec)?.limits)) {
      if (limit.type !== 'Container') continue;
      const max = rec(limit.max) ?? {};
      const def = rec(limit.default) ?? {};
      for (const [k, v] of Object.entries(max)) if (def[k] === undefined) def[k] = v;
      if (Object.keys(def).length) limit.default = def;
      const min = rec(limit.min) ?? {};
      const defReq = rec(limit.defaultRequest) ?? {};
      for (const [k, v] of Object.entries(def)) if (defReq[k] === undefined) defReq[k] = v;
      for (const [k, v] of Object.entries(min)) if (defReq[k] === undefined) defReq[k] = v;
      if (Object.keys(defReq).length) limit.defaultRequest = defReq;
    }
  },
  validate: (obj) => [...validateObjectMeta(obj, namespaced), ...validateLimitRange(obj)],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validateLimitRange(obj)],
};

// ---------------------------------------------------------------- ResourceQuota

export const QUOTA_SCOPES = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'];
const EXISTS_ONLY_SCOPES = new Set(['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'CrossNamespacePodAffinity']);
const POD_COUNT = new Set(['pods']);
const POD_COMPUTE = new Set(['cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory']);

function scopeFitsResource(scope: string, resource: string): boolean {
  switch (scope) {
    case 'Terminating': case 'NotTerminating': case 'NotBestEffort': case 'PriorityClass':
      return POD_COUNT.has(resource) || POD_COMPUTE.has(resource);
    case 'BestEffort':
      return POD_COUNT.has(resource);
    default:
      return true;
  }
}

const CONFLICTING = [['BestEffort', 'NotBestEffort'], ['NotTerminating', 'Terminating']];

function validateQuotaSpec(spec: Record<string, unknown>, base: string): FieldError[] {
  const errs: FieldError[] = [];
  const hard = entries(spec.hard);
  for (const [k, v] of hard) {
    const p = `${base}.hard[${k}]`;
    errs.push(...validateQuotaResourceName(k, p), ...validateQuantityValue(k, v, p));
  }
  const hardNames = hard.map(([k]) => k).sort();
  const scopes = Array.isArray(spec.scopes) ? spec.scopes.map(String) : [];
  if (scopes.length) {
    const p = `${base}.scopes`;
    for (const scope of scopes) {
      if (!QUOTA_SCOPES.includes(scope)) errs.push(invalid(p, scopes, 'unsupported scope'));
      for (const k of hardNames) {
        if (isStandardQuotaResource(k) && !scopeFitsResource(scope, k)) errs.push(invalid(p, scopes, 'unsupported scope applied to resource'));
      }
    }
    for (const pair of CONFLICTING) if (pair.every((s) => scopes.includes(s))) errs.push(invalid(p, scopes, 'conflicting scopes'));
  }
  const selector = rec(spec.scopeSelector);
  if (selector) {
    const p = `${base}.scopeSelector.matchExpressions`;
    const seen = new Set<string>();
    for (const req of records(selector.matchExpressions)) {
      const scope = str(req.scopeName);
      if (!QUOTA_SCOPES.includes(scope)) errs.push(invalid(`${p}.scopeName`, req.scopeName ?? '', 'unsupported scope'));
      for (const k of hardNames) {
        if (isStandardQuotaResource(k) && !scopeFitsResource(scope, k)) errs.push(invalid(p, selector, 'unsupported scope applied to resource'));
      }
      if (EXISTS_ONLY_SCOPES.has(scope) && req.operator !== 'Exists') {
        errs.push(invalid(`${p}.operator`, req.operator ?? '', "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity"));
      }
      const values = Array.isArray(req.values) ? req.values : [];
      switch (req.operator) {
        case 'In': case 'NotIn':
          if (values.length === 0) errs.push(required(`${p}.values`, "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
          break;
        case 'Exists': case 'DoesNotExist':
          if (values.length) errs.push(invalid(`${p}.values`, values, "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
          break;
        default:
          errs.push(invalid(`${p}.operator`, req.operator ?? '', 'not a valid selector operator'));
      }
      seen.add(scope);
    }
    for (const pair of CONFLICTING) if (pair.every((s) => seen.has(s))) errs.push(invalid(p, scopes, 'conflicting scopes'));
  }
  return errs;
}

function validateQuotaStatus(obj: KubeObject): FieldError[] {
  const status = rec(obj.status);
  if (!status) return [];
  const errs: FieldError[] = [];
  for (const part of ['hard', 'used'] as const) {
    for (const [k, v] of entries(status[part])) {
      const p = `status.${part}[${k}]`;
      errs.push(...validateQuotaResourceName(k, p), ...validateQuantityValue(k, v, p));
    }
  }
  return errs;
}

export const resourceQuotaStrategy: Strategy = {
  validate: (obj) => [...validateObjectMeta(obj, namespaced), ...validateQuotaSpec(rec(obj.spec) ?? {}, 'spec')],
  validateUpdate: (obj, old) => [
    ...validateObjectMetaUpdate(obj, old), ...validateQuotaSpec(rec(obj.spec) ?? {}, 'spec'), ...validateQuotaStatus(obj),
  ],
  hasStatus: true,
};
