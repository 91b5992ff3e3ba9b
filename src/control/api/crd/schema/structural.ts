/**
 * Whether a CRD's openAPIV3Schema is structural, as apiextensions.k8s.io/v1 requires of every version's schema:
 * every field typed (x-kubernetes-int-or-string and x-kubernetes-preserve-unknown-fields aside), an object at
 * the root, metadata restricted to name and generateName, no $ref, no additionalProperties: false, no
 * uniqueItems, properties and additionalProperties not both, types only outside allOf/anyOf/oneOf/not, list
 * types well formed, defaults valid against their own schema. Errors carry upstream's paths and words.
 */
import type { FieldError } from '../../resource.js';
import { forbidden, invalid, notSupported, required } from '../../validation/errors.js';
import { compilePattern, validateValue } from './validate.js';
import { isObject, itemsOf, type JSONSchemaProps } from './types.js';

const TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];

export function validateStructural(schema: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isObject(schema)) {
    errs.push(required(path, 'schemas are required'));
    return errs;
  }
  const s = schema as JSONSchemaProps;
  if (s.type !== 'object') {
    if (!s.type) errs.push(required(`${path}.type`, 'must not be empty at the root'));
    else errs.push(invalid(`${path}.type`, s.type, 'must be object at the root'));
  }
  const meta = s.properties?.['metadata'];
  if (meta) {
    const extra = Object.keys(meta).filter((k) => !['type', 'description', 'properties'].includes(k));
    const props = Object.keys(meta.properties ?? {}).filter((k) => k !== 'name' && k !== 'generateName');
    if (meta.type !== undefined && meta.type !== 'object') errs.push(invalid(`${path}.properties[metadata].type`, meta.type, 'must be object'));
    if (extra.length || props.length) {
      errs.push(forbidden(`${path}.properties[metadata]`, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
    }
  }
  walk(s, path, errs, { root: true, inJunctor: false });
  return errs;
}

interface Ctx {
  root: boolean;
  inJunctor: boolean;
}

function walk(s: JSONSchemaProps, path: string, errs: FieldError[], ctx: Ctx): void {
  if (s.$ref !== undefined) errs.push(forbidden(`${path}.$ref`, '$ref is not supported'));
  if (typeof s.pattern === 'string') {
    const re = compilePattern(s.pattern);
    if (re instanceof Error) errs.push(invalid(`${path}.pattern`, s.pattern, `must be a valid regular expression, but isn't: ${re.message}`));
  }
  if (s.uniqueItems === true) errs.push(forbidden(`${path}.uniqueItems`, 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  if (s.additionalProperties === false) errs.push(forbidden(`${path}.additionalProperties`, 'additionalProperties cannot be set to false'));
  if (s.properties && s.additionalProperties !== undefined) {
    errs.push(forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
  }
  if (Array.isArray(s.items)) errs.push(forbidden(`${path}.items`, 'items must be a schema object and not an array'));
  if (s['x-kubernetes-preserve-unknown-fields'] === false) {
    errs.push(invalid(`${path}.x-kubernetes-preserve-unknown-fields`, false, 'must be true or undefined'));
  }
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  if (ctx.inJunctor) {
    for (const k of ['type', 'nullable', 'default', 'description', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource'] as const) {
      if (s[k] !== undefined && !(k === 'x-kubernetes-preserve-unknown-fields' && s[k] === false)) {
        errs.push(forbidden(`${path}.${k}`, 'must be empty to be structural'));
      }
    }
  } else if (s.type !== undefined) {
    if (intOrString) errs.push(invalid(`${path}.type`, s.type, 'must be empty if x-kubernetes-int-or-string is true'));
    else if (!TYPES.includes(s.type)) errs.push(notSupported(`${path}.type`, s.type, TYPES));
  } else if (!ctx.root && !intOrString && s['x-kubernetes-preserve-unknown-fields'] !== true) {
    errs.push(required(`${path}.type`, 'must not be empty for specified fields'));
  }
  if (s['x-kubernetes-embedded-resource'] && s.type !== 'object' && !ctx.inJunctor) {
    errs.push(invalid(`${path}.type`, s.type ?? '', 'must be object if x-kubernetes-embedded-resource is true'));
  }
  if (s['x-kubernetes-embedded-resource'] && !s.properties && s['x-kubernetes-preserve-unknown-fields'] !== true) {
    errs.push(required(`${path}.properties`, 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'));
  }
  if (s.type === 'array' && !ctx.inJunctor && !s.items) errs.push(required(`${path}.items`, 'must be specified'));
  listType(s, path, errs);
  if (s.default !== undefined && !ctx.inJunctor) {
    const { default: d, ...rest } = s;
    // As upstream: the default is validated in place, so its errors name `….default`.
    validateValue(rest, d, `${path}.default`, errs);
  }
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    if (isObject(p)) walk(p, `${path}.properties[${k}]`, errs, { root: false, inJunctor: ctx.inJunctor });
  }
  const items = itemsOf(s);
  if (isObject(items)) walk(items, `${path}.items`, errs, { root: false, inJunctor: ctx.inJunctor });
  if (isObject(s.additionalProperties)) walk(s.additionalProperties as JSONSchemaProps, `${path}.additionalProperties`, errs, { root: false, inJunctor: ctx.inJunctor });
  for (const j of ['allOf', 'anyOf', 'oneOf'] as const) {
    (s[j] ?? []).forEach((sub, i) => isObject(sub) && walk(sub, `${path}.${j}[${i}]`, errs, { root: false, inJunctor: true }));
  }
  if (isObject(s.not)) walk(s.not, `${path}.not`, errs, { root: false, inJunctor: true });
}

function listType(s: JSONSchemaProps, path: string, errs: FieldError[]): void {
  const lt = s['x-kubernetes-list-type'];
  const keys = s['x-kubernetes-list-map-keys'];
  if (lt !== undefined) {
    if (!['atomic', 'set', 'map'].includes(lt)) errs.push(notSupported(`${path}.x-kubernetes-list-type`, lt, ['atomic', 'set', 'map']));
    if (s.type !== 'array') errs.push(invalid(`${path}.type`, s.type ?? '', 'must be array if x-kubernetes-list-type is specified'));
  }
  if (lt === 'map') {
    const items = itemsOf(s);
    if (!keys?.length) errs.push(required(`${path}.x-kubernetes-list-map-keys`, 'must not be empty if x-kubernetes-list-type is map'));
    if (items && items.type !== 'object') errs.push(invalid(`${path}.items.type`, items.type ?? '', 'must be object if parent array\'s x-kubernetes-list-type is map'));
    for (const [i, k] of (keys ?? []).entries()) {
      const prop = items?.properties?.[k];
      if (!prop) errs.push(invalid(`${path}.x-kubernetes-list-map-keys[${i}]`, k, 'entries must all be names of item properties'));
      else if (!['string', 'integer', 'boolean', 'number'].includes(prop.type ?? '') && !prop['x-kubernetes-int-or-string']) {
        errs.push(invalid(`${path}.items.properties[${k}].type`, prop.type ?? '', 'must be a scalar type if parent array\'s x-kubernetes-list-type is map'));
      }
    }
  } else if (keys?.length) {
    errs.push(forbidden(`${path}.x-kubernetes-list-map-keys`, 'must be empty if x-kubernetes-list-type is not map'));
  }
  if (lt === 'set') {
    const items = itemsOf(s);
    if (items?.type === 'object' && items['x-kubernetes-map-type'] !== 'atomic') {
      errs.push(invalid(`${path}.items.x-kubernetes-map-type`, items['x-kubernetes-map-type'] ?? '', 'must be atomic as item of a list with x-kubernetes-list-type=set'));
    }
  }
  const mt = s['x-kubernetes-map-type'];
  if (mt !== undefined && !['granular', 'atomic'].includes(mt)) errs.push(notSupported(`${path}.x-kubernetes-map-type`, mt, ['granular', 'atomic']));
}
