/**
 * The apiextensions controllers inside the API server, over the CRDs' watch cache: naming (NamesAccepted and
 * acceptedNames), establishing (Established once the resource is served), serving (the CRD's versions added to,
 * replaced in or removed from the registry, which routes, discovery, OpenAPI and tables all derive from) and
 * finalizing (a deleted CRD's instances are deleted, then its cleanup finalizer removed, then its routes).
 *
 * One worker runs the CRDs' keys in turn (names are claimed per group, so syncs must not overlap). Each sync reads
 * the cache's current object and makes the smallest write; a write's own event queues the next step, so a new CRD
 * goes names → served → Established in three quick passes.
 */
import type { KubeObject, ResourceType } from '../resource.js';
import { storageOf } from '../resource.js';
import type { Registry } from '../registry.js';
import type { ObjectEngine } from '../routes/objects.js';
import { rfc3339 } from '../../../client/time.js';
import { ApiError } from '../status.js';
import { putDefinitions } from '../schema/index.js';
import type { Subscription } from '../watch/cache.js';
import {
  asCRD, CLEANUP_FINALIZER, findCondition, isConditionTrue, setCondition, storageVersion, type CRDCondition, type CustomResourceDefinition,
} from './definition.js';
import { customResources, servable } from './custom-resource.js';
import type { ServiceURL } from './conversion-webhook.js';
import { engineWebhookSource } from '../admission/webhooks.js';
import { calculateNames, namesSettled } from './naming.js';

/** The manager the controllers' writes are recorded under (upstream's loopback client). */
const FIELD_MANAGER = 'kube-apiserver';
/** How long a finalizer waits for instances with finalizers of their own to go, and how often it looks. */
const INSTANCE_WAIT_MS = 60_000;
const INSTANCE_POLL_MS = 200;

interface Served {
  /** What the served types were built from: a change of it rebuilds them. */
  fingerprint: string;
  resources: ResourceType[];
}

export interface CRDControllerOptions {
  now?: () => Date;
  onError?: (err: unknown) => void;
}

export class CRDController {
  private readonly served = new Map<string, Served>();
  /** CRDs whose resource the registry refused (it clashes with a built-in), by the spec it was refused for. */
  private readonly refused = new Map<string, string>();
  private readonly queue = new Set<string>();
  private running: Promise<void> | null = null;
  private sub: Subscription | null = null;
  private stopped = false;
  private readonly now: () => Date;
  private readonly onError: (err: unknown) => void;
  /** Finalizations in flight, by CRD name (they wait on instances and must not block the other syncs). */
  private readonly finalizing = new Map<string, Promise<void>>();
  /** Conversion webhooks reach a Service through its endpoints, as admission webhooks do. */
  private readonly serviceURL: ServiceURL;

  constructor(
    private readonly engine: ObjectEngine,
    private readonly registry: Registry,
    private readonly crdType: ResourceType,
    opts: CRDControllerOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
    this.onError = opts.onError ?? (() => {});
    const source = engineWebhookSource(engine);
    this.serviceURL = (ns, name, port, path) => source.serviceURL(ns, name, port, path);
  }

  /** Lists the CRDs, serves the established ones, and follows changes; resolves once the first pass is done. */
  async start(): Promise<void> {
    const cache = this.engine.cache(this.crdType);
    await cache.start();
    for (const e of cache.list()) this.queue.add(e.object.metadata!.name!);
    this.sub = cache.subscribe(cache.revision, (ev) => this.enqueue(ev.object.metadata?.name));
    await this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sub?.cancel();
    await this.running;
    await Promise.allSettled([...this.finalizing.values()]);
  }

  private enqueue(name: string | undefined): void {
    if (!name || this.stopped) return;
    this.queue.add(name);
    void this.kick();
  }

