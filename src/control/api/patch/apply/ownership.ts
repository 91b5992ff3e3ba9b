/**
 * What both apply and update tracking agree on: which fields no manager ever owns (identity metadata), which
 * fields a write through the main resource or a subresource does not own (upstream's reset fields), and the
 * object a create is compared against.
 */
import type { KubeObject } from '../../resource.js';
import { FieldSet, fieldElement } from './field-set.js';
import type { Shape } from './typed.js';

/** Upstream's stripMeta: never recorded for any manager (removed as members, not with their children). */
export const STRIPPED_FIELDS: FieldSet = FieldSet.fromPaths([
  ['f:apiVersion'], ['f:kind'], ['f:metadata'],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion']
    .map((f) => ['f:metadata', fieldElement(f)]),
]);

/**
 * Fields a write does not own: through the main resource, a kind's `status` (it has a status subresource);
 * through /status, everything but `status`. (The engine keeps the other part from the stored object.)
 */
export function resetFields(shape: Shape, subresource: string): FieldSet {
  const key = subresource === 'status' ? 'status' : 'main';
  let byShape = resetCache.get(shape);
  if (!byShape) resetCache.set(shape, (byShape = {}));
  return (byShape[key] ??= computeResetFields(shape, subresource));
}

/** Per shape and subresource: the sets are only ever read (set operations return new sets). */
const resetCache = new WeakMap<Shape, { main?: FieldSet; status?: FieldSet }>();

function computeResetFields(shape: Shape, subresource: string): FieldSet {
  if (shape.kind !== 'struct' || !shape.field('status')) return new FieldSet();
  if (subresource === 'status') {
    return FieldSet.fromPaths(shape.fieldNames.filter((f) => f !== 'status').map((f) => [fieldElement(f)]));
  }
  return FieldSet.fromPaths([['f:status']]);
}

/** Struct fields Go always serialises (non-pointer), so a freshly created object's live side already has them. */
const ALWAYS_PRESENT = new Set(['metadata', 'spec', 'status', 'template', 'strategy', 'updateStrategy', 'jobTemplate']);

/**
 * What upstream compares a create against: the kind's empty Go object, whose non-pointer structs serialise as
 * `{}` and whose required (non-omitempty) lists and maps as null. Without it every create would own `spec`,
 * `metadata` or `containers` themselves, unlike upstream's entries.
 */
export function emptyObject(shape: Shape): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (shape.kind !== 'struct') return out;
  for (const name of shape.fieldNames) {
    const f = shape.field(name);
    if (f?.kind === 'struct' && (ALWAYS_PRESENT.has(name) || shape.required.has(name))) out[name] = emptyObject(f);
    else if ((f?.kind === 'list' || f?.kind === 'map') && shape.required.has(name)) out[name] = null;
  }
  return out;
}

/** A private copy without metadata.managedFields (tracked beside the object, never inside the comparison). */
export function withoutManagedFields(obj: KubeObject): KubeObject {
  const copy = structuredClone(obj);
  if (copy.metadata && 'managedFields' in copy.metadata) delete copy.metadata.managedFields;
  return copy;
}

/** Drops null-valued fields (a configuration's way of saying "unset"), as decoding into Go types does. */
export function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x);
    return out;
  }
  return v;
}
