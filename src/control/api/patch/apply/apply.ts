/**
 * Server-side apply (application/apply-patch+yaml), as structured-merge-diff's Updater.Apply behind
 * kube-apiserver's field manager: merge the configuration into the live object, take ownership of exactly the
 * configured fields, remove what this manager applied before and no longer applies (unless another manager owns
 * it), and refuse to change fields other managers own unless forced. Pure: inputs are never changed.
 */
import type { KubeObject } from '../../resource.js';
import { ApplyConflictError, ApplyRequestError, type ApplyConflict } from './errors.js';
import { FieldSet, pathString, type PathElement } from './field-set.js';
import {
  capUpdateManagers, decodeOrReset, encodeManagedFields, managerKey, type Managed, type ManagerFields,
} from './managed-fields.js';
import { rfc3339 } from '../../../../client/time.js';
import { STRIPPED_FIELDS, dropNulls, resetFields, withoutManagedFields } from './ownership.js';
import {
  ItemKeys, compare, ensureNamedFieldsAreMembers, jsonEqual, merge, removeItems, shapeOfDefinition, toFieldSet,
  type Shape,
} from './typed.js';

export interface ApplyOptions {
  /** The fieldManager query parameter (required for apply; routes check it). */
  manager: string;
  /** The force query parameter: take conflicting fields from their owners. */
  force: boolean;
  /** The OpenAPI definition of the kind (ResourceType.definition). */
  definition: string;
  now: Date;
  /** '' (main resource) or 'status'. */
  subresource?: string;
  /** The group/version the request addresses (e.g. `apps/v1`); defaults to the live object's. */
  apiVersion?: string;
}

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** kubectl's server-side apply manager name; its applies keep the client-side annotation in step. */
const KUBECTL_MANAGER = 'kubectl';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Applies `applied` (the parsed YAML body) over `live` (null: the object does not exist yet) and returns the
 * object to store, with metadata.managedFields updated. Defaulting and validation are the caller's, afterwards.
 * @throws ApplyConflictError (409) when fields of other managers would change and `force` is false.
 * @throws ApplyRequestError (400/500) for a body upstream rejects.
 */
export function serverSideApply(live: KubeObject | null, applied: KubeObject, opts: ApplyOptions): KubeObject {
  const subresource = opts.subresource ?? '';
  const config = checkConfig(live, applied, opts.apiVersion);
  const shape = shapeOfDefinition(opts.definition);

  const strict = new ItemKeys(true);
  const appliedSet = toFieldSet(config, shape, strict, true);
  if (strict.errors.length) throw typedError(config, strict);
  const ignored = resetFields(shape, subresource);

  const keys = new ItemKeys(false);
  const liveObj: KubeObject = live ? withoutManagedFields(live) : {};
  const managed = decodeOrReset(live?.metadata?.managedFields);
  const key = managerKey(opts.manager, 'Apply', '', subresource);
  const last = managed.get(key);
  const self: ManagerFields = {
    manager: opts.manager, operation: 'Apply', apiVersion: String(config.apiVersion), subresource,
    set: appliedSet.recursiveDifference(ignored),
  };
  if (last?.time) self.time = last.time;
  managed.set(key, self);

  let merged = merge(liveObj, config, shape, keys);
  const lastSet = last?.set.recursiveDifference(ignored);
  if (lastSet && !lastSet.isEmpty()) merged = prune(merged, managed, lastSet, shape, keys);

  // Ownership moves: conflicting fields leave their owners (only when forced), removed fields leave everyone.
  // Reset fields never conflict: the engine puts their stored values back (upstream's IgnoreFilter).
  const c = compare(liveObj, merged, shape, keys);
  const changed = c.modified.union(c.added).recursiveDifference(ignored);
  const conflicts: Array<ApplyConflict & { path: PathElement[] }> = [];
  const taken = new Map<string, FieldSet>();
  for (const [k, m] of managed) {
    if (k === key) continue;
    const clash = m.set.intersection(changed);
    if (clash.isEmpty()) continue;
    taken.set(k, clash);
    for (const p of clash.paths()) conflicts.push({ manager: m.manager, field: pathString(p), message: `conflict with ${describe(m)}`, path: p });
  }
  if (conflicts.length && !opts.force) {
    // kubectl moving from client-side to server-side apply may take what its last client-side apply set.
    const allowed = opts.manager === KUBECTL_MANAGER ? lastAppliedFields(liveObj, String(config.apiVersion), shape) : undefined;
    const left = conflicts.filter((c) => !allowed?.has(c.path));
    if (left.length) {
      left.sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
      throw new ApplyConflictError(left.map(({ manager, field, message }) => ({ manager, field, message })));
    }
  }
  for (const [k, clash] of taken) managed.get(k)!.set = managed.get(k)!.set.difference(clash);
  for (const m of managed.values()) m.set = m.set.difference(c.removed.recursiveDifference(ignored));
  self.set = self.set.difference(STRIPPED_FIELDS);

  const result = dropNulls(merged) as KubeObject;
  if (!jsonEqual(dropNulls(liveObj), result) || !self.time) self.time = rfc3339(opts.now);
  for (const [k, m] of managed) if (m.set.isEmpty()) managed.delete(k);
  capUpdateManagers(managed);

  const meta = (result.metadata ??= {});
  if (opts.manager === KUBECTL_MANAGER && meta.annotations?.[LAST_APPLIED_ANNOTATION] !== undefined) {
    meta.annotations[LAST_APPLIED_ANNOTATION] = lastApplied(applied);
  }
  const entries = encodeManagedFields(managed);
  if (entries.length) meta.managedFields = entries;
  else delete meta.managedFields;
  return result;
}

