/**
 * DELETE and deletecollection: preconditions, then either a graceful delete (deletionTimestamp set while
 * finalizers or a pod's grace period hold the object) or the key's removal.
 */
import type { KubeObject, ResourceType } from '../../resource.js';
import { storageKey } from '../../resource.js';
import { ApiError, conflict, forbidden, invalid, notFound, staleConflict } from '../../status.js';
import { decodeKV } from '../../watch/cache.js';
import type { EngineContext } from './context.js';
import { gracePeriod } from './grace-period.js';
import { gk, gr } from './group-kind.js';
import { rfc3339 } from '../../../../client/time.js';
import { listObjects, type ListOptions, type ReadContext } from './read.js';
import { encode } from './stored-form.js';
import type { WriteOptions } from './write-options.js';
import { mutate, validate as validateAdmission, type AdmissionContext } from './admission.js';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

export interface DeleteResult {
  object: KubeObject;
  /** True when the key is gone; false when it waits on finalizers or a grace period. */
  deleted: boolean;
}

export interface DeleteContext extends AdmissionContext, Pick<EngineContext, 'store' | 'registry' | 'cache' | 'now' | 'services' | 'options'> {
  /** Called when a namespace starts terminating; the namespace finalizer hooks in here. */
  onNamespaceTerminating(name: string): void;
}

/** Namespaces kube-apiserver refuses to delete. */
const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

