/**
 * Equal values of the watch cache's objects stored once. At 150,000 Running pods the pods' cache held ~6.6 KB of
 * heap a pod, half of it managedFields' fieldsV1 trees, which are the same tree for every pod written alike, and
 * most of the rest strings every pod repeats (image, "True", "IfNotPresent", timestamps of the same second).
 *
 * - fieldsV1 trees are hash-consed: one frozen object per distinct subtree, so pods differing in one podIP key
 *   share everything else. They are already read-only (their leaves are field-set.ts's frozen {}). A whole
 *   managedFields entry is shared too when equal (same manager, operation and second, same tree): writes replace
 *   entries, never change them in place (clone.ts's cloneMetadata relies on it as well).
 * - A pod's lists of flat records that repeat from pod to pod are shared whole when equal, frozen: its
 *   tolerations (the same defaults in every pod), its volumes and its containers' volumeMounts (the
 *   ServiceAccount token volume and its mount, named alike for an account's pods), its conditions (equal when
 *   their times are: pods started in the same second) and its hostIPs (its node's); an empty securityContext too.
 *   A record's values are scalars or frozen objects, the latter compared by identity (the token volume's source
 *   is one frozen object in every pod). Every writer copies what it
 *   changes before changing it (a patch deep-copies the members it touches, an update the whole object, a status
 *   write its metadata and status; defaulting writes only what is missing), so a shared list is read, never
 *   written; frozen, a missed copy throws instead of changing every pod. Containers and container statuses are
 *   not shared whole: statuses name their container IDs, and hash-consing containers (client/share-parts.ts's
 *   PartTable) measured ~80 us a pod on this thread.
 * - string values are interned. A string is immutable, so this changes nothing a reader can see.
 * The tables are bounded and start over when full (no weak references: they cost more than the trees they would
 * free); starting over costs one more copy of what repeats, never a wrong value.
 *
 * Only the cache's own objects go through here (decoded from storage, or handed over by a write), never one a
 * caller still changes.
 */

import { flatString } from '../../../client/flat-string.js';
import { StringTable } from '../../../client/share-parts.js';

type Json = Record<string, unknown>;

/** Distinct fieldsV1 subtrees kept at most before that table starts over too (a pod's podIPs key is its own). */
const MAX_TREES = 50_000;
/** Distinct managedFields entries kept at most (each pod's status entry names its own podIP). */
const MAX_ENTRIES = 50_000;

/** Distinct flat lists kept at most (conditions of every second pods started in). */
const MAX_LISTS = 20_000;

/** A pod's spec and status members that are lists of flat records, shared whole (see above). */
const POD_SPEC_LISTS = ['tolerations', 'volumes'] as const;
const CONTAINER_LISTS = ['volumeMounts'] as const;
const CONTAINER_FIELDS = ['containers', 'initContainers'] as const;
const POD_STATUS_LISTS = ['conditions', 'hostIPs'] as const;
const EMPTY: Json = Object.freeze({});

export class SharedValues {
  private readonly strings = new StringTable();
  private lists = new Map<string, unknown[]>();
  /** The shared managedFields entry last found at each index. */
  private readonly lastEntries: Json[] = [];
  /** The shared list each member last had (by member name). */
  private readonly lastList = new Map<string, unknown[]>();
  private trees = new Map<string, Json>();
  private entries = new Map<string, Json>();
  /** Every shared tree's id (also after the table started over: its parents' keys still name it). */
  private readonly ids = new WeakMap<object, number>();
  /** Ids of frozen values held by shared lists' records (see list()). */
  private readonly frozenIds = new WeakMap<object, number>();
  private nextId = 1;
  private readonly leaf: Json = Object.freeze({});

  /** `obj` with its strings interned, a pod's parts and its managedFields shared, changed in place. */
  slim<T extends object>(obj: T): T {
    const o = obj as Json;
    const spec = o['spec'] as Json | undefined;
    if (typeof spec === 'object' && spec !== null && o['kind'] === 'Pod' && !Object.isFrozen(spec)) {
      this.shareIn(spec, POD_SPEC_LISTS);
      for (const field of CONTAINER_FIELDS) {
        const cs = spec[field];
        if (Array.isArray(cs) && !Object.isFrozen(cs)) for (const c of cs) this.shareIn(c, CONTAINER_LISTS);
      }
      const sc = spec['securityContext'];
      if (typeof sc === 'object' && sc !== null && !Array.isArray(sc) && sc !== EMPTY && isEmpty(sc)) spec['securityContext'] = EMPTY;
      this.shareIn(o['status'], POD_STATUS_LISTS);
    }
    // managedFields first: their trees and entries end frozen, so interning the rest does not walk them.
    const meta = (obj as { metadata?: { managedFields?: unknown } }).metadata;
    const mf = meta?.managedFields;
    if (Array.isArray(mf)) {
      for (let i = 0; i < mf.length; i++) {
        const e: unknown = mf[i];
        if (typeof e !== 'object' || e === null || Object.isFrozen(e)) continue;
        const entry = e as Json;
        const shared = this.tree(entry['fieldsV1']);
        if (shared === undefined) continue;
        entry['fieldsV1'] = shared;
        // As lists: most often the entry is the one the pod settled before had at this place.
        const last = this.lastEntries[i];
        if (last !== undefined && sameRecord(entry, last)) mf[i] = last;
        else if (Object.isFrozen((mf[i] = this.entry(entry, shared)))) this.lastEntries[i] = mf[i] as Json;
      }
    }
    this.strings.internIn(o);
    return obj;
  }

