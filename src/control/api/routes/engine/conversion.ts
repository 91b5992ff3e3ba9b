/**
 * Verbs on a converted version (ResourceType.conversion): the request's object is checked against the served
 * version's schema, converted to the storage version and handed to the ordinary verb on the storage resource
 * (whose strategy defaults and validates it, as upstream's does on the internal type); what comes back is
 * converted to the served version. Storage, watch caches and selectors only ever see the storage version.
 */
import type { KubeObject, ResourceType, VersionConversion } from '../../resource.js';
import { badRequest, internalError, invalid } from '../../status.js';
import { isPlainObject } from '../../content.js';
import type { Entry } from '../../watch/cache.js';
import { checkBody, unknownFields } from './request-body.js';
import { checkFieldSelector, parseFieldSelector } from '../../selectors/field.js';
import type { WriteOptions } from './write-options.js';

/** A served version that is not the storage version. */
export type ConvertedResource = ResourceType & { conversion: VersionConversion };

export const isConverted = (r: ResourceType): r is ConvertedResource => r.conversion !== undefined;

/** A request body (create, update, status) in the served version → the storage version. */
export function bodyToStorage(r: ConvertedResource, body: unknown, opts: WriteOptions): KubeObject {
  return r.conversion.toStorage(servedBody(r, body, opts));
}

/** A request body checked in the served version (kind, unknown fields, the version's own validation), unconverted. */
export function servedBody(r: ConvertedResource, body: unknown, opts: WriteOptions): KubeObject {
  const obj = checkBody(r, body);
  // Unknown fields are judged against the served version's schema: conversion would drop them silently.
  unknownFields(r, obj, opts);
  checkServed(r, obj);
  return obj;
}

/** A patch's result checked in the served version as servedBody checks a body; its warnings go to `warnings`. */
export function servedPatchResult(r: ConvertedResource, out: unknown, opts: WriteOptions, warnings: string[]): KubeObject {
  if (!isPlainObject(out)) throw badRequest('the patch did not produce an object');
  const obj = checkBody(r, out);
  unknownFields(r, obj, { ...opts, warnings });
  checkServed(r, obj);
  return obj;
}

/** The served version's own validation (ResourceType.conversion.check), 422 before any conversion. */
function checkServed(r: ConvertedResource, obj: KubeObject): void {
  const errs = r.conversion.check?.(obj);
  if (errs?.length) throw invalid(r.group, r.kind, obj.metadata?.name ?? '', errs);
}

/**
 * List options for the storage version: a field selector is checked against the served version's fields and its
 * labels renamed to the storage version's (VersionConversion.fieldLabel), values escaped again as apimachinery does.
 */
export function storageListOptions<T extends { fieldSelector?: string }>(r: ConvertedResource, opts: T): T {
  const rename = r.conversion.fieldLabel;
  if (!rename || !opts.fieldSelector) return opts;
  const fields = parseFieldSelector(opts.fieldSelector);
  checkFieldSelector(r, fields);
  const escape = (v: string) => v.replace(/[\\,=]/g, (c) => `\\${c}`);
  const text = fields.map((f) => `${rename(f.field)}${f.negate ? '!=' : '='}${escape(f.value)}`).join(',');
  return { ...opts, fieldSelector: text };
}

/** Write options for the storage verb: managedFields record the write in the served version's terms. */
export const storageWriteOptions = (r: ConvertedResource, opts: WriteOptions): WriteOptions => ({ ...opts, servedAs: r });

/**
 * A patch's mutation, run on the served version: the current object is converted for it and its result checked
 * (apiVersion, kind, unknown fields) and converted back. Warnings are kept per attempt, as patchObject does, and
 * handed over by `done()` once the write succeeded.
 */
export function patchInServedVersion(
  r: ConvertedResource, apply: (current: KubeObject) => KubeObject, opts: WriteOptions,
): { mutate: (current: KubeObject) => KubeObject; done: () => void } {
  let attemptWarnings: string[] = [];
  return {
    mutate(current) {
      attemptWarnings = [];
      return r.conversion.toStorage(servedPatchResult(r, apply(r.conversion.fromStorage(current)), opts, attemptWarnings));
    },
    done() {
      opts.warnings?.push(...attemptWarnings);
    },
  };
}

/** List entries in the served version (their memoised JSON is the storage version's, so it is not carried). */
export const entriesFromStorage = (r: ConvertedResource, items: Entry[]): Entry[] =>
  items.map((e) => ({ key: e.key, object: r.conversion.fromStorage(e.object) }));

const views = new WeakMap<ResourceType, WeakMap<KubeObject, KubeObject>>();

function viewsOf(r: ResourceType): WeakMap<KubeObject, KubeObject> {
  let memo = views.get(r);
  if (!memo) views.set(r, (memo = new WeakMap()));
  return memo;
}

/**
 * The served version of objects held by the watch cache, converted once per object for every watcher (cached
 * objects are never modified, and neither may the returned view be). Undefined for a storage version. With an
 * asynchronous conversion the objects must have been through warmView first.
 */
export function cachedView(r: ResourceType): ((obj: KubeObject) => KubeObject) | undefined {
  const conversion = r.conversion;
  if (!conversion) return undefined;
  const m = viewsOf(r);
  if (conversion.async) {
    return (obj) => {
      const v = m.get(obj);
      if (!v) throw internalError(new Error(`${obj.metadata?.name ?? ''} was not converted to ${r.group}/${r.version}`));
      return v;
    };
  }
  return (obj) => {
    let v = m.get(obj);
    if (!v) m.set(obj, (v = conversion.fromStorage(obj)));
    return v;
  };
}

const inFlight = new WeakMap<ResourceType, WeakMap<KubeObject, Promise<void>>>();

/**
 * For an asynchronous conversion (ResourceType.conversion.async): converts cached objects not yet in cachedView's
 * memo in one batch (one webhook call), shared by every watcher that asks meanwhile. Undefined otherwise.
 */
export function warmView(r: ResourceType): ((objs: KubeObject[]) => Promise<void>) | undefined {
  const convert = r.conversion?.async;
  if (!convert) return undefined;
  const memo = viewsOf(r);
  let flying = inFlight.get(r);
  if (!flying) inFlight.set(r, (flying = new WeakMap()));
  const pending = flying;
  return async (objs) => {
    const todo = [...new Set(objs.filter((o) => !memo.has(o) && !pending.has(o)))];
    if (todo.length) {
      const batch = convert.fromStorage(todo).then((out) => {
        todo.forEach((o, i) => memo.set(o, out[i]!));
      }).finally(() => {
        for (const o of todo) pending.delete(o);
      });
      // Others awaiting the same objects see the failure through their own await; this copy is only kept.
      batch.catch(() => {});
      for (const o of todo) pending.set(o, batch);
    }
    const waits = new Set<Promise<void>>();
    for (const o of objs) {
      const p = memo.has(o) ? undefined : pending.get(o);
      if (p) waits.add(p);
    }
    await Promise.all(waits);
  };
}
