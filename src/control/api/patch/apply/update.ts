/**
 * Ownership for ordinary writes (create, update, every non-apply patch), as kube-apiserver's field manager
 * records them with operation Update: the writer takes every field it added or changed, every manager loses
 * fields that changed or disappeared, so that later applies see conflicts with the right owner.
 */
import type { KubeObject } from '../../resource.js';
import {
  capUpdateManagers, decodeManagedFields, decodeOrReset, encodeManagedFields, managerKey,
  type Managed, type ManagedFieldsEntry, type ManagerFields,
} from './managed-fields.js';
import { rfc3339 } from '../../../../client/time.js';
import { STRIPPED_FIELDS, emptyObject, resetFields } from './ownership.js';
import { ItemKeys, changedLeaves, compare, jsonEqual, shapeOfDefinition, type Comparison, type Shape, type StructShape } from './typed.js';
import { createdFields } from './created-fields.js';
import type { FieldSet, FieldsV1, PathElement } from './field-set.js';

export interface TrackUpdateOptions {
  /** The kind's OpenAPI definition; derived from apiVersion and kind when absent (built-in groups only). */
  definition?: string;
  /** '' (main resource) or 'status'. */
  subresource?: string;
  /** Always the full comparison, never the shortcut for a writer's own leaves (the reference tests hold it to). */
  fullComparison?: boolean;
}

/**
 * Returns `updated` with metadata.managedFields recording this write by `manager` (for creates, `live` is null).
 * Call it with the object about to be stored (after defaulting, as upstream's decoded objects are defaulted).
 * A body that carries managedFields different from the stored ones sets them (upstream lets writers edit them);
 * `managedFields: [{}]` clears them.
 */
export function trackUpdate(
  live: KubeObject | null, updated: KubeObject, manager: string, apiVersion: string, now: Date,
  opts: TrackUpdateOptions = {},
): KubeObject {
  const entries = managedFieldsAfterUpdate(live, updated, manager, apiVersion, now, opts);
  const result = structuredClone(updated);
  const meta = (result.metadata ??= {});
  if (entries) meta.managedFields = entries;
  else delete meta.managedFields;
  return result;
}

/**
 * trackUpdate's metadata.managedFields alone (undefined: none), without copying `updated`: what a caller that
 * sets them on its own object needs. Neither argument is modified.
 */
export function managedFieldsAfterUpdate(
  live: KubeObject | null, updated: KubeObject, manager: string, apiVersion: string, now: Date,
  opts: TrackUpdateOptions = {},
): ManagedFieldsEntry[] | undefined {
  const subresource = opts.subresource ?? '';
  const sent = updated.metadata?.managedFields;
  if (isReset(sent) && !subresource) return undefined;
  const shape = shapeOfDefinition(opts.definition ?? definitionOf(updated));
  const ignored = resetFields(shape, subresource);
  const sentEntries = Array.isArray(sent) && sent.length > 0;

  // A create without managedFields in its body: the writer is the only manager, and its fields are the
  // object's own (compared with the kind's empty object), found in one walk or remembered from an object of
  // the same outline.
  if (!live && !sentEntries) {
    const { set: mine, fieldsV1 } = createdFields(withoutManagedFieldsShallow(updated), emptyOf(shape), shape, ignored, subresource);
    if (mine.isEmpty()) return undefined;
    const managed: Managed = new Map();
    managed.set(managerKey(manager, 'Update', apiVersion, subresource), {
      manager, operation: 'Update', apiVersion, subresource, time: rfc3339(now), set: mine,
    });
    const entries = encodeManagedFields(managed, () => fieldsV1);
    // createdFields' fieldsV1 is byte for byte the set's encoding.
    encoded.add(entries);
    return entries;
  }

  let managed: Managed | undefined;
  if (!subresource && sentEntries && !jsonEqual(sent, live?.metadata?.managedFields)) {
    try {
      managed = decodeManagedFields(sent);
    } catch {
      // Broken managedFields in a body fall back to the stored ones, as upstream does.
    }
  }
  // The managedFields this function wrote last time (an object read from the watch cache) need no decoding.
  let known: Written | undefined;
  // Sets decoded from entries this function wrote, too big to remember, and their fieldsV1 as written.
  let decoded: Map<FieldSet, FieldsV1> | undefined;
  if (!managed) {
    const liveEntries = live?.metadata?.managedFields;
    known = Array.isArray(liveEntries) ? written.get(liveEntries) : undefined;
    managed = known ? known.managed : decodeOrReset(liveEntries);
    if (!known && Array.isArray(liveEntries) && encoded.has(liveEntries)) decoded = fieldsAsWritten(managed, liveEntries as ManagedFieldsEntry[]);
  }

  const key = managerKey(manager, 'Update', apiVersion, subresource);
  const own = managed.get(key)?.set;
  // The writer changing only leaves it alone owns (a lease renewal, a kubelet's status rewrite): what the full
  // comparison below gives is its entry with the time moved, every set as it was.
  let sets = managed;
  const leaves = live && own && !opts.fullComparison ? changedLeaves(live, updated, shape, FAST_MAX_LEAVES) : undefined;
  if (own && leaves?.length && leaves.every((p) => ownedByOnly(p, key, sets, ignored))) {
    const entry: ManagerFields = { manager, operation: 'Update', apiVersion, subresource, time: rfc3339(now), set: own };
    if (known) return renewed(known, key, entry);
    sets.set(key, entry);
  } else {
    // Copies of the remembered entries: updateSets replaces their sets.
    if (known) sets = new Map([...known.managed].map(([k, m]) => [k, { ...m }]));
    let before = live ? withoutManagedFieldsShallow(live) : emptyOf(shape);
    let after = withoutManagedFieldsShallow(updated);
    if (subresource === 'status' && !opts.fullComparison && shape.kind === 'struct' && shape.field('status')) {
      before = statusPart(before, shape);
      after = statusPart(after, shape);
    }
    updateSets(sets, compare(before, after, shape, new ItemKeys(false)), ignored, key, own, manager, apiVersion, subresource, now);
  }
  return finish(sets, known?.fields ?? decoded);
}

