/**
 * The REST semantics of kube-apiserver's generic registry store, independent of HTTP: create, get, list,
 * update, patch, delete, deletecollection, the status/scale/binding subresources, namespace lifecycle
 * checks and service allocation. The HTTP layer (resources.ts) and bootstrap call this; so may tests.
 * ObjectEngine is the seam and holds the state (watch caches, allocators, clock); each verb lives in ./engine/.
 *
 * Storage holds each object's JSON without metadata.resourceVersion; reads set it from the key's modRevision.
 * A converted version (ResourceType.conversion) is served by the same verbs on its storage resource, converted
 * at this seam (engine/conversion.ts): everything below it sees the storage version only. A conversion that must be
 * awaited (a CRD's conversion webhook) takes its own path (engine/async-conversion.ts), checked for first.
 */
import type { KubeObject, ResourceType } from '../resource.js';
import { storageOf, storagePrefix } from '../resource.js';
import type { Registry } from '../registry.js';
import type { KeyValue, Store } from '../../storage/store.js';
import { decodeKV, WatchCache } from '../watch/cache.js';
import type { LabelSelector } from '../selectors/label.js';
import type { FieldSelector } from '../selectors/field.js';
import { ServiceAllocator } from '../allocators/service.js';
import { ClusterIPAllocator } from '../allocators/clusterip.js';
import { NodePortAllocator } from '../allocators/nodeport.js';
import type { EngineContext } from './engine/context.js';
import { bindPod } from './engine/binding.js';
import * as converted from './engine/async-conversion.js';
import { bodyToStorage, entriesFromStorage, isConverted, patchInServedVersion, storageListOptions, storageWriteOptions } from './engine/conversion.js';
import { createObject } from './engine/create.js';
import { deleteCollection, deleteObject, type DeleteContext, type DeleteOptions, type DeleteResult } from './engine/delete.js';
import { guaranteedUpdate, type Subresource } from './engine/guaranteed-update.js';
import type { AdmissionContext } from './engine/admission.js';
import type { Admission } from '../admission/types.js';
import { checkNamespace, finalizeNamespace, type NamespaceContext } from './engine/namespace.js';
import { getObject, listObjects, type ListOptions, type ListResult } from './engine/read.js';
import * as requestBody from './engine/request-body.js';
import * as scale from './engine/scale.js';
import { StoredJson } from './engine/stored-json.js';
import { patchObject, updateObject } from './engine/update.js';
import type { WriteOptions } from './engine/write-options.js';

export { encodeContinue, decodeContinue, type ContinueToken } from './engine/continue-token.js';
export { gr } from './engine/group-kind.js';
export { parseRV } from './engine/metav1.js';
export { getPath, setPath } from './engine/paths.js';
export type { DeleteOptions, DeleteResult, ListOptions, ListResult, Subresource, WriteOptions };
export type { LabelSelector, FieldSelector, KeyValue };

export interface EngineOptions {
  now?: () => Date;
  random?: () => number;
  watchCacheSize?: number;
  serviceCIDR?: string;
  nodePortRange?: [number, number];
  /**
   * Add upstream's `orphan`/`foregroundDeletion` finalizers for propagationPolicy Orphan/Foreground, which the
   * garbage collector removes. Off here (the policy is then only accepted); buildServer turns it on by default.
   */
  gcFinalizers?: boolean;
  onError?: (err: unknown) => void;
}

export class ObjectEngine {
  private readonly caches = new Map<string, WatchCache>();
  private readonly prefixes = new WeakMap<ResourceType, string>();
  readonly services: ServiceAllocator;
  private readonly storedJson = new StoredJson();
  private servicesObserved: Promise<void> | null = null;
  private closed = false;
  /** What the verbs in ./engine/ are handed: storage, caches, clock, allocators and hooks of this engine. */
  private readonly ctx: EngineContext & NamespaceContext & DeleteContext & AdmissionContext;
  /** Admission plugins called before storage (webhooks); none: writes are not admitted beyond the kinds' own rules. */
  admission?: Admission;

