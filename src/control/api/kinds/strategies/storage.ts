/**
 * Strategies of storage.k8s.io/v1 StorageClass, CSIDriver, CSINode and VolumeAttachment, as upstream's
 * pkg/apis/storage/validation: a qualified provisioner, reclaim and binding modes (defaults Delete and
 * Immediate) fixed once created; CSI driver names, spec defaults and token requests; node driver IDs and
 * topology keys; one attachment source and a spec that never changes.
 */
import type { FieldError, KubeObject, Strategy } from '../../resource.js';
import { deepEqual, duplicate, forbidden, immutable, invalid, notSupported, required, tooLong } from '../../validation/errors.js';
import { isQualifiedName } from '../../validation/labels.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../validation/meta.js';
import { isDNS1123Subdomain, nameIsDNSSubdomain } from '../../validation/names.js';
import { validateNonnegative } from '../../validation/numbers.js';
import { ensure, rec, records, setDefault, str } from './json.js';

const cluster = { namespaced: false, name: nameIsDNSSubdomain };
const present = (v: unknown): boolean => v !== undefined && v !== null;

// ---------------------------------------------------------------- StorageClass

export const STORAGE_RECLAIM_POLICIES = ['Delete', 'Retain'];
export const VOLUME_BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];

function validateStorageClass(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const provisioner = str(obj.provisioner);
  if (provisioner === '') errs.push(required('provisioner', ''));
  else for (const m of isQualifiedName(provisioner.toLowerCase())) errs.push(invalid('provisioner', provisioner, m));
  const params = rec(obj.parameters);
  if (params && Object.keys(params).some((k) => k === '')) errs.push(invalid('parameters', params, 'field can not be empty.'));
  const policy = obj.reclaimPolicy;
  if (present(policy) && !STORAGE_RECLAIM_POLICIES.includes(policy as string)) errs.push(notSupported('reclaimPolicy', policy, STORAGE_RECLAIM_POLICIES));
  const mode = obj.volumeBindingMode;
  if (!present(mode)) errs.push(required('volumeBindingMode', ''));
  else if (!VOLUME_BINDING_MODES.includes(mode as string)) errs.push(notSupported('volumeBindingMode', mode, VOLUME_BINDING_MODES));
  return errs;
}

export const storageClassStrategy: Strategy = {
  default(obj) {
    setDefault(obj, 'reclaimPolicy', 'Delete');
    setDefault(obj, 'volumeBindingMode', 'Immediate');
  },
  validate: (obj) => [...validateObjectMeta(obj, cluster), ...validateStorageClass(obj)],
  validateUpdate: (obj, old) => {
    const errs = [...validateObjectMetaUpdate(obj, old), ...validateStorageClass(obj)];
    if (!deepEqual(obj.parameters, old.parameters)) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
    if (obj.provisioner !== old.provisioner) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (obj.reclaimPolicy !== old.reclaimPolicy) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    errs.push(...immutable('volumeBindingMode', obj.volumeBindingMode, old.volumeBindingMode));
    return errs;
  },
};

