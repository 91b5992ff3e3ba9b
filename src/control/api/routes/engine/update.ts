/** PUT and PATCH: the body becomes the object's next state through guaranteedUpdate; some kinds' PUT creates. */
import type { KubeObject, ResourceType } from '../../resource.js';
import { storageKey } from '../../resource.js';
import { ApiError, badRequest } from '../../status.js';
import { isPlainObject } from '../../content.js';
import { cloneJson } from '../../clone.js';
import { createObject, type CreateContext } from './create.js';
import { gk } from './group-kind.js';
import { guaranteedUpdate, isLeavingCurrent, leavesCurrent, replacement, type Subresource, type UpdateContext } from './guaranteed-update.js';
import { checkBody, unknownFields } from './request-body.js';
import type { WriteOptions } from './write-options.js';

/** Kinds whose PUT creates a missing object (upstream's AllowCreateOnUpdate). */
const CREATE_ON_UPDATE = new Set(['/Endpoints', '/Event', 'coordination.k8s.io/Lease', 'discovery.k8s.io/EndpointSlice']);

export async function updateObject(
  ctx: CreateContext & UpdateContext,
  r: ResourceType, ns: string | undefined, name: string, body: unknown, opts: WriteOptions, sub: Subresource,
): Promise<{ object: KubeObject; created: boolean }> {
  const desired = checkBody(r, body);
  unknownFields(r, desired, opts);
  if (desired.metadata!.name !== undefined && desired.metadata!.name !== name) {
    throw badRequest(`the name of the object (${String(desired.metadata!.name)}) does not match the name on the URL (${name})`);
  }
  if (r.namespaced && desired.metadata!.namespace && desired.metadata!.namespace !== ns) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const key = storageKey(r, ns, name);
  // Whether it exists (kinds that PUT creates only): the watch cache knows once it has seen this server's writes,
  // so a lease renewal reads nothing here.
  const creates = sub === '' && CREATE_ON_UPDATE.has(gk(r));
  if (creates && ctx.cache(r).getFresh(key)?.entry === undefined && !(await ctx.store.get(key)).kv) {
    desired.metadata!.name = name;
    try {
      return { object: await createObject(ctx, r, ns, desired, opts), created: true };
    } catch (err) {
      // Lost a race with another creator: fall through to an ordinary update.
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
    }
  }
  const object = await guaranteedUpdate(ctx, r, ns, name, replacement(() => cloneJson(desired)), opts, sub);
  return { object, created: false };
}

export async function patchObject(
  ctx: UpdateContext,
  r: ResourceType, ns: string | undefined, name: string, apply: (current: KubeObject) => KubeObject,
  opts: WriteOptions, sub: Subresource,
): Promise<KubeObject> {
  let attemptWarnings: string[] = [];
  const mutate = (cur: KubeObject): KubeObject => {
    attemptWarnings = [];
    const out = apply(cur);
    if (!isPlainObject(out)) throw badRequest('the patch did not produce an object');
    const obj = checkBody(r, out);
    // Warnings are collected once even when a conflict makes the patch apply again.
    unknownFields(r, obj, { ...opts, warnings: attemptWarnings }, cur);
    return obj;
  };
  const res = await guaranteedUpdate(ctx, r, ns, name, isLeavingCurrent(apply) ? leavesCurrent(mutate) : mutate, opts, sub);
  opts.warnings?.push(...attemptWarnings);
  return res;
}
