/**
 * Objects read through their schema, as structured-merge-diff's typed values: which nodes are leaves, which
 * maps are granular, how list items are identified (map keys, set values), and the walks server-side apply needs
 * over plain JSON (field set of an object, merge, comparison, item removal).
 *
 * List and map semantics come from the schema catalog (x-kubernetes-list-type / -list-map-keys, and the patch
 * strategy where no list type is declared, as kube-openapi derives them). Lists without either are atomic, as
 * upstream treats them. Parts the schema does not describe are "deduced": objects granular, lists atomic.
 */
import { definitionSchema, onDefinitionsChanged, REF_PREFIX, type Schema } from '../../schema/index.js';
import {
  FieldSet, fieldElement, indexElement, keyElement, pathString, valueElement, type Path, type PathElement,
} from './field-set.js';

/**
 * Types upstream marks `+structType=atomic` / `+mapType=atomic`, which the catalog's extensions do not carry.
 * Kept here until the catalog publishes x-kubernetes-map-type; only types the served kinds reach are listed.
 */
const ATOMIC_STRUCTS = new Set([
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector',
  'io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference',
  ...['ObjectReference', 'LocalObjectReference', 'TypedLocalObjectReference', 'SecretReference', 'ConfigMapKeySelector',
    'SecretKeySelector', 'ObjectFieldSelector', 'ResourceFieldSelector', 'NodeSelector', 'NodeSelectorTerm',
    'TopologySelectorTerm', 'FileKeySelector'].map((k) => `io.k8s.api.core.v1.${k}`),
]);
const ATOMIC_MAPS = new Set([
  'io.k8s.api.core.v1.PodSpec.nodeSelector',
  'io.k8s.api.core.v1.ServiceSpec.selector',
  'io.k8s.api.core.v1.ReplicationControllerSpec.selector',
]);
/** Map-list key fields with a schema default, which an item may omit (upstream fills them in its key). */
const KEY_DEFAULTS: Record<string, Record<string, unknown>> = {
  'io.k8s.api.core.v1.ContainerPort': { protocol: 'TCP' },
  'io.k8s.api.core.v1.ServicePort': { protocol: 'TCP' },
};

export type Shape = LeafShape | StructShape | MapShape | ListShape | DeducedShape;

/** Scalars, atomic lists and atomic maps: owned and replaced whole. */
export interface LeafShape {
  kind: 'leaf';
}

export interface StructShape {
  kind: 'struct';
  definition: string;
  /** Declared fields. */
  fieldNames: readonly string[];
  /** Required fields (in Go, the ones serialised even when empty). */
  required: ReadonlySet<string>;
  field(name: string): Shape | undefined;
  /** additionalProperties beside the declared fields, if any. */
  extra?: Shape;
}

/** A Go map (additionalProperties): every key is a member of its own. */
export interface MapShape {
  kind: 'map';
  elem(): Shape;
}

export interface ListShape {
  kind: 'list';
  type: 'map' | 'set';
  keys: readonly string[];
  keyDefaults: Record<string, unknown>;
  elem(): Shape;
}

export interface DeducedShape {
  kind: 'deduced';
}

const LEAF: LeafShape = { kind: 'leaf' };
const DEDUCED: DeducedShape = { kind: 'deduced' };

const structs = new Map<string, Shape>();
// Custom resources' definitions change at runtime: their shapes are built again from the new schemas.
onDefinitionsChanged((names) => {
  for (const n of names) structs.delete(n);
});

/** The shape of a definition's objects (deduced when the catalog does not know it). */
export function shapeOfDefinition(definition: string): Shape {
  const cached = structs.get(definition);
  if (cached) return cached;
  const schema = definitionSchema(definition);
  let shape: Shape;
  if (!schema || schema['x-kubernetes-preserve-unknown-fields']) shape = DEDUCED;
  else if (ATOMIC_STRUCTS.has(definition)) shape = LEAF;
  else if (schema.properties) shape = makeStruct(definition, schema);
  else if (schema.type === 'object') shape = typeof schema.additionalProperties === 'object' ? makeMap(schema.additionalProperties) : DEDUCED;
  else shape = LEAF;
  structs.set(definition, shape);
  return shape;
}