/** The checks upstream makes before merging; returns a private copy of the configuration. */
function checkConfig(live: KubeObject | null, applied: KubeObject, apiVersion: string | undefined): KubeObject {
  if (!isObject(applied)) throw new ApplyRequestError('the apply patch must be a YAML or JSON object');
  const config = structuredClone(applied);
  if (typeof config.apiVersion !== 'string' || !config.apiVersion || typeof config.kind !== 'string' || !config.kind) {
    const missing = typeof config.kind !== 'string' || !config.kind ? 'Kind' : 'APIVersion';
    throw new ApplyRequestError(`Object '${missing}' is missing in '${JSON.stringify(applied)}'`);
  }
  const expected = apiVersion ?? live?.apiVersion;
  if (expected && config.apiVersion !== expected) {
    throw new ApplyRequestError(`Incorrect version specified in apply patch. Specified patch version: ${config.apiVersion}, expected: ${expected}`);
  }
  if (live?.kind && config.kind !== live.kind) {
    throw new ApplyRequestError(`the kind in the apply patch (${config.kind}) does not match the object's kind (${live.kind})`);
  }
  if (config.metadata !== undefined && config.metadata !== null && !isObject(config.metadata)) {
    throw new ApplyRequestError('metadata must be an object');
  }
  const mf = config.metadata?.managedFields;
  if (mf !== undefined && mf !== null) throw new ApplyRequestError('metadata.managedFields must be nil');
  return config;
}

/** Upstream's "failed to create typed patch object (ns/name; group/version, Kind=K): …". */
function typedError(config: KubeObject, keys: ItemKeys): ApplyRequestError {
  const [group, version] = config.apiVersion!.includes('/') ? config.apiVersion!.split('/') : ['', config.apiVersion];
  const meta = config.metadata ?? {};
  const id = `${meta.namespace ?? ''}/${meta.name ?? ''}; ${group}/${version}, Kind=${config.kind}`;
  const lines = keys.errors.map((e) => `${e.path}: ${e.message}`);
  const detail = lines.length === 1 ? lines[0]! : `errors:\n  ${lines.join('\n  ')}`;
  return new ApplyRequestError(`failed to create typed patch object (${id}): ${detail}`, 500);
}

/** How upstream names a manager in conflicts: `"name"`, `"name" with subresource "status"`, `… using apps/v1`. */
function describe(m: ManagerFields): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

/**
 * Removes what the applier applied last time and not this time, unless a manager (the applier included, through
 * its new configuration) still owns it: upstream's prune, addBackOwnedItems and addBackDanglingItems.
 */
function prune(merged: unknown, managed: Managed, lastSet: FieldSet, shape: Shape, keys: ItemKeys): unknown {
  const ensure = (s: FieldSet): FieldSet => ensureNamedFieldsAreMembers(s, shape);
  const fieldsOf = (v: unknown): FieldSet => ensure(toFieldSet(v, shape, keys));
  const last = ensure(lastSet);
  const pruned = removeItems(merged, last, shape, keys);
  // Identity metadata counts as owned, so that dropping the last applied label never takes metadata with it.
  let owned = STRIPPED_FIELDS;
  for (const m of managed.values()) owned = owned.union(m.set);
  owned = ensure(owned);
  const mergedSet = fieldsOf(merged);
  const keptOwned = removeItems(merged, mergedSet.difference(fieldsOf(pruned).union(owned)), shape, keys);
  // Only what this applier had applied goes; anything else the first pass took comes back.
  return removeItems(merged, mergedSet.difference(fieldsOf(keptOwned)).intersection(last), shape, keys);
}

/** The fields of the live object's client-side last-applied configuration (same apiVersion only), if any. */
function lastAppliedFields(live: KubeObject, apiVersion: string, shape: Shape): FieldSet | undefined {
  const text = live.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (typeof text !== 'string') return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(doc) || doc['apiVersion'] !== apiVersion) return undefined;
  return toFieldSet(doc, shape, new ItemKeys(false));
}

/** The client-side annotation's value: the configuration without the annotation, keys sorted as Go writes maps. */
function lastApplied(applied: KubeObject): string {
  const copy = structuredClone(applied);
  const annotations = copy.metadata?.annotations;
  // An emptied map stays `{}`, as upstream's unstructured SetAnnotations leaves it.
  if (annotations) delete annotations[LAST_APPLIED_ANNOTATION];
  return `${JSON.stringify(sortKeys(copy))}\n`;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
  return out;
}
