/**
 * Verbs on a version whose conversion is asynchronous (ResourceType.conversion.async: a CRD's conversion webhook),
 * built on the engine's own verbs for the storage version: the request is checked in the served version,
 * converted (awaited) and handed to the storage verb; what comes back is converted to the served version. A list
 * or deleted collection is one conversion of all its items. Updates and patches convert the current object for the
 * mutation outside the storage verb's retry loop, so the write carries the resourceVersion that was converted as
 * its precondition and a conflict with another writer starts again from a fresh read.
 * managedFields record a write in the served version's terms, taken here before conversion (as upstream's field
 * manager runs on the request's version); the storage verb then keeps them as an apply's.
 */
import type { AsyncVersionConversion, KubeObject, ResourceType, VersionConversion } from '../../resource.js';
import { groupVersion } from '../../resource.js';
import { ApiError, badRequest, staleConflict } from '../../status.js';
import { managedFieldsAfterUpdate } from '../../patch/apply/index.js';
import type { ObjectEngine } from '../objects.js';
import { servedBody, servedPatchResult, storageListOptions, type ConvertedResource } from './conversion.js';
import type { DeleteOptions, DeleteResult } from './delete.js';
import { gr } from './group-kind.js';
import { checkFieldSelector, matchesFields, parseFieldSelector, type FieldSelector } from '../../selectors/field.js';
import { replacement, type Subresource } from './guaranteed-update.js';
import type { ListOptions, ListResult } from './read.js';
import type { WriteOptions } from './write-options.js';

export type AsyncConverted = ConvertedResource & { conversion: VersionConversion & { async: AsyncVersionConversion } };

export const isAsyncConverted = (r: ResourceType): r is AsyncConverted => r.conversion?.async !== undefined;

/** The storage verbs these are built on (ObjectEngine's, called with the storage version, which converts nothing). */
type Verbs = Pick<ObjectEngine, 'get' | 'list' | 'create' | 'guaranteedUpdate' | 'delete' | 'deleteCollection' | 'options'>;

/** How often a write whose converted object went stale is tried again before it is a conflict. */
const MAX_ATTEMPTS = 5;

const served = async (r: AsyncConverted, obj: KubeObject): Promise<KubeObject> => (await r.conversion.async.fromStorage([obj]))[0]!;
const stored = async (r: AsyncConverted, obj: KubeObject): Promise<KubeObject> => (await r.conversion.async.toStorage([obj]))[0]!;

export async function getConverted(e: Verbs, r: AsyncConverted, ns: string | undefined, name: string, resourceVersion?: string): Promise<KubeObject> {
  return served(r, await e.get(r.conversion.storage, ns, name, resourceVersion));
}

/**
 * A list: a field selector on the served version's own fields (selectableFields) is judged on the converted
 * objects (the stored version may not have them), so a page can hold fewer than `limit` items, as the API allows.
 */
export async function listConverted(e: Verbs, r: AsyncConverted, ns: string | undefined, opts: ListOptions): Promise<ListResult> {
  const fields = parseFieldSelector(opts.fieldSelector);
  checkFieldSelector(r, fields);
  const own = fields.filter((f) => !f.field.startsWith('metadata.'));
  const storageOpts = own.length ? { ...opts, fieldSelector: formatFields(fields.filter((f) => f.field.startsWith('metadata.'))) } : opts;
  const res = await e.list(r.conversion.storage, ns, storageListOptions(r, storageOpts));
  if (res.items.length === 0) return res;
  const objs = await r.conversion.async.fromStorage(res.items.map((i) => i.object), true);
  const items = res.items.map((i, n) => ({ key: i.key, object: objs[n]! }));
  return { ...res, items: own.length ? items.filter((i) => matchesFields(own, i.object)) : items };
}

/** A field selector's text again, values escaped as apimachinery escapes them. */
const formatFields = (sel: FieldSelector): string =>
  sel.map((f) => `${f.field}${f.negate ? '!=' : '='}${f.value.replace(/[\\,=]/g, (c) => `\\${c}`)}`).join(',');

/**
 * Records an ordinary write by opts.fieldManager in obj's managedFields, compared in the served version; returns
 * the options for the storage verb, which then keeps them (and records nothing itself).
 */
function trackServed(e: Verbs, r: AsyncConverted, live: KubeObject | null, obj: KubeObject, opts: WriteOptions, subresource: string): WriteOptions {
  if (opts.fieldManager === undefined || opts.applied) return opts;
  const now = e.options.now?.() ?? new Date();
  const entries = managedFieldsAfterUpdate(live, obj, opts.fieldManager, groupVersion(r), now, { definition: r.definition, subresource });
  const meta = (obj.metadata ??= {});
  if (entries) meta.managedFields = entries;
  else delete meta.managedFields;
  return { ...opts, applied: true };
}

