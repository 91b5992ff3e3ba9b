/**
 * Unknown fields, as kube-apiserver's decoder treats them: fields the kind's schema does not have are dropped
 * from what is stored, and reported per `fieldValidation`: Strict → 400 `strict decoding error: unknown
 * field "spec.foo"`, Warn (the default) → a `Warning` header per field, Ignore → silently.
 * Free-form parts of a schema (maps, preserve-unknown-fields, untyped objects) are never pruned; a definition
 * the schema catalog does not know is left alone.
 */
import { definitionSchema, resolveSchema, type Schema } from '../schema/index.js';
import { isPlainObject } from '../content.js';
import { badRequest } from '../status.js';
import { holdsDeclaredFieldsOnly } from '../validation/decode-types.js';

/** The request's fieldValidation (decoded and validated with the other options in params/options.ts). */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/**
 * Removes unknown fields from `obj` in place; returns their paths (`spec.containers[0].foo`). `stored`: the stored
 * object `obj` was made from (a patch's result), whose top-level members `obj` shares where the write left them
 * (a pod's spec under a status patch): those were pruned when stored and are not walked again.
 */
export function pruneUnknownFields(obj: unknown, definition: string, stored?: object): string[] {
  // A write's body the type check walked found nothing undeclared: no second walk over it.
  if (isPlainObject(obj) && holdsDeclaredFieldsOnly(obj, definition)) return [];
  const root = definitionSchema(definition);
  if (!root) return [];
  const out: string[] = [];
  walk(obj, root, '', out, stored as Record<string, unknown> | undefined);
  return out;
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

function walk(value: unknown, schema: Schema | undefined, path: string, out: string[], stored?: Record<string, unknown>): void {
  const s = resolveSchema(schema);
  if (!s || s['x-kubernetes-preserve-unknown-fields']) return;
  if (Array.isArray(value)) {
    if (s.items) value.forEach((v, i) => walk(v, s.items, `${path}[${i}]`, out));
    return;
  }
  if (!isPlainObject(value)) return;
  if (s.properties) {
    for (const key of Object.keys(value)) {
      const prop = s.properties[key];
      if (stored && typeof value[key] === 'object' && value[key] !== null && value[key] === stored[key]) continue;
      if (prop) walk(value[key], prop, join(path, key), out);
      else if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(value[key], s.additionalProperties, join(path, key), out);
      else if (s.additionalProperties !== true) {
        out.push(join(path, key));
        delete value[key];
      }
    }
    return;
  }
  if (s.additionalProperties && typeof s.additionalProperties === 'object') {
    for (const key of Object.keys(value)) walk(value[key], s.additionalProperties, join(path, key), out);
  }
}

/** Applies the policy: throws for Strict, otherwise returns the warnings to send (none for Ignore). */
export function checkUnknownFields(obj: unknown, definition: string, mode: FieldValidation, stored?: object): string[] {
  return reportUnknownFields(pruneUnknownFields(obj, definition, stored), mode);
}

/** The policy alone, for fields already pruned by other means (custom resources' structural schemas). */
export function reportUnknownFields(unknown: string[], mode: FieldValidation): string[] {
  if (unknown.length === 0 || mode === 'Ignore') return [];
  if (mode === 'Strict') throw badRequest(`strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
  return unknown.map((f) => `unknown field "${f}"`);
}