/**
 * The shortcut's entries when the live ones are remembered: every set and its fieldsV1 as written last time, the
 * writer's entry replaced (its time moved). What finish() would give: no set is emptied, none added (so the cap
 * holds as before), and the sets fit the memo as they did.
 */
function renewed(known: Written, key: string, entry: ManagerFields): ManagedFieldsEntry[] {
  const managed: Managed = new Map(known.managed);
  managed.set(key, entry);
  const entries = encodeManagedFields(managed, (set) => known.fields.get(set)!);
  written.set(entries, { managed, fields: known.fields });
  return entries;
}

/** Sets of at most this many changed leaves take managedFieldsAfterUpdate's shortcut. */
const FAST_MAX_LEAVES = 8;

/**
 * Whether the full comparison would count a change at `path` as the writer's alone, leaving every set as it is:
 * not a reset or stripped field, a member of the writer's set (`key`), of no other manager's.
 */
function ownedByOnly(path: PathElement[], key: string, managed: Managed, ignored: FieldSet): boolean {
  if (STRIPPED_FIELDS.has(path)) return false;
  let node: FieldSet | undefined = ignored;
  for (const pe of path) {
    node = node.children.get(pe);
    if (!node) break;
    if (node.member) return false;
  }
  for (const [k, m] of managed) if (m.set.has(path) !== (k === key)) return false;
  return true;
}

/**
 * What a write through /status is compared on: `status`, and any top-level field the kind does not declare. Every
 * other top-level field is one of that write's reset fields, whose changes updateSets drops (recursiveDifference)
 * whatever they are, so walking them (a pod's whole spec and metadata) only costs.
 */
function statusPart(obj: KubeObject, shape: StructShape): KubeObject {
  const out: KubeObject = {};
  for (const k in obj) if (k === 'status' || !shape.field(k)) out[k] = obj[k];
  return out;
}

/** Upstream's ownership update from a comparison: `changed` leaves every other set, the writer takes them. */
function updateSets(
  managed: Managed, c: Comparison, ignored: FieldSet, key: string, own: FieldSet | undefined,
  manager: string, apiVersion: string, subresource: string, now: Date,
): void {
  const changed = c.modified.union(c.added).recursiveDifference(ignored);
  const lost = c.removed.isEmpty() ? undefined : c.removed.recursiveDifference(ignored);
  // A set that shares no member with what changed keeps its object (and so its fieldsV1 as written).
  const minus = (set: FieldSet, o: FieldSet) => (set.intersection(o).isEmpty() ? set : set.difference(o));
  for (const m of managed.values()) {
    m.set = minus(m.set, changed);
    if (lost) m.set = minus(m.set, lost);
  }
  const mine = changed.difference(STRIPPED_FIELDS);
  if (!mine.isEmpty()) {
    const prev = managed.get(key);
    // The writer changing only fields it owns (a lease renewal) owns the same set as before: only the time moves.
    const same = own !== undefined && prev !== undefined && (!lost || lost.intersection(own).isEmpty())
      && changed.intersection(STRIPPED_FIELDS).isEmpty() && mine.difference(own).isEmpty();
    managed.set(key, {
      manager, operation: 'Update', apiVersion, subresource, time: rfc3339(now),
      set: same ? own : prev ? prev.set.union(mine) : mine,
    });
  }
}

