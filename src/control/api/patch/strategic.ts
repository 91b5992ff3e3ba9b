/**
 * Strategic merge patch, as apimachinery's strategicpatch applies it on the server (parallel-list directives
 * merged, unmatched nulls ignored). Each field's behaviour comes from the published OpenAPI schema: lists whose
 * x-kubernetes-patch-strategy includes `merge` merge by x-kubernetes-patch-merge-key (or, for scalars, as a set
 * union); other lists and `replace` fields are replaced; maps merge recursively.
 *
 * Directives: `$patch: replace|delete` on a map, `$patch: delete|replace` inside a merging list, `$retainKeys`,
 * `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>`; null deletes a key.
 * Both arguments are mutated: callers pass private copies.
 */
import { resolveSchema, type Schema } from '../schema/index.js';
import { PatchError, goValue, isObject, type JsonObject } from './errors.js';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';

const errNoMergeKey = (m: unknown, key: string): PatchError =>
  new PatchError(`map: ${goValue(m)} does not contain declared merge key: ${key}`);
const errBadPatchType = (t: unknown, m: unknown): PatchError =>
  new PatchError(`unknown patch type: ${goValue(t)} in map: ${goValue(m)}`);
const errRetainKeys = (): PatchError => new PatchError('invalid patch format of retainKeys');
const errPrimitiveList = (): PatchError => new PatchError('invalid patch format of primitive list');
const errSetElementOrder = (): PatchError => new PatchError('invalid patch format of setElementOrder list');

interface FieldMeta {
  /** The schema of the map value, or of one list element; undefined when the field is not in the schema. */
  schema?: Schema;
  /** 'merge', 'replace' or '' (retainKeys alone counts as ''). */
  strategy: string;
  mergeKey: string;
}

