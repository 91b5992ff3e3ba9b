/**
 * Strategies of core/v1 PersistentVolume and PersistentVolumeClaim, as upstream's ValidatePersistentVolume and
 * ValidatePersistentVolumeClaim: access modes, a storage capacity or request, one volume source, class names,
 * volume modes; defaults Retain, Filesystem and the Pending phase; the claim's spec fixed once created except
 * for its requests.
 */
import { posix } from 'node:path';
import type { FieldError, KubeObject, Strategy } from '../../resource.js';
import { deepEqual, forbidden, immutable, invalid, notSupported, required } from '../../validation/errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../validation/meta.js';
import { isDNS1123Subdomain, nameIsDNSSubdomain } from '../../validation/names.js';
import { QUANTITY_FORMAT_ERROR } from '../../validation/quantities.js';
import { compareQuantities, printQuantity, toExactQuantity, type ExactQuantity } from '../../validation/quantity-canonical.js';
import { validateLabelSelector } from '../../validation/selectors.js';
import { ensure, rec, setDefault, str, type Json } from './json.js';

export const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
export const VOLUME_MODES = ['Block', 'Filesystem'];
export const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];

/** Every PersistentVolumeSource field, in the order upstream checks them; exactly one must be set. */
const PV_SOURCES = [
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'glusterfs', 'flocker', 'nfs', 'rbd', 'quobyte', 'cephfs',
  'iscsi', 'cinder', 'fc', 'flexVolume', 'azureFile', 'vsphereVolume', 'photonPersistentDisk', 'portworxVolume',
  'azureDisk', 'scaleIO', 'local', 'storageos', 'csi',
];
/** Upstream names a second cephfs source `cephFS` in its error, and never refuses a second flexVolume. */
const SECOND_SOURCE_FIELD: Readonly<Record<string, string>> = { cephfs: 'cephFS' };

function validateAccessModes(modes: unknown, field: string, requiredDetail: string): FieldError[] {
  const list = Array.isArray(modes) ? modes : [];
  if (list.length === 0) return [required(field, requiredDetail)];
  const errs: FieldError[] = [];
  for (const m of list) if (!ACCESS_MODES.includes(m as string)) errs.push(notSupported(field, m, ACCESS_MODES));
  if (list.includes('ReadWriteOncePod') && list.length > 1) {
    errs.push(forbidden(field, 'may not use ReadWriteOncePod with other access modes'));
  }
  return errs;
}

function validateClassName(v: unknown, field: string): FieldError[] {
  if (typeof v !== 'string' || v === '') return [];
  return isDNS1123Subdomain(v).map((m) => invalid(field, v, m));
}

function validateVolumeMode(v: unknown, field: string): FieldError[] {
  return v === undefined || v === null || VOLUME_MODES.includes(v as string) ? [] : [notSupported(field, v, VOLUME_MODES)];
}

/** A storage quantity that must be above zero (upstream's ValidatePositiveQuantityValue after the format check). */
function validatePositiveQuantity(v: unknown, field: string): FieldError[] {
  const q = toExactQuantity(v);
  if (q === null) return [invalid(field, v, QUANTITY_FORMAT_ERROR)];
  if (q.digits < 0n) return [invalid(field, printQuantity(q), 'must be greater than or equal to 0')];
  if (q.digits === 0n) return [invalid(field, printQuantity(q), 'must be greater than zero')];
  return [];
}

const isAbsolute = (p: unknown): boolean => typeof p === 'string' && p.startsWith('/');

