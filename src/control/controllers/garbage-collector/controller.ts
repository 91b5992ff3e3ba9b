/**
 * The garbage collector (upstream's pkg/controller/garbagecollector): watches every deletable resource found by
 * discovery, keeps the ownerReferences graph in memory (graph-builder.ts), and works two queues of node uids:
 * attempt-to-delete (objects whose owners are all gone, owners deleting in the foreground) and attempt-to-orphan
 * (owners deleted with the orphan finalizer). Discovery is redone every 30 s so new resources (CRDs) are watched.
 *
 * Reads come from the informers' caches; only owners the graph has not observed are looked up live (a GET), so
 * a stale cache never makes an existing owner look absent. Deletes carry uid + resourceVersion preconditions.
 */
import { sleep } from '../../../client/clock.js';
import type { SharedInformer } from '../../../client/informer.js';
import { ApiError, isConflict, isNotFound } from '../../../client/rest.js';
import type { KubeObject, OwnerReference } from '../../../client/types.js';
import type { WorkQueue } from '../../../client/workqueue.js';
import type { ControllerContext } from '../context.js';
import type { Controller, ControllerDescriptor } from '../controller.js';
import {
  classifyReferences, decideAttemptToDelete, decideDeletingDependents, FOREGROUND_FINALIZER, ORPHAN_FINALIZER, ownerStateOf,
  referencesAfterRemoving, type OwnerState, type PropagationPolicy,
} from './decide.js';
import { deletable, discoverResources, groupOf, RestMapper, type DiscoveredResource } from './discovery.js';
import type { GraphNode } from './graph.js';
import { GraphBuilder, referenceKey } from './graph-builder.js';

export interface GarbageCollectorOptions {
  /** Upstream's --concurrent-gc-syncs (20). */
  workers?: number;
  /** How often discovery is redone (upstream: 30 s). */
  resyncPeriodMs?: number;
  /** Resources never watched, as `group/plural` (default: events). */
  ignored?: ReadonlySet<string>;
}

interface Monitor {
  resource: DiscoveredResource;
  informer: SharedInformer;
}

type Outcome = 'done' | 'requeue';

