/**
 * The ReplicaSet controller (upstream's pkg/controller/replicaset), which also runs ReplicationControllers
 * through a kind adapter (replication-controller.ts), as upstream's replication manager does: one sync logic.
 *
 * Informer handlers only enqueue owner keys and record what they observe against expectations. `sync(key)`
 * claims the owner's active pods (adopting matching orphans, releasing ones that stopped matching), creates or
 * deletes pods towards spec.replicas unless earlier creates/deletes are still unobserved, and writes status
 * (counts, observedGeneration, ReplicaFailure) only when it changed.
 */
import { UIDTrackingExpectations } from '../../client/expectations.js';
import type { SharedInformer } from '../../client/informer.js';
import { isNotFound } from '../../client/rest.js';
import { writeStatus } from './shared/status-write.js';
import { Pods, ReplicaSets, type ResourceRef } from '../../client/resources.js';
import { objectKey, splitKey, type KubeObject } from '../../client/types.js';
import type { ControllerContext } from './context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from './controller.js';
import {
  availabilityRecheckMs, BURST_REPLICAS, countPods, podChangeMatters, podsToDelete, replicaDiff, slowStartBatch, specReplicas, statusFromCounts, statusUnchanged,
  SLOW_START_INITIAL_BATCH_SIZE, type PodCounts, type ReplicaSetLike, type ReplicaSetStatus,
} from './replicaset-decide.js';
import { OwnerPodTally, tallyCounts } from './replicaset-tally.js';
import { addControllerUIDIndex, claimCandidates, controlledBy, ControllerRefManager, errorMessage, orphansIn } from './shared/controller-ref.js';
import { isNamespaceTerminating, PodControl } from './shared/pod-control.js';
import { controllerOf, filterActivePods, isPodActive, isPodReady, newControllerRef, podKey, type GroupVersionKind, type Pod } from './shared/pod-util.js';
import { compileSelector, selectorMatches, type CompiledSelector, type LabelSelectorSpec } from './shared/selector.js';

/** What differs between ReplicaSets and ReplicationControllers. */
export interface ReplicaSetKind {
  /** --controllers name. */
  name: string;
  /** The events' source component. */
  component: string;
  /** The workqueue's name in /metrics. */
  queueName: string;
  resource: ResourceRef;
  gvk: GroupVersionKind;
  /** The compiled pod selector of an owner (LabelSelector for ReplicaSets, a label map for RCs). */
  selectorOf(owner: ReplicaSetLike): CompiledSelector;
}

