/**
 * Validation of a custom object against its CRD's structural schema, keyword by keyword as kube-openapi's
 * validator (go-openapi) does, reported as upstream's apiextensions turns those results into field errors:
 * `spec.replicas: Invalid value: 15: spec.replicas in body should be less than or equal to 10`,
 * `spec.size: Required value`, `spec.color: Unsupported value: "pink": supported values: "red", "blue"`,
 * `spec.tags: Too many: 3: must have at most 2 items`. Then x-kubernetes-list-type set/map uniqueness and the
 * apiVersion/kind of x-kubernetes-embedded-resource objects, as apiextensions checks them after the schema.
 */
import { RE2JS } from '@bufbuild/re2';
import type { FieldError } from '../../resource.js';
import { formatValue, invalid, notSupported, required } from '../../validation/errors.js';
import { matchesFormat } from './formats.js';
import { child, index, isObject, itemsOf, jsonEqual, jsonType, type JSONSchemaProps } from './types.js';

/** `<path> in body`, as go-openapi names a value (the root has an empty name). */
const inBody = (path: string): string => `${path} in body`;

const typeInvalid = (path: string, value: unknown, detail: string): FieldError =>
  ({ type: 'FieldValueTypeInvalid', field: path, message: `Invalid value: ${formatValue(value)}: ${detail}` });

const tooLong = (path: string, max: number): FieldError =>
  ({ type: 'FieldValueTooLong', field: path, message: `Too long: may not be more than ${max} ${max === 1 ? 'byte' : 'bytes'}` });

const tooMany = (path: string, actual: number, max: number): FieldError =>
  ({ type: 'FieldValueTooMany', field: path, message: `Too many: ${actual}: must have at most ${max} ${max === 1 ? 'item' : 'items'}` });

/** Go's %v of a float64 (integral values print without a fraction). */
const num = (n: number): string => String(n);

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return true;
  }
}

const regexCache = new Map<string, RE2JS | Error>();
/**
 * A schema's pattern compiled as Go compiles it (RE2: linear time, Go's syntax and errors), matched unanchored
 * as regexp.MatchString; an Error (Go's text) when it does not compile.
 */
export function compilePattern(pattern: string): RE2JS | Error {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    try {
      re = RE2JS.compile(pattern);
    } catch (err) {
      re = err instanceof Error ? err : new Error(String(err));
    }
    regexCache.set(pattern, re);
  }
  return re;
}

/** Validates `value` against `s`; errors are appended to `errs`. */
export function validateValue(s: JSONSchemaProps, value: unknown, path: string, errs: FieldError[]): void {
  const name = inBody(path);
  if (value === null || value === undefined) {
    // null passes a nullable or untyped schema; otherwise it is a value of the wrong type.
    if (s.nullable || (!s.type && !s['x-kubernetes-int-or-string'])) return;
    const want = s['x-kubernetes-int-or-string'] ? 'integer,string' : s.type!;
    errs.push(typeInvalid(path, 'null', `${name} must be of type ${want}: "null"`));
    return;
  }
  if (s['x-kubernetes-int-or-string']) {
    if (!(typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)))) {
      errs.push(typeInvalid(path, jsonType(value), `${name} must be of type integer,string: ${JSON.stringify(jsonType(value))}`));
      return;
    }
  } else if (s.type && !typeMatches(s.type, value)) {
    errs.push(typeInvalid(path, jsonType(value), `${name} must be of type ${s.type}: ${JSON.stringify(jsonType(value))}`));
    return;
  }

  if (isObject(value)) validateObject(s, value, path, errs);
  if (Array.isArray(value)) validateArray(s, value, path, errs);

  if (s.enum && s.enum.length > 0 && !s.enum.some((e) => jsonEqual(e, value))) {
    errs.push(notSupported(path, value, s.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)))));
  }
  if (typeof value === 'string') validateString(s, value, path, errs);
  if (typeof value === 'number') validateNumber(s, value, path, errs);
  if (s.format && !matchesFormat(s.format, value)) {
    errs.push(typeInvalid(path, value, `${name} must be of type ${s.format}: ${JSON.stringify(typeof value === 'string' ? value : String(value))}`));
  }
  validateComposition(s, value, path, errs);
}