export async function createConverted(e: Verbs, r: AsyncConverted, ns: string | undefined, body: unknown, opts: WriteOptions): Promise<KubeObject> {
  const obj = servedBody(r, body, opts);
  // What the storage verb's create does before it records the manager: status dropped, the version's defaults.
  if (r.subresources.includes('status')) delete obj['status'];
  r.strategy.default?.(obj);
  const w = trackServed(e, r, null, obj, opts, '');
  return served(r, await e.create(r.conversion.storage, ns, await stored(r, obj), w));
}

/** PUT: the body replaces the current object (read and converted for managedFields), as guaranteedUpdateConverted writes. */
export async function updateConverted(
  e: Verbs, r: AsyncConverted, ns: string | undefined, name: string, body: unknown, opts: WriteOptions, sub: Subresource,
): Promise<{ object: KubeObject; created: boolean }> {
  const obj = servedBody(r, body, opts);
  if (obj.metadata!.name !== undefined && obj.metadata!.name !== name) {
    throw badRequest(`the name of the object (${String(obj.metadata!.name)}) does not match the name on the URL (${name})`);
  }
  if (r.namespaced && obj.metadata!.namespace && obj.metadata!.namespace !== ns) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const object = await guaranteedUpdateConverted(e, r, ns, name, () => structuredClone(obj), opts, sub);
  return { object, created: false };
}

/**
 * guaranteedUpdate through the served version: read, convert, mutate, convert back, then write with the
 * resourceVersion read as precondition; when another write came first, all of it again from a fresh read.
 */
export async function guaranteedUpdateConverted(
  e: Verbs, r: AsyncConverted, ns: string | undefined, name: string, mutate: (current: KubeObject) => KubeObject,
  opts: WriteOptions, sub: Subresource, managedAs?: string,
): Promise<KubeObject> {
  const storage = r.conversion.storage;
  const subresource = managedAs ?? (sub === 'status' || sub === 'approval' ? sub : '');
  for (let attempt = 1; ; attempt++) {
    const current = await e.get(storage, ns, name);
    const rv = current.metadata!.resourceVersion!;
    const live = await served(r, current);
    const desired = mutate(structuredClone(live));
    const wanted = desired.metadata?.resourceVersion;
    if (wanted && wanted !== rv) throw staleConflict(gr(r), name);
    const w = sub === 'internal' ? opts : trackServed(e, r, live, desired, opts, subresource);
    const next = await stored(r, desired);
    next.metadata = { ...next.metadata, resourceVersion: rv };
    try {
      return await served(r, await e.guaranteedUpdate(storage, ns, name, replacement(() => structuredClone(next)), w, sub, managedAs));
    } catch (err) {
      // Tried again from a fresh read: a precondition of the client's own (PUT or patch body) then fails the check
      // above, one carried over from the object read (a patch without one) is the new object's.
      const stale = err instanceof ApiError && err.code === 409 && err.reason === 'Conflict';
      if (!stale || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

export async function patchConverted(
  e: Verbs, r: AsyncConverted, ns: string | undefined, name: string, apply: (current: KubeObject) => KubeObject,
  opts: WriteOptions, sub: Subresource,
): Promise<KubeObject> {
  // Warnings of the attempt that was written only.
  let warnings: string[] = [];
  const obj = await guaranteedUpdateConverted(e, r, ns, name, (cur) => {
    warnings = [];
    return servedPatchResult(r, apply(cur), opts, warnings);
  }, opts, sub);
  opts.warnings?.push(...warnings);
  return obj;
}

export async function deleteConverted(
  e: Verbs, r: AsyncConverted, ns: string | undefined, name: string, options: DeleteOptions, opts: WriteOptions,
): Promise<DeleteResult> {
  const res = await e.delete(r.conversion.storage, ns, name, options, opts);
  return { ...res, object: await served(r, res.object) };
}

export async function deleteCollectionConverted(
  e: Verbs, r: AsyncConverted, ns: string | undefined, list: ListOptions, options: DeleteOptions, opts: WriteOptions,
): Promise<KubeObject[]> {
  const items = await e.deleteCollection(r.conversion.storage, ns, storageListOptions(r, list), options, opts);
  return items.length ? r.conversion.async.fromStorage(items, true) : items;
}