function makeStruct(definition: string, schema: Schema): StructShape {
  const props = schema.properties ?? {};
  const fields = new Map<string, Shape>();
  const shape: StructShape = {
    kind: 'struct',
    definition,
    fieldNames: Object.keys(props),
    required: new Set(schema.required ?? []),
    field(name) {
      let f = fields.get(name);
      if (f) return f;
      if (!Object.prototype.hasOwnProperty.call(props, name)) return undefined;
      f = ATOMIC_MAPS.has(`${definition}.${name}`) ? LEAF : shapeOfProperty(props[name]!);
      fields.set(name, f);
      return f;
    },
  };
  if (typeof schema.additionalProperties === 'object') shape.extra = shapeOfProperty(schema.additionalProperties);
  return shape;
}

function makeMap(elemSchema: Schema): MapShape {
  let elem: Shape | undefined;
  return { kind: 'map', elem: () => (elem ??= shapeOfProperty(elemSchema)) };
}

function shapeOfProperty(prop: Schema): Shape {
  if (prop.$ref) return shapeOfDefinition(prop.$ref.slice(REF_PREFIX.length));
  if (prop['x-kubernetes-preserve-unknown-fields']) return DEDUCED;
  if (prop.type === 'array') {
    let type = prop['x-kubernetes-list-type'];
    let keys = prop['x-kubernetes-list-map-keys'] ?? [];
    if (!type) {
      // kube-openapi's rule for fields with only a patch strategy: merge-by-key is a map list, merge is a set.
      const strategy = (prop['x-kubernetes-patch-strategy'] ?? '').split(',');
      if (strategy.includes('merge')) {
        const key = prop['x-kubernetes-patch-merge-key'];
        type = key ? 'map' : 'set';
        keys = key ? [key] : [];
      }
    }
    if (type !== 'map' && type !== 'set') return LEAF;
    const items = prop.items;
    const itemRef = items?.$ref?.slice(REF_PREFIX.length);
    let elem: Shape | undefined;
    return {
      kind: 'list',
      type,
      keys,
      keyDefaults: (itemRef && KEY_DEFAULTS[itemRef]) || inlineKeyDefaults(items, keys),
      elem: () => (elem ??= items ? shapeOfProperty(items) : DEDUCED),
    };
  }
  if (prop.type === 'object') {
    if (prop['x-kubernetes-map-type'] === 'atomic') return LEAF;
    if (typeof prop.additionalProperties === 'object') return makeMap(prop.additionalProperties);
    if (prop.properties) return makeStruct('', prop);
    return DEDUCED;
  }
  return LEAF;
}

/** Defaults of a map list's key fields declared inline (custom resources' schemas). */
function inlineKeyDefaults(items: Schema | undefined, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const d = items?.properties?.[k]?.default;
    if (d !== undefined) out[k] = d;
  }
  return out;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): boolean => v === null || (typeof v !== 'object' && v !== undefined);

/** The shape of a child reached through `pe`. */
export function childShape(shape: Shape, pe: PathElement): Shape {
  switch (shape.kind) {
    case 'struct':
      return (pe.startsWith('f:') && shape.field(pe.slice(2))) || shape.extra || DEDUCED;
    default:
      return fieldShape(shape, '');
  }
}

/** childShape of a field's element, from the field's name (no element built). */
export function fieldShape(shape: Shape, name: string): Shape {
  switch (shape.kind) {
    case 'struct':
      return shape.field(name) || shape.extra || DEDUCED;
    case 'map':
      return shape.elem();
    case 'list':
      return shape.elem();
    case 'deduced':
      return DEDUCED;
    default:
      return LEAF;
  }
}

const mapLike = (s: Shape): boolean => s.kind === 'struct' || s.kind === 'map' || s.kind === 'deduced';

/** Whether `v` is walked as a granular object or list under `shape` (otherwise it is a leaf). */
function granular(shape: Shape, v: unknown): boolean {
  return (mapLike(shape) && isObject(v)) || (shape.kind === 'list' && Array.isArray(v));
}

