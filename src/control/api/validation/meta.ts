/** ObjectMeta validation on create and update, as upstream's ValidateObjectMeta / ValidateObjectMetaUpdate. */
import type { FieldError, KubeObject, ObjectMeta } from '../resource.js';
import { forbidden, immutable, invalid, required } from './errors.js';
import { validateAnnotations, validateLabels, isQualifiedName } from './labels.js';
import { nameIsDNSLabel, isValidPathSegmentName, type NameValidator } from './names.js';
import { validateNonnegative } from './numbers.js';

export interface MetaRules {
  namespaced: boolean;
  /** How this kind's names are checked (DNS subdomain for most, DNS label or RFC 1035 label for some). */
  name: NameValidator;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function validateObjectMeta(obj: KubeObject, rules: MetaRules, field = 'metadata'): FieldError[] {
  const meta = obj.metadata;
  if (!isRecord(meta)) return [required(field, '')];
  const errs: FieldError[] = [];
  const m = meta as ObjectMeta;
  if (typeof m.generateName === 'string' && m.generateName !== '') {
    for (const msg of rules.name(m.generateName, true)) errs.push(invalid(`${field}.generateName`, m.generateName, msg));
  }
  if (typeof m.name !== 'string' || m.name === '') {
    errs.push(required(`${field}.name`, 'name or generateName is required'));
  } else {
    const msgs = rules.name(m.name, false);
    // Path-segment rules only add anything when the format check passed ('/' and '%' fail every format).
    if (msgs.length === 0) msgs.push(...isValidPathSegmentName(m.name));
    for (const msg of msgs) errs.push(invalid(`${field}.name`, m.name, msg));
  }
  if (rules.namespaced) {
    if (typeof m.namespace !== 'string' || m.namespace === '') errs.push(required(`${field}.namespace`, ''));
    else for (const msg of nameIsDNSLabel(m.namespace, false)) errs.push(invalid(`${field}.namespace`, m.namespace, msg));
  } else if (m.namespace !== undefined && m.namespace !== '') {
    errs.push(forbidden(`${field}.namespace`, 'not allowed on this type'));
  }
  errs.push(...validateNonnegative(m.generation, `${field}.generation`));
  errs.push(...validateLabels(m.labels, `${field}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${field}.annotations`));
  errs.push(...validateOwnerReferences(m.ownerReferences, `${field}.ownerReferences`));
  errs.push(...validateFinalizers(m.finalizers, `${field}.finalizers`));
  return errs;
}

function validateOwnerReferences(refs: unknown, field: string): FieldError[] {
  if (refs === undefined || refs === null) return [];
  if (!Array.isArray(refs)) return [invalid(field, refs, 'must be a list')];
  const errs: FieldError[] = [];
  let controller = '';
  for (const r of refs as Array<Record<string, unknown>>) {
    const apiVersion = String(r?.apiVersion ?? '');
    const version = apiVersion.includes('/') ? apiVersion.split('/')[1] : apiVersion;
    if (!version) errs.push(invalid(`${field}.apiVersion`, apiVersion, 'version must not be empty'));
    for (const k of ['kind', 'name', 'uid'] as const) {
      if (!r?.[k]) errs.push(invalid(`${field}.${k}`, String(r?.[k] ?? ''), 'must not be empty'));
    }
    if (r?.controller === true) {
      const name = `${String(r.kind)}/${String(r.name)}`;
      if (controller) {
        errs.push(invalid(field, refs, `Only one reference can have Controller set to true. Found "true" in references for ${controller} and ${name}`));
      } else controller = name;
    }
  }
  return errs;
}

function validateFinalizers(finalizers: unknown, field: string): FieldError[] {
  if (finalizers === undefined || finalizers === null) return [];
  if (!Array.isArray(finalizers)) return [invalid(field, finalizers, 'must be a list of strings')];
  const errs: FieldError[] = [];
  for (const f of finalizers) {
    for (const msg of isQualifiedName(String(f))) errs.push(invalid(field, f, msg));
  }
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errs.push(invalid(field, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

/**
 * What an update may not change in metadata, plus the create-time rules on the new labels and annotations.
 * (New finalizers on an object being deleted are refused by the API server's update path itself.)
 */
export function validateObjectMetaUpdate(next: KubeObject, prev: KubeObject, field = 'metadata'): FieldError[] {
  const n = (next.metadata ?? {}) as ObjectMeta;
  const p = (prev.metadata ?? {}) as ObjectMeta;
  const errs: FieldError[] = [];
  if ((n.generation ?? 0) < (p.generation ?? 0)) errs.push(invalid(`${field}.generation`, n.generation, 'must not be decremented'));
  for (const k of ['name', 'namespace', 'uid', 'creationTimestamp'] as const) {
    errs.push(...immutable(`${field}.${k}`, n[k] || undefined, p[k] || undefined));
  }
  errs.push(...validateLabels(n.labels, `${field}.labels`));
  errs.push(...validateAnnotations(n.annotations, `${field}.annotations`));
  errs.push(...validateOwnerReferences(n.ownerReferences, `${field}.ownerReferences`));
  errs.push(...validateFinalizers(n.finalizers, `${field}.finalizers`));
  return errs;
}