/** The annotations that make a class the cluster's default (upstream's IsDefaultAnnotation). */
export function isDefaultStorageClass(obj: KubeObject): boolean {
  const a = obj.metadata?.annotations ?? {};
  return a['storageclass.kubernetes.io/is-default-class'] === 'true' || a['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
}

// ---------------------------------------------------------------- CSIDriver

const CSI_DRIVER_NAME_MAX = 63;
const FS_GROUP_POLICIES = ['File', 'None', 'ReadWriteOnceWithFSType'];
const LIFECYCLE_MODES = ['Ephemeral', 'Persistent'];

/** Upstream's ValidateCSIDriverName: required, at most 63 characters, a DNS subdomain once lower-cased (all reported). */
export function validateCSIDriverName(name: unknown, field: string): FieldError[] {
  const s = str(name);
  const errs: FieldError[] = [];
  if (s === '') errs.push(required(field, ''));
  if (s.length > CSI_DRIVER_NAME_MAX) errs.push(tooLong(field, CSI_DRIVER_NAME_MAX));
  for (const m of isDNS1123Subdomain(s.toLowerCase())) errs.push(invalid(field, s, m));
  return errs;
}

function validateCSIDriverSpec(obj: KubeObject): FieldError[] {
  const spec = rec(obj.spec) ?? {};
  const errs: FieldError[] = [];
  // Upstream reports a missing attachRequired at `spec.attachedRequired` (sic).
  for (const [k, path] of [['attachRequired', 'attachedRequired'], ['podInfoOnMount', 'podInfoOnMount'], ['storageCapacity', 'storageCapacity']]) {
    if (!present(spec[k!])) errs.push(required(`spec.${path}`, ''));
  }
  if (present(spec.fsGroupPolicy) && !FS_GROUP_POLICIES.includes(spec.fsGroupPolicy as string)) {
    errs.push(notSupported('spec.fsGroupPolicy', spec.fsGroupPolicy, FS_GROUP_POLICIES));
  }
  const modes = Array.isArray(spec.volumeLifecycleModes) ? spec.volumeLifecycleModes : [];
  for (const m of modes) if (!LIFECYCLE_MODES.includes(m as string)) errs.push(notSupported('spec.volumeLifecycleModes', m, LIFECYCLE_MODES));
  const audiences = new Set<string>();
  records(spec.tokenRequests).forEach((t, i) => {
    const p = `spec.tokenRequests[${i}]`;
    const audience = str(t.audience);
    if (audiences.has(audience)) {
      errs.push(duplicate(`${p}.audience`, audience));
      return;
    }
    audiences.add(audience);
    const exp = t.expirationSeconds;
    if (typeof exp === 'number') {
      if (exp < 600) errs.push(invalid(`${p}.expirationSeconds`, exp, 'may not specify a duration less than 10 minutes'));
      else if (exp > 2 ** 32) errs.push(invalid(`${p}.expirationSeconds`, exp, 'may not specify a duration larger than 2^32 seconds'));
    }
  });
  if (!present(spec.seLinuxMount)) errs.push(required('spec.seLinuxMount', ''));
  const period = spec.nodeAllocatableUpdatePeriodSeconds;
  if (typeof period === 'number' && period < 10) errs.push(invalid('spec.nodeAllocatableUpdatePeriodSeconds', period, 'must be greater than or equal to 10 seconds'));
  return errs;
}

export const csiDriverStrategy: Strategy = {
  // storage/v1 SetDefaults_CSIDriver (seLinuxMount with SELinuxMountReadWriteOncePod, beta and on in 1.32).
  default(obj) {
    const spec = ensure(obj, 'spec');
    for (const [k, v] of [['attachRequired', true], ['podInfoOnMount', false], ['storageCapacity', false],
      ['fsGroupPolicy', 'ReadWriteOnceWithFSType'], ['requiresRepublish', false], ['seLinuxMount', false]] as const) {
      if (!present(spec[k])) spec[k] = v;
    }
    if (!Array.isArray(spec.volumeLifecycleModes) || spec.volumeLifecycleModes.length === 0) spec.volumeLifecycleModes = ['Persistent'];
  },
  validate: (obj) => [
    ...validateObjectMeta(obj, cluster),
    ...validateCSIDriverSpec(obj),
  ],
  validateUpdate: (obj, old) => [
    ...validateObjectMetaUpdate(obj, old), ...validateCSIDriverSpec(obj),
    ...immutable('spec.attachedRequired', rec(obj.spec)?.attachRequired, rec(old.spec)?.attachRequired),
    ...immutable('spec.volumeLifecycleModes', rec(obj.spec)?.volumeLifecycleModes, rec(old.spec)?.volumeLifecycleModes),
  ],
};

// ---------------------------------------------------------------- CSINode

const CSI_NODE_ID_MAX = 256;

function validateCSINode(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  records(rec(obj.spec)?.drivers).forEach((d, i) => {
    const p = `spec.drivers[${i}]`;
    errs.push(...validateCSIDriverName(d.name, `${p}.name`));
    const id = str(d.nodeID);
    if (id === '') errs.push(required(`${p}.nodeID`, ''));
    else if (id.length > CSI_NODE_ID_MAX) errs.push(invalid(`${p}.nodeID`, id, `must be ${CSI_NODE_ID_MAX} characters or less`));
    const allocatable = rec(d.allocatable);
    if (allocatable) errs.push(...validateNonnegative(allocatable.count, `${p}.allocatable.count`));
    const name = str(d.name);
    if (names.has(name)) errs.push(duplicate(`${p}.name`, name));
    names.add(name);
    // Upstream reports topology key errors at the driver's own path.
    const keys = new Set<string>();
    for (const k of Array.isArray(d.topologyKeys) ? d.topologyKeys : []) {
      const key = str(k);
      if (key === '') errs.push(required(p, ''));
      if (keys.has(key)) errs.push(duplicate(p, key));
      keys.add(key);
      for (const m of isQualifiedName(key)) errs.push(invalid(p, key, m));
    }
  });
  return errs;
}

export const csiNodeStrategy: Strategy = {
  validate: (obj) => [...validateObjectMeta(obj, cluster), ...validateCSINode(obj)],
  validateUpdate: (obj, old) => {
    const errs = [...validateObjectMetaUpdate(obj, old), ...validateCSINode(obj)];
    // A registered driver may be removed or new ones added, but one that stays may not change.
    const next = records(rec(obj.spec)?.drivers);
    for (const prev of records(rec(old.spec)?.drivers)) {
      const same = next.find((d) => d.name === prev.name);
      if (same && !deepEqual(same, prev)) errs.push(invalid('spec.drivers', same, 'field is immutable'));
    }
    return errs;
  },
};

// ---------------------------------------------------------------- VolumeAttachment

const ONE_SOURCE = 'must specify exactly one of inlineVolumeSpec and persistentVolumeName';

function validateVolumeAttachmentSpec(obj: KubeObject): FieldError[] {
  const spec = rec(obj.spec) ?? {};
  const errs: FieldError[] = [];
  if (str(spec.attacher) === '') errs.push(required('spec.attacher', ''));
  else errs.push(...validateCSIDriverName(spec.attacher, 'spec.attacher'));
  const source = rec(spec.source) ?? {};
  const pv = source.persistentVolumeName;
  const inline = source.inlineVolumeSpec;
  if (!present(pv) && !present(inline)) errs.push(required('spec.source', ONE_SOURCE));
  else if (present(pv) && present(inline)) errs.push(forbidden('spec.source', ONE_SOURCE));
  else if (present(pv) && str(pv) === '') errs.push(required('spec.source.persistentVolumeName', 'must specify non empty persistentVolumeName'));
  const node = str(spec.nodeName);
  if (node === '') errs.push(required('spec.nodeName', ''));
  else for (const m of isDNS1123Subdomain(node)) errs.push(invalid('spec.nodeName', node, m));
  return errs;
}

export const volumeAttachmentStrategy: Strategy = {
  validate: (obj) => [...validateObjectMeta(obj, cluster), ...validateVolumeAttachmentSpec(obj)],
  validateUpdate: (obj, old) => {
    const errs = [...validateObjectMetaUpdate(obj, old), ...validateVolumeAttachmentSpec(obj)];
    if (!deepEqual(obj.spec, old.spec)) errs.push(invalid('spec', obj.spec, 'field is immutable'));
    return errs;
  },
  hasStatus: true,
};
