/**
 * The REST semantics of kube-apiserver's generic registry store, independent of HTTP: create, get, list,
 * update, patch, delete, deletecollection, the status/scale/binding subresources, namespace lifecycle
 * checks and service allocation. The HTTP layer (resources.ts) and bootstrap call this; so may tests.
 *
 * Storage holds each object's JSON without metadata.resourceVersion; reads set it from the key's modRevision.
 */
import { randomUUID } from 'node:crypto';
import type { KubeObject, ResourceType, FieldError } from '../resource.js';
import { groupVersion, storageKey, storagePrefix } from '../resource.js';
import type { Registry } from '../registry.js';
import { CompactedError, FutureRevisionError, type KeyValue, type Store } from '../../storage/store.js';
import {
  ApiError, alreadyExists, badRequest, conflict, expired, forbidden, invalid, notFound, staleConflict, timeout,
} from '../status.js';
import { decodeKV, rawEntry, WatchCache, withResourceVersion, type Entry } from '../watch/cache.js';
import { parseLabelSelector, matchesLabels, fromLabelSelectorObject, formatLabelSelector, type LabelSelector, type LabelSelectorObject } from '../selectors/label.js';
import { parseFieldSelector, matchesFields, checkFieldSelector, pinnedName, type FieldSelector } from '../selectors/field.js';
import { ServiceAllocator, type Allocation } from '../allocators/service.js';
import { ClusterIPAllocator } from '../allocators/clusterip.js';
import { NodePortAllocator } from '../allocators/nodeport.js';
import { deepEqual } from '../validation/errors.js';
import { isPlainObject } from '../content.js';
import { isDNS1123Subdomain } from '../validation/names.js';
import { checkUnknownFields, type FieldValidation } from './unknown-fields.js';
import { managedFieldsAfterUpdate } from '../patch/apply/index.js';

export interface EngineOptions {
  now?: () => Date;
  random?: () => number;
  watchCacheSize?: number;
  serviceCIDR?: string;
  nodePortRange?: [number, number];
  /**
   * Add upstream's `orphan`/`foregroundDeletion` finalizers for propagationPolicy Orphan/Foreground. Off until a
   * garbage collector runs (otherwise those objects would never go away); the policy is then only accepted.
   */
  gcFinalizers?: boolean;
  onError?: (err: unknown) => void;
}

export interface WriteOptions {
  dryRun?: boolean;
  /** How unknown fields are reported (they are always dropped); default Warn. */
  fieldValidation?: FieldValidation;
  /** Collects warnings (unknown fields) for the response's Warning headers. */
  warnings?: string[];
  /**
   * The manager metadata.managedFields records this write under (fieldManager, else from the User-Agent).
   * Absent: not recorded (the server's own writes, as bootstrap's).
   */
  fieldManager?: string;
  /** A server-side apply: the mutation already set managedFields, so no Update entry is added. */
  applied?: boolean;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  /** Entries carry memoised JSON so large lists serialise each object once. */
  items: Entry[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

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

/** '' is the main endpoint; 'internal' writes (binding) keep every field the mutation set. */
export type Subresource = '' | 'status' | 'internal';

/** Kinds whose PUT creates a missing object (upstream's AllowCreateOnUpdate). */
const CREATE_ON_UPDATE = new Set(['/Endpoints', '/Event', 'coordination.k8s.io/Lease', 'discovery.k8s.io/EndpointSlice']);
/** Namespaces kube-apiserver refuses to delete. */
const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

const gk = (r: ResourceType): string => `${r.group}/${r.kind}`;
export const gr = (r: ResourceType) => ({ group: r.group, resource: r.plural });

const clone = <T>(v: T): T => structuredClone(v);

/** Upstream's generateName suffix: 5 characters from an alphabet without vowels or look-alikes. */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** metav1.Time: RFC 3339 in UTC, whole seconds. */
export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

export function encodeContinue(rv: number, startKey: string, prefix: string): string {
  const token: ContinueToken = { v: 'meta.k8s.io/v1', rv, start: startKey.slice(prefix.length) };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodeContinue(text: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as ContinueToken;
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string' || t.start.includes('/..')) throw new Error('bad');
    return t;
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

/**
 * Stored form: apiVersion, kind and metadata first (so lists can splice resourceVersion into the bytes, see
 * rawEntry), without metadata.resourceVersion, which reads derive from the key's modRevision.
 */
const encode = (obj: KubeObject): Uint8Array => encodeText(obj).bytes;

/** `encode` with the JSON text too (the watch cache splices resourceVersion into it for the event). */
function encodeText(obj: KubeObject): { text: string; bytes: Buffer } {
  const { apiVersion, kind, metadata, ...body } = obj;
  const { resourceVersion: _rv, ...meta } = metadata ?? {};
  const text = JSON.stringify({ apiVersion, kind, metadata: meta, ...body });
  return { text, bytes: Buffer.from(text) };
}

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of path.replace(/^\./, '').split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[seg];
  }
  return cur;
}

export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const segs = path.replace(/^\./, '').split('.');
  let cur = obj;
  for (const seg of segs.slice(0, -1)) {
    if (!isPlainObject(cur[seg])) cur[seg] = {};
    cur = cur[seg] as Record<string, unknown>;
  }
  cur[segs[segs.length - 1]!] = value;
}

export class ObjectEngine {
  private readonly caches = new Map<string, WatchCache>();
  readonly services: ServiceAllocator;
  private readonly now: () => Date;
  private readonly random: () => number;
  private servicesObserved: Promise<void> | null = null;
  private closed = false;

