/**
 * A create's field set (createdFieldSet against the kind's empty object) and its fieldsV1, remembered by the
 * object's outline. What the walk owns follows from the object's keys, the kind of each value (object, list,
 * string, number, boolean, null, absent) and the values inside lists (list-map keys, set members), never from
 * the other values: the empty object holds only objects and nulls to compare with. So pods of one template and
 * events of one component share one outline, and their creates skip the walk and the encoding. The sets and
 * their fieldsV1 are only ever read (update.ts shares them between stored objects the same way).
 */
import { flatString } from '../../../../client/flat-string.js';
import { STRIPPED_FIELDS } from './ownership.js';
import { createdFieldSet, type Shape } from './typed.js';
import type { FieldSet, FieldsV1 } from './field-set.js';

export interface CreatedFields {
  set: FieldSet;
  fieldsV1: FieldsV1;
}

/** Outlines remembered per shape and subresource; the whole memo starts afresh when it holds this many. */
const MAX_OUTLINES = 1024;

const memo = new WeakMap<Shape, Map<string, CreatedFields>>();
let remembered = 0;
/** Set by `outline` when it met a value JSON does not have (such an object is not remembered). */
let foreign = false;

/**
 * `created`'s field set and fieldsV1 as createdFieldSet(created, empty, shape, ignored, STRIPPED_FIELDS) and
 * toFieldsV1 give them. `ignored` must be resetFields(shape, subresource) and `empty` the shape's empty object.
 */
export function createdFields(created: unknown, empty: unknown, shape: Shape, ignored: FieldSet, subresource: string): CreatedFields {
  let byOutline = memo.get(shape);
  if (!byOutline) memo.set(shape, (byOutline = new Map()));
  foreign = false;
  const key = `${subresource}\n${outline(created, false)}`;
  const known = foreign ? undefined : byOutline.get(key);
  if (known) return known;
  const set = createdFieldSet(created, empty, shape, ignored, STRIPPED_FIELDS);
  const fields: CreatedFields = { set, fieldsV1: set.toFieldsV1() };
  if (foreign) return fields;
  if (++remembered > MAX_OUTLINES) {
    memo.delete(shape);
    remembered = 1;
    memo.set(shape, (byOutline = new Map()));
  }
  byOutline.set(flatString(key), fields);
  return fields;
}

/** Keys as JSON text, remembered: the same few hundred field names recur in every object (bounded, for maps' keys). */
const quotedKeys = new Map<string, string>();
const MAX_QUOTED_KEYS = 4096;

function quoted(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (quotedKeys.size < MAX_QUOTED_KEYS) quotedKeys.set(k, q);
  }
  return q;
}

/**
 * The object's keys in order and its values' kinds; inside lists (`whole`) every value itself. Keys and
 * strings are JSON-quoted, so no two different outlines read the same.
 */
export function outline(v: unknown, whole: boolean): string {
  if (v === null) return 'z';
  if (Array.isArray(v)) {
    let s = '[';
    for (const x of v) s += `${outline(x, true)},`;
    return `${s}]`;
  }
  switch (typeof v) {
    case 'object': {
      let s = '{';
      const o = v as Record<string, unknown>;
      for (const k in o) {
        if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
        s += `${quoted(k)}:${outline(o[k], whole)},`;
      }
      return `${s}}`;
    }
    case 'string':
      return whole ? JSON.stringify(v) : 's';
    case 'number':
      return whole ? `n${String(v)}` : 'n';
    case 'boolean':
      return whole ? (v ? 't' : 'f') : 'b';
    case 'undefined':
      return 'u';
    default:
      foreign = true;
      return '?';
  }
}