export class GarbageCollector implements Controller {
  readonly name = 'garbagecollector';
  readonly builder: GraphBuilder;
  private readonly deleteQueue: WorkQueue<string>;
  private readonly orphanQueue: WorkQueue<string>;
  private readonly monitors = new Map<string, Monitor>();
  /** (group, kind) → monitor, for cache reads of observed nodes. */
  private readonly monitorByGroupKind = new Map<string, Monitor>();
  private mapper = new RestMapper([]);
  private readonly workers: number;
  private readonly resyncPeriodMs: number;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: GarbageCollectorOptions = {},
  ) {
    this.deleteQueue = ctx.queue('garbage_collector_attempt_to_delete');
    this.orphanQueue = ctx.queue('garbage_collector_attempt_to_orphan');
    this.builder = new GraphBuilder({
      attemptToDelete: (n) => this.deleteQueue.add(n.uid),
      attemptToOrphan: (n) => this.orphanQueue.add(n.uid),
    });
    this.workers = opts.workers ?? Math.max(20, ctx.options.workers);
    this.resyncPeriodMs = opts.resyncPeriodMs ?? 30_000;
  }

  async run(signal: AbortSignal): Promise<void> {
    const stop = (): void => {
      this.deleteQueue.shutDown();
      this.orphanQueue.shutDown();
    };
    signal.addEventListener('abort', stop, { once: true });
    if (signal.aborted) return stop();
    // Discovery must succeed once before anything is decided; retried with the clock on failure.
    for (let backoff = 500; !signal.aborted; backoff = Math.min(backoff * 2, 30_000)) {
      try {
        await this.resync();
        break;
      } catch (err) {
        this.ctx.onError(err, `${this.name}: discovery`);
        await sleep(this.ctx.clock, backoff, signal).catch(() => {});
      }
    }
    const synced = await Promise.all([...this.monitors.values()].map((m) => m.informer.waitForSync(signal)));
    if (!synced.every(Boolean)) return;
    const loops = [
      ...Array.from({ length: this.workers }, () => this.workLoop(this.deleteQueue, (uid) => this.attemptToDelete(uid), signal)),
      ...Array.from({ length: this.workers }, () => this.workLoop(this.orphanQueue, (uid) => this.attemptToOrphan(uid), signal)),
      this.resyncLoop(signal),
    ];
    await Promise.all(loops);
  }

  /** Discovery, then a monitor (shared informer + graph handlers) for each deletable resource not yet watched. */
  async resync(): Promise<void> {
    const all = await discoverResources(this.ctx.client);
    this.mapper = new RestMapper(all);
    for (const r of deletable(all, this.opts.ignored)) {
      const key = `${r.ref.group}/${r.ref.plural}`;
      if (this.monitors.has(key)) continue;
      const informer = this.ctx.informers.forResource(r.ref);
      const monitor: Monitor = { resource: r, informer };
      this.monitors.set(key, monitor);
      this.monitorByGroupKind.set(`${r.ref.group}/${r.kind}`, monitor);
      const kind = { apiVersion: r.apiVersion, kind: r.kind };
      informer.addEventHandler({
        onAdd: (obj) => this.builder.upsert(obj, undefined, kind),
        onUpdate: (old, obj) => this.builder.upsert(obj, old, kind),
        onDelete: (obj) => this.builder.remove(obj),
      });
    }
  }

  private async resyncLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.ctx.clock, this.resyncPeriodMs, signal).catch(() => {});
      if (signal.aborted) return;
      await this.resync().catch((err: unknown) => this.ctx.onError(err, `${this.name}: discovery`));
    }
  }

  private async workLoop(queue: WorkQueue<string>, process: (uid: string) => Promise<Outcome>, signal: AbortSignal): Promise<void> {
    for (;;) {
      const uid = await queue.get();
      if (uid === undefined) return;
      try {
        const outcome = await process(uid);
        if (outcome === 'requeue') queue.addRateLimited(uid);
        else queue.forget(uid);
      } catch (err) {
        if (signal.aborted) return;
        // Upstream retries the collector's items without a cap: an owner may come back within reach.
        queue.addRateLimited(uid);
        if (!isConflict(err)) this.ctx.onError(err, `${this.name}: processing ${this.describe(uid)}`);
      } finally {
        queue.done(uid);
      }
    }
  }

  private describe(uid: string): string {
    const n = this.builder.graph.get(uid);
    return n ? `${n.kind} ${n.namespace ? `${n.namespace}/` : ''}${n.name} (uid ${uid})` : `uid ${uid}`;
  }

  /** The object of an observed node from its informer's cache; undefined when gone or replaced. */
  private cached(n: GraphNode): KubeObject | undefined {
    const m = this.monitorByGroupKind.get(`${groupOf(n.apiVersion)}/${n.kind}`);
    const obj = m?.informer.lister.get(n.namespace || undefined, n.name);
    return obj?.metadata?.uid === n.uid ? obj : undefined;
  }

  /** A live GET of what `ref` names in `namespace` (ignored for cluster-scoped kinds); undefined on 404. */
  private async lookup(apiVersion: string, kind: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    const r = this.mapper.map(apiVersion, kind);
    if (!r) throw new Error(`unable to get REST mapping for ${apiVersion}, Kind=${kind}`);
    // A namespaced owner named from a cluster-scoped object can never resolve: upstream treats it as absent.
    if (r.ref.namespaced && !namespace) return undefined;
    try {
      return await this.ctx.client.get(r.ref, name, r.ref.namespaced ? namespace : undefined);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private resourceOf(n: GraphNode): DiscoveredResource {
    const r = this.mapper.map(n.apiVersion, n.kind);
    if (!r) throw new Error(`unable to get REST mapping for ${n.apiVersion}, Kind=${n.kind}`);
    return r;
  }

  /** Upstream's attemptToDeleteItem. */
  async attemptToDelete(uid: string): Promise<Outcome> {
    const n = this.builder.graph.get(uid);
    if (!n) return 'done';
    // Being deleted is a one-way trip: its dependents are handled when the delete is observed.
    if (n.beingDeleted && !n.deletingDependents) return 'done';
    let latest: KubeObject | undefined;
    if (n.virtual) {
      latest = await this.lookup(n.apiVersion, n.kind, n.namespace, n.name);
      if (!latest || latest.metadata?.uid !== n.uid) {
        this.builder.virtualDelete(n);
        return 'done';
      }
    } else {
      latest = this.cached(n);
      // Gone from the cache: its delete event removes the node and requeues what depends on it.
      if (!latest) return 'done';
    }
    if (n.deletingDependents) {
      await this.processDeletingDependents(n);
      return 'done';
    }
    const refs = latest.metadata?.ownerReferences ?? [];
    if (refs.length > 0) {
      const states = new Map<string, OwnerState>();
      for (const ref of refs) states.set(ref.uid, await this.ownerState(ref, latest.metadata?.namespace ?? ''));
      const decision = decideAttemptToDelete(latest, classifyReferences(refs, (r) => states.get(r.uid)!), n.dependentList());
      if (decision.action === 'removeReferences') await this.removeReferences(n, latest, decision.uids);
      else if (decision.action === 'delete') await this.deleteItem(n, latest, decision.policy, decision.unblock);
    }
    // The object exists but its informer has not shown it yet (or never will): look again later.
    return n.virtual ? 'requeue' : 'done';
  }

  /** Solid, dangling or waiting: from the graph when it observed the owner, else from the API server. */
  private async ownerState(ref: OwnerReference, namespace: string): Promise<OwnerState> {
    if (this.builder.absent.has(ref.uid) || this.builder.absent.has(referenceKey(ref, namespace))) return 'dangling';
    const owner = this.builder.graph.get(ref.uid);
    if (owner && !owner.virtual) return owner.deletingDependents ? 'waiting' : 'solid';
    const live = await this.lookup(ref.apiVersion, ref.kind, namespace, ref.name);
    const state = ownerStateOf(live, ref);
    if (state === 'dangling') this.builder.absent.add(referenceKey(ref, namespace));
    return state;
  }

  private async processDeletingDependents(n: GraphNode): Promise<void> {
    const decision = decideDeletingDependents(n);
    if (decision.action === 'removeFinalizer') await this.removeFinalizer(n, FOREGROUND_FINALIZER);
    else for (const d of decision.enqueue) this.deleteQueue.add(d.uid);
  }

  private async deleteItem(n: GraphNode, latest: KubeObject, policy: PropagationPolicy, unblock: boolean): Promise<void> {
    const r = this.resourceOf(n);
    const m = latest.metadata!;
    let rv = m.resourceVersion;
    if (unblock) {
      const unblocked = (m.ownerReferences ?? []).filter((o) => o.blockOwnerDeletion).map((o) => ({ uid: o.uid, blockOwnerDeletion: false }));
      if (unblocked.length) {
        const next = (m.ownerReferences ?? []).map((o) => (o.blockOwnerDeletion ? { ...o, blockOwnerDeletion: false } : o));
        const patched = await this.patchReferences(n, latest, unblocked, next);
        if (!patched) return;
        rv = patched.metadata?.resourceVersion;
      }
    }
    const ns = r.ref.namespaced ? n.namespace : undefined;
    try {
      await this.ctx.client.delete(r.ref, ns, n.name, { propagationPolicy: policy, preconditions: { uid: n.uid, ...(rv ? { resourceVersion: rv } : {}) } });
    } catch (err) {
      if (isNotFound(err)) return;
      if (!isConflict(err)) throw err;
      // Changed since the cache saw it: delete anyway if its owners are still the ones decided on.
      const fresh = await this.lookup(n.apiVersion, n.kind, n.namespace, n.name);
      if (!fresh || fresh.metadata?.uid !== n.uid) return;
      if (JSON.stringify(fresh.metadata?.ownerReferences ?? []) !== JSON.stringify(m.ownerReferences ?? [])) throw err;
      await this.ctx.client.delete(r.ref, ns, n.name, { propagationPolicy: policy, preconditions: { uid: n.uid } }).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
    }
  }

  /** Drops the references to `uids` from the item (it keeps a solid owner). */
  private async removeReferences(n: GraphNode, latest: KubeObject, uids: string[]): Promise<void> {
    const next = referencesAfterRemoving(latest.metadata?.ownerReferences, uids);
    await this.patchReferences(n, latest, uids.map((uid) => ({ $patch: 'delete', uid })), next);
  }

  /**
   * A strategic merge patch of ownerReferences (merge key uid) that carries the object's uid as a precondition,
   * as upstream's; custom resources refuse strategic patches (415), so they get a JSON merge patch of the whole
   * list with the resourceVersion. Undefined when the object is gone.
   */
  private async patchReferences(n: GraphNode, latest: KubeObject, strategic: object[], whole: OwnerReference[]): Promise<KubeObject | undefined> {
    const r = this.resourceOf(n);
    const ns = r.ref.namespaced ? n.namespace : undefined;
    try {
      return await this.ctx.client.patch(r.ref, ns, n.name, { metadata: { ownerReferences: strategic, uid: n.uid } }, 'strategic');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      if (!(err instanceof ApiError && err.code === 415)) throw err;
    }
    try {
      const patch = { metadata: { ownerReferences: whole.length ? whole : null, resourceVersion: latest.metadata?.resourceVersion, uid: n.uid } };
      return await this.ctx.client.patch(r.ref, ns, n.name, patch, 'merge');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Removes `finalizer` from the node's object: read, merge patch with the resourceVersion, retry on conflict. */
  private async removeFinalizer(n: GraphNode, finalizer: string): Promise<void> {
    const r = this.resourceOf(n);
    const ns = r.ref.namespaced ? n.namespace : undefined;
    for (let attempt = 0; ; attempt++) {
      const obj = await this.lookup(n.apiVersion, n.kind, n.namespace, n.name);
      if (!obj || obj.metadata?.uid !== n.uid) return;
      const finalizers = obj.metadata?.finalizers ?? [];
      if (!finalizers.includes(finalizer)) return;
      const left = finalizers.filter((f) => f !== finalizer);
      try {
        await this.ctx.client.patch(r.ref, ns, n.name, { metadata: { finalizers: left.length ? left : null, resourceVersion: obj.metadata?.resourceVersion } }, 'merge');
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err) || attempt >= 5) throw err;
      }
    }
  }

  /** Upstream's attemptToOrphanWorker: every dependent loses its reference to the owner, then the finalizer goes. */
  async attemptToOrphan(uid: string): Promise<Outcome> {
    const owner = this.builder.graph.get(uid);
    if (!owner) return 'done';
    const dependents = owner.dependentList();
    // Bounded concurrency: an owner may have thousands of dependents.
    let next = 0;
    const failures: unknown[] = [];
    const one = async (): Promise<void> => {
      while (next < dependents.length) {
        const d = dependents[next++]!;
        const latest = this.cached(d);
        // Gone, or no longer pointing at the owner: nothing to remove.
        if (!latest?.metadata?.ownerReferences?.some((r) => r.uid === uid)) continue;
        try {
          await this.patchReferences(d, latest, [{ $patch: 'delete', uid }], referencesAfterRemoving(latest.metadata.ownerReferences, [uid]));
        } catch (err) {
          failures.push(err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(10, dependents.length) }, one));
    if (failures.length) throw failures[0];
    await this.removeFinalizer(owner, ORPHAN_FINALIZER);
    return 'done';
  }
}

export const garbageCollectorController: ControllerDescriptor = {
  name: 'garbage-collector',
  enabledByDefault: true,
  create: (ctx) => new GarbageCollector(ctx),
};
