/** Upstream's GuaranteedUpdate: read, mutate, prepare (strategy, allocation, validation), compare-and-swap, retry. */
import type { KubeObject, ResourceType, FieldError } from '../../resource.js';
import { storageKey } from '../../resource.js';
import { invalid, notFound, staleConflict } from '../../status.js';
import { decodeKV } from '../../watch/cache.js';
import type { Allocation } from '../../allocators/service.js';
import { deepEqual } from '../../validation/errors.js';
import type { EngineContext } from './context.js';
import { waitsOnGrace } from './grace-period.js';
import { gk, gr } from './group-kind.js';
import { track } from './managed-fields.js';
import { cloneJson, cloneMetadata } from '../../clone.js';
import { encodeText } from './stored-form.js';
import type { WriteOptions } from './write-options.js';
import { mutate, validate as validateAdmission, type AdmissionContext } from './admission.js';
import { applyStatusMetadata } from './status-metadata.js';

/** Mutations handed the current object itself, never a deep copy: they do not modify it. */
const readOnly = new WeakSet<(current: KubeObject) => KubeObject>();

/**
 * Marks a mutation that never modifies the current object it is handed (a PATCH body applied by applyPatch,
 * which copies what it changes): it gets the watch cache's object itself, not a deep copy of it.
 */
export function leavesCurrent(mutate: (current: KubeObject) => KubeObject): (current: KubeObject) => KubeObject {
  readOnly.add(mutate);
  return mutate;
}

/**
 * A guaranteedUpdate mutation that ignores the current object and returns `make()` (a PUT's body): it is handed
 * the current object itself rather than a deep copy (which costs ~20 us for a small Lease once its field keys,
 * such as the owner's uid in managedFields, differ from object to object).
 */
export function replacement(make: () => KubeObject): (current: KubeObject) => KubeObject {
  return leavesCurrent(() => make());
}

export const isLeavingCurrent = (mutate: (current: KubeObject) => KubeObject): boolean => readOnly.has(mutate);

/**
 * '' is the main endpoint; 'internal' writes (binding) keep every field the mutation set; 'approval' (a
 * CertificateSigningRequest's) writes status as 'status' does, narrowed further by the kind's prepareForUpdate.
 */
export type Subresource = '' | 'status' | 'approval' | 'internal';

/** Subresources that write the status and nothing else. */
const writesStatus = (sub: Subresource): boolean => sub === 'status' || sub === 'approval';

export type UpdateContext = AdmissionContext & Pick<EngineContext, 'store' | 'cache' | 'now' | 'services' | 'observeServices' | 'storedJson'>;

/**
 * Read, mutate, compare-and-swap, retry: upstream's GuaranteedUpdate. `mutate` returns what the client wants;
 * a resourceVersion in it is a precondition (409 when stale), none means an unconditional update.
 */
