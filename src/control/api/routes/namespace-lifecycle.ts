/**
 * The namespace controller's deletion half, inside the API server: a terminating namespace's contents are
 * deleted (with their own finalizers and grace periods honoured), then the `kubernetes` finalizer is removed
 * through /finalize, which deletes the namespace once nothing else holds it.
 *
 * Each pass reports what it found on the Namespace's status conditions, as upstream's deleter does
 * (namespace-conditions.ts), written only when they change.
 *
 * A pass runs when a namespace starts terminating; again as soon as the last object it left behind goes, and
 * within a second of any of them going (a watch on the caches of the resources it deletes); and on a slow sweep
 * (restarts, anything missed). Passes over one namespace never overlap: a kick during a pass asks for one more.
 */
import type { KubeObject, ResourceType } from '../resource.js';
import { ApiError } from '../status.js';
import type { CacheEvent, Subscription, WatchCache } from '../watch/cache.js';
import { rfc3339 } from '../../../client/time.js';
import {
  deletionConditions, mergeNamespaceConditions, namespaceConditionsOf, type DeletionFindings,
} from './namespace-conditions.js';
import type { ObjectEngine } from './objects.js';

/** The finalizer this controller owns on spec.finalizers. */
const FINALIZER_TOKEN = 'kubernetes';
/** Resources whose content is deleted at once (each deletecollection itself runs its deletes concurrently). */
const RESOURCE_WORKERS = 4;
/**
 * A leftover's deletion that does not empty the namespace refreshes its conditions after this long (passes
 * coalesce, so thousands of pods finishing their grace periods cost about one pass a second, not one each).
 */
const REFRESH_MS = 1000;
/** The manager the condition writes are recorded under, as upstream's controller's writes are. */
const FIELD_MANAGER = 'kube-controller-manager';

/** What one resource's deletion left in a namespace. */
interface ResourceOutcome {
  remaining: number;
  finalizers: Map<string, number>;
  /** Seconds the remaining objects may legitimately still take (pods' grace periods), upstream's estimate. */
  estimate: number;
  error?: string;
}