/** Patch metadata of `key` inside an object described by `schema`. */
function lookupField(schema: Schema | undefined, key: string): FieldMeta {
  const extra = schema?.additionalProperties;
  const prop = schema?.properties?.[key] ?? (typeof extra === 'object' ? extra : undefined);
  if (!prop) return { strategy: '', mergeKey: '' };
  const strategies = (prop['x-kubernetes-patch-strategy'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const others = strategies.filter((s) => s !== 'retainKeys');
  if (others.length > 1) throw new PatchError(`unexpected patch strategy: [${strategies.join(' ')}]`);
  const element = resolveSchema(prop.type === 'array' ? prop.items : prop);
  return { schema: element, strategy: others[0] ?? '', mergeKey: prop['x-kubernetes-patch-merge-key'] ?? '' };
}

/** Applies a strategic merge patch; `schema` describes `original` (undefined = no metadata, plain merge). */
export function strategicMerge(original: JsonObject, patch: unknown, schema: Schema | undefined): JsonObject {
  if (!isObject(patch)) throw new PatchError('invalid JSON document');
  return mergeMap(original, patch, schema);
}

function mergeMap(original: JsonObject | undefined, patch: JsonObject, schema: Schema | undefined): JsonObject {
  if (Object.prototype.hasOwnProperty.call(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') {
      delete patch[DIRECTIVE];
      return cleanNew(patch, asMeta(schema)) as JsonObject;
    }
    if (directive === 'delete') return {};
    throw errBadPatchType(directive, patch);
  }
  const out = original ?? {};
  applyRetainKeys(out, patch);
  mergeOrderedLists(out, patch, schema);

  for (const rawKey of Object.keys(patch)) {
    let key = rawKey;
    const patchV = patch[rawKey];
    let isDeleteList = false;
    if (rawKey.startsWith(`${DELETE_FROM_PRIMITIVE_LIST}/`)) {
      key = extractKey(rawKey, DELETE_FROM_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (patchV === null) {
      delete out[key];
      continue;
    }
    if (!Object.prototype.hasOwnProperty.call(out, key)) {
      if (!isDeleteList) out[key] = cleanNew(patchV, lookupField(schema, key));
      continue;
    }
    const origV = out[key];
    const meta = lookupField(schema, key);
    if (isObject(origV) && isObject(patchV)) {
      out[key] = meta.strategy === 'replace' ? cleanNew(patchV, meta) : mergeMap(origV, patchV, meta.schema);
    } else if (Array.isArray(origV) && Array.isArray(patchV)) {
      out[key] = meta.strategy === 'merge'
        ? mergeSlice(origV, patchV, meta, isDeleteList)
        : cleanNew(patchV, meta);
    } else if (!isDeleteList) {
      out[key] = cleanNew(patchV, meta);
    }
  }
  return out;
}

/**
 * A value that lands where the original had nothing: apply it to an empty value so directives and nulls
 * inside it take effect instead of being stored (upstream's typed decoding drops them too).
 */
function cleanNew(value: unknown, fm: FieldMeta): unknown {
  const schema = fm.schema;
  if (isObject(value)) {
    if (value[DIRECTIVE] === 'delete') return {};
    const copy: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(`${SET_ELEMENT_ORDER}/`)) continue;
      if (k.startsWith(`${DELETE_FROM_PRIMITIVE_LIST}/`) || v === null) continue;
      copy[k] = cleanNew(v, lookupField(schema, k));
    }
    return copy;
  }
  if (Array.isArray(value)) {
    const element = asMeta(schema);
    if (fm.strategy === 'merge' && fm.mergeKey && value.every(isObject)) {
      return value.filter((v) => (v as JsonObject)[DIRECTIVE] === undefined).map((v) => cleanNew(v, element));
    }
    return value.map((v) => cleanNew(v, element));
  }
  return value;
}

/** Field metadata for a value described by `schema` with no list strategy of its own. */
const asMeta = (schema: Schema | undefined): FieldMeta => ({ schema, strategy: '', mergeKey: '' });

function extractKey(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    throw prefix === DELETE_FROM_PRIMITIVE_LIST ? errPrimitiveList() : errSetElementOrder();
  }
  return key.slice(slash + 1);
}

/** `$retainKeys`: every key of the patch must be listed; keys of the original not listed are dropped. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.prototype.hasOwnProperty.call(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw errRetainKeys();
  const keep = new Set(list);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(`${DELETE_FROM_PRIMITIVE_LIST}/`) || k.startsWith(`${SET_ELEMENT_ORDER}/`)) continue;
    if (!keep.has(k)) throw errRetainKeys();
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/** `$setElementOrder/<field>`: merges that field now and orders it as the directive says. */
function mergeOrderedLists(original: JsonObject, patch: JsonObject, schema: Schema | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(`${SET_ELEMENT_ORDER}/`)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw errSetElementOrder();
    const field = extractKey(key, SET_ELEMENT_ORDER);
    const hasOriginal = Object.prototype.hasOwnProperty.call(original, field);
    const hasPatch = Object.prototype.hasOwnProperty.call(patch, field);
    const originalList = hasOriginal ? original[field] : undefined;
    const patchList = hasPatch ? patch[field] : undefined;
    if (hasOriginal && !Array.isArray(originalList)) throw new PatchError(`expected a []interface {}, but received a ${typeName(originalList)}`);
    if (hasPatch && !Array.isArray(patchList)) throw new PatchError(`expected a []interface {}, but received a ${typeName(patchList)}`);
    const meta = lookupField(schema, field);
    validateSetOrder((patchList as unknown[] | undefined) ?? [], order, meta.mergeKey);
    let merged: unknown[];
    if (hasOriginal && hasPatch) {
      merged = meta.strategy === 'merge'
        ? mergeSlice(originalList as unknown[], patchList as unknown[], meta, false)
        : (cleanNew(patchList, meta) as unknown[]);
    } else if (hasPatch) {
      merged = cleanNew(patchList, meta) as unknown[];
    } else if (hasOriginal) {
      merged = originalList as unknown[];
    } else {
      continue;
    }
    const [inOrder, serverOnly] = partition(merged, order, meta.mergeKey);
    original[field] = normalizeOrder(inOrder, serverOnly, order, (originalList as unknown[] | undefined) ?? [], meta.mergeKey);
    delete patch[field];
  }
}

/** The patch list's items (ignoring deletions) must appear in the same relative order as in the order list. */
function validateSetOrder(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (patchList.length === 0 || order.length === 0) return;
  const items = mergeKey ? patchList.filter((v) => !(isObject(v) && v[DIRECTIVE] === 'delete')) : patchList;
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    if (isObject(items[p]) && DIRECTIVE in (items[p] as JsonObject)) {
      p++;
      continue;
    }
    if (sameItem(items[p], order[o], mergeKey)) p++;
    o++;
  }
  if (p < items.length) {
    throw new PatchError(
      `The order in patch list:\n${goValue(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goValue(order)}\n`,
    );
  }
}

function sameItem(a: unknown, b: unknown, mergeKey: string): boolean {
  if (!mergeKey) return a === b;
  if (!isObject(a)) throw new PatchError(`expected a map[string]interface {}, but received a ${typeName(a)}`);
  if (!isObject(b)) throw new PatchError(`expected a map[string]interface {}, but received a ${typeName(b)}`);
  if (!(mergeKey in a)) throw errNoMergeKey(a, mergeKey);
  if (!(mergeKey in b)) throw errNoMergeKey(b, mergeKey);
  return a[mergeKey] === b[mergeKey];
}

function typeName(v: unknown): string {
  if (v === null) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (isObject(v)) return 'map[string]interface {}';
  if (typeof v === 'number') return 'float64';
  return typeof v;
}

