/**
 * Ownership for ordinary writes (create, update, every non-apply patch), as kube-apiserver's field manager
 * records them with operation Update: the writer takes every field it added or changed, every manager loses
 * fields that changed or disappeared, so that later applies see conflicts with the right owner.
 */
import type { KubeObject } from '../../resource.js';
import {
  capUpdateManagers, decodeManagedFields, decodeOrReset, encodeManagedFields, managerKey, rfc3339, type Managed,
} from './managed-fields.js';
import { STRIPPED_FIELDS, emptyObject, resetFields, withoutManagedFields } from './ownership.js';
import { ItemKeys, compare, jsonEqual, shapeOfDefinition } from './typed.js';

export interface TrackUpdateOptions {
  /** The kind's OpenAPI definition; derived from apiVersion and kind when absent (built-in groups only). */
  definition?: string;
  /** '' (main resource) or 'status'. */
  subresource?: string;
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
  const subresource = opts.subresource ?? '';
  const result = structuredClone(updated);
  const sent = updated.metadata?.managedFields;
  if (isReset(sent) && !subresource) {
    if (result.metadata) delete result.metadata.managedFields;
    return result;
  }
  const shape = shapeOfDefinition(opts.definition ?? definitionOf(updated));
  let managed: Managed | undefined;
  if (!subresource && Array.isArray(sent) && sent.length > 0 && !jsonEqual(sent, live?.metadata?.managedFields)) {
    try {
      managed = decodeManagedFields(sent);
    } catch {
      // Broken managedFields in a body fall back to the stored ones, as upstream does.
    }
  }
  managed ??= decodeOrReset(live?.metadata?.managedFields);

  const keys = new ItemKeys(false);
  const before = live ? withoutManagedFields(live) : emptyObject(shape);
  const c = compare(before, withoutManagedFields(updated), shape, keys);
  const ignored = resetFields(shape, subresource);
  const changed = c.modified.union(c.added).recursiveDifference(ignored);
  for (const m of managed.values()) m.set = m.set.difference(changed).difference(c.removed.recursiveDifference(ignored));
  const mine = changed.difference(STRIPPED_FIELDS);
  if (!mine.isEmpty()) {
    const key = managerKey(manager, 'Update', apiVersion, subresource);
    const prev = managed.get(key);
    managed.set(key, {
      manager, operation: 'Update', apiVersion, subresource, time: rfc3339(now),
      set: prev ? prev.set.union(mine) : mine,
    });
  }
  for (const [k, m] of managed) if (m.set.isEmpty()) managed.delete(k);
  capUpdateManagers(managed);

  const entries = encodeManagedFields(managed);
  const meta = (result.metadata ??= {});
  if (entries.length) meta.managedFields = entries;
  else delete meta.managedFields;
  return result;
}

/** `[{}]`: the documented way to strip managedFields through an ordinary write. */
function isReset(sent: unknown): boolean {
  return Array.isArray(sent) && sent.length === 1 && typeof sent[0] === 'object' && sent[0] !== null && Object.keys(sent[0]).length === 0;
}

/** io.k8s.api.<group's first label, or core>.<version>.<Kind>: the catalog's name for built-in kinds. */
export function definitionOf(obj: KubeObject): string {
  const apiVersion = obj.apiVersion ?? 'v1';
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') as [string, string] : ['', apiVersion];
  const pkg = group ? group.split('.')[0] : 'core';
  return `io.k8s.api.${pkg}.${version}.${obj.kind ?? ''}`;
}

