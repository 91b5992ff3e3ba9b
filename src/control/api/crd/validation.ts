/**
 * Validation of CustomResourceDefinitions themselves, in upstream's words (apiextensions validation): the name
 * is `<plural>.<group>`, the group a domain with a dot, names DNS-1035 labels, a scope, versions with unique
 * names and exactly one storage version, a structural schema per version, subresource paths and printer
 * columns well formed; on update group and plural (and, once established, scope and kind) are immutable.
 */
import type { FieldError, KubeObject } from '../resource.js';
import { forbidden, immutable, invalid, notSupported, required } from '../validation/errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../validation/meta.js';
import { isDNS1035Label, isDNS1123Subdomain, nameIsDNSSubdomain } from '../validation/names.js';
import { asCRD, isConditionTrue, type CRDNames, type CRDSpec, type CRDVersion, type CustomResourceDefinition } from './definition.js';
import { validateStructural } from './schema/structural.js';
import { validateRulesCompile } from './cel.js';
import type { JSONSchemaProps } from './schema/types.js';
import { validateWebhookService, validateWebhookURL } from '../kinds/admissionregistration.js';

const COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const COLUMN_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];

/** A list value in an error: upstream prints the Go struct, Skiff its JSON. */
const shortJson = (v: unknown): string => JSON.stringify(v);

export function validateCRD(obj: KubeObject): FieldError[] {
  const crd = asCRD(obj);
  const spec = crd.spec ?? ({} as CustomResourceDefinition['spec']);
  const errs: FieldError[] = [];
  const requiredName = `${spec.names?.plural ?? ''}.${spec.group ?? ''}`;
  errs.push(...validateObjectMeta(obj, {
    namespaced: false,
    name: (name, prefix) => {
      const out = nameIsDNSSubdomain(name, prefix);
      if (name !== requiredName) out.push('must be spec.names.plural+"."+spec.group');
      return out;
    },
  }));
  errs.push(...validateSpec(crd));
  errs.push(...validateNames(crd.status?.acceptedNames, 'status.acceptedNames'));
  errs.push(...validateAPIApproval(crd));
  return errs;
}

const APPROVAL = 'api-approved.kubernetes.io';
const APPROVAL_PR = 'see https://github.com/kubernetes/enhancements/pull/1111';

/** Groups of the Kubernetes community (k8s.io, kubernetes.io and their subdomains) need an API review's approval. */
export const isProtectedGroup = (group: string): boolean =>
  group === 'k8s.io' || group === 'kubernetes.io' || group.endsWith('.k8s.io') || group.endsWith('.kubernetes.io');

function validateAPIApproval(crd: CustomResourceDefinition, old?: CustomResourceDefinition): FieldError[] {
  const group = crd.spec?.group;
  if (typeof group !== 'string' || !isProtectedGroup(group)) return [];
  const state = (c: CustomResourceDefinition | undefined): 'missing' | 'invalid' | 'ok' => {
    const v = c?.metadata?.annotations?.[APPROVAL];
    if (v === undefined) return 'missing';
    if (v.startsWith('unapproved')) return 'ok';
    try {
      new URL(v);
      return 'ok';
    } catch {
      return 'invalid';
    }
  };
  const now = state(crd);
  // As upstream: an update that leaves the approval as it was never fails on it.
  if (old && state(old) === now) return [];
  const field = `metadata.annotations[${APPROVAL}]`;
  if (now === 'missing') return [required(field, `protected groups must have approval annotation ${JSON.stringify(APPROVAL)}, ${APPROVAL_PR}`)];
  if (now === 'invalid') {
    return [invalid(field, crd.metadata!.annotations![APPROVAL], `protected groups must have approval annotation ${JSON.stringify(APPROVAL)} with either a URL or a reason starting with "unapproved", ${APPROVAL_PR}`)];
  }
  return [];
}

export function validateCRDUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const crd = asCRD(obj);
  const prev = asCRD(old);
  const errs = validateObjectMetaUpdate(obj, old);
  if (isConditionTrue(prev, 'Established')) {
    errs.push(...immutable('spec.scope', crd.spec?.scope, prev.spec?.scope));
    errs.push(...immutable('spec.names.kind', crd.spec?.names?.kind, prev.spec?.names?.kind));
  }
  errs.push(...immutable('spec.group', crd.spec?.group, prev.spec?.group));
  errs.push(...immutable('spec.names.plural', crd.spec?.names?.plural, prev.spec?.names?.plural));
  const stored = crd.status?.storedVersions ?? [];
  stored.forEach((v, i) => {
    if (!(crd.spec?.versions ?? []).some((x) => x.name === v)) errs.push(invalid(`status.storedVersions[${i}]`, v, 'must appear in spec.versions'));
  });
  return errs;
}