  constructor(
    readonly store: Store,
    readonly registry: Registry,
    readonly options: EngineOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
    const [min, max] = options.nodePortRange ?? [30000, 32767];
    this.services = new ServiceAllocator(
      new ClusterIPAllocator(options.serviceCIDR ?? '10.96.0.0/12', this.random),
      new NodePortAllocator(min, max, this.random),
    );
  }

  /**
   * The JSON of objects create and update just stored (their bytes with resourceVersion spliced in), so the
   * response need not serialise them again; only while the object still carries that resourceVersion.
   */
  private readonly storedJson = new WeakMap<KubeObject, { text: string; rv: string }>();

  private rememberJson(obj: KubeObject, stored: string, revision: number): void {
    const text = withResourceVersion(stored, revision);
    if (text !== null) this.storedJson.set(obj, { text, rv: String(revision) });
  }

  /** `obj`'s JSON as stored by the create or update that returned it; undefined for any other object. */
  jsonOf(obj: KubeObject): string | undefined {
    const s = this.storedJson.get(obj);
    return s && obj.metadata?.resourceVersion === s.rv ? s.text : undefined;
  }

  /** The watch cache of a resource, started on first use. */
  cache(r: ResourceType): WatchCache {
    const prefix = storagePrefix(r);
    let c = this.caches.get(prefix);
    if (!c) {
      c = new WatchCache(this.store, prefix, this.options.watchCacheSize ?? 4096, this.options.onError);
      this.caches.set(prefix, c);
    }
    return c;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.caches.values()) c.stop();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---------------------------------------------------------------- reads

  async get(r: ResourceType, ns: string | undefined, name: string, resourceVersion?: string): Promise<KubeObject> {
    const key = storageKey(r, ns, name);
    // "0" is any version; N is not older than N (served by the cache once it holds this server's writes).
    if (resourceVersion) {
      if (resourceVersion !== '0') parseRV(resourceVersion);
      const c = this.cache(r);
      await c.start();
      if (resourceVersion === '0' || (await c.waitFresh())) {
        const e = c.get(key);
        if (!e) throw notFound(gr(r), name);
        return clone(e.object);
      }
    }
    const { kv } = await this.storeCall(() => this.store.get(key));
    if (!kv) throw notFound(gr(r), name);
    return decodeKV(kv);
  }

  async list(r: ResourceType, ns: string | undefined, opts: ListOptions): Promise<ListResult> {
    const labels = parseLabelSelector(opts.labelSelector);
    const fields = parseFieldSelector(opts.fieldSelector);
    checkFieldSelector(r, fields);
    const prefix = storagePrefix(r, ns);
    const match = (o: KubeObject) =>
      (labels.length === 0 || matchesLabels(labels, o.metadata?.labels)) && (fields.length === 0 || matchesFields(fields, o));
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const rvMatch = opts.resourceVersionMatch;
    if (rvMatch && rvMatch !== 'Exact' && rvMatch !== 'NotOlderThan') {
      throw badRequest(`resourceVersionMatch: Unsupported value: "${rvMatch}": supported values: "Exact", "NotOlderThan"`);
    }
    if (rvMatch && !opts.resourceVersion) throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
    if (opts.continue && opts.resourceVersion && opts.resourceVersion !== '0') {
      throw badRequest('specifying resource version is not allowed when using continue');
    }

    // Served from the watch cache: resourceVersion=0 (any), or NotOlderThan a revision the cache has reached.
    const rv = opts.resourceVersion;
    if (!opts.continue && rv !== undefined && rv !== '' && rvMatch !== 'Exact' && (rv === '0' || !limit)) {
      if (rv !== '0') parseRV(rv);
      const c = this.cache(r);
      await c.start();
      // NotOlderThan N: the cache holds every write this server made; it answers with its own revision, which
      // a following watch continues from without a gap.
      if (rv === '0' || (await c.waitFresh())) {
        const items = c.list(prefix).filter((e) => match(e.object));
        return { items, resourceVersion: String(c.revision) };
      }
    }

    let revision = 0;
    let startAfter: string | undefined;
    if (opts.continue) {
      const t = decodeContinue(opts.continue);
      revision = t.rv;
      startAfter = prefix + t.start;
    } else if (rv && rvMatch === 'Exact') {
      revision = parseRV(rv);
    }

    // A name pinned by the field selector (kubectl get -w x) reads one key.
    const pinned = pinnedName(fields);
    if (pinned !== undefined && !opts.continue) {
      const { revision: at, kv } = await this.storeCall(() => this.store.get(prefix + pinned, revision || undefined), opts.continue);
      const items: Entry[] = [];
      if (kv) {
        const o = decodeKV(kv);
        if (match(o)) items.push({ key: kv.key, object: o });
      }
      return { items, resourceVersion: String(at) };
    }

    const items: Entry[] = [];
    let more = false;
    let remaining = 0;
    let lastKey = startAfter;
    let listRevision = revision;
    for (;;) {
      const want = limit ? limit - items.length : 0;
      // With a selector, over-read so a page still fills; storage is asked again when it does not.
      const batch = limit ? (labels.length || fields.length ? Math.max(want, 100) : want) : 0;
      const listOpts: { limit?: number; startAfter?: string; revision?: number } = {};
      if (batch) listOpts.limit = batch;
      if (lastKey) listOpts.startAfter = lastKey;
      if (listRevision) listOpts.revision = listRevision;
      const res = await this.storeCall(() => this.store.list(prefix, listOpts), opts.continue);
      listRevision = res.revision;
      let i = 0;
      const filtered = labels.length > 0 || fields.length > 0;
      for (; i < res.items.length; i++) {
        const kv = res.items[i]!;
        lastKey = kv.key;
        // Without selectors nothing needs the parsed object: the stored JSON goes out with its resourceVersion spliced in.
        const raw = filtered ? null : rawEntry(kv);
        if (raw) items.push(raw);
        else {
          const o = decodeKV(kv);
          if (match(o)) items.push({ key: kv.key, object: o });
        }
        if (limit && items.length >= limit) {
          i++;
          break;
        }
      }
      const storeHasMore = res.more || i < res.items.length;
      if (!limit || !storeHasMore) break;
      if (items.length >= limit) {
        more = true;
        remaining = res.remaining + (res.items.length - i);
        break;
      }
    }
    const out: ListResult = { items, resourceVersion: String(listRevision) };
    if (more && lastKey) {
      out.continue = encodeContinue(listRevision, lastKey, prefix);
      if (labels.length === 0 && fields.length === 0) out.remainingItemCount = remaining;
    }
    return out;
  }