/** A problem with an object that upstream's typed conversion rejects; `path` as upstream prints it. */
export interface TypeError {
  path: string;
  message: string;
}

/**
 * Identifies list items. Strict mode (apply configurations) reports what upstream rejects; tolerant mode (stored
 * objects, updates) falls back to the item's index so that nothing already stored blocks a write.
 */
export class ItemKeys {
  readonly errors: TypeError[] = [];

  constructor(private readonly strict: boolean) {}

  /** Path elements of a list's items (same order); `undefined` entries are items that could not be keyed. */
  elements(shape: ListShape, items: readonly unknown[], path: Path): PathElement[] {
    const out: PathElement[] = [];
    const seen = new Set<PathElement>();
    items.forEach((item, i) => {
      let pe = this.element(shape, item, i, path);
      if (this.strict && seen.has(pe)) {
        this.errors.push({ path: pathString(path), message: `duplicate entries for key ${pathString([pe])}` });
      }
      // Duplicates in stored objects stay distinct items so that neither is lost.
      if (!this.strict && seen.has(pe)) pe = indexElement(i);
      seen.add(pe);
      out.push(pe);
    });
    return out;
  }

  private element(shape: ListShape, item: unknown, i: number, path: Path): PathElement {
    const fail = (message: string): PathElement => {
      if (this.strict) this.errors.push({ path: pathString(path), message: `element ${i}: ${message}` });
      return indexElement(i);
    };
    if (shape.type === 'set') {
      if (!isScalar(item)) return fail('associative list without keys has an element that\'s a map or list');
      return valueElement(item);
    }
    if (!isObject(item)) return fail('associative list with keys has an element that\'s not a map');
    const fields: Array<[string, unknown]> = [];
    for (const k of shape.keys) {
      let v = item[k];
      if (v === undefined || v === null) v = shape.keyDefaults[k];
      if (v === undefined) return fail(`associative list with keys has an element that omits key field "${k}" (and doesn't have default value)`);
      if (!isScalar(v)) return fail(`associative list with keys has an element with a non-scalar key field "${k}"`);
      fields.push([k, v]);
    }
    return keyElement(fields);
  }
}

/**
 * The field set of an object as upstream's ToFieldSet: every leaf, every list item, every map key that is not a
 * declared field, and declared fields whose value is null or an empty object.
 */
export function toFieldSet(value: unknown, shape: Shape, keys: ItemKeys, rejectUnknown = false): FieldSet {
  const set = new FieldSet();
  const path: PathElement[] = [];
  const walk = (v: unknown, s: Shape, node: FieldSet): void => {
    if (!granular(s, v)) {
      node.member = true;
      return;
    }
    if (Array.isArray(v)) {
      const list = s as ListShape;
      const pes = keys.elements(list, v, path);
      v.forEach((item, i) => {
        const child = node.child(pes[i]!);
        path.push(pes[i]!);
        walk(item, list.elem(), child);
        path.pop();
        child.member = true;
      });
      return;
    }
    for (const [k, item] of Object.entries(v as Json)) {
      const pe = fieldElement(k);
      const declared = s.kind === 'struct' ? s.field(k) : undefined;
      if (s.kind === 'struct' && !declared && !s.extra && rejectUnknown) {
        keys.errors.push({ path: pathString([...path, pe]), message: 'field not declared in schema' });
        continue;
      }
      const child = node.child(pe);
      path.push(pe);
      walk(item, childShape(s, pe), child);
      path.pop();
      if (!declared || item === null || (isObject(item) && Object.keys(item).length === 0)) child.member = true;
    }
  };
  walk(value, shape, set);
  return set;
}

/** The union of every named (declared struct) field on the way to a member: upstream's EnsureNamedFieldsAreMembers. */
export function ensureNamedFieldsAreMembers(set: FieldSet, shape: Shape): FieldSet {
  const out = new FieldSet();
  out.member = set.member;
  for (const [pe, child] of set.children) {
    const c = ensureNamedFieldsAreMembers(child, childShape(shape, pe));
    c.member = child.member || (shape.kind === 'struct' && pe.startsWith('f:') && shape.field(pe.slice(2)) !== undefined);
    out.setChild(pe, c);
  }
  return out;
}

