/**
 * metadata.managedFields read into per-manager field sets and written back, as apimachinery's managedfields
 * package does: one entry per manager identity (manager, operation, subresource, and for updates the
 * apiVersion), entries sorted Apply before Update, then by time, manager, apiVersion, subresource.
 */
import { FieldSet, type FieldsV1 } from './field-set.js';

export type Operation = 'Apply' | 'Update';

/** One metadata.managedFields entry, field order as upstream serialises it. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: FieldsV1;
  subresource?: string;
}

export interface ManagerFields {
  manager: string;
  operation: Operation;
  apiVersion: string;
  subresource: string;
  time?: string;
  set: FieldSet;
}

/** Manager identity → its fields. */
export type Managed = Map<string, ManagerFields>;

/** Appliers are one identity whatever version they apply; updaters are one per version. */
export function managerKey(manager: string, operation: Operation, apiVersion: string, subresource: string): string {
  return JSON.stringify([manager, operation, operation === 'Update' ? apiVersion : '', subresource]);
}

export const keyOf = (m: ManagerFields): string => managerKey(m.manager, m.operation, m.apiVersion, m.subresource);

/** Reads managedFields; throws on entries upstream would not decode. */
export function decodeManagedFields(entries: unknown): Managed {
  const managed: Managed = new Map();
  if (entries === undefined || entries === null) return managed;
  if (!Array.isArray(entries)) throw new Error('managedFields must be a list');
  for (const e of entries) {
    if (typeof e !== 'object' || e === null) throw new Error('managedFields entry must be an object');
    const entry = e as Record<string, unknown>;
    if (entry['fieldsType'] !== 'FieldsV1') throw new Error(`invalid fieldsType ${JSON.stringify(entry['fieldsType'] ?? '')}`);
    const operation = entry['operation'];
    if (operation !== 'Apply' && operation !== 'Update') throw new Error(`invalid operation ${JSON.stringify(operation ?? '')}`);
    const m: ManagerFields = {
      manager: typeof entry['manager'] === 'string' ? entry['manager'] : '',
      operation,
      apiVersion: typeof entry['apiVersion'] === 'string' ? entry['apiVersion'] : '',
      subresource: typeof entry['subresource'] === 'string' ? entry['subresource'] : '',
      set: FieldSet.fromFieldsV1(entry['fieldsV1'] ?? {}),
    };
    if (typeof entry['time'] === 'string') m.time = entry['time'];
    const key = keyOf(m);
    if (managed.has(key)) throw new Error(`duplicate managedFields entry for manager ${JSON.stringify(m.manager)}`);
    managed.set(key, m);
  }
  return managed;
}

/** Reads managedFields, starting afresh when they cannot be read (upstream resets broken managedFields). */
export function decodeOrReset(entries: unknown): Managed {
  try {
    return decodeManagedFields(entries);
  } catch {
    return new Map();
  }
}

const seconds = (t: string | undefined): number => (t ? Math.floor(Date.parse(t) / 1000) || 0 : 0);

/** `fieldsOf` may hand back a set's fieldsV1 as written before (an unchanged set); by default each is encoded. */
export function encodeManagedFields(managed: Managed, fieldsOf: (set: FieldSet) => FieldsV1 = (set) => set.toFieldsV1()): ManagedFieldsEntry[] {
  const list = [...managed.values()].filter((m) => !m.set.isEmpty());
  list.sort((p, q) => {
    if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
    const dt = seconds(p.time) - seconds(q.time);
    if (dt !== 0) return dt;
    if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1;
    if (p.apiVersion !== q.apiVersion) return p.apiVersion < q.apiVersion ? -1 : 1;
    return p.subresource < q.subresource ? -1 : p.subresource > q.subresource ? 1 : 0;
  });
  // Field order as upstream serialises an entry: time between apiVersion and fieldsType, subresource last.
  return list.map((m) => ({
    manager: m.manager,
    operation: m.operation,
    apiVersion: m.apiVersion,
    ...(m.time ? { time: m.time } : {}),
    fieldsType: 'FieldsV1' as const,
    fieldsV1: fieldsOf(m.set),
    ...(m.subresource ? { subresource: m.subresource } : {}),
  }));
}

/** Upstream's cap on Update entries; older ones fold into one "ancient-changes" entry per apiVersion. */
export const MAX_UPDATE_MANAGERS = 10;
export const ANCIENT_CHANGES = 'ancient-changes';

export function capUpdateManagers(managed: Managed, max = MAX_UPDATE_MANAGERS): void {
  const updaters = [...managed.entries()].filter(([, m]) => m.operation === 'Update');
  if (updaters.length <= max) return;
  updaters.sort(([ka, a], [kb, b]) => seconds(a.time) - seconds(b.time) || (ka < kb ? -1 : ka > kb ? 1 : 0));
  const firstOfVersion = new Map<string, string>();
  let count = updaters.length;
  for (const [key, m] of updaters) {
    if (count <= max) break;
    const bucketKey = managerKey(ANCIENT_CHANGES, 'Update', m.apiVersion, '');
    const first = firstOfVersion.get(m.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(m.apiVersion, key);
      continue;
    }
    let bucket = managed.get(bucketKey);
    if (!bucket) {
      const seed = managed.get(first)!;
      managed.delete(first);
      bucket = { ...seed, manager: ANCIENT_CHANGES, subresource: '' };
      managed.set(bucketKey, bucket);
    }
    bucket.set = bucket.set.union(m.set);
    if (m.time) bucket.time = m.time;
    managed.delete(key);
    count--;
  }
}