  constructor(
    readonly store: Store,
    readonly registry: Registry,
    readonly options: EngineOptions = {},
  ) {
    const now = options.now ?? (() => new Date());
    const random = options.random ?? Math.random;
    const [min, max] = options.nodePortRange ?? [30000, 32767];
    this.services = new ServiceAllocator(
      new ClusterIPAllocator(options.serviceCIDR ?? '10.96.0.0/12', random),
      new NodePortAllocator(min, max, random),
    );
    this.ctx = {
      store,
      registry,
      options,
      services: this.services,
      storedJson: this.storedJson,
      now,
      random,
      cache: (r) => this.cache(r),
      observeServices: () => this.observeServices(),
      isClosed: () => this.closed,
      onNamespaceTerminating: (name) => this.onNamespaceTerminating?.(name),
      admission: () => this.admission,
    };
  }

  /** `obj`'s JSON as stored by the create or update that returned it; undefined for any other object. */
  jsonOf(obj: KubeObject): string | undefined {
    return this.storedJson.of(obj);
  }

  /** The watch cache of a resource, started on first use. */
  cache(r: ResourceType): WatchCache {
    // A converted version shares its storage version's cache (events.k8s.io Events are stored as core Events).
    // The prefix string is kept per type: a request asks several times, and a kept string's hash is computed once.
    let prefix = this.prefixes.get(r);
    if (prefix === undefined) this.prefixes.set(r, (prefix = storagePrefix(storageOf(r))));
    let c = this.caches.get(prefix);
    if (!c) {
      c = new WatchCache(this.store, prefix, this.options.watchCacheSize ?? 4096, this.options.onError);
      this.caches.set(prefix, c);
    }
    return c;
  }

  /** Stops and forgets a resource's watch cache: its kind is no longer served (a deleted CRD's resource). */
  dropCache(r: ResourceType): void {
    const prefix = storagePrefix(r);
    this.caches.get(prefix)?.stop();
    this.caches.delete(prefix);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.caches.values()) c.stop();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async get(r: ResourceType, ns: string | undefined, name: string, resourceVersion?: string): Promise<KubeObject> {
    if (converted.isAsyncConverted(r)) return converted.getConverted(this, r, ns, name, resourceVersion);
    const obj = await getObject(this.ctx, storageOf(r), ns, name, resourceVersion);
    return r.conversion ? r.conversion.fromStorage(obj) : obj;
  }

  async list(r: ResourceType, ns: string | undefined, opts: ListOptions): Promise<ListResult> {
    if (!isConverted(r)) return listObjects(this.ctx, r, ns, opts);
    if (converted.isAsyncConverted(r)) return converted.listConverted(this, r, ns, opts);
    const res = await listObjects(this.ctx, r.conversion.storage, ns, storageListOptions(r, opts));
    return { ...res, items: entriesFromStorage(r, res.items) };
  }

  /** NamespaceLifecycle admission: the namespace must exist and, for creates, not be terminating. */
  checkNamespace(r: ResourceType, ns: string, forCreate: boolean, name: string): Promise<void> {
    return checkNamespace(this.ctx, storageOf(r), ns, forCreate, name);
  }

  /** Checks the body's apiVersion/kind against the path and returns it as a KubeObject. */
  checkBody(r: ResourceType, body: unknown): KubeObject {
    return requestBody.checkBody(r, body);
  }