/**
 * Merges an apply configuration into a live object: maps union (the configuration wins on leaves), atomic
 * parts are replaced, map and set lists merge by item, keeping live-only items where they were and the
 * configuration's order for the items it names. Never mutates its arguments.
 */
export function merge(lhs: unknown, rhs: unknown, shape: Shape, keys: ItemKeys): unknown {
  const path: PathElement[] = [];
  const walk = (l: unknown, r: unknown, s: Shape): unknown => {
    if (r === undefined) return l;
    if (l === undefined || l === null || !granular(s, l) || !granular(s, r)) return r;
    if (Array.isArray(l)) return mergeList(l, r as unknown[], s as ListShape);
    const out: Json = { ...(l as Json) };
    for (const [k, rv] of Object.entries(r as Json)) {
      const pe = fieldElement(k);
      path.push(pe);
      out[k] = walk(out[k], rv, childShape(s, pe));
      path.pop();
    }
    return out;
  };
  const mergeList = (l: unknown[], r: unknown[], s: ListShape): unknown[] => {
    const lPEs = keys.elements(s, l, path);
    const rPEs = keys.elements(s, r, path);
    const lBy = new Map<PathElement, unknown>();
    const rBy = new Map<PathElement, unknown>();
    lPEs.forEach((pe, i) => lBy.has(pe) || lBy.set(pe, l[i]));
    rPEs.forEach((pe, i) => rBy.has(pe) || rBy.set(pe, r[i]));
    const item = (pe: PathElement): unknown => {
      path.push(pe);
      const v = walk(lBy.get(pe), rBy.get(pe), s.elem());
      path.pop();
      return v;
    };
    // Shared items appear in the configuration's order; live-only items keep their place among them.
    const shared = rPEs.filter((pe) => lBy.has(pe));
    let next = 0;
    const out: unknown[] = [];
    const done = new Set<PathElement>();
    let li = 0;
    let ri = 0;
    while (li < lPEs.length || ri < rPEs.length) {
      if (li < lPEs.length && ri < rPEs.length && lPEs[li] === rPEs[ri]) {
        const pe = lPEs[li]!;
        if (!done.has(pe)) out.push(item(pe));
        done.add(pe);
        li++;
        ri++;
        while (next < shared.length && done.has(shared[next]!)) next++;
        continue;
      }
      if (li < lPEs.length) {
        const pe = lPEs[li]!;
        if (!rBy.has(pe)) {
          out.push(l[li]);
          li++;
          continue;
        }
        if (done.has(pe) || (next < shared.length && shared[next] !== pe)) {
          li++;
          continue;
        }
      }
      if (ri < rPEs.length) {
        const pe = rPEs[ri]!;
        if (!done.has(pe)) out.push(item(pe));
        done.add(pe);
        ri++;
        while (next < shared.length && done.has(shared[next]!)) next++;
      } else {
        li++;
      }
    }
    return out;
  };
  return walk(lhs, rhs, shape);
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/**
 * What changed from `lhs` to `rhs`, as upstream's Compare: changed leaves are modified; a node present on one
 * side only is added or removed together with everything below it (non-leaf nodes included).
 */
export function compare(lhs: unknown, rhs: unknown, shape: Shape, keys: ItemKeys): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const path: PathElement[] = [];
  const walk = (l: unknown, r: unknown, s: Shape): void => {
    // The same value on both sides (a subtree an update shares with the stored object): nothing below changed.
    if (l === r && l !== undefined) return;
    const lc = granular(s, l);
    const rc = granular(s, r);
    // null (or absence) on one side takes the other side's form, as upstream's typed values do.
    if ((lc || rc) && (lc || l === undefined || l === null) && (rc || r === undefined || r === null)) {
      const children = new Map<PathElement, [unknown, unknown]>();
      if (s.kind === 'list') {
        const la = Array.isArray(l) ? l : [];
        const ra = Array.isArray(r) ? r : [];
        keys.elements(s, la, path).forEach((pe, i) => children.has(pe) || children.set(pe, [la[i], undefined]));
        keys.elements(s, ra, path).forEach((pe, i) => {
          const e = children.get(pe);
          if (!e) children.set(pe, [undefined, ra[i]]);
          else if (e[1] === undefined) e[1] = ra[i];
        });
      } else {
        for (const [k, v] of Object.entries(isObject(l) ? l : {})) children.set(fieldElement(k), [v, undefined]);
        for (const [k, v] of Object.entries(isObject(r) ? r : {})) {
          const e = children.get(fieldElement(k));
          if (e) e[1] = v;
          else children.set(fieldElement(k), [undefined, v]);
        }
      }
      for (const [pe, [lv, rv]] of children) {
        path.push(pe);
        walk(lv, rv, childShape(s, pe));
        path.pop();
      }
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
      return;
    }
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
    else if (!jsonEqual(l, r)) c.modified.insert(path);
  };
  walk(lhs, rhs, shape);
  return c;
}

