/** Namespace lifecycle in the engine: the NamespaceLifecycle admission check, and PUT namespaces/x/finalize. */
import type { KubeObject, ResourceType } from '../../resource.js';
import { storageKey } from '../../resource.js';
import { badRequest, forbidden, notFound, staleConflict } from '../../status.js';
import { decodeKV } from '../../watch/cache.js';
import { isPlainObject } from '../../content.js';
import type { EngineContext } from './context.js';
import { gr } from './group-kind.js';
import { encode } from './stored-form.js';
import type { WriteOptions } from './write-options.js';

export interface NamespaceContext extends Pick<EngineContext, 'store' | 'registry' | 'cache' | 'options'> {
  isClosed(): boolean;
}

/** NamespaceLifecycle admission: the namespace must exist and, for creates, not be terminating. */
export async function checkNamespace(ctx: NamespaceContext, r: ResourceType, ns: string, forCreate: boolean, name: string): Promise<void> {
  const nsType = ctx.registry.lookup('', 'v1', 'namespaces');
  if (!nsType) return;
  const key = storageKey(nsType, undefined, ns);
  // From the namespaces' watch cache once it is synced, as upstream's admission reads its informer; a miss
  // (or a cache not yet synced) asks storage, as upstream falls back to a live lookup.
  const c = ctx.cache(nsType);
  const cached = c.getFresh(key)?.entry?.object;
  if (!cached && !ctx.isClosed()) void c.start().catch((err: unknown) => ctx.options.onError?.(err));
  let obj = cached;
  if (!obj) {
    const { kv } = await ctx.store.get(key);
    if (!kv) throw notFound({ group: '', resource: 'namespaces' }, ns);
    if (forCreate) obj = decodeKV(kv);
  }
  if (forCreate && obj) {
    if (obj.metadata?.deletionTimestamp || (obj['status'] as { phase?: string } | undefined)?.phase === 'Terminating') {
      throw forbidden(gr(r), name, `unable to create new content in namespace ${ns} because it is being terminated`);
    }
  }
}

/** PUT namespaces/x/finalize: only spec.finalizers changes; with none left on a terminating namespace it goes. */
export async function finalizeNamespace(ctx: NamespaceContext, name: string, body: unknown, opts: WriteOptions): Promise<KubeObject> {
  const r = ctx.registry.lookup('', 'v1', 'namespaces')!;
  if (!isPlainObject(body)) throw badRequest('the body of the request must be a Namespace object');
  const want = ((body['spec'] as { finalizers?: string[] } | undefined)?.finalizers ?? []).slice();
  const key = storageKey(r, undefined, name);
  for (let attempt = 0; ; attempt++) {
    const { kv } = await ctx.store.get(key);
    if (!kv) throw notFound(gr(r), name);
    const cur = decodeKV(kv);
    const next = structuredClone(cur);
    next['spec'] = { ...(next['spec'] as object), finalizers: want };
    if (opts.dryRun) return next;
    const done = next.metadata!.deletionTimestamp && want.length === 0 && !(next.metadata!.finalizers?.length);
    const res = done ? await ctx.store.delete(key, kv.modRevision) : await ctx.store.update(key, encode(next), kv.modRevision);
    if (!res.ok) {
      if (attempt > 20) throw staleConflict(gr(r), name);
      continue;
    }
    ctx.cache(r).noteWrite(res.revision);
    next.metadata!.resourceVersion = String(res.revision);
    return next;
  }
}