/** The kind shared by every element ('map', 'scalar'); lists of lists and mixed lists are refused. */
function elementKind(...lists: unknown[][]): 'map' | 'scalar' {
  let kind: string | undefined;
  for (const list of lists) {
    for (const v of list) {
      const k = Array.isArray(v) ? 'list' : isObject(v) ? 'map' : v === null ? 'null' : typeof v;
      if (kind === undefined) {
        if (k === 'list') throw new PatchError('lists of lists are not supported');
        kind = k;
      } else if (kind !== k) {
        throw new PatchError(`list element types are not identical: ${goValue(lists)}`);
      }
    }
  }
  if (kind === undefined) throw new PatchError('no elements in any of the given slices');
  return kind === 'map' ? 'map' : 'scalar';
}

function mergeSlice(original: unknown[], patch: unknown[], meta: FieldMeta, isDeleteList: boolean): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch);
  const { mergeKey } = meta;
  let merged: unknown[];
  let base = original;
  let patchItems = patch;
  if (kind === 'scalar') {
    if (isDeleteList) {
      const drop = new Set(patch);
      return original.filter((v) => !drop.has(v));
    }
    merged = dedupe([...original, ...patch]);
  } else {
    if (!mergeKey) throw new PatchError('cannot merge lists without merge key for type map');
    [base, patchItems] = applySpecialElements(original, patch, mergeKey);
    merged = [...base];
    for (const item of patchItems) {
      const p = item as JsonObject;
      if (!(mergeKey in p)) throw errNoMergeKey(p, mergeKey);
      const at = merged.findIndex((m) => isObject(m) && m[mergeKey] === p[mergeKey]);
      if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, p, meta.schema);
      else merged.push(cleanNew(p, asMeta(meta.schema)));
    }
  }
  const [fromPatch, serverOnly] = partition(merged, patchItems, mergeKey);
  return normalizeOrder(fromPatch, serverOnly, patchItems, base, mergeKey);
}

function dedupe(list: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of list) if (!out.includes(v)) out.push(v);
  return out;
}

/** Handles `$patch` elements of a merging list: delete matching items, or replace the whole list. */
function applySpecialElements(original: unknown[], patch: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const plain: unknown[] = [];
  let replace = false;
  let base = original;
  for (const v of patch) {
    const item = v as JsonObject;
    if (!(DIRECTIVE in item)) {
      plain.push(v);
      continue;
    }
    switch (item[DIRECTIVE]) {
      case 'delete':
        if (!(mergeKey in item)) throw errNoMergeKey(item, mergeKey);
        base = base.filter((o) => !(isObject(o) && o[mergeKey] === item[mergeKey]));
        break;
      case 'replace':
        replace = true;
        break;
      case 'merge':
        throw new PatchError('merging lists cannot yet be specified in the patch');
      default:
        throw errBadPatchType(item[DIRECTIVE], item);
    }
  }
  return replace ? [plain, []] : [base, plain];
}

/** Splits `list` into items present in `by` (by merge key, or by value for scalars) and the rest. */
function partition(list: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const inBy: unknown[] = [];
  const rest: unknown[] = [];
  for (const v of list) {
    if (indexOf(by, v, mergeKey) >= 0) inBy.push(v);
    else rest.push(v);
  }
  return [inBy, rest];
}

function indexOf(list: unknown[], v: unknown, mergeKey: string): number {
  if (!mergeKey) return list.indexOf(v);
  if (!isObject(v)) return -1;
  if (!(mergeKey in v)) throw errNoMergeKey(v, mergeKey);
  return list.findIndex((x) => isObject(x) && x[mergeKey] === v[mergeKey]);
}

/** Orders patch items as in `patchOrder`, server-only items as in `serverOrder`, then interleaves them. */
function normalizeOrder(
  fromPatch: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[], mergeKey: string,
): unknown[] {
  const left = sortBy(serverOnly, serverOrder, mergeKey);
  const right = sortBy(fromPatch, patchOrder, mergeKey);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexOf(serverOrder, left[i], mergeKey);
      const ri = indexOf(serverOrder, right[j], mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** Stable sort by position in `order`; items missing from it keep their relative order at the end. */
function sortBy(items: unknown[], order: unknown[], mergeKey: string): unknown[] {
  const ranked = items.map((v, n) => ({ v, n, at: indexOf(order, v, mergeKey) }));
  ranked.sort((a, b) => {
    if (a.at >= 0 && b.at >= 0) return a.at - b.at || a.n - b.n;
    if (a.at >= 0) return -1;
    if (b.at >= 0) return 1;
    return a.n - b.n;
  });
  return ranked.map((r) => r.v);
}
