/** create: an object's first write (name, uid, timestamps, status reset, defaults, allocation, validation, store). */
import { randomUUID } from 'node:crypto';
import type { KubeObject, ResourceType, FieldError } from '../../resource.js';
import { storageKey } from '../../resource.js';
import { alreadyExists, badRequest, invalid } from '../../status.js';
import type { Allocation } from '../../allocators/service.js';
import type { EngineContext } from './context.js';
import { gk, gr } from './group-kind.js';
import { track } from './managed-fields.js';
import { rfc3339 } from '../../../../client/time.js';
import { SAFE_ALPHANUMS } from '../../../../client/safe-alphabet.js';
import { checkNamespace, type NamespaceContext } from './namespace.js';
import { checkBody, unknownFields } from './request-body.js';
import { encodeText } from './stored-form.js';
import type { WriteOptions } from './write-options.js';
import { mutate, validate as validateAdmission, type AdmissionContext } from './admission.js';

export type CreateContext = NamespaceContext & AdmissionContext &
  Pick<EngineContext, 'store' | 'cache' | 'now' | 'random' | 'services' | 'observeServices' | 'storedJson'>;


export async function createObject(
  ctx: CreateContext, r: ResourceType, ns: string | undefined, body: unknown, opts: WriteOptions,
): Promise<KubeObject> {
  const obj = checkBody(r, body);
  unknownFields(r, obj, opts);
  const meta = obj.metadata!;
  if (r.namespaced) {
    if (!ns) throw badRequest('the namespace of the object is required');
    if (meta.namespace && meta.namespace !== ns) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = ns;
  } else delete meta.namespace;
  const generated = !meta.name && !!meta.generateName;
  if (generated) meta.name = meta.generateName + randomSuffix(ctx);
  const name = meta.name ?? '';
  if (!name) throw invalid(r.group, r.kind, '', [{ type: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
  const metaErrors = pathSegmentErrors(name);
  if (metaErrors.length) throw invalid(r.group, r.kind, name, metaErrors);
  if (r.namespaced) await checkNamespace(ctx, r, ns!, true, name);

  meta.uid = randomUUID();
  meta.creationTimestamp = rfc3339(ctx.now());
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  if (r.strategy.hasGeneration) meta.generation = 1;
  else delete meta.generation;
  resetStatusOnCreate(r, obj);
  r.strategy.default?.(obj);
  // Before the kind's create-time mutations, mutating admission and allocation, as upstream's create handler (its
  // field manager runs before the store's PrepareForCreate and admission): what they add (the ServiceAccount token
  // volume, default tolerations, priority, a CSR's requester) and allocated fields (clusterIP, nodePorts) stay unowned.
  if (opts.fieldManager !== undefined && !opts.applied) track(ctx, opts.servedAs ?? r, null, obj, opts.fieldManager, '');
  r.strategy.admit?.(obj, opts.user);
  await mutate(ctx, { operation: 'CREATE', r, sub: '', ns, obj, old: null, opts });

  let alloc: Allocation | null = null;
  const errors: FieldError[] = [];
  if (gk(r) === '/Service') {
    await ctx.observeServices();
    const res = ctx.services.allocateCreate(obj);
    alloc = res.alloc;
    errors.push(...res.errors);
  }
  errors.push(...(r.strategy.validate?.(obj) ?? []));
  if (errors.length) {
    if (alloc) ctx.services.release(alloc);
    throw invalid(r.group, r.kind, name, errors);
  }
  try {
    await validateAdmission(ctx, { operation: 'CREATE', r, sub: '', ns, obj, old: null, opts });
  } catch (err) {
    if (alloc) ctx.services.release(alloc);
    throw err;
  }
  if (opts.dryRun) {
    if (alloc) ctx.services.release(alloc);
    // Upstream's dry-run storage refuses a create over an existing key as the real one would.
    if ((await ctx.store.get(storageKey(r, ns, meta.name!))).kv) throw alreadyExists(gr(r), meta.name!);
    return obj;
  }
  const c = ctx.cache(r);
  let res: Awaited<ReturnType<typeof ctx.store.create>>;
  let stored: string;
  for (let attempt = 1; ; attempt++) {
    const key = storageKey(r, ns, meta.name!);
    const { text, bytes } = encodeText(obj);
    // The watch cache takes this object for the create's event instead of decoding the stored bytes again;
    // from here on `obj` is shared with it and is not modified (resourceVersion aside, set to the same value).
    const expected = { key, bytes, object: obj, text };
    c.expect(expected);
    res = await ctx.store.create(key, bytes);
    if (res.ok) {
      stored = text;
      break;
    }
    c.forget(expected);
    // A generated name that collided is drawn again (upstream's RetryGenerateName, 8 attempts in all).
    if (generated && attempt < MAX_NAME_GENERATION_ATTEMPTS) {
      meta.name = meta.generateName + randomSuffix(ctx);
      continue;
    }
    if (alloc) ctx.services.release(alloc);
    throw alreadyExists(gr(r), meta.name!);
  }
  c.noteWrite(res.revision);
  meta.resourceVersion = String(res.kv.modRevision);
  ctx.storedJson.remember(obj, stored, res.kv.modRevision);
  return obj;
}

const MAX_NAME_GENERATION_ATTEMPTS = 8;

/** Upstream's generateName suffix: 5 characters of util/rand's alphabet. */
function randomSuffix(ctx: Pick<EngineContext, 'random'>): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += SAFE_ALPHANUMS[Math.floor(ctx.random() * SAFE_ALPHANUMS.length)];
  return s;
}

/** What upstream's PrepareForCreate does to status: most kinds start empty, pods Pending, namespaces Active. */
function resetStatusOnCreate(r: ResourceType, obj: KubeObject): void {
  const k = gk(r);
  if (k === '/Namespace') {
    obj['status'] = { phase: 'Active' };
    const spec = (obj['spec'] ??= {}) as { finalizers?: string[] };
    spec.finalizers ??= ['kubernetes'];
    return;
  }
  if (!r.strategy.hasStatus || k === '/Node') return;
  obj['status'] = k === '/Pod' ? { phase: 'Pending' } : {};
}

/** ValidateObjectMeta's path-segment rule (names become URL path segments and storage keys). */
function pathSegmentErrors(name: string): FieldError[] {
  if (name === '.' || name === '..') return [{ type: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": may not be '${name}'` }];
  for (const bad of ['/', '%']) {
    if (name.includes(bad)) return [{ type: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": may not contain '${bad}'` }];
  }
  return [];
}