/** Drops emptied managers, caps the updaters and encodes, reusing the fieldsV1 of sets kept from `before`. */
function finish(managed: Managed, before: Map<FieldSet, FieldsV1> | undefined): ManagedFieldsEntry[] | undefined {
  for (const [k, m] of managed) if (m.set.isEmpty()) managed.delete(k);
  capUpdateManagers(managed);

  const fields = new Map<FieldSet, FieldsV1>();
  const entries = encodeManagedFields(managed, (set) => {
    const f = before?.get(set) ?? set.toFieldsV1();
    fields.set(set, f);
    return f;
  });
  if (!entries.length) return undefined;
  if (fitsMemo(managed)) written.set(entries, { managed, fields });
  else encoded.add(entries);
  return entries;
}

/**
 * Entries arrays finish() returned whose sets were too big to remember (a node's, a pod's): each entry's fieldsV1
 * is the encoding of the set decoding it gives back, so a set the next write leaves as it was keeps that fieldsV1
 * instead of being encoded again. Objects in the watch cache are never modified, nor are these arrays.
 */
const encoded = new WeakSet<object>();

/** Each decoded set's fieldsV1 as written (decodeManagedFields keeps the entries' order, one set each). */
function fieldsAsWritten(managed: Managed, entries: ManagedFieldsEntry[]): Map<FieldSet, FieldsV1> | undefined {
  if (managed.size !== entries.length) return undefined;
  const out = new Map<FieldSet, FieldsV1>();
  let i = 0;
  for (const m of managed.values()) out.set(m.set, entries[i++]!.fieldsV1);
  return out;
}

/**
 * What managedFieldsAfterUpdate wrote, by the entries array it returned: the managers' sets and each set's
 * fieldsV1. Objects in the watch cache are never modified, so when the next update's live object is one of them
 * its managedFields are these; the sets are never modified either (updates replace them).
 */
interface Written {
  managed: Managed;
  fields: Map<FieldSet, FieldsV1>;
}
const written = new WeakMap<object, Written>();

/**
 * Sets of at most this many nodes in all are remembered. A lease's ~12 are renewed every 10 s by every node,
 * so decoding them each time would cost the heartbeat path; a Running pod's ~56 measured 7.8 KB a pod for as
 * long as the cache holds it (1.2 GB at 150,000 pods) against ~20 us to decode them on its next write.
 */
const MEMO_MAX_NODES = 32;

function fitsMemo(managed: Managed): boolean {
  let budget = MEMO_MAX_NODES;
  const walk = (s: FieldSet): boolean => {
    for (const c of s.children.values()) if (--budget < 0 || !walk(c)) return false;
    return true;
  };
  for (const m of managed.values()) if (!walk(m.set)) return false;
  return true;
}

/** The kind's empty object, built once per shape: the comparisons only read it. */
const empties = new WeakMap<Shape, Record<string, unknown>>();
function emptyOf(shape: Shape): Record<string, unknown> {
  let e = empties.get(shape);
  if (!e) empties.set(shape, (e = emptyObject(shape)));
  return e;
}

/** `[{}]`: the documented way to strip managedFields through an ordinary write. */
function isReset(sent: unknown): boolean {
  return Array.isArray(sent) && sent.length === 1 && typeof sent[0] === 'object' && sent[0] !== null && Object.keys(sent[0]).length === 0;
}

/** The object minus metadata.managedFields, sharing everything else (the comparisons only read it). */
function withoutManagedFieldsShallow(obj: KubeObject): KubeObject {
  if (!obj.metadata || !('managedFields' in obj.metadata)) return obj;
  const { managedFields: _mf, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** io.k8s.api.<group's first label, or core>.<version>.<Kind>: the catalog's name for built-in kinds. */
export function definitionOf(obj: KubeObject): string {
  const apiVersion = obj.apiVersion ?? 'v1';
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') as [string, string] : ['', apiVersion];
  const pkg = group ? group.split('.')[0] : 'core';
  return `io.k8s.api.${pkg}.${version}.${obj.kind ?? ''}`;
}