  async create(r: ResourceType, ns: string | undefined, body: unknown, opts: WriteOptions = {}): Promise<KubeObject> {
    if (!isConverted(r)) return createObject(this.ctx, r, ns, body, opts);
    if (converted.isAsyncConverted(r)) return converted.createConverted(this, r, ns, body, opts);
    const obj = await createObject(this.ctx, r.conversion.storage, ns, bodyToStorage(r, body, opts), storageWriteOptions(r, opts));
    return r.conversion.fromStorage(obj);
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

  async update(
    r: ResourceType, ns: string | undefined, name: string, body: unknown, opts: WriteOptions = {}, sub: Subresource = '',
  ): Promise<{ object: KubeObject; created: boolean }> {
    if (!isConverted(r)) return updateObject(this.ctx, r, ns, name, body, opts, sub);
    if (converted.isAsyncConverted(r)) return converted.updateConverted(this, r, ns, name, body, opts, sub);
    const res = await updateObject(this.ctx, r.conversion.storage, ns, name, bodyToStorage(r, body, opts), storageWriteOptions(r, opts), sub);
    return { object: r.conversion.fromStorage(res.object), created: res.created };
  }

  async patch(
    r: ResourceType, ns: string | undefined, name: string, apply: (current: KubeObject) => KubeObject,
    opts: WriteOptions = {}, sub: Subresource = '',
  ): Promise<KubeObject> {
    if (!isConverted(r)) return patchObject(this.ctx, r, ns, name, apply, opts, sub);
    if (converted.isAsyncConverted(r)) return converted.patchConverted(this, r, ns, name, apply, opts, sub);
    const p = patchInServedVersion(r, apply, opts);
    const obj = await patchObject(this.ctx, r.conversion.storage, ns, name, p.mutate, storageWriteOptions(r, opts), sub);
    p.done();
    return r.conversion.fromStorage(obj);
  }

  /**
   * Read, mutate, compare-and-swap, retry: upstream's GuaranteedUpdate. `mutate` returns what the client wants;
   * a resourceVersion in it is a precondition (409 when stale), none means an unconditional update.
   */
  async guaranteedUpdate(
    r: ResourceType, ns: string | undefined, name: string, mutate: (current: KubeObject) => KubeObject,
    opts: WriteOptions, sub: Subresource, managedAs?: string,
  ): Promise<KubeObject> {
    if (!isConverted(r)) return guaranteedUpdate(this.ctx, r, ns, name, mutate, opts, sub, managedAs);
    if (converted.isAsyncConverted(r)) return converted.guaranteedUpdateConverted(this, r, ns, name, mutate, opts, sub, managedAs);
    const { toStorage, fromStorage, storage } = r.conversion;
    const obj = await guaranteedUpdate(
      this.ctx, storage, ns, name, (cur) => toStorage(mutate(fromStorage(cur))), storageWriteOptions(r, opts), sub, managedAs,
    );
    return fromStorage(obj);
  }

  async delete(r: ResourceType, ns: string | undefined, name: string, options: DeleteOptions = {}, opts: WriteOptions = {}): Promise<DeleteResult> {
    if (converted.isAsyncConverted(r)) return converted.deleteConverted(this, r, ns, name, options, opts);
    const res = await deleteObject(this.ctx, storageOf(r), ns, name, options, opts);
    return r.conversion ? { ...res, object: r.conversion.fromStorage(res.object) } : res;
  }

  /** Called when a namespace starts terminating; the namespace finalizer hooks in here. */
  onNamespaceTerminating?: (name: string) => void;

  async deleteCollection(r: ResourceType, ns: string | undefined, list: ListOptions, options: DeleteOptions, opts: WriteOptions): Promise<KubeObject[]> {
    if (converted.isAsyncConverted(r)) return converted.deleteCollectionConverted(this, r, ns, list, options, opts);
    const items = await deleteCollection(this.ctx, storageOf(r), ns, list, options, opts);
    return r.conversion ? items.map(r.conversion.fromStorage) : items;
  }

  /** autoscaling/v1 Scale of a kind with a scale mapping. */
  toScale(r: ResourceType, obj: KubeObject): KubeObject {
    return scale.toScale(r, obj);
  }

  async getScale(r: ResourceType, ns: string | undefined, name: string): Promise<KubeObject> {
    // An awaited conversion: the Scale is read from the served version, whose scale paths it names.
    if (converted.isAsyncConverted(r)) return scale.toScale(r, await this.get(r, ns, name));
    return scale.getScale(this.ctx, r, ns, name);
  }

  /** Writes a Scale back: `mutate` turns the current Scale into the wanted one (PUT body or patched). */
  async updateScale(r: ResourceType, ns: string | undefined, name: string, mutate: (scale: KubeObject) => unknown, opts: WriteOptions): Promise<KubeObject> {
    if (converted.isAsyncConverted(r)) {
      return scale.toScale(r, await converted.guaranteedUpdateConverted(this, r, ns, name, scale.scaleMutation(r, name, mutate), opts, '', 'scale'));
    }
    return scale.updateScale(this.ctx, r, ns, name, mutate, opts);
  }

  /** pods/binding: sets spec.nodeName once (409 when already bound) and the PodScheduled condition. */
  bind(r: ResourceType, ns: string, name: string, body: unknown, opts: WriteOptions): Promise<void> {
    return bindPod(this.ctx, r, ns, name, body, opts);
  }

  /** PUT namespaces/x/finalize: only spec.finalizers changes; with none left on a terminating namespace it goes. */
  finalizeNamespace(name: string, body: unknown, opts: WriteOptions): Promise<KubeObject> {
    return finalizeNamespace(this.ctx, name, body, opts);
  }
}