export async function deleteObject(
  ctx: DeleteContext, r: ResourceType, ns: string | undefined, name: string, options: DeleteOptions, opts: WriteOptions,
): Promise<DeleteResult> {
  const key = storageKey(r, ns, name);
  if (gk(r) === '/Namespace' && IMMORTAL_NAMESPACES.has(name)) {
    throw forbidden({ group: '', resource: 'namespaces' }, name, 'this namespace may not be deleted');
  }
  if (options.gracePeriodSeconds !== undefined && options.gracePeriodSeconds < 0) options.gracePeriodSeconds = 1;
  if (options.orphanDependents !== undefined && options.propagationPolicy !== undefined) {
    throw invalid('meta.k8s.io', 'DeleteOptions', '', [{ type: 'FieldValueInvalid', field: 'propagationPolicy', message: `Invalid value: "${options.propagationPolicy}": orphanDependents and deletionPropagation cannot be both set` }]);
  }
  for (let attempt = 0; ; attempt++) {
    const { kv } = await ctx.store.get(key);
    if (!kv) throw notFound(gr(r), name);
    const cur = decodeKV(kv);
    const meta = cur.metadata!;
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== meta.uid) {
      throw conflict(gr(r), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid ?? ''}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
      throw conflict(gr(r), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion ?? ''}`);
    }
    // Admission sees the stored object as oldObject (a deletion's mutations change nothing).
    const write = { operation: 'DELETE' as const, r, sub: '', ns, obj: cur, old: cur, opts };
    await mutate(ctx, write);
    await validateAdmission(ctx, write);

    if (meta.deletionTimestamp === undefined) r.strategy.prepareForDelete?.(cur);
    const finalizers = ctx.options.gcFinalizers ? gcDeletionFinalizers(meta.finalizers ?? [], options) : [...(meta.finalizers ?? [])];
    const grace = await gracePeriod(ctx, r, cur, options);
    const isNamespace = gk(r) === '/Namespace';
    const nsFinalizers = isNamespace ? ((cur['spec'] as { finalizers?: string[] } | undefined)?.finalizers ?? []) : [];
    if (finalizers.length > 0 || nsFinalizers.length > 0 || grace > 0) {
      const terminating = meta.deletionTimestamp !== undefined;
      const shorter = terminating && grace > 0 && grace < (meta.deletionGracePeriodSeconds ?? 0);
      // Already terminating: only a shorter grace period or a change of finalizers changes anything.
      if (terminating && !shorter && sameSet(finalizers, meta.finalizers ?? [])) return { object: cur, deleted: false };
      // Copied only now: a namespace's deleter repeats deletes of thousands of terminating pods, all no-ops.
      const next = structuredClone(cur);
      const nm = next.metadata!;
      // Upstream keeps the first deletionTimestamp unless a shorter grace period brings it forward.
      if (!terminating || shorter) {
        nm.deletionTimestamp = rfc3339(new Date(ctx.now().getTime() + grace * 1000));
        nm.deletionGracePeriodSeconds = grace;
      }
      if (finalizers.length) nm.finalizers = finalizers;
      else delete nm.finalizers;
      if (isNamespace) next['status'] = { ...(next['status'] as object), phase: 'Terminating' };
      if (opts.dryRun) return { object: next, deleted: false };
      const res = await ctx.store.update(key, encode(next), kv.modRevision);
      if (!res.ok) {
        if (attempt > 20) throw staleConflict(gr(r), name);
        continue;
      }
      ctx.cache(r).noteWrite(res.revision);
      nm.resourceVersion = String(res.kv.modRevision);
      if (isNamespace) ctx.onNamespaceTerminating(name);
      return { object: next, deleted: false };
    }
    if (opts.dryRun) return { object: cur, deleted: true };
    const res = await ctx.store.delete(key, kv.modRevision);
    if (!res.ok) {
      if (!res.current) throw notFound(gr(r), name);
      if (attempt > 20) throw staleConflict(gr(r), name);
      continue;
    }
    ctx.cache(r).noteWrite(res.revision);
    if (gk(r) === '/Service') ctx.services.releaseService(cur);
    meta.resourceVersion = String(res.revision);
    return { object: cur, deleted: true };
  }
}

export async function deleteCollection(
  ctx: DeleteContext & ReadContext, r: ResourceType, ns: string | undefined, list: ListOptions, options: DeleteOptions,
  opts: WriteOptions,
): Promise<KubeObject[]> {
  const { items } = await listObjects(ctx, r, ns, { ...list, limit: 0 });
  // Several deletes in flight (kube-apiserver's --delete-collection-workers): the store commits the writes of one
  // turn together, so one at a time would cost a commit and a trip around a busy event loop per object.
  const out: (KubeObject | undefined)[] = new Array(items.length);
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const i = next++;
      const m = items[i]!.object.metadata!;
      try {
        out[i] = (await deleteObject(ctx, r, m.namespace, m.name!, { ...options }, opts)).object;
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DELETE_COLLECTION_WORKERS, items.length) }, worker));
  if (failure) throw failure.err;
  return out.filter((o): o is KubeObject => o !== undefined);
}

/** Deletes a deletecollection runs at once. */
export const DELETE_COLLECTION_WORKERS = 32;

/** The garbage collector's finalizers on a delete. */
export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

/**
 * The finalizers an object carries after a delete with `options`, as upstream's
 * deletionFinalizersForGarbageCollection: an explicit orphanDependents or propagationPolicy decides (Background
 * clears both GC finalizers); without one, a GC finalizer already present stays; the default for every kind here
 * is Background (the legacy group/versions that defaulted to Orphan are not served).
 */
export function gcDeletionFinalizers(current: readonly string[], options: Pick<DeleteOptions, 'orphanDependents' | 'propagationPolicy'>): string[] {
  let orphan: boolean;
  let foreground: boolean;
  if (options.orphanDependents !== undefined) {
    orphan = options.orphanDependents;
    foreground = false;
  } else if (options.propagationPolicy === 'Orphan' || options.propagationPolicy === 'Background' || options.propagationPolicy === 'Foreground') {
    orphan = options.propagationPolicy === 'Orphan';
    foreground = options.propagationPolicy === 'Foreground';
  } else {
    // The first GC finalizer present wins, as upstream's loops over the finalizers do.
    const first = current.find((f) => f === ORPHAN_FINALIZER || f === FOREGROUND_FINALIZER);
    orphan = first === ORPHAN_FINALIZER;
    foreground = first === FOREGROUND_FINALIZER;
  }
  const out = current.filter((f) => f !== ORPHAN_FINALIZER && f !== FOREGROUND_FINALIZER);
  if (orphan) out.push(ORPHAN_FINALIZER);
  if (foreground) out.push(FOREGROUND_FINALIZER);
  return sameSet(out, current) ? [...current] : out;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(b);
  return a.every((x) => s.has(x));
}
