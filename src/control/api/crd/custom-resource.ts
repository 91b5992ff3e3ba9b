/**
 * The registry entries of an established CRD: one ResourceType per served version under the accepted names, each
 * converted to the storage version's (strategy None: only apiVersion changes; Webhook: the CRD's conversion
 * webhook, awaited by the engine), pruned, defaulted and validated by its own version's structural schema and CEL
 * rules.
 */
import type { FieldError, KubeObject, ResourceType, ScaleMapping, Strategy } from '../resource.js';
import { ALL_VERBS } from '../kinds/verbs.js';
import { deepEqual } from '../validation/errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../validation/meta.js';
import { nameIsDNSSubdomain } from '../validation/names.js';
import { compareVersions, storageVersion, type CRDVersion, type CustomResourceDefinition } from './definition.js';
import { customDefinitions } from './openapi.js';
import { printerColumns } from './printer.js';
import { applyDefaults, pruneObject } from './schema/prune.js';
import { validateValue } from './schema/validate.js';
import type { JSONSchemaProps } from './schema/types.js';
import { evaluateRules, hasRules } from './cel.js';
import { WebhookConverter, type ConversionWebhook, type ServiceURL } from './conversion-webhook.js';

/** A custom object's errors against a version's schema alone (metadata as far as the schema names it, CEL without oldSelf). */
export function schemaOnlyErrors(schema: JSONSchemaProps | undefined, obj: KubeObject): FieldError[] {
  if (!schema) return [];
  const errs: FieldError[] = [];
  const { metadata, ...rest } = obj;
  const meta = metadata as Record<string, unknown> | undefined;
  const named: Record<string, unknown> = {};
  for (const k of ['name', 'generateName']) if (meta?.[k] !== undefined) named[k] = meta[k];
  validateValue(schema, { ...rest, metadata: named }, '', errs);
  if (hasRules(schema)) evaluateRules(schema, obj, undefined, '', errs);
  return errs.map((e) => (e.field === '' ? { ...e, field: '<nil>' } : e));
}

/** The strategy of one version: structural pruning, defaulting and validation, CEL rules. */
export function customStrategy(schema: JSONSchemaProps | undefined, namespaced: boolean, hasStatus: boolean): Strategy {
  const rules = hasRules(schema);
  const schemaErrors = (obj: KubeObject, old?: KubeObject): FieldError[] => {
    const errs: FieldError[] = [];
    if (schema) {
      // metadata is ObjectMeta's to validate; the schema may only constrain name and generateName there.
      const { metadata, ...rest } = obj;
      const meta = metadata as Record<string, unknown> | undefined;
      const named: Record<string, unknown> = {};
      for (const k of ['name', 'generateName']) if (meta?.[k] !== undefined) named[k] = meta[k];
      validateValue(schema, { ...rest, metadata: named }, '', errs);
      if (rules) evaluateRules(schema, obj, old, '', errs);
    }
    return errs.map((e) => (e.field === '' ? { ...e, field: '<nil>' } : e));
  };
  return {
    hasGeneration: true,
    hasStatus,
    prune: (obj) => pruneObject(obj, schema),
    default: (obj) => applyDefaults(obj, schema),
    // As upstream's PrepareForCreate: with a status subresource, create never sets status.
    admit: hasStatus ? (obj) => void delete obj['status'] : undefined,
    // Upstream bumps a custom object's generation for any change but metadata (and status, with the status
    // subresource); the engine bumps it for spec, this for the rest.
    prepareForUpdate: (obj, old, sub) => {
      if (sub !== '') return;
      applyDefaults(obj, schema);
      const outside = (o: KubeObject): Record<string, unknown> => {
        const { metadata: _m, spec: _s, ...rest } = o;
        return rest;
      };
      if (!deepEqual(outside(obj), outside(old))) obj.metadata!.generation = (old.metadata?.generation ?? 1) + 1;
    },
    validate: (obj) => [...validateObjectMeta(obj, { namespaced, name: nameIsDNSSubdomain }), ...schemaErrors(obj)],
    validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...(rules ? schemaErrors(obj, old) : [])],
  };
}

const SCALE = 'scale';

/** Whether a CRD's resource can be served: names accepted, established, one storage version. */
export function servable(crd: CustomResourceDefinition): boolean {
  return !!storageVersion(crd) && !!crd.status?.acceptedNames?.plural && !!crd.status.acceptedNames.kind;
}