  /** Storage errors that are API answers: compaction (410) and future revisions (504 as upstream's timeout). */
  private async storeCall<T>(fn: () => Promise<T>, continueToken?: string): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof CompactedError) {
        if (continueToken) {
          throw expired(
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
          );
        }
        throw expired(`too old resource version: ${err.requested} (${err.compacted})`);
      }
      if (err instanceof FutureRevisionError) throw timeout(`Too large resource version: ${err.requested}, current: ${err.current}`);
      throw err;
    }
  }

  // ---------------------------------------------------------------- namespace checks

  /** NamespaceLifecycle admission: the namespace must exist and, for creates, not be terminating. */
  async checkNamespace(r: ResourceType, ns: string, forCreate: boolean, name: string): Promise<void> {
    const nsType = this.registry.lookup('', 'v1', 'namespaces');
    if (!nsType) return;
    const key = storageKey(nsType, undefined, ns);
    // From the namespaces' watch cache once it is synced, as upstream's admission reads its informer; a miss
    // (or a cache not yet synced) asks storage, as upstream falls back to a live lookup.
    const c = this.cache(nsType);
    const cached = c.getFresh(key)?.entry?.object;
    if (!cached && !this.closed) void c.start().catch((err: unknown) => this.options.onError?.(err));
    let obj = cached;
    if (!obj) {
      const { kv } = await this.store.get(key);
      if (!kv) throw notFound({ group: '', resource: 'namespaces' }, ns);
      if (forCreate) obj = decodeKV(kv);
    }
    if (forCreate && obj) {
      if (obj.metadata?.deletionTimestamp || (obj['status'] as { phase?: string } | undefined)?.phase === 'Terminating') {
        throw forbidden(gr(r), name, `unable to create new content in namespace ${ns} because it is being terminated`);
      }
    }
  }

  // ---------------------------------------------------------------- create

  /** Drops fields the kind's schema lacks, reporting them per opts.fieldValidation. */
  private unknownFields(r: ResourceType, obj: KubeObject, opts: WriteOptions): void {
    const warnings = checkUnknownFields(obj, r.definition, opts.fieldValidation ?? 'Warn');
    if (warnings.length) opts.warnings?.push(...warnings);
  }

  /** Checks the body's apiVersion/kind against the path and returns it as a KubeObject. */
  checkBody(r: ResourceType, body: unknown): KubeObject {
    if (!isPlainObject(body)) throw badRequest('the body of the request must be a JSON or YAML object');
    const obj = body as KubeObject;
    const gv = groupVersion(r);
    if (obj.apiVersion !== undefined && obj.apiVersion !== gv) {
      throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${gv})`);
    }
    if (obj.kind !== undefined && obj.kind !== r.kind) {
      throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${r.kind})`);
    }
    if (obj.metadata !== undefined && !isPlainObject(obj.metadata)) throw badRequest('metadata must be an object');
    obj.apiVersion = gv;
    obj.kind = r.kind;
    obj.metadata = obj.metadata ?? {};
    return obj;
  }

  async create(r: ResourceType, ns: string | undefined, body: unknown, opts: WriteOptions = {}): Promise<KubeObject> {
    const obj = this.checkBody(r, body);
    this.unknownFields(r, obj, opts);
    const meta = obj.metadata!;
    if (r.namespaced) {
      if (!ns) throw badRequest('the namespace of the object is required');
      if (meta.namespace && meta.namespace !== ns) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = ns;
    } else delete meta.namespace;
    if (!meta.name && meta.generateName) meta.name = meta.generateName + this.randomSuffix();
    const name = meta.name ?? '';
    if (!name) throw invalid(r.group, r.kind, '', [{ type: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
    const metaErrors = pathSegmentErrors(name);
    if (metaErrors.length) throw invalid(r.group, r.kind, name, metaErrors);
    if (r.namespaced) await this.checkNamespace(r, ns!, true, name);

    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339(this.now());
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (r.strategy.hasGeneration) meta.generation = 1;
    else delete meta.generation;
    this.resetStatusOnCreate(r, obj);
    r.strategy.default?.(obj);
    // Before allocation: allocated fields (clusterIP, nodePorts) stay unowned, as upstream's.
    if (opts.fieldManager !== undefined && !opts.applied) this.track(r, null, obj, opts.fieldManager, '');

    let alloc: Allocation | null = null;
    const errors: FieldError[] = [];
    if (gk(r) === '/Service') {
      await this.observeServices();
      const res = this.services.allocateCreate(obj);
      alloc = res.alloc;
      errors.push(...res.errors);
    }
    errors.push(...(r.strategy.validate?.(obj) ?? []));
    if (errors.length) {
      if (alloc) this.services.release(alloc);
      throw invalid(r.group, r.kind, name, errors);
    }
    if (opts.dryRun) {
      if (alloc) this.services.release(alloc);
      return obj;
    }
    const key = storageKey(r, ns, name);
    const { text, bytes } = encodeText(obj);
    // The watch cache takes this object for the create's event instead of decoding the stored bytes again;
    // from here on `obj` is shared with it and is not modified (resourceVersion aside, set to the same value).
    const c = this.cache(r);
    const expected = { key, bytes, object: obj, text };
    c.expect(expected);
    const res = await this.store.create(key, bytes);
    if (!res.ok) {
      c.forget(expected);
      if (alloc) this.services.release(alloc);
      throw alreadyExists(gr(r), name);
    }
    c.noteWrite(res.revision);
    meta.resourceVersion = String(res.kv.modRevision);
    this.rememberJson(obj, text, res.kv.modRevision);
    return obj;
  }

  private randomSuffix(): string {
    let s = '';
    for (let i = 0; i < 5; i++) s += NAME_ALPHABET[Math.floor(this.random() * NAME_ALPHABET.length)];
    return s;
  }

  /** What upstream's PrepareForCreate does to status: most kinds start empty, pods Pending, namespaces Active. */
  private resetStatusOnCreate(r: ResourceType, obj: KubeObject): void {
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

  /** Marks every stored Service's ClusterIP/NodePorts used, once, before the first allocation. */
  observeServices(): Promise<void> {
    this.servicesObserved ??= (async () => {
      const svc = this.registry.lookup('', 'v1', 'services');
      if (!svc) return;
      const res = await this.store.list(storagePrefix(svc));
      for (const kv of res.items) this.services.observe(decodeKV(kv));
    })();
    return this.servicesObserved;
  }

  // ---------------------------------------------------------------- update and patch

  async update(
    r: ResourceType, ns: string | undefined, name: string, body: unknown, opts: WriteOptions = {}, sub: Subresource = '',
  ): Promise<{ object: KubeObject; created: boolean }> {
    const desired = this.checkBody(r, body);
    this.unknownFields(r, desired, opts);
    if (desired.metadata!.name !== undefined && desired.metadata!.name !== name) {
      throw badRequest(`the name of the object (${String(desired.metadata!.name)}) does not match the name on the URL (${name})`);
    }
    if (r.namespaced && desired.metadata!.namespace && desired.metadata!.namespace !== ns) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const key = storageKey(r, ns, name);
    const { kv } = await this.store.get(key);
    if (!kv && sub === '' && CREATE_ON_UPDATE.has(gk(r))) {
      desired.metadata!.name = name;
      try {
        return { object: await this.create(r, ns, desired, opts), created: true };
      } catch (err) {
        // Lost a race with another creator: fall through to an ordinary update.
        if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      }
    }
    const object = await this.guaranteedUpdate(r, ns, name, () => clone(desired), opts, sub);
    return { object, created: false };
  }

  async patch(
    r: ResourceType, ns: string | undefined, name: string, apply: (current: KubeObject) => KubeObject,
    opts: WriteOptions = {}, sub: Subresource = '',
  ): Promise<KubeObject> {
    let attemptWarnings: string[] = [];
    const res = await this.guaranteedUpdate(r, ns, name, (cur) => {
      attemptWarnings = [];
      const out = apply(cur);
      if (!isPlainObject(out)) throw badRequest('the patch did not produce an object');
      const obj = this.checkBody(r, out);
      // Warnings are collected once even when a conflict makes the patch apply again.
      this.unknownFields(r, obj, { ...opts, warnings: attemptWarnings });
      return obj;
    }, opts, sub);
    opts.warnings?.push(...attemptWarnings);
    return res;
  }

  /**
   * Read, mutate, compare-and-swap, retry: upstream's GuaranteedUpdate. `mutate` returns what the client wants;
   * a resourceVersion in it is a precondition (409 when stale), none means an unconditional update.
   */
  async guaranteedUpdate(
    r: ResourceType, ns: string | undefined, name: string, mutate: (current: KubeObject) => KubeObject,
    opts: WriteOptions, sub: Subresource, managedAs: string = sub === 'status' ? 'status' : '',
  ): Promise<KubeObject> {
    const key = storageKey(r, ns, name);
    for (let attempt = 0; ; attempt++) {
      const { kv } = await this.store.get(key);
      if (!kv) throw notFound(gr(r), name);
      const current = decodeKV(kv);
      const desired = mutate(clone(current));
      const wantRV = desired.metadata?.resourceVersion;
      if (wantRV && wantRV !== current.metadata!.resourceVersion) throw staleConflict(gr(r), name);
      const { obj, freed, alloc } = await this.prepareUpdate(r, current, desired, sub);
      // managedFields: an apply brought its own (status rebuilt obj from the stored object, so they are carried
      // across); other writes are recorded as Updates. Binding is not: upstream's assignPod writes storage directly.
      if (opts.applied) {
        const applied = desired.metadata?.managedFields;
        if (sub === 'status' && applied) obj.metadata!.managedFields = applied;
        else if (sub === 'status') delete obj.metadata!.managedFields;
      } else if (opts.fieldManager !== undefined && sub !== 'internal') this.track(r, current, obj, opts.fieldManager, managedAs);
      const release = () => alloc && this.services.release(alloc);
      if (opts.dryRun) {
        release();
        return obj;
      }
      if (sameObject(current, obj)) {
        release();
        return current;
      }
      // An update that removes the last finalizer of an object being deleted completes the deletion.
      if (obj.metadata?.deletionTimestamp && !(obj.metadata.finalizers?.length) && !this.waitsOnGrace(r, obj)) {
        const del = await this.store.delete(key, kv.modRevision);
        if (!del.ok) {
          release();
          if (wantRV || attempt > 20) throw staleConflict(gr(r), name);
          continue;
        }
        this.cache(r).noteWrite(del.revision);
        if (gk(r) === '/Service') this.services.releaseService(current);
        obj.metadata.resourceVersion = String(del.revision);
        return obj;
      }
      const { text, bytes } = encodeText(obj);
      const res = await this.store.update(key, bytes, kv.modRevision);
      if (!res.ok) {
        release();
        if (!res.current) throw notFound(gr(r), name);
        if (wantRV || attempt > 20) throw staleConflict(gr(r), name);
        continue;
      }
      if (freed) this.services.release(freed);
      this.cache(r).noteWrite(res.revision);
      obj.metadata!.resourceVersion = String(res.kv.modRevision);
      this.rememberJson(obj, text, res.kv.modRevision);
      return obj;
    }
  }

  /** Sets obj's metadata.managedFields to record an ordinary write (live null: a create) by `manager`. */
  private track(r: ResourceType, live: KubeObject | null, obj: KubeObject, manager: string, subresource: string): void {
    const entries = managedFieldsAfterUpdate(live, obj, manager, groupVersion(r), this.now(), { definition: r.definition, subresource });
    const meta = (obj.metadata ??= {});
    if (entries) meta.managedFields = entries;
    else delete meta.managedFields;
  }

  /** A pod with a pending grace period stays until its kubelet confirms (or a shorter delete arrives). */
  private waitsOnGrace(r: ResourceType, obj: KubeObject): boolean {
    return gk(r) === '/Pod' && (obj.metadata?.deletionGracePeriodSeconds ?? 0) > 0;
  }

  private async prepareUpdate(
    r: ResourceType, old: KubeObject, desired: KubeObject, sub: Subresource,
  ): Promise<{ obj: KubeObject; alloc?: Allocation; freed?: Allocation }> {
    let obj: KubeObject;
    const oldMeta = old.metadata!;
    if (sub === 'status') {
      obj = clone(old);
      if (desired['status'] === undefined) delete obj['status'];
      else obj['status'] = desired['status'];
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
        else obj['status'] = clone(old['status']);
      }
      if (gk(r) === '/Namespace') {
        // spec.finalizers change only through /finalize.
        obj['spec'] = clone(old['spec']);
      }
    }
    obj.metadata!.resourceVersion = oldMeta.resourceVersion;
    r.strategy.default?.(obj);

    const errors: FieldError[] = [];
    let alloc: Allocation | undefined;
    let freed: Allocation | undefined;
    if (gk(r) === '/Service' && sub === '') {
      await this.observeServices();
      const res = this.services.allocateUpdate(obj, old);
      errors.push(...res.errors);
      if (!res.errors.length) {
        alloc = res.alloc;
        freed = res.freed;
      }
    }
    errors.push(...(r.strategy.validate?.(obj) ?? []));
    // Internal writes (binding) are not user updates: upstream's assignPod skips the update strategy's rules.
    if (sub !== 'internal') errors.push(...(r.strategy.validateUpdate?.(obj, old) ?? []));
    if (oldMeta.deletionTimestamp) {
      const added = (obj.metadata!.finalizers ?? []).filter((f) => !(oldMeta.finalizers ?? []).includes(f));
      if (added.length) errors.push({ type: 'FieldValueForbidden', field: 'metadata.finalizers', message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}` });
    }
    if (errors.length) {
      if (alloc) this.services.release(alloc);
      throw invalid(r.group, r.kind, oldMeta.name ?? '', dedupe(errors));
    }
    if (r.strategy.hasGeneration && sub === '' && !deepEqual(obj['spec'], old['spec'])) {
      obj.metadata!.generation = (oldMeta.generation ?? 1) + 1;
    }
    const out: { obj: KubeObject; alloc?: Allocation; freed?: Allocation } = { obj };
    if (alloc) out.alloc = alloc;
    if (freed) out.freed = freed;
    return out;
  }

  // ---------------------------------------------------------------- delete

  async delete(r: ResourceType, ns: string | undefined, name: string, options: DeleteOptions = {}, opts: WriteOptions = {}): Promise<DeleteResult> {
    const key = storageKey(r, ns, name);
    if (gk(r) === '/Namespace' && IMMORTAL_NAMESPACES.has(name)) {
      throw forbidden({ group: '', resource: 'namespaces' }, name, 'this namespace may not be deleted');
    }
    if (options.gracePeriodSeconds !== undefined && options.gracePeriodSeconds < 0) options.gracePeriodSeconds = 1;
    for (let attempt = 0; ; attempt++) {
      const { kv } = await this.store.get(key);
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

      const next = clone(cur);
      const nm = next.metadata!;
      const finalizers = [...(nm.finalizers ?? [])];
      if (this.options.gcFinalizers) {
        const policy = options.propagationPolicy ?? (options.orphanDependents ? 'Orphan' : undefined);
        if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
        if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
      }
      const grace = await this.gracePeriod(r, cur, options);
      const isNamespace = gk(r) === '/Namespace';
      const nsFinalizers = isNamespace ? ((cur['spec'] as { finalizers?: string[] } | undefined)?.finalizers ?? []) : [];
      if (finalizers.length > 0 || nsFinalizers.length > 0 || grace > 0) {
        if (meta.deletionTimestamp) {
          // Already terminating: only a shorter grace period or newly added finalizers change anything.
          const shorter = grace > 0 && grace < (meta.deletionGracePeriodSeconds ?? 0);
          const added = finalizers.length !== (meta.finalizers ?? []).length;
          if (!shorter && !added) return { object: cur, deleted: false };
        }
        nm.deletionTimestamp = rfc3339(new Date(this.now().getTime() + grace * 1000));
        nm.deletionGracePeriodSeconds = grace;
        if (finalizers.length) nm.finalizers = finalizers;
        if (isNamespace) next['status'] = { ...(next['status'] as object), phase: 'Terminating' };
        if (opts.dryRun) return { object: next, deleted: false };
        const res = await this.store.update(key, encode(next), kv.modRevision);
        if (!res.ok) {
          if (attempt > 20) throw staleConflict(gr(r), name);
          continue;
        }
        this.cache(r).noteWrite(res.revision);
        nm.resourceVersion = String(res.kv.modRevision);
        if (isNamespace) this.onNamespaceTerminating?.(name);
        return { object: next, deleted: false };
      }
      if (opts.dryRun) return { object: cur, deleted: true };
      const res = await this.store.delete(key, kv.modRevision);
      if (!res.ok) {
        if (!res.current) throw notFound(gr(r), name);
        if (attempt > 20) throw staleConflict(gr(r), name);
        continue;
      }
      this.cache(r).noteWrite(res.revision);
      if (gk(r) === '/Service') this.services.releaseService(cur);
      meta.resourceVersion = String(res.revision);
      return { object: cur, deleted: true };
    }
  }

  /** Called when a namespace starts terminating; the namespace finalizer hooks in here. */
  onNamespaceTerminating?: (name: string) => void;

  /**
   * Pods as upstream's pod strategy: unbound or terminal pods go at once; bound pods get the requested grace
   * (default spec.terminationGracePeriodSeconds, 30). Skiff's choice: a pod bound to a node that has no Node
   * object (so no kubelet will ever confirm) is also deleted at once.
   */
  private async gracePeriod(r: ResourceType, obj: KubeObject, options: DeleteOptions): Promise<number> {
    if (gk(r) !== '/Pod') return 0;
    const spec = (obj['spec'] ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
    const phase = (obj['status'] as { phase?: string } | undefined)?.phase;
    if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
    const grace = options.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
    if (grace === 0) return 0;
    const nodes = this.registry.lookup('', 'v1', 'nodes');
    if (nodes) {
      const { kv } = await this.store.get(storageKey(nodes, undefined, spec.nodeName));
      if (!kv) return 0;
    }
    return grace;
  }

  async deleteCollection(r: ResourceType, ns: string | undefined, list: ListOptions, options: DeleteOptions, opts: WriteOptions): Promise<KubeObject[]> {
    const { items } = await this.list(r, ns, { ...list, limit: 0 });
    const out: KubeObject[] = [];
    for (const e of items) {
      const m = e.object.metadata!;
      try {
        const res = await this.delete(r, m.namespace, m.name!, { ...options }, opts);
        out.push(res.object);
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) continue;
        throw err;
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- scale

  /** autoscaling/v1 Scale of a kind with a scale mapping. */
  toScale(r: ResourceType, obj: KubeObject): KubeObject {
    const m = r.scale!;
    const meta = obj.metadata!;
    const spec = getPath(obj, m.specReplicasPath);
    const status = getPath(obj, m.statusReplicasPath);
    const scale: KubeObject = {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: meta.name!, namespace: meta.namespace!, uid: meta.uid!, resourceVersion: meta.resourceVersion!,
        creationTimestamp: meta.creationTimestamp!,
      },
      spec: { replicas: typeof spec === 'number' ? spec : 0 },
      status: { replicas: typeof status === 'number' ? status : 0 } as Record<string, unknown>,
    };
    if (m.labelSelectorPath) {
      const sel = getPath(obj, m.labelSelectorPath);
      const text = typeof sel === 'string' ? sel : isPlainObject(sel) ? formatLabelSelector(fromLabelSelectorObject(sel as LabelSelectorObject)) : '';
      if (text) (scale['status'] as Record<string, unknown>)['selector'] = text;
    }
    return scale;
  }

  async getScale(r: ResourceType, ns: string | undefined, name: string): Promise<KubeObject> {
    return this.toScale(r, await this.get(r, ns, name));
  }

  /** Writes a Scale back: `mutate` turns the current Scale into the wanted one (PUT body or patched). */
  async updateScale(r: ResourceType, ns: string | undefined, name: string, mutate: (scale: KubeObject) => unknown, opts: WriteOptions): Promise<KubeObject> {
    const obj = await this.guaranteedUpdate(r, ns, name, (cur) => {
      const scale = mutate(this.toScale(r, cur));
      if (!isPlainObject(scale)) throw badRequest('the body of the request must be a Scale object');
      const s = scale as KubeObject;
      if ((s.kind !== undefined && s.kind !== 'Scale') || (s.apiVersion !== undefined && s.apiVersion !== 'autoscaling/v1')) {
        throw badRequest(`the kind in the data (${String(s.kind)}) does not match the expected kind (Scale)`);
      }
      const replicas = (s['spec'] as { replicas?: unknown } | undefined)?.replicas ?? 0;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        throw invalid('autoscaling', 'Scale', name, [{ type: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` }]);
      }
      if (s.metadata?.name !== undefined && s.metadata.name !== name) {
        throw badRequest(`the name of the object (${s.metadata.name}) does not match the name on the URL (${name})`);
      }
      setPath(cur as Record<string, unknown>, r.scale!.specReplicasPath, replicas);
      // The Scale's resourceVersion is the object's: a precondition when the client sent one.
      cur.metadata!.resourceVersion = s.metadata?.resourceVersion || cur.metadata!.resourceVersion;
      return cur;
    }, opts, '', 'scale');
    return this.toScale(r, obj);
  }

  // ---------------------------------------------------------------- binding

  /** pods/binding: sets spec.nodeName once (409 when already bound) and the PodScheduled condition. */
  async bind(r: ResourceType, ns: string, name: string, body: unknown, opts: WriteOptions): Promise<void> {
    if (!isPlainObject(body)) throw badRequest('the body of the request must be a Binding object');
    const b = body as { kind?: string; metadata?: { name?: string; uid?: string; resourceVersion?: string }; target?: { kind?: string; name?: string } };
    if (b.kind !== undefined && b.kind !== 'Binding') throw badRequest(`the kind in the data (${b.kind}) does not match the expected kind (Binding)`);
    if (b.metadata?.name !== undefined && b.metadata.name !== name) {
      throw badRequest(`the name of the object (${b.metadata.name}) does not match the name on the URL (${name})`);
    }
    const target = b.target?.name;
    if (!target) throw invalid('', 'Binding', name, [{ type: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
    if (b.target?.kind && b.target.kind !== 'Node') {
      throw invalid('', 'Binding', name, [{ type: 'FieldValueNotSupported', field: 'target.kind', message: `Unsupported value: "${b.target.kind}": supported values: "Node", ""` }]);
    }
    if (!opts.dryRun && (await this.bindFromCache(r, ns, name, b, target))) return;
    await this.guaranteedUpdate(r, ns, name, (cur) => {
      const meta = cur.metadata!;
      if (meta.deletionTimestamp) throw conflict(gr(r), name, `pod ${name} is being deleted, cannot be assigned to a host`);
      if (b.metadata?.uid && b.metadata.uid !== meta.uid) throw conflict(gr(r), name, `Precondition failed: UID in precondition: ${b.metadata.uid}, UID in object meta: ${meta.uid ?? ''}`);
      if (b.metadata?.resourceVersion && b.metadata.resourceVersion !== meta.resourceVersion) throw staleConflict(gr(r), name);
      const spec = (cur['spec'] ??= {}) as { nodeName?: string };
      if (spec.nodeName) throw conflict(gr(r), name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      spec.nodeName = target;
      const status = (cur['status'] ??= {}) as { conditions?: { type: string; status: string; lastTransitionTime?: string; lastProbeTime?: null }[] };
      const conds = (status.conditions ??= []);
      const c = conds.find((x) => x.type === 'PodScheduled');
      const t = rfc3339(this.now());
      if (c) {
        if (c.status !== 'True') c.lastTransitionTime = t;
        c.status = 'True';
      } else conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: t });
      return cur;
    }, opts, 'internal');
  }

  /**
   * The common binding as one compare-and-swap against the watch cache's copy: no storage read, no decode, no
   * deep clone (only the changed paths are copied), and the written object goes to the cache as is. Returns
   * false, having written nothing, whenever the slow path must decide: pod not cached, a precondition or
   * check that fails against the cached copy (it may be stale), or a lost compare-and-swap.
   */
  private async bindFromCache(
    r: ResourceType, ns: string, name: string, b: { metadata?: { uid?: string; resourceVersion?: string } }, target: string,
  ): Promise<boolean> {
    const c = this.cache(r);
    await c.start();
    const key = storageKey(r, ns, name);
    const cur = c.get(key)?.object;
    const meta = cur?.metadata;
    if (!cur || !meta?.resourceVersion || meta.deletionTimestamp) return false;
    if (b.metadata?.uid && b.metadata.uid !== meta.uid) return false;
    if (b.metadata?.resourceVersion && b.metadata.resourceVersion !== meta.resourceVersion) return false;
    const spec = cur['spec'] as { nodeName?: string } | undefined;
    // The pod validation the slow path runs only looks at the new field here: the node name's format.
    if (spec?.nodeName || isDNS1123Subdomain(target).length) return false;
    type Cond = { type: string; status: string; lastTransitionTime?: string; lastProbeTime?: null };
    const status = (cur['status'] ?? {}) as { conditions?: Cond[] };
    const t = rfc3339(this.now());
    const conds: Cond[] = [];
    let found = false;
    for (const x of status.conditions ?? []) {
      if (x.type !== 'PodScheduled') conds.push(x);
      else {
        found = true;
        conds.push({ ...x, status: 'True', ...(x.status !== 'True' ? { lastTransitionTime: t } : {}) });
      }
    }
    if (!found) conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: t });
    const obj: KubeObject = { ...cur, metadata: { ...meta }, spec: { ...spec, nodeName: target }, status: { ...status, conditions: conds } };
    const { text, bytes } = encodeText(obj);
    const expected = { key, bytes, object: obj, text };
    c.expect(expected);
    const res = await this.store.update(key, bytes, Number(meta.resourceVersion));
    if (!res.ok) {
      c.forget(expected);
      return false;
    }
    c.noteWrite(res.revision);
    return true;
  }

  // ---------------------------------------------------------------- namespace finalize

  /** PUT namespaces/x/finalize: only spec.finalizers changes; with none left on a terminating namespace it goes. */
  async finalizeNamespace(name: string, body: unknown, opts: WriteOptions): Promise<KubeObject> {
    const r = this.registry.lookup('', 'v1', 'namespaces')!;
    if (!isPlainObject(body)) throw badRequest('the body of the request must be a Namespace object');
    const want = ((body['spec'] as { finalizers?: string[] } | undefined)?.finalizers ?? []).slice();
    const key = storageKey(r, undefined, name);
    for (let attempt = 0; ; attempt++) {
      const { kv } = await this.store.get(key);
      if (!kv) throw notFound(gr(r), name);
      const cur = decodeKV(kv);
      const next = clone(cur);
      next['spec'] = { ...(next['spec'] as object), finalizers: want };
      if (opts.dryRun) return next;
      const done = next.metadata!.deletionTimestamp && want.length === 0 && !(next.metadata!.finalizers?.length);
      const res = done ? await this.store.delete(key, kv.modRevision) : await this.store.update(key, encode(next), kv.modRevision);
      if (!res.ok) {
        if (attempt > 20) throw staleConflict(gr(r), name);
        continue;
      }
      this.cache(r).noteWrite(res.revision);
      next.metadata!.resourceVersion = String(res.revision);
      return next;
    }
  }
}

export function parseRV(rv: string): number {
  const n = Number(rv);
  if (!/^\d+$/.test(rv) || !Number.isSafeInteger(n)) throw badRequest(`invalid resource version: ${rv}`);
  return n;
}

/** ValidateObjectMeta's path-segment rule (names become URL path segments and storage keys). */
function pathSegmentErrors(name: string): FieldError[] {
  if (name === '.' || name === '..') return [{ type: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": may not be '${name}'` }];
  for (const bad of ['/', '%']) {
    if (name.includes(bad)) return [{ type: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": may not contain '${bad}'` }];
  }
  return [];
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

/** Equal apart from resourceVersion: a write that would change nothing is skipped, as upstream's update. */
function sameObject(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return deepEqual(strip(a), strip(b));
}

export type { LabelSelector, FieldSelector, KeyValue };