function validateString(s: JSONSchemaProps, value: string, path: string, errs: FieldError[]): void {
  const runes = [...value].length;
  if (s.maxLength !== undefined && runes > s.maxLength) errs.push(tooLong(path, s.maxLength));
  if (s.minLength !== undefined && runes < s.minLength) {
    errs.push(invalid(path, value, `${inBody(path)} should be at least ${s.minLength} chars long`));
  }
  if (s.pattern !== undefined) {
    const re = compilePattern(s.pattern);
    if (!(re instanceof Error) && !re.test(value)) errs.push(invalid(path, value, `${inBody(path)} should match '${s.pattern}'`));
  }
}

function validateNumber(s: JSONSchemaProps, value: number, path: string, errs: FieldError[]): void {
  const name = inBody(path);
  if (s.multipleOf !== undefined && s.multipleOf > 0) {
    const q = value / s.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9) errs.push(invalid(path, value, `${name} should be a multiple of ${num(s.multipleOf)}`));
  }
  if (s.maximum !== undefined) {
    if (s.exclusiveMaximum ? value >= s.maximum : value > s.maximum) {
      errs.push(invalid(path, value, `${name} should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${num(s.maximum)}`));
    }
  }
  if (s.minimum !== undefined) {
    if (s.exclusiveMinimum ? value <= s.minimum : value < s.minimum) {
      errs.push(invalid(path, value, `${name} should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${num(s.minimum)}`));
    }
  }
}

function validateObject(s: JSONSchemaProps, value: Record<string, unknown>, path: string, errs: FieldError[]): void {
  const n = Object.keys(value).length;
  if (s.maxProperties !== undefined && n > s.maxProperties) errs.push(tooMany(path, n, s.maxProperties));
  if (s.minProperties !== undefined && n < s.minProperties) {
    errs.push(invalid(path, n, `${inBody(path)} should have at least ${s.minProperties} properties`));
  }
  for (const key of s.required ?? []) {
    if (!Object.hasOwn(value, key)) errs.push(required(child(path, key)));
  }
  for (const [key, v] of Object.entries(value)) {
    const prop = s.properties?.[key];
    if (prop) validateValue(prop, v, child(path, key), errs);
    else if (isObject(s.additionalProperties)) validateValue(s.additionalProperties, v, child(path, key), errs);
  }
  if (s['x-kubernetes-embedded-resource']) validateEmbedded(value, path, errs);
}

function validateArray(s: JSONSchemaProps, value: unknown[], path: string, errs: FieldError[]): void {
  if (s.maxItems !== undefined && value.length > s.maxItems) errs.push(tooMany(path, value.length, s.maxItems));
  if (s.minItems !== undefined && value.length < s.minItems) {
    errs.push(invalid(path, value.length, `${inBody(path)} should have at least ${s.minItems} items`));
  }
  if (s.uniqueItems && value.some((x, i) => value.findIndex((y) => jsonEqual(x, y)) !== i)) {
    errs.push(invalid(path, '', `${inBody(path)} shouldn't contain duplicates`));
  }
  const items = itemsOf(s);
  if (items) value.forEach((v, i) => validateValue(items, v, index(path, i), errs));
  validateListType(s, value, path, errs);
}

/**
 * oneOf/anyOf/allOf/not: value validations only (structural schemas keep types out of them). A failed
 * composition is reported on the root, as upstream's (its go-openapi error has no field name), followed by the
 * errors of the branch that came closest.
 */
