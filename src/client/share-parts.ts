/**
 * Informer caches of many thousands of pods hold the same parts again and again: every pod of a ReplicaSet has
 * its template's containers, tolerations and labels, and pods started in the same second carry equal
 * conditions. This transform makes equal parts one frozen object shared by every cached object that has it
 * (measured over 20,000 Running pods as the admission makes them, with a service-account volume each: 3.8 KB →
 * 1.65 KB of heap a pod; 8.0 KB unslimmed), at the cost of walking those parts once per event.
 *
 * Cached objects are read-only (as client-go's are); the shared parts are deep-frozen, so a component that
 * mutated one would throw instead of changing every pod at once.
 */
import { flatString } from './flat-string.js';
import { dropManagedFields } from './informer.js';
import type { KubeObject } from './types.js';

type Json = Record<string, unknown>;

/** Distinct shared values kept at most before the table starts over (per-pod ones never repeat and would fill it). */
const MAX_VALUES = 50_000;

/**
 * Equal JSON values → one deep-frozen value, hash-consed bottom up: every object or array inside a part is shared
 * on its own, so pods whose parts differ in one field still share the rest. When each pod's service-account
 * volume had a random name (kube-api-access-<random>, as upstream's still have), its container's mount of it made
 * whole containers and volumes lists unique per pod: sharing them whole shared nothing and held each pod's part
 * JSON as a table key (~1 KB) besides.
 *
 * A node's key names its children by their shared value's id, so nothing is serialised twice. The table is
 * bounded and starts over when full (no weak references: they cost more than most values they would free);
 * starting over costs one more copy of what repeats, never a wrong value. String values are interned too.
 */
export class PartTable {
  private values = new Map<string, object>();
  /**
   * The id of each value in `values`, forgotten with it when the table starts over. Every value ever shared had
   * one in a WeakMap before: ~14 entries a pod whose containers, volumes and statuses are its own, ~200 B a pod
   * at 10,000 pods in each informer's heap, for as long as the pod lived. A forgotten value handed in again is
   * walked again (and gets a new id), which informers never do: their objects come decoded from the wire.
   */
  private ids = new Map<object, number>();
  private nextId = 1;
  /** The id of the object value node() returned last (its parent's key names it). */
  private lastId = 0;

  constructor(private readonly strings = new StringTable()) {}

  share<T>(value: T): T {
    if (typeof value === 'string') return this.strings.intern(value) as T;
    if (typeof value !== 'object' || value === null) return value;
    return this.node(value as object) as T;
  }

  /**
   * share(value), but `previous` (the same part of the object's cached version, already shared) is returned when
   * it is equal: an update leaves most parts as they were (a status patch keeps the containers, volumes and
   * labels), and comparing with the old part costs a fraction of hashing the new one.
   */
  shareLike<T>(value: T, previous: unknown): T {
    // A frozen previous part is one this table shared (the cache's objects come from the wire, unfrozen).
    if (previous !== undefined && typeof previous === 'object' && previous !== null && Object.isFrozen(previous) && jsonEqual(value, previous)) return previous as T;
    return this.share(value);
  }

  private node(v: object): object {
    const known = this.ids.get(v);
    if (known !== undefined) {
      this.lastId = known;
      return v;
    }
    const frozen = Object.isFrozen(v);
    let copy: Record<string, unknown> | unknown[] | undefined;
    let key: string;
    if (Array.isArray(v)) {
      key = '[';
      for (let i = 0; i < v.length; i++) {
        const c: unknown = v[i];
        const s = this.share(c);
        key += this.token(s);
        if (replaces(s, c, frozen)) ((frozen ? (copy ??= [...v]) : v) as unknown[])[i] = s;
      }
    } else {
      key = '{';
      const o = v as Record<string, unknown>;
      for (const k in o) {
        const c = o[k];
        const s = this.share(c);
        key += `${k.length}:${k}${this.token(s)}`;
        if (replaces(s, c, frozen)) ((frozen ? (copy ??= { ...o }) : o) as Record<string, unknown>)[k] = s;
      }
    }
    const hit = this.values.get(key);
    if (hit !== undefined) {
      this.lastId = this.ids.get(hit)!;
      return hit;
    }
    const out = (copy ?? v) as object;
    Object.freeze(out);
    if (this.values.size >= MAX_VALUES) {
      this.values = new Map();
      this.ids = new Map();
    }
    this.lastId = this.nextId++;
    this.ids.set(out, this.lastId);
    this.values.set(flatString(key), out);
    return out;
  }

