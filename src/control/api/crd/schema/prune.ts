/**
 * Structural pruning and defaulting of custom objects, as apiextensions' pruning and defaulting algorithms:
 * fields the schema does not specify are dropped (unless x-kubernetes-preserve-unknown-fields), apiVersion,
 * kind and metadata survive at the root and in embedded resources (metadata keeps ObjectMeta's fields only),
 * and `default`s fill absent fields (and nulls of non-nullable ones) top-down.
 */
import { child, index, isObject, itemsOf, type Json, type JSONSchemaProps } from './types.js';

/** ObjectMeta's fields: the rest of a resource's metadata is pruned. */
const OBJECT_META = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers',
  'managedFields',
]);
const RESOURCE_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

/** Removes unknown fields from `obj` (a whole custom object) in place; returns their paths. */
export function pruneObject(obj: Json, schema: JSONSchemaProps | undefined): string[] {
  const out: string[] = [];
  pruneResource(obj, schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, '', out);
  return out;
}

function pruneResource(obj: Json, s: JSONSchemaProps, path: string, out: string[]): void {
  const meta = obj['metadata'];
  if (isObject(meta)) {
    for (const k of Object.keys(meta)) {
      if (!OBJECT_META.has(k)) {
        out.push(child(child(path, 'metadata'), k));
        delete meta[k];
      }
    }
  }
  pruneValue(obj, s, path, out, true);
}

function pruneValue(value: unknown, s: JSONSchemaProps | undefined, path: string, out: string[], resource = false): void {
  if (!s) return;
  if (Array.isArray(value)) {
    const items = itemsOf(s);
    if (items) value.forEach((v, i) => pruneValue(v, items, index(path, i), out));
    return;
  }
  if (!isObject(value)) return;
  if (!resource && s['x-kubernetes-embedded-resource']) {
    pruneResource(value, { ...s, 'x-kubernetes-embedded-resource': false }, path, out);
    return;
  }
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const additional = isObject(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined;
  for (const k of Object.keys(value)) {
    const prop = s.properties?.[k];
    if (prop) pruneValue(value[k], prop, child(path, k), out);
    else if (additional) pruneValue(value[k], additional, child(path, k), out);
    else if (resource && RESOURCE_FIELDS.has(k)) continue;
    else if (!preserve && s.additionalProperties !== true) {
      out.push(child(path, k));
      delete value[k];
    }
  }
}

/** Prunes a value below the root (a default) in place; returns the pruned paths. */
export function pruneValueAt(value: unknown, s: JSONSchemaProps, path = ''): string[] {
  const out: string[] = [];
  pruneValue(value, s, path, out);
  return out;
}

const copy = <T>(v: T): T => structuredClone(v);

/** Fills `default`s into `value` in place (upstream's structural defaulting algorithm). */
export function applyDefaults(value: unknown, s: JSONSchemaProps | undefined): void {
  if (!s) return;
  if (Array.isArray(value)) {
    const items = itemsOf(s);
    if (!items) return;
    for (let i = 0; i < value.length; i++) {
      if (value[i] === null && !items.nullable && items.default !== undefined) value[i] = copy(items.default);
      applyDefaults(value[i], items);
    }
    return;
  }
  if (!isObject(value)) return;
  for (const [k, prop] of Object.entries(s.properties ?? {})) {
    if (prop.default === undefined) continue;
    if (!Object.hasOwn(value, k) || (value[k] === null && !prop.nullable)) value[k] = copy(prop.default);
  }
  const additional = isObject(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined;
  for (const k of Object.keys(value)) {
    const prop = s.properties?.[k] ?? additional;
    if (!prop) continue;
    if (value[k] === null && !prop.nullable && prop.default !== undefined) value[k] = copy(prop.default);
    applyDefaults(value[k], prop);
  }
}