/**
 * The paths of the leaves that differ between `lhs` and `rhs` when nothing else does (no field, item or map key
 * added or removed, no list changed but a map list's items in place, no null or missing value involved): what compare() would report as modified
 * and nothing added or removed, in a walk that allocates only for what changed. Undefined when the change is more
 * than that or touches more than `max` leaves (then compare() is the answer). The root's metadata.managedFields
 * are no part of the comparison.
 */
export function changedLeaves(lhs: unknown, rhs: unknown, shape: Shape, max: number): PathElement[][] | undefined {
  const out: PathElement[][] = [];
  // The path so far: a field's name as it is (its element is built only for a changed leaf), an item's element.
  const path: string[] = [];
  const isField: boolean[] = [];
  // metadata.managedFields is left out on both sides, as the comparisons see the objects (no copies without it).
  const lhsMeta = isObject(lhs) ? lhs['metadata'] : undefined;
  const walk = (l: unknown, r: unknown, s: Shape): boolean => {
    if (l === r) return l !== undefined;
    if (l === undefined || r === undefined || l === null || r === null) return false;
    const lc = granular(s, l);
    if (lc !== granular(s, r)) return false;
    if (!lc) {
      if (jsonEqual(l, r)) return true;
      if (out.length >= max) return false;
      out.push(path.map((pe, i) => (isField[i] ? fieldElement(pe) : pe)));
      return true;
    }
    if (Array.isArray(l)) {
      if (jsonEqual(l, r)) return true;
      // A map list whose items keep their keys and order (a status's conditions): walked item by item, as compare()
      // pairs them by key. Other changed lists are compare()'s to judge.
      const ra = r as unknown[];
      if (s.kind !== 'list' || s.type !== 'map' || l.length !== ra.length) return false;
      const keys = new ItemKeys(false);
      const itemPath = path.map((pe, i) => (isField[i] ? fieldElement(pe) : pe));
      const lk = keys.elements(s, l, itemPath);
      const rk = keys.elements(s, ra, itemPath);
      for (let i = 0; i < lk.length; i++) if (lk[i] !== rk[i]) return false;
      const elem = s.elem();
      for (let i = 0; i < lk.length; i++) {
        path.push(lk[i]!);
        isField.push(false);
        const ok = walk(l[i], ra[i], elem);
        path.pop();
        isField.pop();
        if (!ok) return false;
      }
      return true;
    }
    const lo = l as Json;
    const ro = r as Json;
    const skip = lo === lhsMeta ? 'managedFields' : undefined;
    let n = 0;
    for (const k in lo) {
      if (k === skip) continue;
      n++;
      if (!Object.prototype.hasOwnProperty.call(ro, k)) return false;
      path.push(k);
      isField.push(true);
      const ok = walk(lo[k], ro[k], fieldShape(s, k));
      path.pop();
      isField.pop();
      if (!ok) return false;
    }
    for (const k in ro) if (k !== skip) n--;
    return n === 0;
  };
  return walk(lhs, rhs, shape) ? out : undefined;
}