export async function guaranteedUpdate(
  ctx: UpdateContext,
  r: ResourceType, ns: string | undefined, name: string, mutate: (current: KubeObject) => KubeObject,
  opts: WriteOptions, sub: Subresource, managedAs: string = writesStatus(sub) ? sub : '',
): Promise<KubeObject> {
  const key = storageKey(r, ns, name);
  const cache = ctx.cache(r);
  // As upstream's GuaranteedUpdate with the watch cache's object as its first guess: the first attempt starts from
  // the cached object when the cache has seen every write this server made (no read, no decode); a failed
  // precondition or compare-and-swap on that guess is retried from storage before it counts.
  let guess = true;
  for (let attempt = 0; ; attempt++) {
    const cached = guess ? cache.getFresh(key)?.entry?.object : undefined;
    guess = false;
    let current: KubeObject;
    let modRevision: number;
    if (cached) {
      current = cached;
      modRevision = Number(cached.metadata!.resourceVersion);
    } else {
      const { kv } = await ctx.store.get(key);
      if (!kv) throw notFound(gr(r), name);
      current = decodeKV(kv);
      modRevision = kv.modRevision;
    }
    // A replacement (a PUT's body) never reads the current object, a patch never changes it: no copy of it.
    const desired = isLeavingCurrent(mutate) ? mutate(current) : mutate(cloneJson(current));
    const wantRV = desired.metadata?.resourceVersion;
    if (wantRV && wantRV !== current.metadata!.resourceVersion) {
      if (cached) continue;
      throw staleConflict(gr(r), name);
    }
    const { obj, freed, alloc } = await prepareUpdate(ctx, r, current, desired, sub, opts);
    // managedFields: an apply brought its own (status rebuilt obj from the stored object, so they are carried
    // across); other writes are recorded as Updates. Binding is not: upstream's assignPod writes storage directly.
    if (opts.applied) {
      const applied = desired.metadata?.managedFields;
      if (writesStatus(sub) && applied) obj.metadata!.managedFields = applied;
      else if (writesStatus(sub)) delete obj.metadata!.managedFields;
    } else if (opts.fieldManager !== undefined && sub !== 'internal') track(ctx, opts.servedAs ?? r, current, obj, opts.fieldManager, managedAs);
    const release = () => alloc && ctx.services.release(alloc);
    if (opts.dryRun) {
      release();
      return obj;
    }
    // An unchanged object is not written again, unless storage holds it in a stale form (encrypted with an old key).
    if (sameObject(current, obj) && !ctx.store.isStale?.(key, modRevision)) {
      release();
      // The cache's object is shared with every reader: callers get their own.
      return cached ? cloneJson(current) : current;
    }
    // An update that removes the last finalizer of an object being deleted completes the deletion. A namespace
    // is also held by spec.finalizers (upstream's ShouldDeleteNamespaceDuringUpdate): its status writes keep it.
    if (obj.metadata?.deletionTimestamp && !(obj.metadata.finalizers?.length) && !waitsOnGrace(r, obj) && !heldBySpecFinalizers(r, obj)) {
      const del = await ctx.store.delete(key, modRevision);
      if (!del.ok) {
        release();
        if (!cached && (wantRV || attempt > 20)) throw staleConflict(gr(r), name);
        continue;
      }
      cache.noteWrite(del.revision);
      if (gk(r) === '/Service') ctx.services.releaseService(current);
      obj.metadata.resourceVersion = String(del.revision);
      return obj;
    }
    const { text, bytes } = encodeText(obj);
    // The watch cache takes `obj` for this write's event instead of decoding the stored bytes again; from here on
    // it is shared with the cache and not modified (resourceVersion aside, set to the same value), as on create.
    const expected = { key, bytes, object: obj, text };
    cache.expect(expected);
    const res = await ctx.store.update(key, bytes, modRevision);
    if (!res.ok) {
      cache.forget(expected);
      release();
      if (!res.current) throw notFound(gr(r), name);
      if (!cached && (wantRV || attempt > 20)) throw staleConflict(gr(r), name);
      continue;
    }
    if (freed) ctx.services.release(freed);
    cache.noteWrite(res.revision);
    obj.metadata!.resourceVersion = String(res.kv.modRevision);
    ctx.storedJson.remember(obj, text, res.kv.modRevision);
    return obj;
  }
}