export class NamespaceLifecycle {
  private timer: NodeJS.Timeout | null = null;
  private running = new Map<string, Promise<void>>();
  /** Namespaces kicked while a pass over them ran: they get one more pass. */
  private again = new Set<string>();
  /**
   * Per terminating namespace, the storage keys its last pass left behind; the DELETED event that empties the
   * set starts the next pass.
   */
  private waiting = new Map<string, Set<string>>();
  /** One cache subscription per resource (storage prefix), shared by every waiting namespace. */
  private watched = new Map<string, Promise<WatchCache>>();
  private subscriptions: Subscription[] = [];
  /** Namespaces with a refresh pass scheduled (REFRESH_MS). */
  private refreshes = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly engine: ObjectEngine,
    private readonly sweepMs = 2000,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  start(): void {
    this.engine.onNamespaceTerminating = (name) => void this.kick(name);
    const loop = () => {
      if (this.stopped) return;
      void this.sweep().finally(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.sweepMs).unref();
      });
    };
    this.timer = setTimeout(loop, 0).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const t of this.refreshes.values()) clearTimeout(t);
    this.refreshes.clear();
    for (const s of this.subscriptions) s.cancel();
    this.subscriptions = [];
    await Promise.allSettled([...this.running.values()]);
  }

  /** Starts a pass over one namespace, or asks the running one for another; resolves when they are done. */
  kick(name: string): Promise<void> {
    const current = this.running.get(name);
    if (current) {
      this.again.add(name);
      return current;
    }
    const p = (async () => {
      do {
        this.again.delete(name);
        if (this.stopped) return;
        await this.finalize(name).catch((err: unknown) => {
          if (err instanceof ApiError && err.code === 404) this.waiting.delete(name);
          else if (!this.engine.isClosed) this.onError(err);
        });
      } while (this.again.has(name));
    })().finally(() => this.running.delete(name));
    this.running.set(name, p);
    return p;
  }

  private async sweep(): Promise<void> {
    const nsType = this.namespaces();
    if (!nsType || this.engine.isClosed) return;
    try {
      const { items } = await this.engine.list(nsType, undefined, {});
      const terminating = new Set(items.filter((e) => e.object.metadata?.deletionTimestamp).map((e) => e.object.metadata!.name!));
      for (const name of this.waiting.keys()) if (!terminating.has(name)) this.waiting.delete(name);
      await Promise.all([...terminating].map((name) => this.kick(name)));
    } catch (err) {
      if (!this.engine.isClosed) this.onError(err);
    }
  }

  private namespaces(): ResourceType | undefined {
    return this.engine.registry.lookup('', 'v1', 'namespaces');
  }

  /** The namespaced resources a pass deletes: one version per group/resource, those that can be deleted. */
  private deletable(): ResourceType[] {
    const seen = new Set<string>();
    const out: ResourceType[] = [];
    for (const r of this.engine.registry.namespaced()) {
      const id = `${r.plural}.${r.group}`;
      if (seen.has(id) || !r.verbs.includes('delete')) continue;
      seen.add(id);
      out.push(r);
    }
    return out;
  }

  /**
   * One pass, as upstream's deleter: delete every resource's content, count what is left (and the finalizers
   * holding it), write the conditions when they change; when nothing is left, drop the `kubernetes` finalizer.
   */
  private async finalize(name: string): Promise<void> {
    const nsType = this.namespaces()!;
    const ns = await this.engine.get(nsType, undefined, name);
    const deletedAt = ns.metadata?.deletionTimestamp;
    if (!deletedAt) {
      this.waiting.delete(name);
      return;
    }
    const specFinalizers = (ns['spec'] as { finalizers?: string[] } | undefined)?.finalizers ?? [];
    // Already finalized by us; other finalizers (or metadata.finalizers) hold the namespace now.
    if (!specFinalizers.includes(FINALIZER_TOKEN)) {
      this.waiting.delete(name);
      return;
    }

    const left = new Set<string>();
    this.waiting.set(name, left);
    const resources = this.deletable();
    const outcomes = new Array<ResourceOutcome | undefined>(resources.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < resources.length && !this.stopped) {
        const i = next++;
        outcomes[i] = await this.deleteContent(resources[i]!, name, deletedAt);
      }
    };
    await Promise.all(Array.from({ length: Math.min(RESOURCE_WORKERS, resources.length) }, worker));
    if (this.stopped) return;

    const remaining: { group: string; resource: string; count: number }[] = [];
    const finalizers: Record<string, number> = {};
    const contentErrors: string[] = [];
    let estimate = 0;
    resources.forEach((r, i) => {
      const o = outcomes[i]!;
      if (o.error !== undefined) contentErrors.push(o.error);
      estimate = Math.max(estimate, o.estimate);
      if (o.remaining > 0) {
        remaining.push({ group: r.group, resource: r.plural, count: o.remaining });
        for (const [f, n] of o.finalizers) finalizers[f] = (finalizers[f] ?? 0) + n;
      }
    });
    const findings: DeletionFindings = { remaining, finalizers, contentErrors };
    // Upstream's rule: finished when no resource failed and nothing is left (nor may still be going away).
    const done = contentErrors.length === 0 && remaining.length === 0 && estimate === 0;
    await this.writeConditions(nsType, ns, findings);
    if (this.stopped) return;
    if (!done) {
      // Everything counted is already gone (deleted before its key was tracked): look again now.
      if (contentErrors.length === 0 && left.size === 0) this.again.add(name);
      return;
    }

    this.waiting.delete(name);
    const rest = specFinalizers.filter((f) => f !== FINALIZER_TOKEN);
    await this.engine.finalizeNamespace(name, { spec: { finalizers: rest } }, {});
  }

  /** Upstream's deleteAllContentForGroupVersionResource: delete the collection, then list what is left. */
  private async deleteContent(r: ResourceType, ns: string, deletedAt: string): Promise<ResourceOutcome> {
    const out: ResourceOutcome = { remaining: 0, finalizers: new Map(), estimate: 0 };
    try {
      // Subscribed before the list below, so no deletion of what it returns goes unseen.
      const cache = await this.watch(r);
      // Background: the garbage collector must not add `orphan` to objects the namespace takes with it anyway.
      await this.engine.deleteCollection(r, ns, {}, { propagationPolicy: 'Background' }, {});
      const listed = await this.engine.list(r, ns, {});
      this.track(ns, cache, listed.items.map((e) => e.key), Number(listed.resourceVersion));
      const items = listed.items.map((e) => e.object);
      out.estimate = r.group === '' && r.plural === 'pods' ? graceEstimate(items, deletedAt, this.now()) : 0;
      out.remaining = items.length;
      for (const o of items) {
        for (const f of o.metadata?.finalizers ?? []) out.finalizers.set(f, (out.finalizers.get(f) ?? 0) + 1);
      }
      if (items.length > 0 && out.finalizers.size === 0 && out.estimate === 0) {
        out.error = `unexpected items still remain in namespace: ${ns} for gvr: ${r.group}/${r.version}, Resource=${r.plural}`;
      }
    } catch (err) {
      if (err instanceof ApiError && (err.code === 404 || err.code === 405)) return out;
      out.error = err instanceof Error ? err.message : String(err);
    }
    return out;
  }

  /**
   * Remembers the keys a pass left in `ns`. Those the cache already knows gone (it has caught up with the list's
   * revision and lacks them) are not kept: their DELETED events were delivered before we knew to look.
   */
  private track(ns: string, cache: WatchCache, keys: readonly string[], listedAt: number): void {
    const left = this.waiting.get(ns);
    if (!left || keys.length === 0) return;
    // A watch-only cache (events) cannot tell what is gone: every key waits for its DELETED event or the sweep.
    const caughtUp = cache.holdsObjects && cache.revision >= listedAt;
    for (const k of keys) if (!caughtUp || cache.get(k)) left.add(k);
  }

  /** Writes the conditions through the status subresource when they differ from the stored ones. */
  private async writeConditions(nsType: ResourceType, ns: KubeObject, findings: DeletionFindings): Promise<void> {
    const wanted = deletionConditions(findings);
    if (!mergeNamespaceConditions(namespaceConditionsOf(ns['status']), wanted, '').changed) return;
    const now = rfc3339(this.now());
    try {
      await this.engine.guaranteedUpdate(nsType, undefined, ns.metadata!.name!, (cur) => {
        const status = { ...((cur['status'] as Record<string, unknown> | undefined) ?? {}) };
        status['conditions'] = mergeNamespaceConditions(namespaceConditionsOf(status), wanted, now).conditions;
        return { ...cur, status };
      }, { fieldManager: FIELD_MANAGER }, 'status');
    } catch (err) {
      // As upstream: a failed condition write is reported, and deletion goes on.
      if (!(err instanceof ApiError && err.code === 404)) this.onError(err);
    }
  }

  /**
   * Subscribes (once per resource) to its watch cache, so that the deletion of a namespace's last leftover starts
   * the namespace's next pass at once instead of on the sweep. Resolves when the subscription is live.
   */
  private watch(r: ResourceType): Promise<WatchCache> {
    const cache = this.engine.cache(r);
    let p = this.watched.get(cache.prefix);
    if (!p) {
      const onEvent = (ev: CacheEvent) => {
        if (ev.type !== 'DELETED') return;
        const ns = ev.object.metadata?.namespace;
        const left = ns === undefined ? undefined : this.waiting.get(ns);
        if (!left?.delete(ev.key)) return;
        if (left.size === 0) void this.kick(ns!);
        else this.refreshSoon(ns!);
      };
      p = cache.start().then(() => {
        // A subscription the cache ends (it stopped) is made again by the next pass.
        const sub = cache.subscribe(cache.revision, onEvent, () => this.watched.delete(cache.prefix));
        if (this.stopped) sub.cancel();
        else this.subscriptions.push(sub);
        return cache;
      });
      p.catch(() => this.watched.delete(cache.prefix));
      this.watched.set(cache.prefix, p);
    }
    return p;
  }

  private refreshSoon(ns: string): void {
    if (this.refreshes.has(ns) || this.stopped) return;
    const t = setTimeout(() => {
      this.refreshes.delete(ns);
      void this.kick(ns);
    }, REFRESH_MS);
    t.unref();
    this.refreshes.set(ns, t);
  }

  private now(): Date {
    return this.engine.options.now?.() ?? new Date();
  }
}

/**
 * Upstream's estimateGracefulTerminationForPods: the longest terminationGracePeriodSeconds among non-terminal
 * pods, or 0 once that long has passed since the namespace's deletion.
 */
export function graceEstimate(pods: readonly KubeObject[], namespaceDeletedAt: string, now: Date): number {
  let estimate = 0;
  for (const p of pods) {
    const phase = (p['status'] as { phase?: string } | undefined)?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const grace = (p['spec'] as { terminationGracePeriodSeconds?: number } | undefined)?.terminationGracePeriodSeconds;
    if (typeof grace === 'number' && grace > estimate) estimate = grace;
  }
  const elapsed = (now.getTime() - Date.parse(namespaceDeletedAt)) / 1000;
  return elapsed >= estimate ? 0 : estimate;
}
