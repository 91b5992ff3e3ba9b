/**
 * Equal values of the watch cache's objects stored once. At 150,000 Running pods the pods' cache held ~6.6 KB of
 * heap a pod, half of it managedFields' fieldsV1 trees, which are the same tree for every pod written alike, and
 * most of the rest strings every pod repeats (image, "True", "IfNotPresent", timestamps of the same second).
 *
 * - fieldsV1 trees are hash-consed: one frozen object per distinct subtree, so pods differing in one podIP key
 *   share everything else. They are already read-only (their leaves are field-set.ts's frozen {}).
 * - string values are interned. A string is immutable, so this changes nothing a reader can see.
 * Both tables are bounded and start over when full (no weak references: they cost more than the trees they
 * would free); starting over costs one more copy of what repeats, never a wrong value.
 *
 * Only the cache's own objects go through here (decoded from storage, or handed over by a write), never one a
 * caller still changes.
 */

import { flatString } from '../../../client/flat-string.js';

type Json = Record<string, unknown>;

/** Strings kept at most before the table starts over (uids and names never repeat and would fill it). */
const MAX_STRINGS = 100_000;
/** Distinct fieldsV1 subtrees kept at most before that table starts over too (a pod's podIPs key is its own). */
const MAX_TREES = 50_000;
/** Longer strings are seldom equal between objects, and comparing them is not free. */
const MAX_INTERNED_LENGTH = 256;

export class SharedValues {
  private strings = new Map<string, string>();
  private trees = new Map<string, Json>();
  /** Every shared tree's id (also after the table started over: its parents' keys still name it). */
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;
  private readonly leaf: Json = Object.freeze({});

  /** `obj` with its strings interned and its managedFields' fieldsV1 shared, changed in place. */
  slim<T extends object>(obj: T): T {
    this.internIn(obj as Json);
    const meta = (obj as { metadata?: { managedFields?: unknown } }).metadata;
    const mf = meta?.managedFields;
    if (Array.isArray(mf)) {
      for (const e of mf) {
        if (typeof e !== 'object' || e === null || Object.isFrozen(e)) continue;
        const entry = e as Json;
        const shared = this.tree(entry['fieldsV1']);
        if (shared !== undefined) entry['fieldsV1'] = shared;
      }
    }
    return obj;
  }

  /** Distinct fieldsV1 subtrees in the table (for tests). */
  get treeCount(): number {
    return this.trees.size;
  }

  private intern(s: string): string {
    if (s.length > MAX_INTERNED_LENGTH) return s;
    const hit = this.strings.get(s);
    if (hit !== undefined) return hit;
    if (this.strings.size >= MAX_STRINGS) this.strings = new Map();
    this.strings.set(s, s);
    return s;
  }

  private internIn(v: Json | unknown[]): void {
    // Frozen values are shared already (fieldsV1 trees, parts an informer-style transform made).
    if (Object.isFrozen(v)) return;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (typeof x === 'string') v[i] = this.intern(x);
        else if (typeof x === 'object' && x !== null) this.internIn(x as Json);
      }
      return;
    }
    for (const k in v) {
      if (k === 'fieldsV1') continue; // keys only, shared below
      const x = v[k];
      if (typeof x === 'string') v[k] = this.intern(x);
      else if (typeof x === 'object' && x !== null) this.internIn(x as Json);
    }
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