function validateComposition(s: JSONSchemaProps, value: unknown, path: string, errs: FieldError[]): void {
  const quoted = JSON.stringify(path);
  const root = (detail: string): FieldError => invalid('<nil>', '', detail);
  const attempt = (sub: JSONSchemaProps): FieldError[] => {
    const out: FieldError[] = [];
    validateValue(sub, value, path, out);
    return out;
  };
  if (s.allOf?.length) {
    const results = s.allOf.map(attempt);
    const failed = results.filter((r) => r.length > 0);
    if (failed.length) {
      for (const r of failed) errs.push(...r);
      errs.push(root(`${quoted} must validate all the schemas (allOf)${failed.length === results.length ? '. None validated' : ''}`));
    }
  }
  if (s.anyOf?.length) {
    const results = s.anyOf.map(attempt);
    if (!results.some((r) => r.length === 0)) {
      errs.push(root(`${quoted} must validate at least one schema (anyOf)`));
      errs.push(...fewest(results));
    }
  }
  if (s.oneOf?.length) {
    const results = s.oneOf.map(attempt);
    const valid = results.filter((r) => r.length === 0).length;
    if (valid === 0) {
      errs.push(...fewest(results));
      errs.push(root(`${quoted} must validate one and only one schema (oneOf). Found none valid`));
    } else if (valid > 1) {
      errs.push(root(`${quoted} must validate one and only one schema (oneOf). Found ${valid} valid alternatives`));
    }
  }
  if (s.not && attempt(s.not).length === 0) errs.push(root(`${quoted} must not validate the schema (not)`));
}

const fewest = (results: FieldError[][]): FieldError[] =>
  results.reduce((best, r) => (r.length < best.length ? r : best), results[0] ?? []);

/** Go's %#v of a list-map entry's keys, as upstream's Duplicate error prints them. */
function goMap(keys: Record<string, unknown>): string {
  const body = Object.entries(keys).map(([k, v]) => `${JSON.stringify(k)}:${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
  return `map[string]interface {}{${body.join(', ')}}`;
}

/** x-kubernetes-list-type: set (no duplicate items) and map (no two items with the same key values). */
function validateListType(s: JSONSchemaProps, value: unknown[], path: string, errs: FieldError[]): void {
  const type = s['x-kubernetes-list-type'];
  if (type === 'set') {
    const seen: unknown[] = [];
    value.forEach((v, i) => {
      if (seen.some((x) => jsonEqual(x, v))) errs.push({ type: 'FieldValueDuplicate', field: index(path, i), message: `Duplicate value: ${formatValue(v)}` });
      else seen.push(v);
    });
  } else if (type === 'map') {
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    const items = itemsOf(s);
    const seen: string[] = [];
    value.forEach((v, i) => {
      if (!isObject(v)) return;
      const k: Record<string, unknown> = {};
      for (const key of keys) {
        // A missing key with a default counts as its default (the defaulter ran first); else it is absent.
        const val = v[key] ?? items?.properties?.[key]?.default;
        if (val !== undefined) k[key] = val;
      }
      const id = JSON.stringify(keys.map((key) => k[key] ?? null));
      if (seen.includes(id)) errs.push({ type: 'FieldValueDuplicate', field: index(path, i), message: `Duplicate value: ${goMap(k)}` });
      else seen.push(id);
    });
  }
}

/** An embedded object (x-kubernetes-embedded-resource) must name its apiVersion and kind. */
function validateEmbedded(value: Record<string, unknown>, path: string, errs: FieldError[]): void {
  if (value['apiVersion'] === undefined || value['apiVersion'] === '') errs.push(required(child(path, 'apiVersion'), 'must not be empty'));
  else if (typeof value['apiVersion'] === 'string' && !/^([a-z0-9.-]+\/)?[a-z0-9]+$/.test(value['apiVersion'])) {
    errs.push(invalid(child(path, 'apiVersion'), value['apiVersion'], 'must be a valid group/version'));
  }
  if (value['kind'] === undefined || value['kind'] === '') errs.push(required(child(path, 'kind'), 'must not be empty'));
}