function validateSpec(crd: CustomResourceDefinition): FieldError[] {
  const spec = crd.spec;
  const errs: FieldError[] = [];
  if (!spec || typeof spec !== 'object') return [required('spec')];
  if (!spec.group) errs.push(required('spec.group'));
  else {
    const bad = isDNS1123Subdomain(spec.group);
    if (bad.length) errs.push(invalid('spec.group', spec.group, bad.join(',')));
    else if (spec.group.split('.').length < 2) errs.push(invalid('spec.group', spec.group, 'should be a domain with at least one dot'));
  }
  if (!spec.scope) errs.push(required('spec.scope'));
  else if (spec.scope !== 'Cluster' && spec.scope !== 'Namespaced') errs.push(notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']));

  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0) errs.push(required('spec.versions', 'must have exactly one version marked as storage version'));
  const seen = new Set<string>();
  let unique = true;
  let storage = 0;
  versions.forEach((v, i) => {
    const path = `spec.versions[${i}]`;
    if (v.storage) storage++;
    if (seen.has(v.name)) unique = false;
    seen.add(v.name);
    if (!v.name) errs.push(required(`${path}.name`));
    else {
      const bad = isDNS1035Label(v.name);
      if (bad.length) errs.push(invalid(`${path}.name`, v.name, bad.join(',')));
    }
    errs.push(...validateVersion(v, path));
  });
  if (versions.length && !unique) errs.push(invalid('spec.versions', shortJson(versions.map((v) => v.name)), 'must contain unique version names'));
  if (versions.length && storage !== 1) errs.push(invalid('spec.versions', shortJson(versions.map((v) => v.name)), 'must have exactly one version marked as storage version'));
  if (versions.length && !versions.some((v) => v.served)) errs.push(invalid('spec.versions', shortJson(versions.map((v) => v.name)), 'must have at least one version marked as served'));

  const names = spec.names ?? ({} as CRDNames);
  if (!names.plural) errs.push(required('spec.names.plural'));
  if (!names.singular) errs.push(required('spec.names.singular'));
  if (!names.kind) errs.push(required('spec.names.kind'));
  if (!names.listKind) errs.push(required('spec.names.listKind'));
  errs.push(...validateNames(names, 'spec.names'));

  errs.push(...validateConversion(spec.conversion));
  if (spec.preserveUnknownFields === true) errs.push(invalid('spec.preserveUnknownFields', true, 'must be false in order to use defaults in the schema'));
  return errs;
}

const REVIEW_VERSIONS = ['v1', 'v1beta1'];

/**
 * Upstream's validateCustomResourceConversion. Its field paths are the internal type's (webhookClientConfig and
 * conversionReviewVersions directly under spec.conversion), which is what upstream reports for v1 CRDs too.
 */
function validateConversion(conversion: CRDSpec['conversion']): FieldError[] {
  if (!conversion) return [];
  const errs: FieldError[] = [];
  const path = 'spec.conversion';
  const strategy = conversion.strategy;
  if (!strategy) errs.push(required(`${path}.strategy`));
  else if (strategy !== 'None' && strategy !== 'Webhook') errs.push(notSupported(`${path}.strategy`, strategy, ['None', 'Webhook']));
  const hook = (conversion.webhook ?? undefined) as { clientConfig?: Record<string, unknown> | null; conversionReviewVersions?: unknown } | undefined;
  const cc = hook?.clientConfig ?? undefined;
  const versions = Array.isArray(hook?.conversionReviewVersions) ? (hook.conversionReviewVersions as unknown[]).map(String) : [];
  if (strategy !== 'Webhook') {
    if (cc) errs.push(forbidden(`${path}.webhookClientConfig`, 'should not be set when strategy is not set to Webhook'));
    if (versions.length) errs.push(forbidden(`${path}.conversionReviewVersions`, 'should not be set when strategy is not set to Webhook'));
    return errs;
  }
  const ccPath = `${path}.webhookClientConfig`;
  if (!cc) errs.push(required(ccPath, 'required when strategy is set to Webhook'));
  else {
    const present = (v: unknown) => v !== undefined && v !== null;
    if (present(cc['url']) === present(cc['service'])) errs.push(required(ccPath, 'exactly one of url or service is required'));
    else if (present(cc['url'])) errs.push(...validateWebhookURL(String(cc['url']), `${ccPath}.url`));
    else errs.push(...validateWebhookService(cc['service'] as Parameters<typeof validateWebhookService>[0], `${ccPath}.service`));
  }
  const vPath = `${path}.conversionReviewVersions`;
  if (versions.length === 0) errs.push(required(vPath));
  else {
    const seen = new Set<string>();
    versions.forEach((v, i) => {
      if (seen.has(v)) return void errs.push(invalid(`${vPath}[${i}]`, v, 'duplicate version'));
      seen.add(v);
      for (const m of isDNS1035Label(v)) errs.push(invalid(`${vPath}[${i}]`, v, m));
    });
    if (!versions.some((v) => REVIEW_VERSIONS.includes(v))) errs.push(invalid(vPath, versions, `must include at least one of ${REVIEW_VERSIONS.join(', ')}`));
  }
  return errs;
}