async function prepareUpdate(
  ctx: Pick<EngineContext, 'services' | 'observeServices' | 'now'> & AdmissionContext,
  r: ResourceType, old: KubeObject, desired: KubeObject, sub: Subresource, opts: WriteOptions,
): Promise<{ obj: KubeObject; alloc?: Allocation; freed?: Allocation }> {
  let obj: KubeObject;
  const oldMeta = old.metadata!;
  if (writesStatus(sub)) {
    // Only metadata and status are written below; the rest is shared with `old` and read.
    obj = { ...old, metadata: cloneMetadata(oldMeta) };
    if (desired['status'] === undefined) delete obj['status'];
    else obj['status'] = desired['status'];
    applyStatusMetadata(r, obj.metadata!, desired.metadata);
  } else if (sub === 'internal') {
    obj = desired;
  } else {
    obj = desired;
    const m = obj.metadata!;
    m.name = oldMeta.name;
    if (oldMeta.namespace !== undefined) m.namespace = oldMeta.namespace;
    else delete m.namespace;
    m.uid = oldMeta.uid;
    m.creationTimestamp = oldMeta.creationTimestamp;
    for (const f of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
      if (oldMeta[f] !== undefined) m[f] = oldMeta[f] as never;
      else delete m[f];
    }
    if (r.strategy.hasStatus || gk(r) === '/Namespace') {
      if (old['status'] === undefined) delete obj['status'];
      else obj['status'] = cloneJson(old['status']);
    }
    if (gk(r) === '/Namespace') {
      // spec.finalizers change only through /finalize.
      obj['spec'] = cloneJson(old['spec']);
    }
  }
  obj.metadata!.resourceVersion = oldMeta.resourceVersion;
  if (sub !== 'internal') r.strategy.prepareForUpdate?.(obj, old, sub, ctx.now());
  r.strategy.default?.(obj);
  // Internal writes (binding) are not admitted here; upstream admits pods/binding as its own create.
  const write = { operation: 'UPDATE' as const, r, sub, ns: oldMeta.namespace, obj, old, opts };
  if (sub !== 'internal') await mutate(ctx, write);

  const errors: FieldError[] = [];
  let alloc: Allocation | undefined;
  let freed: Allocation | undefined;
  if (gk(r) === '/Service' && sub === '') {
    await ctx.observeServices();
    const res = ctx.services.allocateUpdate(obj, old);
    errors.push(...res.errors);
    if (!res.errors.length) {
      alloc = res.alloc;
      freed = res.freed;
    }
  }
  const validateStatus = writesStatus(sub) ? r.strategy.validateStatus : undefined;
  errors.push(...((validateStatus ? validateStatus(obj, old) : r.strategy.validate?.(obj)) ?? []));
  // Internal writes (binding) are not user updates: upstream's assignPod skips the update strategy's rules.
  if (sub !== 'internal') errors.push(...(r.strategy.validateUpdate?.(obj, old, sub) ?? []));
  if (oldMeta.deletionTimestamp) {
    const added = (obj.metadata!.finalizers ?? []).filter((f) => !(oldMeta.finalizers ?? []).includes(f));
    if (added.length) errors.push({ type: 'FieldValueForbidden', field: 'metadata.finalizers', message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}` });
  }
  if (errors.length) {
    if (alloc) ctx.services.release(alloc);
    throw invalid(r.group, r.kind, oldMeta.name ?? '', dedupe(errors));
  }
  if (sub !== 'internal') {
    try {
      await validateAdmission(ctx, write);
    } catch (err) {
      if (alloc) ctx.services.release(alloc);
      throw err;
    }
  }
  if (r.strategy.hasGeneration && sub === '' && !deepEqual(obj['spec'], old['spec'])) {
    obj.metadata!.generation = (oldMeta.generation ?? 1) + 1;
  }
  const out: { obj: KubeObject; alloc?: Allocation; freed?: Allocation } = { obj };
  if (alloc) out.alloc = alloc;
  if (freed) out.freed = freed;
  return out;
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.field}\u0000${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Equal apart from resourceVersion: a write that would change nothing is skipped, as upstream's update. The
 * body is compared before metadata, where most writes differ (a lease's renewTime), so those stop early.
 */
function sameObject(a: KubeObject, b: KubeObject): boolean {
  return sameExcept(a, b, 'metadata') && sameExcept(a.metadata ?? {}, b.metadata ?? {}, 'resourceVersion');
}

/** deepEqual of two objects ignoring one key (absent and undefined alike), without copying either. */
function sameExcept(a: object, b: object, skip: string): boolean {
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const k of Object.keys(ra)) if (k !== skip && !deepEqual(ra[k], rb[k])) return false;
  for (const k of Object.keys(rb)) if (k !== skip && rb[k] !== undefined && !Object.hasOwn(ra, k)) return false;
  return true;
}

/** A terminating namespace whose spec.finalizers (`kubernetes`) are not yet removed through /finalize. */
function heldBySpecFinalizers(r: ResourceType, obj: KubeObject): boolean {
  return gk(r) === '/Namespace' && ((obj['spec'] as { finalizers?: unknown[] } | undefined)?.finalizers?.length ?? 0) > 0;
}
