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
import { pruneValueAt } from './prune.js';
import { isObject, itemsOf, type JSONSchemaProps } from './types.js';

const TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];

export function validateStructural(schema: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isObject(schema)) {
    errs.push(required(path, 'schemas are required'));
    return errs;
  }
  const s = schema as JSONSchemaProps;
  if (s.type !== undefined && s.type !== 'object') errs.push(invalid(`${path}.type`, s.type, 'must be object at the root'));
  const meta = s.properties?.['metadata'];
  if (meta) {
    const extra = Object.keys(meta).filter((k) => !['type', 'properties'].includes(k));
    const props = Object.keys(meta.properties ?? {}).filter((k) => k !== 'name' && k !== 'generateName');
    if (extra.length || props.length) {
      errs.push(forbidden(`${path}.properties[metadata]`, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
    }
  }
  walk(s, path, errs, 'root');
  // As upstream, sorted by their text (the schema's maps have no order).
  return errs.sort((a, b) => {
    const x = `${a.field}: ${a.message}`;
    const y = `${b.field}: ${b.message}`;
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

type Level = 'root' | 'items' | 'field';

const isIntOrStringPair = (list: JSONSchemaProps[] | undefined): boolean =>
  list?.length === 2 && list[0]?.type === 'integer' && list[1]?.type === 'string'
  && Object.keys(list[0]!).length === 1 && Object.keys(list[1]!).length === 1;

function walk(s: JSONSchemaProps, path: string, errs: FieldError[], lvl: Level): void {
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
  if (lvl === 'root' && s.additionalProperties !== undefined) errs.push(forbidden(`${path}.additionalProperties`, 'must not be used at the root'));
  if (Array.isArray(s.items)) errs.push(forbidden(`${path}.items`, 'items must be a schema object and not an array'));
  if (s['x-kubernetes-preserve-unknown-fields'] === false) {
    errs.push(invalid(`${path}.x-kubernetes-preserve-unknown-fields`, false, 'must be true or undefined'));
  }
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  if (intOrString && preserve) errs.push(invalid(`${path}.x-kubernetes-preserve-unknown-fields`, true, 'must be false if x-kubernetes-int-or-string is true'));
  if (intOrString && embedded) errs.push(invalid(`${path}.x-kubernetes-embedded-resource`, true, 'must be false if x-kubernetes-int-or-string is true'));
  if (s.type !== undefined) {
    if (intOrString) errs.push(invalid(`${path}.type`, s.type, 'must be empty if x-kubernetes-int-or-string is true'));
    else if (!TYPES.includes(s.type)) errs.push(notSupported(`${path}.type`, s.type, TYPES));
  }
  if (embedded && s.type !== 'object') {
    if (!s.type) errs.push(required(`${path}.type`, 'must be object if x-kubernetes-embedded-resource is true'));
    else errs.push(invalid(`${path}.type`, s.type, 'must be object if x-kubernetes-embedded-resource is true'));
  } else if (!s.type && !intOrString && !preserve) {
    const where = lvl === 'root' ? 'at the root' : lvl === 'items' ? 'for specified array items' : 'for specified object fields';
    errs.push(required(`${path}.type`, `must not be empty ${where}`));
  }
  if (embedded && s.additionalProperties !== undefined) errs.push(forbidden(`${path}.additionalProperties`, 'must not be used if x-kubernetes-embedded-resource is set'));
  if (embedded && !preserve && !Object.keys(s.properties ?? {}).length) {
    errs.push(required(`${path}.properties`, 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'));
  }
  if (lvl === 'root' || embedded) {
    for (const [k, want] of [['kind', 'string'], ['apiVersion', 'string'], ['metadata', 'object']] as const) {
      const p = s.properties?.[k];
      if (p && p.type !== want) errs.push(invalid(`${path}.properties[${k}].type`, p.type ?? '', `must be ${want}`));
    }
  }
  if (s.type === 'array' && !s.items) errs.push(required(`${path}.items`, 'must be specified'));
  listType(s, path, errs);
  if (s.default !== undefined) {
    const { default: d, ...rest } = s;
    // As upstream: the default is validated in place, so its errors name `….default`; it must also be pruned.
    const before = errs.length;
    validateValue(rest, d, `${path}.default`, errs);
    if (errs.length === before && pruneValueAt(structuredClone(d), rest).length) {
      errs.push(invalid(`${path}.default`, d, 'must not have unknown fields'));
    }
  }
  for (const [k, p] of Object.entries(s.properties ?? {})) if (isObject(p)) walk(p, `${path}.properties[${k}]`, errs, 'field');
  const items = itemsOf(s);
  if (isObject(items)) walk(items, `${path}.items`, errs, 'items');
  if (isObject(s.additionalProperties)) walk(s.additionalProperties as JSONSchemaProps, `${path}.additionalProperties`, errs, 'field');
  // The logical junctors carry value validations only (int-or-string's anyOf [integer, string] excepted).
  const skipAnyOf = intOrString && isIntOrStringPair(s.anyOf);
  const skipFirstAllOfAnyOf = intOrString && isIntOrStringPair(s.allOf?.[0]?.anyOf);
  if (!skipAnyOf) (s.anyOf ?? []).forEach((sub, i) => isObject(sub) && nested(sub, `${path}.anyOf[${i}]`, errs, false));
  (s.allOf ?? []).forEach((sub, i) => isObject(sub) && nested(sub, `${path}.allOf[${i}]`, errs, skipFirstAllOfAnyOf && i === 0));
  (s.oneOf ?? []).forEach((sub, i) => isObject(sub) && nested(sub, `${path}.oneOf[${i}]`, errs, false));
  if (isObject(s.not)) nested(s.not, `${path}.not`, errs, false);
}

/** A schema under allOf/anyOf/oneOf/not: no types, defaults, descriptions or Kubernetes extensions there. */
function nested(s: JSONSchemaProps, path: string, errs: FieldError[], skipAnyOf: boolean): void {
  const rules: [keyof JSONSchemaProps, string][] = [
    ['type', 'must be empty to be structural'], ['additionalProperties', 'must be undefined to be structural'],
    ['default', 'must be undefined to be structural'], ['title', 'must be empty to be structural'],
    ['description', 'must be empty to be structural'], ['x-kubernetes-list-map-keys', 'must be empty to be structural'],
    ['x-kubernetes-list-type', 'must be undefined to be structural'],
  ];
  for (const [k, msg] of rules) if (s[k] !== undefined && s[k] !== '') errs.push(forbidden(`${path}.${k}`, msg));
  for (const k of ['nullable', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string'] as const) {
    if (s[k] === true) errs.push(forbidden(`${path}.${k}`, 'must be false to be structural'));
  }
  if (s.properties?.['metadata']) errs.push(forbidden(`${path}.properties[metadata]`, 'must not be specified in a nested context'));
  if (typeof s.pattern === 'string') {
    const re = compilePattern(s.pattern);
    if (re instanceof Error) errs.push(invalid(`${path}.pattern`, s.pattern, `must be a valid regular expression, but isn't: ${re.message}`));
  }
  for (const [k, p] of Object.entries(s.properties ?? {})) if (isObject(p)) nested(p, `${path}.properties[${k}]`, errs, false);
  const items = itemsOf(s);
  if (isObject(items)) nested(items, `${path}.items`, errs, false);
  if (!skipAnyOf) (s.anyOf ?? []).forEach((sub, i) => isObject(sub) && nested(sub, `${path}.anyOf[${i}]`, errs, false));
  (s.allOf ?? []).forEach((sub, i) => isObject(sub) && nested(sub, `${path}.allOf[${i}]`, errs, false));
  (s.oneOf ?? []).forEach((sub, i) => isObject(sub) && nested(sub, `${path}.oneOf[${i}]`, errs, false));
  if (isObject(s.not)) nested(s.not, `${path}.not`, errs, false);
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
