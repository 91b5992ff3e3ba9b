/**
 * Informer caches of many thousands of pods hold the same parts again and again: every pod of a ReplicaSet has
 * its template's containers, tolerations and labels, and pods started in the same second carry equal
 * conditions. This transform makes equal parts one frozen object shared by every cached object that has it
 * (measured: a Running pod 2.9 KB → 1.3 KB of heap), at the cost of serialising those parts once per event.
 *
 * Cached objects are read-only (as client-go's are); the shared parts are deep-frozen, so a component that
 * mutated one would throw instead of changing every pod at once.
 */
import { dropManagedFields } from './informer.js';
import type { KubeObject } from './types.js';

type Json = Record<string, unknown>;

/** Equal JSON values → one object, held weakly so a part no cached object uses any more goes away. */
export class PartTable {
  private readonly table = new Map<string, WeakRef<object>>();
  private readonly registry = new FinalizationRegistry<string>((key) => {
    if (this.table.get(key)?.deref() === undefined) this.table.delete(key);
  });

  share<T>(value: T): T {
    if (typeof value !== 'object' || value === null) return value;
    const key = JSON.stringify(value);
    const hit = this.table.get(key)?.deref();
    if (hit !== undefined) return hit as T;
    deepFreeze(value);
    this.table.set(key, new WeakRef(value));
    this.registry.register(value, key);
    return value;
  }

  get size(): number {
    return this.table.size;
  }
}

function deepFreeze(v: object): void {
  Object.freeze(v);
  for (const x of Object.values(v)) if (typeof x === 'object' && x !== null && !Object.isFrozen(x)) deepFreeze(x);
}

const METADATA_PARTS = ['labels', 'annotations', 'ownerReferences'] as const;
const POD_SPEC_PARTS = ['containers', 'initContainers', 'tolerations', 'volumes', 'securityContext', 'affinity', 'topologySpreadConstraints', 'readinessGates'] as const;
const POD_STATUS_PARTS = ['conditions'] as const;

function shareIn(obj: unknown, keys: readonly string[], parts: PartTable): void {
  if (typeof obj !== 'object' || obj === null) return;
  const o = obj as Json;
  for (const k of keys) if (o[k] !== undefined) o[k] = parts.share(o[k]);
}

/**
 * An informer transform (compose it after dropManagedFields) sharing labels, annotations and ownerReferences of
 * any object, and a pod's containers, tolerations, volumes, affinity and conditions. The object passed in is
 * the informer's own (decoded from the wire), so it is changed in place.
 */
export function sharedParts(parts = new PartTable()): <T extends KubeObject>(obj: T) => T {
  return <T extends KubeObject>(obj: T): T => {
    const o = obj as unknown as Json;
    shareIn(o['metadata'], METADATA_PARTS, parts);
    const spec = o['spec'] as Json | undefined;
    if (spec && Array.isArray(spec['containers'])) {
      shareIn(spec, POD_SPEC_PARTS, parts);
      shareIn(o['status'], POD_STATUS_PARTS, parts);
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

/** The transform for caches of many objects: managedFields dropped, equal parts shared, strings interned. One table per call. */
export function slimCacheTransform(): <T extends KubeObject>(obj: T) => T {
  const share = sharedParts();
  const strings = new StringTable();
  return <T extends KubeObject>(obj: T): T => {
    const out = share(dropManagedFields(obj));
    strings.internIn(out);
    return out;
  };
}
