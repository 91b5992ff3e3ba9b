/**
 * Sets of field paths, as structured-merge-diff's fieldpath.Set: a trie whose edges are path elements and whose
 * nodes say whether the path ending there is a member. A path element is kept in its managedFields spelling:
 * `f:<field>`, `k:<sorted JSON of the key fields>` (map-list item), `v:<JSON value>` (set item), `i:<index>`.
 * Set operations work on members only, as upstream's: a node that merely has children is not itself owned.
 */

export type PathElement = string;
export type Path = readonly PathElement[];

/** fieldsV1 as stored in metadata.managedFields. */
export type FieldsV1 = { [pathElement: string]: FieldsV1 };

/** JSON as Go's encoding/json writes it (HTML-sensitive characters escaped), so keys match upstream's bytes. */
export function goJson(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export const fieldElement = (name: string): PathElement => `f:${name}`;
export const valueElement = (value: unknown): PathElement => `v:${goJson(value)}`;
export const indexElement = (index: number): PathElement => `i:${index}`;

/** A map-list item's element: the key fields sorted by name, as upstream sorts them. */
export function keyElement(fields: Array<[string, unknown]>): PathElement {
  const sorted = [...fields].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `k:{${sorted.map(([k, v]) => `${goJson(k)}:${goJson(v)}`).join(',')}}`;
}

/**
 * Path elements read or sorted repeatedly: every pod's managedFields spell the same `k:{"type":"Ready"}` keys,
 * and each write decodes and sorts them again (a JSON.parse each time). Bounded; starts over when full, as the
 * elements unique to one object (a podIP key) would otherwise fill it.
 */
const MAX_REMEMBERED_ELEMENTS = 4096;
const canonical = new Map<string, PathElement | null>();
const parsedBodies = new Map<string, unknown>();

function remember<V>(memo: Map<string, V>, key: string, value: V): V {
  if (memo.size >= MAX_REMEMBERED_ELEMENTS) memo.clear();
  memo.set(key, value);
  return value;
}

/** Re-spells a path element read from stored fieldsV1 in canonical form; undefined when malformed. */
export function canonicalElement(pe: string): PathElement | undefined {
  const known = canonical.get(pe);
  if (known !== undefined) return known ?? undefined;
  return remember(canonical, pe, spellCanonical(pe) ?? null) ?? undefined;
}

function spellCanonical(pe: string): PathElement | undefined {
  const tag = pe.slice(0, 2);
  const body = pe.slice(2);
  try {
    switch (tag) {
      case 'f:':
        return pe;
      case 'k:': {
        const key = JSON.parse(body) as unknown;
        if (typeof key !== 'object' || key === null || Array.isArray(key)) return undefined;
        return keyElement(Object.entries(key));
      }
      case 'v:':
        return valueElement(JSON.parse(body));
      case 'i:':
        return /^\d+$/.test(body) ? pe : undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

const RANK: Record<string, number> = { 'f:': 0, 'k:': 1, 'v:': 2, 'i:': 3 };

function typeRank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (v === null) return 4;
  return 3;
}

function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = typeof a === 'string' ? a : JSON.stringify(a);
  const sb = typeof b === 'string' ? b : JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Upstream's path-element order: fields, then keys, then values, then indexes; each by its content. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  const ta = a.slice(0, 2);
  const tb = b.slice(0, 2);
  if (ta !== tb) return (RANK[ta] ?? 9) - (RANK[tb] ?? 9);
  const ba = a.slice(2);
  const bb = b.slice(2);
  switch (ta) {
    case 'k:': {
      const ka = Object.entries(parsedBody(ba) as Record<string, unknown>);
      const kb = Object.entries(parsedBody(bb) as Record<string, unknown>);
      for (let i = 0; ; i++) {
        if (i >= ka.length || i >= kb.length) return ka.length - kb.length;
        const [na, va] = ka[i]!;
        const [nb, vb] = kb[i]!;
        if (na !== nb) return na < nb ? -1 : 1;
        const c = compareValues(va, vb);
        if (c !== 0) return c;
      }
    }
    case 'v:':
      return compareValues(parsedBody(ba), parsedBody(bb));
    case 'i:':
      return Number(ba) - Number(bb);
    default:
      return ba < bb ? -1 : ba > bb ? 1 : 0;
  }
}

/** A key's or value's JSON body, decoded once (only read: the same value is handed to every caller). */
function parsedBody(body: string): unknown {
  return parsedBodies.has(body) ? parsedBodies.get(body) : remember(parsedBodies, body, JSON.parse(body) as unknown);
}

/** A path as upstream prints it in conflict messages: `.spec.containers[name="nginx"].image`. */
export function pathString(path: Path): string {
  let out = '';
  for (const pe of path) {
    const body = pe.slice(2);
    switch (pe.slice(0, 2)) {
      case 'f:':
        out += `.${body}`;
        break;
      case 'k:': {
        const key = JSON.parse(body) as Record<string, unknown>;
        out += `[${Object.entries(key).map(([k, v]) => `${k}=${goValueString(v)}`).join(',')}]`;
        break;
      }
      case 'v:':
        out += `[=${goValueString(JSON.parse(body))}]`;
        break;
      default:
        out += `[${body}]`;
    }
  }
  return out;
}

/** Scalars as upstream's value.ToString prints them: strings quoted, the rest as JSON. */
const goValueString = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : goJson(v));

/**
 * Every `{}` of the fieldsV1 this module writes: a pod's managedFields hold ~150 of them, each a 56-byte object
 * when made by a literal. Frozen, so that nothing can add to the one all share.
 */
const LEAF: FieldsV1 = Object.freeze({}) as FieldsV1;

/** The children of every leaf: most nodes of a set are leaves, and a Map each made sets ~4x their size. */
const NO_CHILDREN: ReadonlyMap<PathElement, FieldSet> = new Map();

export class FieldSet {
  /** Whether the path ending at this node is in the set (meaningless at the root). */
  member = false;
  private kids: Map<PathElement, FieldSet> | undefined;

  get children(): ReadonlyMap<PathElement, FieldSet> {
    return this.kids ?? NO_CHILDREN;
  }

  setChild(pe: PathElement, c: FieldSet): void {
    (this.kids ??= new Map()).set(pe, c);
  }

  static fromPaths(paths: Iterable<Path>): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  child(pe: PathElement): FieldSet {
    let c = this.children.get(pe);
    if (!c) {
      c = new FieldSet();
      this.setChild(pe, c);
    }
    return c;
  }

  insert(path: Path): void {
    if (path.length === 0) return;
    let node: FieldSet = this;
    for (const pe of path) node = node.child(pe);
    node.member = true;
  }

  has(path: Path): boolean {
    let node: FieldSet | undefined = this;
    for (const pe of path) {
      node = node.children.get(pe);
      if (!node) return false;
    }
    return path.length > 0 && node.member;
  }

  /** True when no path below this node is a member. */
  isEmpty(): boolean {
    for (const c of this.children.values()) if (c.member || !c.isEmpty()) return false;
    return true;
  }

  clone(): FieldSet {
    const s = new FieldSet();
    s.member = this.member;
    for (const [pe, c] of this.children) s.setChild(pe, c.clone());
    return s;
  }

  union(o: FieldSet): FieldSet {
    const s = this.clone();
    s.member ||= o.member;
    for (const [pe, c] of o.children) {
      const mine = s.children.get(pe);
      s.setChild(pe, mine ? mine.union(c) : c.clone());
    }
    return s;
  }

  /** Members of this set that are not members of `o` (children of removed members stay). */
  difference(o: FieldSet): FieldSet {
    return this.subtract(o, false);
  }

  /** Like difference, but a member of `o` also removes everything below it. */
  recursiveDifference(o: FieldSet): FieldSet {
    return this.subtract(o, true);
  }

  private subtract(o: FieldSet, recursive: boolean): FieldSet {
    const s = new FieldSet();
    s.member = this.member;
    for (const [pe, c] of this.children) {
      const other = o.children.get(pe);
      if (!other) {
        s.setChild(pe, c.clone());
        continue;
      }
      if (recursive && other.member) continue;
      const d = c.subtract(other, recursive);
      d.member = c.member && !other.member;
      if (d.member || d.children.size) s.setChild(pe, d);
    }
    return s;
  }

  intersection(o: FieldSet): FieldSet {
    const s = new FieldSet();
    for (const [pe, c] of this.children) {
      const other = o.children.get(pe);
      if (!other) continue;
      const i = c.intersection(other);
      i.member = c.member && other.member;
      if (i.member || i.children.size) s.setChild(pe, i);
    }
    return s;
  }

  /** Every member path, in upstream's order. */
  paths(): PathElement[][] {
    const out: PathElement[][] = [];
    const walk = (node: FieldSet, prefix: PathElement[]): void => {
      for (const pe of [...node.children.keys()].sort(comparePathElements)) {
        const c = node.children.get(pe)!;
        const p = [...prefix, pe];
        if (c.member) out.push(p);
        walk(c, p);
      }
    };
    walk(this, []);
    return out;
  }

  /** fieldsV1: members with children carry `.`, leaves are `{}` (one frozen object for all), keys in upstream's order. */
  toFieldsV1(): FieldsV1 {
    return (this.kids && encodeChildren(this.kids, false)) ?? LEAF;
  }

  /** Reads stored fieldsV1; throws on a malformed document. */
  static fromFieldsV1(doc: unknown): FieldSet {
    const s = new FieldSet();
    read(doc, s);
    return s;
  }
}

/**
 * The fieldsV1 object of a node's children (`.` first when the node is a member with members below), undefined
 * when nothing below is a member. Its objects are made without a prototype, which V8 keeps as dictionaries: their
 * keys are often the pod's own (`k:{"ip":"10.128.3.7"}`, a volume's random name), and adding such a key to an
 * ordinary object makes a new hidden class for every pod (~2x the cost of the whole encoding, measured).
 */
function encodeChildren(children: ReadonlyMap<PathElement, FieldSet>, member: boolean): FieldsV1 | undefined {
  let out: FieldsV1 | undefined;
  for (const pe of sortedElements(children)) {
    const c = children.get(pe)!;
    const inner = c.children.size ? encodeChildren(c.children, c.member) : undefined;
    if (!inner && !c.member) continue;
    if (!out) {
      out = Object.create(null) as FieldsV1;
      if (member) out['.'] = LEAF;
    }
    out[pe] = inner ?? LEAF;
  }
  return out;
}

/**
 * Path elements in upstream's order. Fields alone (the common case) sort as plain strings: with one shared
 * `f:` prefix, comparePathElements is string order.
 */
function sortedElements(children: ReadonlyMap<PathElement, FieldSet>): PathElement[] {
  const keys = [...children.keys()];
  if (keys.length < 2) return keys;
  for (const k of keys) if (!k.startsWith('f:')) return keys.sort(comparePathElements);
  return keys.sort();
}

function read(doc: unknown, node: FieldSet): void {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('fieldsV1: expected an object');
  for (const [key, value] of Object.entries(doc)) {
    if (key === '.') {
      node.member = true;
      continue;
    }
    const pe = canonicalElement(key);
    if (!pe) throw new Error(`fieldsV1: malformed path element ${JSON.stringify(key)}`);
    const child = node.child(pe);
    read(value, child);
    // `{}` is a leaf member; an object with children is a member only when it carries `.`.
    if (child.children.size === 0) child.member = true;
  }
}