  private token(v: unknown): string {
    switch (typeof v) {
      case 'string':
        return `s${v.length}:${v}`;
      case 'number':
        return `n${v};`;
      case 'boolean':
        return v ? 't' : 'f';
      case 'object':
        // v is what share() returned just now: node() left its id behind.
        return v === null ? 'z' : `o${this.lastId};`;
      default:
        return 'u';
    }
  }

  get size(): number {
    return this.values.size;
  }
}

/**
 * Whether the shared value `s` must be stored in place of `c`. An interned string is === to its copy, so a string
 * is always stored (else every unique part kept its own copy of its strings); a frozen value is not copied just
 * for its strings.
 */
function replaces(s: unknown, c: unknown, frozen: boolean): boolean {
  return s !== c || (typeof s === 'string' && !frozen);
}

const METADATA_PARTS = ['labels', 'annotations', 'ownerReferences'] as const;
const POD_SPEC_PARTS = ['containers', 'initContainers', 'tolerations', 'volumes', 'securityContext', 'affinity', 'topologySpreadConstraints', 'readinessGates'] as const;
const POD_STATUS_PARTS = ['conditions', 'containerStatuses', 'initContainerStatuses', 'hostIPs', 'podIPs'] as const;

/** Deep equality of two JSON values (as decoded from the wire: no cycles, no undefined members that matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Json;
  const y = b as Json;
  let n = 0;
  for (const k in x) {
    if (!jsonEqual(x[k], y[k]) || !(k in y)) return false;
    n++;
  }
  for (const _ in y) n--;
  return n === 0;
}

function shareIn(obj: unknown, keys: readonly string[], parts: PartTable, previous: unknown): void {
  if (typeof obj !== 'object' || obj === null) return;
  const o = obj as Json;
  const prev = typeof previous === 'object' && previous !== null ? (previous as Json) : undefined;
  for (const k of keys) if (o[k] !== undefined) o[k] = prev ? parts.shareLike(o[k], prev[k]) : parts.share(o[k]);
}

/**
 * An informer transform (compose it after dropManagedFields) sharing labels, annotations and ownerReferences of
 * any object, and a pod's containers, tolerations, volumes, affinity, conditions, container statuses and IPs
 * (each hash-consed down to its leaves). The object passed in is the informer's own (decoded from the wire), so
 * it is changed in place.
 */
export function sharedParts(parts = new PartTable()): <T extends KubeObject>(obj: T, previous?: T) => T {
  return <T extends KubeObject>(obj: T, previous?: T): T => {
    const o = obj as unknown as Json;
    const p = previous as unknown as Json | undefined;
    shareIn(o['metadata'], METADATA_PARTS, parts, p?.['metadata']);
    const spec = o['spec'] as Json | undefined;
    if (spec && Array.isArray(spec['containers'])) {
      shareIn(spec, POD_SPEC_PARTS, parts, p?.['spec']);
      shareIn(o['status'], POD_STATUS_PARTS, parts, p?.['status']);
    }
    return obj;
  };
}

/** Strings kept at most before the table starts over (uids and names never repeat and would fill it). */
const MAX_STRINGS = 100_000;

/**
 * Equal strings → one string. What parts do not cover still repeats per pod (an image ID, schedulerName,
 * dnsPolicy, a node's name, timestamps of the same second): ~700 B a Running pod per cache. Strings are
 * immutable, so nothing a reader sees changes; when full the table starts over (one more copy, never a wrong one).
 */
export class StringTable {
  private strings = new Map<string, string>();

  intern(s: string): string {
    if (s.length > 256) return s;
    const hit = this.strings.get(s);
    if (hit !== undefined) return hit;
    if (this.strings.size >= MAX_STRINGS) this.strings = new Map();
    this.strings.set(s, s);
    return s;
  }

  /** Interns the string values under `v` in place; frozen values (shared parts) are left as they are. */
  internIn(v: unknown): void {
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (typeof x === 'string') v[i] = this.intern(x);
        else this.internIn(x);
      }
      return;
    }
    const o = v as Json;
    for (const k in o) {
      const x = o[k];
      if (typeof x === 'string') o[k] = this.intern(x);
      else this.internIn(x);
    }
  }
}

/**
 * The transform for caches of many objects: managedFields dropped, equal parts shared, strings interned. One table
 * per call. `previous` is the cached version the object replaces, if any (its parts are reused where equal).
 */
export function slimCacheTransform(): <T extends KubeObject>(obj: T, previous?: T) => T {
  const strings = new StringTable();
  const share = sharedParts(new PartTable(strings));
  return <T extends KubeObject>(obj: T, previous?: T): T => {
    const out = share(dropManagedFields(obj), previous);
    strings.internIn(out);
    return out;
  };
}