  /** Distinct fieldsV1 subtrees in the table (for tests). */
  get treeCount(): number {
    return this.trees.size;
  }

  private shareIn(holder: unknown, keys: readonly string[]): void {
    if (typeof holder !== 'object' || holder === null || Object.isFrozen(holder)) return;
    const h = holder as Json;
    for (const k of keys) {
      const v = h[k];
      if (!Array.isArray(v) || Object.isFrozen(v)) continue;
      // Pods settle in the order they were written: most often the list is the one the last pod had.
      const last = this.lastList.get(k);
      h[k] = last !== undefined && sameFlatList(v, last) ? last : this.list(v);
      if (h[k] !== v || Object.isFrozen(v)) this.lastList.set(k, h[k] as unknown[]);
    }
  }

  /** The shared list equal to `v` (records of scalars and frozen objects, same keys in the same order), or `v` when it is another list. */
  private list(v: unknown[]): unknown[] {
    let key = '';
    for (const e of v) {
      if (typeof e !== 'object' || e === null || Array.isArray(e)) return v;
      key += '{';
      const r = e as Json;
      for (const k in r) {
        const x = r[k];
        // Lengths prefix names and strings, so the key reads back one way only.
        if (typeof x === 'string') key += `${k.length}:${k}s${x.length}:${x}`;
        else if (typeof x === 'number' || typeof x === 'boolean') key += `${k.length}:${k}n${String(x)};`;
        else if (x === null) key += `${k.length}:${k}z`;
        else if (typeof x === 'object' && Object.isFrozen(x)) key += `${k.length}:${k}o${this.frozenId(x)};`;
        else return v;
      }
      key += '}';
    }
    const hit = this.lists.get(key);
    if (hit !== undefined) return hit;
    for (const e of v) {
      this.strings.internIn(e);
      Object.freeze(e);
    }
    Object.freeze(v);
    if (this.lists.size >= MAX_LISTS) this.lists = new Map();
    this.lists.set(flatString(key), v);
    return v;
  }

  /** A frozen value's id: frozen, it stays equal to itself, so its identity stands for its value in a list's key. */
  private frozenId(x: object): number {
    let id = this.frozenIds.get(x);
    if (id === undefined) this.frozenIds.set(x, (id = this.nextId++));
    return id;
  }

  /** The shared entry equal to `entry` (its fieldsV1 shared already), or `entry` when a member is not a scalar. */
  private entry(entry: Json, fields: Json): Json {
    let key = '';
    for (const k in entry) {
      const v = entry[k];
      let token: string;
      if (k === 'fieldsV1') token = `o${fields === this.leaf ? 0 : this.ids.get(fields)};`;
      else if (typeof v === 'string') token = `s${v.length}:${(entry[k] = this.strings.intern(v))}`;
      else if (typeof v === 'number' || typeof v === 'boolean') token = `n${String(v)};`;
      else return entry;
      key += `${k.length}:${k}${token}`;
    }
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    Object.freeze(entry);
    if (this.entries.size >= MAX_ENTRIES) this.entries = new Map();
    this.entries.set(flatString(key), entry);
    return entry;
  }

  /** The shared tree equal to `v` (same keys in the same order), or undefined when `v` is no fieldsV1 tree. */
  private tree(v: unknown): Json | undefined {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    const node = v as Json;
    if (this.ids.has(node)) return node;
    const frozen = Object.isFrozen(node);
    let copy: Json | undefined;
    // The key names each child by its shared tree's id: equal keys mean equal trees, without serialising them.
    let key = '';
    for (const k in node) {
      const c = node[k];
      const shared = this.tree(c);
      if (shared === undefined) return undefined;
      key += `${k.length}:${k}${shared === this.leaf ? 0 : this.ids.get(shared)},`;
      if (shared !== c) {
        if (frozen) (copy ??= { ...node })[k] = shared;
        else node[k] = shared;
      }
    }
    // Most nodes are leaves: one frozen {} for all of them.
    if (key === '') return this.leaf;
    const hit = this.trees.get(key);
    if (hit !== undefined) return hit;
    const out = copy ?? node;
    Object.freeze(out);
    this.ids.set(out, this.nextId++);
    if (this.trees.size >= MAX_TREES) this.trees = new Map();
    this.trees.set(flatString(key), out);
    return out;
  }
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/** Whether record `a` has `b`'s keys in the same order and the same values (objects by identity). */
function sameRecord(a: Json, b: Json): boolean {
  const keys = Object.keys(b);
  let n = 0;
  for (const k in a) if (keys[n++] !== k || a[k] !== b[k]) return false;
  return n === keys.length;
}

/** Whether `a` equals `b`, a shared list of flat records (same keys in the same order, equal values: frozen objects by identity). */
function sameFlatList(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Json;
    const y = b[i] as Json;
    if (typeof x !== 'object' || x === null) return false;
    // Key order too: it is the order they serialise in. Scalars and frozen objects only (the shared list's are).
    if (!sameRecord(x, y)) return false;
  }
  return true;
}