/** `serviceURL` resolves a conversion webhook's Service (strategy Webhook); without it none can be reached. */
export function customResources(crd: CustomResourceDefinition, serviceURL: ServiceURL = async () => undefined): ResourceType[] {
  const names = crd.status!.acceptedNames;
  const group = crd.spec.group;
  const namespaced = crd.spec.scope === 'Namespaced';
  const storage = storageVersion(crd)!;
  // Each version is served in version-priority order, so a group's preferred version is its highest.
  const served = crd.spec.versions.filter((v) => v.served).sort((a, b) => compareVersions(a.name, b.name));
  const build = (v: CRDVersion): ResourceType => {
    const schema = v.schema?.openAPIV3Schema;
    const hasStatus = v.subresources?.status !== undefined && v.subresources.status !== null;
    const scale = v.subresources?.scale;
    const listKind = names.listKind || `${names.kind}List`;
    const { definition, definitions } = customDefinitions({ group, version: v.name, kind: names.kind, listKind, plural: names.plural }, schema);
    const r: ResourceType = {
      group, version: v.name, kind: names.kind, listKind, plural: names.plural, singular: names.singular || names.kind.toLowerCase(),
      shortNames: [...(names.shortNames ?? [])], categories: [...(names.categories ?? [])], namespaced, verbs: ALL_VERBS,
      subresources: [...(hasStatus ? ['status'] : []), ...(scale ? [SCALE] : [])],
      strategy: customStrategy(schema, namespaced, hasStatus), columns: printerColumns(v.additionalPrinterColumns),
      definition, schemas: definitions, custom: true,
    };
    // Upstream's default text when a deprecated version names none.
    if (v.deprecated) r.deprecationWarning = v.deprecationWarning ?? `${group}/${v.name} ${names.kind} is deprecated`;
    if (v.selectableFields?.length) r.selectableFields = v.selectableFields.map((f) => f.jsonPath.replace(/^\./, ''));
    if (scale) {
      const m: ScaleMapping = { specReplicasPath: scale.specReplicasPath, statusReplicasPath: scale.statusReplicasPath };
      if (scale.labelSelectorPath) m.labelSelectorPath = scale.labelSelectorPath;
      r.scale = m;
    }
    return r;
  };
  // Every served version reads and writes through the storage version (itself served or not): a read converts
  // the stored object (whatever version it was written in) and applies the served version's defaults, as
  // upstream's storage decoder defaults what it reads.
  const storageR = build(storage);
  const storageGV = `${group}/${storage.name}`;
  const conversion = crd.spec.conversion;
  const webhook = conversion?.strategy === 'Webhook'
    ? new WebhookConverter((conversion.webhook ?? {}) as ConversionWebhook, names.listKind || `${names.kind}List`, serviceURL)
    : undefined;
  return served.map((v) => {
    const r = build(v);
    const servedGV = `${group}/${v.name}`;
    const schema = v.schema?.openAPIV3Schema;
    r.conversion = {
      storage: storageR,
      toStorage: (o) => {
        const out = structuredClone(o);
        applyDefaults(out, schema);
        return { ...out, apiVersion: storageGV };
      },
      fromStorage: (o) => {
        const out = structuredClone(o);
        applyDefaults(out, schema);
        return { ...out, apiVersion: servedGV };
      },
    };
    // The webhook converts copies (what the cache holds is never modified); the served version's defaults apply to
    // what it returns, as upstream defaults what it decodes.
    if (webhook) {
      r.conversion.async = {
        toStorage: (objs) => webhook.convert(objs.map((o) => {
          const out = structuredClone(o);
          applyDefaults(out, schema);
          return out;
        }), storageGV),
        fromStorage: async (objs, list) => {
          const out = await webhook.convert(objs.map((o) => structuredClone(o)), servedGV, list);
          for (const o of out) applyDefaults(o, schema);
          return out;
        },
      };
    }
    // Validated by the version the request was made in, as upstream validates before converting; the storage
    // version's strategy then validates what is stored.
    if (v !== storage) {
      r.conversion.check = (o) => {
        const c = structuredClone(o);
        applyDefaults(c, schema);
        return schemaOnlyErrors(schema, c);
      };
    }
    return r;
  });
}