function validateNames(names: CRDNames | undefined, path: string): FieldError[] {
  if (!names) return [];
  const errs: FieldError[] = [];
  const label = (field: string, value: string | undefined, lower = false) => {
    if (!value) return;
    const bad = isDNS1035Label(lower ? value.toLowerCase() : value);
    if (bad.length) errs.push(invalid(`${path}.${field}`, value, lower ? `may have mixed case, but should otherwise match: ${bad.join(',')}` : bad.join(',')));
  };
  label('plural', names.plural);
  label('singular', names.singular);
  label('kind', names.kind, true);
  label('listKind', names.listKind, true);
  (names.shortNames ?? []).forEach((s, i) => label(`shortNames[${i}]`, s));
  if (names.kind && names.kind === names.listKind) errs.push(invalid(`${path}.listKind`, names.listKind, 'kind and listKind may not be the same'));
  (names.categories ?? []).forEach((c, i) => label(`categories[${i}]`, c));
  return errs;
}

function simpleJSONPath(path: string, value: string | undefined, under: string[], what: string): FieldError[] {
  if (!value) return [required(path)];
  if (!value.startsWith('.')) return [invalid(path, value, 'must be a simple json path starting with .')];
  if (under.length && !under.some((u) => value.startsWith(`${u}.`))) return [invalid(path, value, what)];
  return [];
}

/** The schema of a simple path's field (`.spec.color`), following properties only. */
function schemaAt(schema: JSONSchemaProps | undefined, jsonPath: string): JSONSchemaProps | undefined {
  let s = schema;
  for (const seg of jsonPath.replace(/^\./, '').split('.')) s = s?.properties?.[seg];
  return s;
}

function validateVersion(v: CRDVersion, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const schema = v.schema?.openAPIV3Schema;
  const schemaPath = `${path}.schema.openAPIV3Schema`;
  if (schema === undefined) errs.push(required(schemaPath, 'schemas are required'));
  else {
    errs.push(...validateStructural(schema, schemaPath));
    errs.push(...validateRulesCompile(schema, schemaPath));
  }
  const scale = v.subresources?.scale;
  if (scale) {
    const p = `${path}.subresources.scale`;
    errs.push(...simpleJSONPath(`${p}.specReplicasPath`, scale.specReplicasPath, ['.spec'], 'should be a json path under .spec'));
    errs.push(...simpleJSONPath(`${p}.statusReplicasPath`, scale.statusReplicasPath, ['.status'], 'should be a json path under .status'));
    if (scale.labelSelectorPath !== undefined) {
      errs.push(...simpleJSONPath(`${p}.labelSelectorPath`, scale.labelSelectorPath, ['.spec', '.status'], 'should be a json path under either .spec or .status'));
    }
  }
  const fields = v.selectableFields ?? [];
  if (fields.length > 8) errs.push({ type: 'FieldValueTooMany', field: `${path}.selectableFields`, message: `Too many: ${fields.length}: must have at most 8 items` });
  const seenFields = new Set<string>();
  fields.forEach((f, i) => {
    const p = `${path}.selectableFields[${i}].jsonPath`;
    const bad = simpleJSONPath(p, f?.jsonPath, [], '');
    if (bad.length) return void errs.push(...bad);
    if (seenFields.has(f.jsonPath)) errs.push({ type: 'FieldValueDuplicate', field: p, message: `Duplicate value: ${JSON.stringify(f.jsonPath)}` });
    seenFields.add(f.jsonPath);
    const target = schemaAt(schema, f.jsonPath);
    if (!target) errs.push(invalid(p, f.jsonPath, 'is an invalid path: does not refer to a field in the schema'));
    else if (!['string', 'integer', 'boolean'].includes(target.type ?? '')) {
      errs.push(invalid(p, f.jsonPath, 'selectable field type must be one of: string, integer, boolean'));
    }
  });
  (v.additionalPrinterColumns ?? []).forEach((c, i) => {
    const p = `${path}.additionalPrinterColumns[${i}]`;
    if (!c.name) errs.push(required(`${p}.name`));
    if (!c.type) errs.push(required(`${p}.type`));
    else if (!COLUMN_TYPES.includes(c.type)) errs.push(notSupported(`${p}.type`, c.type, COLUMN_TYPES));
    if (c.format && !COLUMN_FORMATS.includes(c.format)) errs.push(notSupported(`${p}.format`, c.format, COLUMN_FORMATS));
    if (c.priority !== undefined && c.priority < 0) errs.push(invalid(`${p}.priority`, c.priority, 'must be greater than or equal to 0'));
    errs.push(...simpleJSONPath(`${p}.jsonPath`, c.jsonPath, [], ''));
  });
  return errs;
}