/** The one volume source and the checks upstream makes on the common ones. */
function validateVolumeSource(spec: Json): FieldError[] {
  const set = PV_SOURCES.filter((s) => spec[s] !== undefined && spec[s] !== null);
  if (set.length === 0) return [required('spec', 'must specify a volume type')];
  const errs: FieldError[] = set.slice(1).filter((s) => s !== 'flexVolume')
    .map((s) => forbidden(`spec.${SECOND_SOURCE_FIELD[s] ?? s}`, 'may not specify more than 1 volume type'));
  const src = rec(spec[set[0]!]) ?? {};
  const p = `spec.${set[0]}`;
  switch (set[0]) {
    case 'hostPath':
      if (!str(src.path)) errs.push(required(`${p}.path`, ''));
      break;
    case 'local':
      if (!str(src.path)) errs.push(required(`${p}.path`, ''));
      if (!rec(spec.nodeAffinity)) errs.push(required('spec.nodeAffinity', 'Local volume requires node affinity'));
      break;
    case 'nfs':
      if (!str(src.server)) errs.push(required(`${p}.server`, ''));
      if (!str(src.path)) errs.push(required(`${p}.path`, ''));
      else if (!isAbsolute(src.path)) errs.push(invalid(`${p}.path`, src.path, 'must be an absolute path'));
      break;
    case 'csi':
      if (!str(src.driver)) errs.push(required(`${p}.driver`, ''));
      if (!str(src.volumeHandle)) errs.push(required(`${p}.volumeHandle`, ''));
      break;
    default:
  }
  return errs;
}

function validatePVSpec(obj: KubeObject): FieldError[] {
  const spec = rec(obj.spec);
  if (!spec) return [required('spec', '')];
  const errs = validateAccessModes(spec.accessModes, 'spec.accessModes', '');
  const capacity = rec(spec.capacity) ?? {};
  if (Object.keys(capacity).length === 0) errs.push(required('spec.capacity', ''));
  if (capacity.storage === undefined || Object.keys(capacity).length > 1) errs.push(notSupported('spec.capacity', capacity, ['storage']));
  for (const [k, v] of Object.entries(capacity)) errs.push(...validatePositiveQuantity(v, `spec.capacity[${k}]`));
  const policy = spec.persistentVolumeReclaimPolicy;
  if (typeof policy === 'string' && policy !== '' && !RECLAIM_POLICIES.includes(policy)) {
    errs.push(notSupported('spec.persistentVolumeReclaimPolicy', policy, RECLAIM_POLICIES));
  }
  errs.push(...validateClassName(spec.storageClassName, 'spec.storageClassName'));
  errs.push(...validateVolumeMode(spec.volumeMode, 'spec.volumeMode'));
  errs.push(...validateVolumeSource(spec));
  const hostPath = str(rec(spec.hostPath)?.path);
  if (policy === 'Recycle' && rec(spec.hostPath) && posix.normalize(hostPath || '.').replace(/(.)\/+$/, '$1') === '/') {
    errs.push(forbidden('spec.persistentVolumeReclaimPolicy', "may not be 'recycle' for a hostPath mount of '/'"));
  }
  return errs;
}

export const persistentVolumeStrategy: Strategy = {
  default(obj) {
    const spec = ensure(obj, 'spec');
    setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    setDefault(spec, 'volumeMode', 'Filesystem');
    setDefault(ensure(obj, 'status'), 'phase', 'Pending');
  },
  validate: (obj) => [...validateObjectMeta(obj, { namespaced: false, name: nameIsDNSSubdomain }), ...validatePVSpec(obj)],
  validateUpdate: (obj, old, subresource) => {
    if (subresource === 'status') return validateObjectMetaUpdate(obj, old);
    const errs = [...validateObjectMetaUpdate(obj, old), ...validatePVSpec(obj)];
    const spec = rec(obj.spec) ?? {};
    const prev = rec(old.spec) ?? {};
    const source = (s: Json) => Object.fromEntries(PV_SOURCES.filter((k) => s[k] !== undefined).map((k) => [k, s[k]]));
    if (!deepEqual(source(spec), source(prev))) {
      errs.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
    }
    // Upstream's paths for these two lack the `spec.` prefix.
    errs.push(...immutable('volumeMode', spec.volumeMode, prev.volumeMode));
    if (prev.nodeAffinity !== undefined) errs.push(...immutable('nodeAffinity', spec.nodeAffinity, prev.nodeAffinity));
    return errs;
  },
  hasStatus: true,
};