/**
 * Removes every member of `set` from `value` (whole subtrees), as upstream's RemoveItems. Lists and Go maps
 * that removal empties disappear, as they would once the object is decoded into its Go type; structs stay.
 */
export function removeItems(value: unknown, set: FieldSet, shape: Shape, keys: ItemKeys): unknown {
  const path: PathElement[] = [];
  const walk = (v: unknown, node: FieldSet, s: Shape): unknown => {
    if (node.children.size === 0 || !granular(s, v)) return v;
    if (Array.isArray(v)) {
      const pes = keys.elements(s as ListShape, v, path);
      const out: unknown[] = [];
      v.forEach((item, i) => {
        const c = node.children.get(pes[i]!);
        if (c?.member) return;
        path.push(pes[i]!);
        out.push(c ? walk(item, c, (s as ListShape).elem()) : item);
        path.pop();
      });
      return out.length === 0 && v.length > 0 ? undefined : out;
    }
    const out: Json = {};
    for (const [k, item] of Object.entries(v as Json)) {
      const pe = fieldElement(k);
      const c = node.children.get(pe);
      if (c?.member) continue;
      path.push(pe);
      const nv = c ? walk(item, c, childShape(s, pe)) : item;
      path.pop();
      if (nv !== undefined) out[k] = nv;
    }
    const emptied = Object.keys(out).length === 0 && Object.keys(v as Json).length > 0;
    return emptied && s.kind === 'map' ? undefined : out;
  };
  return walk(value, set, shape);
}

/** Structural equality of JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/**
 * What `compare(empty, created)` adds or modifies, minus `ignored` (whole subtrees) and minus `stripped`
 * (members only): the fields a create's writer owns, in one walk over the created object instead of a
 * comparison followed by set algebra. `empty` is the kind's empty object (emptyObject), whose parts are `{}`
 * or null; the result equals compare's `modified ∪ added`, recursiveDifference(ignored), difference(stripped).
 */
export function createdFieldSet(created: unknown, empty: unknown, shape: Shape, ignored: FieldSet, stripped: FieldSet): FieldSet {
  const keys = new ItemKeys(false);
  const root = new FieldSet();
  const noPath: PathElement[] = [];
  // `l` is the empty object's counterpart (undefined where it has none); `ign`/`strip` the sets' nodes here.
  const walk = (l: unknown, r: unknown, s: Shape, node: FieldSet, ign: FieldSet | undefined, strip: FieldSet | undefined): void => {
    const lc = granular(s, l);
    const rc = granular(s, r);
    if ((lc || rc) && (lc || l === undefined || l === null) && (rc || r === undefined || r === null)) {
      // Children only the empty side has are removals: nothing to own.
      if (Array.isArray(r)) {
        const list = s as ListShape;
        const pes = keys.elements(list, r, noPath);
        const elem = list.elem();
        for (let i = 0; i < r.length; i++) child(pes[i]!, undefined, r[i], elem, node, ign, strip);
      } else if (isObject(r)) {
        const lo = isObject(l) ? l : undefined;
        for (const k in r) {
          if (!Object.prototype.hasOwnProperty.call(r, k)) continue;
          const pe = fieldElement(k);
          child(pe, lo?.[k], r[k], childShape(s, pe), node, ign, strip);
        }
      }
      if (l === undefined) own(node, strip);
      return;
    }
    if (l === undefined) own(node, strip);
    else if (r !== undefined && !jsonEqual(l, r)) own(node, strip);
  };
  const child = (
    pe: PathElement, l: unknown, r: unknown, s: Shape, parent: FieldSet, ign: FieldSet | undefined, strip: FieldSet | undefined,
  ): void => {
    const ignChild = ign?.children.get(pe);
    if (ignChild?.member) return;
    walk(l, r, s, parent.child(pe), ignChild, strip?.children.get(pe));
  };
  const own = (node: FieldSet, strip: FieldSet | undefined): void => {
    if (node !== root && !strip?.member) node.member = true;
  };
  walk(empty, created, shape, root, ignored, stripped);
  return root;
}