  /** Runs queued syncs one at a time; resolves when the queue is empty. */
  private kick(): Promise<void> {
    this.running ??= (async () => {
      while (this.queue.size && !this.stopped) {
        const name = this.queue.values().next().value as string;
        this.queue.delete(name);
        try {
          await this.sync(name);
        } catch (err) {
          if (this.engine.isClosed || this.stopped) return;
          if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) this.onError(err);
          // Conflicts and missed objects: the next event brings the key back; a slow retry covers the rest.
          setTimeout(() => this.enqueue(name), 1000).unref();
        }
      }
    })().finally(() => {
      this.running = null;
      // A key queued between the loop's last look and here would otherwise wait for the next event.
      if (this.queue.size && !this.stopped) void this.kick();
    });
    return this.running;
  }

  private all(): CustomResourceDefinition[] {
    return this.engine.cache(this.crdType).list().map((e) => asCRD(e.object));
  }

  private current(name: string): CustomResourceDefinition | undefined {
    return this.all().find((c) => c.metadata?.name === name);
  }

  private requeueGroup(group: string, except: string): void {
    for (const c of this.all()) if (c.spec?.group === group && c.metadata?.name !== except) this.queue.add(c.metadata!.name!);
  }

  async sync(name: string): Promise<void> {
    const crd = this.current(name);
    if (!crd) {
      const had = this.served.get(name);
      this.unserve(name);
      if (had?.resources[0]) this.requeueGroup(had.resources[0].group, name);
      return;
    }
    // Naming: a spec whose names differ from the accepted ones (or no verdict yet) is judged.
    if (!namesSettled(crd) || !findCondition(crd, 'NamesAccepted')) {
      const res = calculateNames(crd, this.all());
      const same = JSON.stringify(res.accepted) === JSON.stringify(crd.status?.acceptedNames)
        && sameCondition(findCondition(crd, 'NamesAccepted'), res.namesAccepted);
      if (!same) {
        await this.writeStatus(name, (c) => {
          c.status!.acceptedNames = res.accepted;
          setCondition(c, res.namesAccepted, rfc3339(this.now()));
          setCondition(c, res.established, rfc3339(this.now()));
        });
        this.requeueGroup(crd.spec.group, name);
        return;
      }
    }
    const terminating = crd.metadata?.deletionTimestamp !== undefined;
    // Serving follows the accepted names; a terminating CRD still serves reads and deletes of what is left.
    if (servable(crd)) this.serve(crd, terminating);
    if (terminating) {
      if ((crd.metadata?.finalizers ?? []).includes(CLEANUP_FINALIZER) && !this.finalizing.has(name)) {
        const p = this.finalize(name).catch((err: unknown) => {
          if (!this.engine.isClosed && !this.stopped) this.onError(err);
          setTimeout(() => this.enqueue(name), 1000).unref();
        }).finally(() => this.finalizing.delete(name));
        this.finalizing.set(name, p);
      }
      return;
    }
    // Establishing: once the names are accepted and the resource is served.
    if (isConditionTrue(crd, 'NamesAccepted') && !isConditionTrue(crd, 'Established') && this.served.has(name)) {
      await this.writeStatus(name, (c) => {
        setCondition(c, { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }, rfc3339(this.now()));
      });
    }
    // storedVersions keeps every version ever stored (the storage version may have moved).
    const storage = storageVersion(crd);
    if (storage && !(crd.status?.storedVersions ?? []).includes(storage.name)) {
      await this.writeStatus(name, (c) => {
        c.status!.storedVersions = [...(c.status!.storedVersions ?? []), storage.name];
      });
    }
  }

  private serve(crd: CustomResourceDefinition, terminating: boolean): void {
    const name = crd.metadata!.name!;
    const fingerprint = JSON.stringify([crd.spec, crd.status?.acceptedNames, terminating]);
    const had = this.served.get(name);
    if (had?.fingerprint === fingerprint) return;
    const resources = customResources(crd, this.serviceURL);
    if (terminating) {
      // Upstream refuses new instances of a CRD being deleted. Creates run on the storage version's strategy.
      for (const r of new Set(resources.flatMap((x) => [x, storageOf(x)]))) {
        r.strategy = {
          ...r.strategy,
          admit: () => {
            throw new ApiError(405, 'MethodNotAllowed', 'create not allowed while custom resource definition is terminating');
          },
        };
      }
    }
    const old = new Set(had?.resources ?? []);
    try {
      this.registry.replace((r) => old.has(r), resources);
    } catch (err) {
      // A path a built-in kind already serves: the CRD stays unestablished; said once per spec, not retried.
      if (this.refused.get(name) !== fingerprint) this.onError(err);
      this.refused.set(name, fingerprint);
      return;
    }
    this.refused.delete(name);
    const defs: Record<string, import('../schema/types.js').Schema | undefined> = {};
    for (const r of had?.resources ?? []) for (const d of Object.keys(r.schemas ?? {})) defs[d] = undefined;
    for (const r of resources) Object.assign(defs, r.schemas ?? {});
    putDefinitions(defs);
    // A new storage layout (the scope) starts a fresh watch cache; a new storage version needs nothing: reads
    // convert whatever version an object was stored in.
    const oldStorage = had?.resources[0] && storageOf(had.resources[0]);
    const newStorage = resources[0] && storageOf(resources[0]);
    if (oldStorage && newStorage && oldStorage.namespaced !== newStorage.namespaced) this.engine.dropCache(oldStorage);
    this.served.set(name, { fingerprint, resources });
  }

  private unserve(name: string): void {
    const had = this.served.get(name);
    if (!had) return;
    const old = new Set(had.resources);
    this.registry.replace((r) => old.has(r), []);
    const defs: Record<string, undefined> = {};
    for (const r of had.resources) for (const d of Object.keys(r.schemas ?? {})) defs[d] = undefined;
    putDefinitions(defs);
    if (had.resources[0]) this.engine.dropCache(storageOf(had.resources[0]));
    this.served.delete(name);
  }

  /** The CRD finalizer: instances go first (if it ever served any), then the finalizer, then the CRD. */
  private async finalize(name: string): Promise<void> {
    const crd = this.current(name);
    if (!crd) return;
    await this.writeStatus(name, (c) => {
      setCondition(c, { type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' }, rfc3339(this.now()));
    });
    let cond: CRDCondition;
    const first = this.served.get(name)?.resources[0];
    const storage = first && storageOf(first);
    if (isConditionTrue(crd, 'Established') && storage) {
      cond = await this.deleteInstances(storage);
    } else {
      cond = { type: 'Terminating', status: 'False', reason: 'NeverEstablished', message: 'resource was never established' };
    }
    await this.writeStatus(name, (c) => setCondition(c, cond, rfc3339(this.now())));
    if (cond.status === 'True') throw new Error(`${name}: ${cond.message ?? 'instance deletion failed'}`);
    // Removing the last finalizer of a terminating object deletes it; its DELETED event unserves it.
    await this.engine.guaranteedUpdate(this.crdType, undefined, name, (c) => {
      c.metadata!.finalizers = (c.metadata!.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);
      if (c.metadata!.finalizers.length === 0) delete c.metadata!.finalizers;
      return c;
    }, { fieldManager: FIELD_MANAGER }, '');
  }

  private async deleteInstances(r: ResourceType): Promise<CRDCondition> {
    try {
      await this.engine.deleteCollection(r, undefined, {}, {}, {});
    } catch (err) {
      return { type: 'Terminating', status: 'True', reason: 'InstanceDeletionFailed', message: `could not issue all deletes: ${String(err)}` };
    }
    const end = Date.now() + INSTANCE_WAIT_MS;
    for (;;) {
      const left = await this.engine.list(r, undefined, {});
      if (left.items.length === 0) break;
      if (Date.now() > end || this.stopped) {
        return { type: 'Terminating', status: 'True', reason: 'InstanceDeletionCheck', message: `could not confirm zero CustomResources remaining: timed out waiting for the condition` };
      }
      await new Promise((res) => setTimeout(res, INSTANCE_POLL_MS));
    }
    return { type: 'Terminating', status: 'False', reason: 'InstanceDeletionCompleted', message: 'removed all instances' };
  }

  /** A status write through the status subresource, from the current object (guaranteedUpdate retries). */
  private async writeStatus(name: string, mutate: (crd: CustomResourceDefinition) => void): Promise<void> {
    await this.engine.guaranteedUpdate(this.crdType, undefined, name, (cur: KubeObject) => {
      const c = asCRD(cur);
      c.status ??= { acceptedNames: { plural: '', kind: '' } };
      mutate(c);
      delete c.metadata!.resourceVersion;
      return c;
    }, { fieldManager: FIELD_MANAGER }, 'status');
  }
}

function sameCondition(a: CRDCondition | undefined, b: CRDCondition): boolean {
  return !!a && a.status === b.status && a.reason === b.reason && a.message === b.message;
}