function validatePVCSpec(obj: KubeObject): FieldError[] {
  const spec = rec(obj.spec);
  if (!spec) return [required('spec', '')];
  const errs = validateAccessModes(spec.accessModes, 'spec.accessModes', 'at least 1 access mode is required');
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const requests = rec(rec(spec.resources)?.requests);
  if (requests?.storage === undefined) errs.push(required('spec.resources[storage]', ''));
  else errs.push(...validatePositiveQuantity(requests.storage, 'spec.resources[storage]'));
  errs.push(...validateClassName(spec.storageClassName, 'spec.storageClassName'));
  errs.push(...validateVolumeMode(spec.volumeMode, 'spec.volumeMode'));
  return errs;
}

const storageOf = (spec: Json): unknown => rec(rec(spec.resources)?.requests)?.storage;

/**
 * Upstream's ValidatePersistentVolumeClaimUpdate: the spec is fixed except a first volumeName, a first
 * storageClassName, the volumeAttributesClassName, and (once Bound) the storage request, which may not drop to
 * the capacity the claim already has (RecoverVolumeExpansionFailure, on in 1.32).
 */
function validateClaimUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const next: Json = structuredClone(rec(obj.spec) ?? {});
  const prev: Json = structuredClone(rec(old.spec) ?? {});
  if (!prev.volumeName) prev.volumeName = next.volumeName;
  if (prev.storageClassName === undefined || prev.storageClassName === null) {
    const beta = old.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'];
    if (beta === undefined || next.storageClassName === beta) next.storageClassName = prev.storageClassName;
  }
  const phase = rec(obj.status)?.phase ?? rec(old.status)?.phase;
  const requests = rec(rec(next.resources)?.requests);
  if (phase === 'Bound' && requests) requests.storage = storageOf(prev);
  next.volumeAttributesClassName = prev.volumeAttributesClassName;
  if (!deepEqual(next, prev)) {
    errs.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  }
  const newSize = toExactQuantity(storageOf(rec(obj.spec) ?? {}));
  const oldSize = toExactQuantity(storageOf(rec(old.spec) ?? {}));
  const had = toExactQuantity(rec(rec(old.status)?.capacity)?.storage) ?? ZERO;
  if (newSize && oldSize && compareQuantities(newSize, oldSize) < 0 && compareQuantities(newSize, had) <= 0) {
    errs.push(forbidden('spec.resources.requests.storage', 'field can not be less than status.capacity'));
  }
  errs.push(...immutable('volumeMode', rec(obj.spec)?.volumeMode, rec(old.spec)?.volumeMode));
  return errs;
}

const ZERO: ExactQuantity = { digits: 0n, exp10: 0, format: 'DecimalSI' };

/** Upstream's ValidatePersistentVolumeClaimStatusUpdate: access modes still set, capacities well formed. */
function validateClaimStatus(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const modes = rec(obj.spec)?.accessModes;
  if (!Array.isArray(modes) || modes.length === 0) errs.push(required('Spec.accessModes', ''));
  for (const [k, v] of Object.entries(rec(rec(obj.status)?.capacity) ?? {})) {
    if (toExactQuantity(v) === null) errs.push(invalid(`status.capacity[${k}]`, v, QUANTITY_FORMAT_ERROR));
  }
  return errs;
}

export const persistentVolumeClaimStrategy: Strategy = {
  default(obj) {
    setDefault(ensure(obj, 'spec'), 'volumeMode', 'Filesystem');
    setDefault(ensure(obj, 'status'), 'phase', 'Pending');
  },
  validate: (obj) => [...validateObjectMeta(obj, { namespaced: true, name: nameIsDNSSubdomain }), ...validatePVCSpec(obj)],
  validateUpdate: (obj, old, subresource) => (subresource === 'status'
    ? [...validateObjectMetaUpdate(obj, old), ...validateClaimStatus(obj)]
    : [...validateObjectMetaUpdate(obj, old), ...validatePVCSpec(obj), ...validateClaimUpdate(obj, old)]),
  hasStatus: true,
};