export const replicaSetKind: ReplicaSetKind = {
  name: 'replicaset',
  component: 'replicaset-controller',
  queueName: 'replicaset',
  resource: ReplicaSets,
  gvk: { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  selectorOf: (rs) => compileSelector(rs.spec?.selector as LabelSelectorSpec | undefined),
};

/** Status writes of one owner remembered ahead of the cache at most (see ReplicaSetController.written). */
const MAX_WRITES_AHEAD = 16;

const keyOf = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export class ReplicaSetController implements Controller {
  readonly name: string;
  readonly expectations: UIDTrackingExpectations;
  private readonly queue;
  private readonly owners: SharedInformer<ReplicaSetLike>;
  private readonly pods: SharedInformer<Pod>;
  private readonly podControl: PodControl;
  /** Per-sync cap on creates and deletes (upstream's burstReplicas). */
  burstReplicas: number;
  /**
   * Per owner key, the object our last status write returned and the resourceVersions older than it that came
   * from us (what our writes replaced, and our earlier writes). While the cache shows one of those (the watch
   * has not brought our last write back yet), the write's result is the newer copy: the next sync compares its
   * status with it and writes over it, instead of repeating an unchanged status from the stale copy (a 409, a
   * GET and the same status again). Versions are only compared for equality.
   */
  private readonly written = new Map<string, { behind: Set<string>; obj: ReplicaSetLike }>();
  /** Each owner's active pods counted from the pod events, so most syncs need not walk them (replicaset-tally.ts). */
  private readonly tally: OwnerPodTally;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly kind: ReplicaSetKind = replicaSetKind,
    opts: { burstReplicas?: number } = {},
  ) {
    this.name = kind.name;
    this.burstReplicas = opts.burstReplicas ?? BURST_REPLICAS;
    this.expectations = new UIDTrackingExpectations(ctx.clock);
    this.tally = new OwnerPodTally();
    this.queue = ctx.queue(kind.queueName);
    this.owners = ctx.informers.forResource<ReplicaSetLike>(kind.resource);
    this.pods = ctx.informers.forResource<Pod>(Pods);
    addControllerUIDIndex(this.pods);
    addControllerUIDIndex(this.owners);
    this.podControl = new PodControl({ client: ctx.client, event: (...a) => ctx.event(...a), component: kind.component });

    this.owners.addEventHandler({
      onAdd: (rs) => this.queue.add(keyOf(rs)),
      onUpdate: (old, cur) => {
        // A delete and re-create under the same name between two events: forget the old one's expectations.
        if (old.metadata?.uid !== cur.metadata?.uid) this.expectations.delete(keyOf(old));
        this.queue.add(keyOf(cur));
      },
      onDelete: (rs) => {
        this.expectations.delete(keyOf(rs));
        this.written.delete(keyOf(rs));
        this.queue.add(keyOf(rs));
      },
    });
    // The tally follows the cache first: every event, before the handlers below decide whether to enqueue.
    this.pods.addEventHandler({
      onAdd: (pod) => {
        this.tally.observe(objectKey(pod), pod);
        this.addPod(pod);
      },
      onUpdate: (old, cur) => {
        this.tally.observe(objectKey(cur), cur);
        this.updatePod(old, cur);
      },
      onDelete: (pod) => {
        this.tally.observe(objectKey(pod), undefined);
        // `pod` is the cached copy: already terminating, its deletion was observed (and synced) when the
        // timestamp came; its removal changes neither the active pods nor the expectations.
        if (pod.metadata?.deletionTimestamp) return;
        this.deletePod(pod);
      },
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.ctx, this.name, this.queue, [this.owners as SharedInformer, this.pods as SharedInformer], (k) => this.sync(k), signal);
  }

  // ---------------------------------------------------------------------------------------- event handlers

  /** The owner a controller reference points at, if it is of our kind and still the same object (by UID). */
  private resolveControllerRef(namespace: string, ref: { kind: string; name: string; uid: string } | undefined): ReplicaSetLike | undefined {
    if (!ref || ref.kind !== this.kind.gvk.kind) return undefined;
    const rs = this.owners.lister.get(namespace, ref.name);
    return rs && rs.metadata?.uid === ref.uid ? rs : undefined;
  }

  /** The owners in the pod's namespace whose selector matches an orphan pod. */
  private ownersSelecting(pod: Pod): ReplicaSetLike[] {
    const ns = pod.metadata?.namespace ?? '';
    return this.owners.lister.list(ns).filter((rs) => selectorMatches(this.kind.selectorOf(rs), pod.metadata?.labels));
  }

  private addPod(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      // Restarted with a pod already being deleted: count it deleted, so we do not wait for it to go.
      this.deletePod(pod);
      return;
    }
    const ns = pod.metadata?.namespace ?? '';
    const ref = controllerOf(pod);
    if (ref) {
      const rs = this.resolveControllerRef(ns, ref);
      if (!rs) return;
      const key = keyOf(rs);
      this.expectations.creationObserved(key);
      this.queue.add(key);
      return;
    }
    // An orphan: wake every owner that may adopt it.
    for (const rs of this.ownersSelecting(pod)) this.queue.add(keyOf(rs));
  }

  private updatePod(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return; // a re-list, not a change
    const ns = cur.metadata?.namespace ?? '';
    const labelsChanged = old.metadata?.labels !== cur.metadata?.labels && JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(cur.metadata?.labels ?? {});
    // A binding, or a terminating pod's last status: nothing a sync reads changed, so a sync would only redo the
    // same counts (upstream enqueues anyway; here a sync walks every pod of the owner, each time).
    if (!labelsChanged && !podChangeMatters(old, cur)) return;
    if (cur.metadata?.deletionTimestamp) {
      // A graceful delete starts with the timestamp: replace the pod now, not when the kubelet finishes.
      this.deletePod(cur);
      if (labelsChanged) this.deletePod(old);
      return;
    }
    const curRef = controllerOf(cur);
    const oldRef = controllerOf(old);
    const refChanged = curRef?.uid !== oldRef?.uid;
    if (refChanged && oldRef) {
      const rs = this.resolveControllerRef(ns, oldRef);
      if (rs) this.queue.add(keyOf(rs));
    }
    if (curRef) {
      const rs = this.resolveControllerRef(ns, curRef);
      if (!rs) return;
      const key = keyOf(rs);
      this.queue.add(key);
      // Becoming ready starts minReadySeconds: look again once it may count as available.
      const min = rs.spec?.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && min > 0) this.queue.addAfter(key, min * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.ownersSelecting(cur)) this.queue.add(keyOf(rs));
  }

  private deletePod(pod: Pod): void {
    const ref = controllerOf(pod);
    if (!ref) return;
    const rs = this.resolveControllerRef(pod.metadata?.namespace ?? '', ref);
    if (!rs) return;
    const key = keyOf(rs);
    this.expectations.deletionObservedUID(key, podKey(pod));
    this.queue.add(key);
  }

  // ---------------------------------------------------------------------------------------- sync

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const cached = this.owners.lister.get(namespace, name);
    const rs = this.freshest(key, cached);
    if (!rs || !cached) {
      this.expectations.delete(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    const selector = this.kind.selectorOf(rs);
    if (selector.nothing) {
      // Invalid selectors are refused by validation; one that slipped through is reported, not retried.
      this.ctx.onError(new Error(`${this.kind.gvk.kind} ${key} has an invalid pod selector`), this.name);
      return;
    }
    const ns = rs.metadata?.namespace ?? '';
    const now = this.ctx.clock.now();
    // The counts from the tally when claiming would keep exactly the pods this owner controls and no pod needs
    // choosing for deletion; otherwise the walk over its pods (claim, rank) as upstream's sync.
    let counts: PodCounts | undefined = this.hasAdoptableOrphans(ns, selector, rs) ? undefined
      : tallyCounts(this.tally.of(ns, rs.metadata?.uid ?? ''), selector, rs.spec?.template?.metadata?.labels ?? {}, rs.spec?.minReadySeconds ?? 0);
    const manage = needsSync && !rs.metadata?.deletionTimestamp;
    if (counts && manage && counts.replicas > specReplicas(rs)) counts = undefined;
    let pods: Pod[] = [];
    if (!counts) {
      const claims = new ControllerRefManager<Pod>({
        client: this.ctx.client,
        owner: rs,
        ownerGVK: this.kind.gvk,
        ownerResource: this.kind.resource,
        childResource: Pods,
        selector,
      });
      pods = await claims.claim(filterActivePods(claimCandidates(this.pods.indexer, rs)));
      counts = countPods(rs, pods, now);
    }

    let manageError: unknown;
    if (manage) {
      try {
        await this.manageReplicas(key, rs, counts.replicas, pods);
      } catch (err) {
        manageError = err;
      }
    }
    const status = statusFromCounts(rs, counts, manageError === undefined ? undefined : errorMessage(manageError), now);
    const updated = await this.updateStatus(rs, status);
    if (updated !== rs) this.noteWritten(key, rs, updated);
    if (manageError === undefined) {
      const after = availabilityRecheckMs(updated);
      if (after !== undefined) this.queue.addAfter(key, after);
    } else {
      throw manageError;
    }
  }

  /** The cached owner, or our last status write's result while the cache shows a version our writes replaced. */
  private freshest(key: string, cached: ReplicaSetLike | undefined): ReplicaSetLike | undefined {
    const w = this.written.get(key);
    if (!w) return cached;
    const m = cached?.metadata;
    if (m?.resourceVersion !== undefined && m.resourceVersion !== w.obj.metadata?.resourceVersion && m.uid === w.obj.metadata?.uid && w.behind.has(m.resourceVersion)) return w.obj;
    this.written.delete(key); // the cache has caught up, or moved on with someone else's write
    return cached;
  }

  /** Records a status write's result; `from` is the copy the sync started from (cached or our previous result). */
  private noteWritten(key: string, from: ReplicaSetLike, obj: ReplicaSetLike): void {
    const prev = this.written.get(key);
    const behind = prev && prev.obj === from ? prev.behind : new Set<string>();
    if (from.metadata?.resourceVersion !== undefined) behind.add(from.metadata.resourceVersion);
    // A cache that lags this far is better trusted again than remembered without bound.
    if (behind.size > MAX_WRITES_AHEAD || obj.metadata?.resourceVersion === undefined) this.written.delete(key);
    else this.written.set(key, { behind, obj });
  }

  /** An active orphan in the namespace that this owner's claim would adopt. */
  private hasAdoptableOrphans(namespace: string, selector: CompiledSelector, rs: ReplicaSetLike): boolean {
    if (rs.metadata?.deletionTimestamp) return false; // an owner being deleted adopts nothing
    return orphansIn(this.pods.indexer, namespace).some((p) => isPodActive(p) && selectorMatches(selector, p.metadata?.labels));
  }

  /**
   * Creates or deletes pods towards spec.replicas, at most burstReplicas per sync; records expectations first.
   * `active` counts the claimed active pods; `pods` are they, walked (needed when deleting).
   */
  private async manageReplicas(key: string, rs: ReplicaSetLike, active: number, pods: Pod[]): Promise<void> {
    const { create, delete: del } = replicaDiff(active, specReplicas(rs), this.burstReplicas);
    const ns = rs.metadata?.namespace ?? '';
    if (create > 0) {
      this.expectations.expect(key, create, 0);
      const controllerRef = newControllerRef(rs, this.kind.gvk);
      const template = rs.spec?.template ?? {};
      const { successes, error } = await slowStartBatch(create, SLOW_START_INITIAL_BATCH_SIZE, async () => {
        try {
          await this.podControl.createPod(ns, template, rs, controllerRef);
        } catch (err) {
          // In a terminating namespace every create fails; that is not this owner's failure (upstream counts it done).
          if (!isNamespaceTerminating(err)) throw err;
        }
      });
      // Creates that failed, or were never sent after a failed batch, will never be observed.
      if (create - successes > 0) this.expectations.lower(key, create - successes, 0);
      if (error !== undefined) throw error;
      return;
    }
    if (del > 0) {
      const related = this.relatedPods(rs);
      const victims = podsToDelete(pods, related, del, this.ctx.clock.now());
      this.expectations.expectDeletions(key, victims.map(podKey));
      const results = await Promise.allSettled(
        victims.map(async (pod) => {
          try {
            await this.podControl.deletePod(ns, pod.metadata?.name ?? '', rs);
          } catch (err) {
            // This delete will never be observed.
            this.expectations.deletionObservedUID(key, podKey(pod));
            if (!isNotFound(err)) throw err;
          }
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }

  /**
   * Pods of every owner under the same controller as `rs` (a Deployment's ReplicaSets), matched by each owner's
   * selector in the namespace, as upstream's getIndirectlyRelatedPods; used to rank deletions by node crowding.
   */
  private relatedPods(rs: ReplicaSetLike): Pod[] {
    const ref = controllerOf(rs);
    const ns = rs.metadata?.namespace ?? '';
    const siblings = ref ? controlledBy(this.owners.indexer, ref.uid).filter((o) => o.metadata?.namespace === ns) : [rs];
    const inNamespace = this.pods.lister.list(ns);
    const seen = new Set<string>();
    const out: Pod[] = [];
    for (const sib of siblings) {
      const sel = this.kind.selectorOf(sib);
      if (sel.nothing) continue;
      for (const p of inNamespace) {
        const uid = p.metadata?.uid ?? '';
        if (seen.has(uid) || !isPodActive(p) || !selectorMatches(sel, p.metadata?.labels)) continue;
        seen.add(uid);
        out.push(p);
      }
    }
    return out;
  }

  /** Writes status when it changed, with observedGeneration (status-write.ts); a deleted set keeps its copy. */
  private async updateStatus(rs: ReplicaSetLike, status: ReplicaSetStatus): Promise<ReplicaSetLike> {
    if (statusUnchanged(rs, status)) return rs;
    const written = await writeStatus(this.ctx.client, this.kind.resource, rs, (target) => ({ ...target, status: { ...status, observedGeneration: target.metadata?.generation ?? 0 } }));
    return written ?? rs;
  }
}

export const replicaSetController: ControllerDescriptor = {
  name: 'replicaset',
  enabledByDefault: true,
  create: (ctx) => new ReplicaSetController(ctx, replicaSetKind),
};
