/**
 * The DaemonSet controller (upstream's pkg/controller/daemon): one pod per eligible node. Informer handlers only
 * enqueue DaemonSet keys (and record observed creates/deletes against expectations). `sync(key)` records the
 * template as a ControllerRevision, claims the set's pods, groups them by target node, creates pods pinned to
 * nodes that need one (node affinity `metadata.name In [node]`; the scheduler binds them), deletes failed,
 * surplus and misplaced ones, steps a rolling update, prunes history and writes status when it changed.
 */
import type { Clock } from '../../../client/clock.js';
import { UIDTrackingExpectations } from '../../../client/expectations.js';
import type { SharedInformer } from '../../../client/informer.js';
import { isNotFound } from '../../../client/rest.js';
import { writeStatus } from '../shared/status-write.js';
import { ControllerRevisions, DaemonSets, Nodes, Pods } from '../../../client/resources.js';
import { splitKey, type KubeObject } from '../../../client/types.js';
import type { ControllerContext } from '../context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from '../controller.js';
import { slowStartBatch, SLOW_START_INITIAL_BATCH_SIZE } from '../replicaset-decide.js';
import { addControllerUIDIndex, claimCandidates, ControllerRefManager } from '../shared/controller-ref.js';
import {
  CONTROLLER_REVISION_HASH_LABEL, createControllerRevision, findEqualRevisions, maxRevision, newControllerRevision,
  revisionsToPrune, templatePatch, type ControllerRevision,
} from '../shared/history.js';
import { computeHash } from '../deployment/hash.js';
import { isNamespaceTerminating, PodControl } from '../shared/pod-control.js';
import { controllerOf, isPodTerminal, newControllerRef, podKey, type Pod } from '../shared/pod-util.js';
import { compileSelector, selectorMatches, selectsEverything, type CompiledSelector, type LabelSelectorSpec } from '../shared/selector.js';
import { FailedPodBackoff } from './backoff.js';
import {
  calculateStatus, daemonPodTemplate, DS_BURST_REPLICAS, FAILED_DAEMON_POD, nodeShouldRunDaemonPod, planNodes, podsByNode,
  rollingUpdatePlan, statusUnchanged, type DaemonSetLike, type DaemonSetStatus, type NodeLike,
} from './decide.js';

const COMPONENT = 'daemonset-controller';
const GVK = { apiVersion: 'apps/v1', kind: 'DaemonSet' };
const keyOf = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export class DaemonSetController implements Controller {
  readonly name = 'daemonset';
  readonly expectations: UIDTrackingExpectations;
  private readonly queue;
  private readonly sets: SharedInformer<DaemonSetLike & KubeObject>;
  private readonly pods: SharedInformer<Pod>;
  private readonly nodes: SharedInformer<NodeLike & KubeObject>;
  private readonly revisions: SharedInformer<ControllerRevision>;
  private readonly podControl: PodControl;
  private readonly backoff: FailedPodBackoff;
  burstReplicas = DS_BURST_REPLICAS;

  constructor(private readonly ctx: ControllerContext) {
    this.expectations = new UIDTrackingExpectations(ctx.clock as Clock);
    this.backoff = new FailedPodBackoff(ctx.clock);
    this.queue = ctx.queue('daemonset');
    this.sets = ctx.informers.forResource<DaemonSetLike & KubeObject>(DaemonSets);
    this.pods = ctx.informers.forResource<Pod>(Pods);
    this.nodes = ctx.informers.forResource<NodeLike & KubeObject>(Nodes);
    this.revisions = ctx.informers.forResource<ControllerRevision>(ControllerRevisions);
    addControllerUIDIndex(this.pods);
    addControllerUIDIndex(this.revisions);
    this.podControl = new PodControl({ client: ctx.client, event: (...a) => ctx.event(...a), component: COMPONENT });

    this.sets.addEventHandler({
      onAdd: (ds) => this.queue.add(keyOf(ds)),
      onUpdate: (old, cur) => {
        if (old.metadata?.uid !== cur.metadata?.uid) this.expectations.delete(keyOf(old));
        this.queue.add(keyOf(cur));
      },
      onDelete: (ds) => {
        this.expectations.delete(keyOf(ds));
        this.queue.add(keyOf(ds));
      },
    });
    this.pods.addEventHandler({
      onAdd: (pod) => this.addPod(pod),
      onUpdate: (old, cur) => this.updatePod(old, cur),
      onDelete: (pod) => this.deletePod(pod),
    });
    this.nodes.addEventHandler({
      onAdd: (node) => this.enqueueWhere((ds) => nodeShouldRunDaemonPod(node, ds).shouldRun),
      onUpdate: (old, cur) => {
        if (!nodeSchedulingChanged(old, cur)) return;
        this.enqueueWhere((ds) => {
          const a = nodeShouldRunDaemonPod(old, ds);
          const b = nodeShouldRunDaemonPod(cur, ds);
          return a.shouldRun !== b.shouldRun || a.shouldContinueRunning !== b.shouldContinueRunning;
        });
      },
      // Pods on a deleted node are not deleted by us (the pod GC does that); status still changes.
      onDelete: () => this.enqueueWhere(() => true),
    });
    const ownerOfRevision = (rev: ControllerRevision): void => {
      const ref = controllerOf(rev);
      if (ref?.kind !== 'DaemonSet') return;
      const ds = this.sets.lister.get(rev.metadata?.namespace ?? '', ref.name);
      if (ds && ds.metadata?.uid === ref.uid) this.queue.add(keyOf(ds));
    };
    this.revisions.addEventHandler({ onAdd: ownerOfRevision, onUpdate: (_o, c) => ownerOfRevision(c), onDelete: ownerOfRevision });
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.ctx, this.name, this.queue,
      [this.sets as SharedInformer, this.pods as SharedInformer, this.nodes as SharedInformer, this.revisions as SharedInformer],
      (k) => this.sync(k), signal);
  }

  // ---------------------------------------------------------------------------------------- event handlers

  private enqueueWhere(pred: (ds: DaemonSetLike) => boolean): void {
    for (const ds of this.sets.lister.list()) if (pred(ds)) this.queue.add(keyOf(ds));
  }

  private resolve(namespace: string, ref: { kind: string; name: string; uid: string } | undefined): (DaemonSetLike & KubeObject) | undefined {
    if (!ref || ref.kind !== 'DaemonSet') return undefined;
    const ds = this.sets.lister.get(namespace, ref.name);
    return ds && ds.metadata?.uid === ref.uid ? ds : undefined;
  }

  private setsSelecting(pod: Pod): (DaemonSetLike & KubeObject)[] {
    return this.sets.lister.list(pod.metadata?.namespace ?? '').filter((ds) => selectorMatches(selectorOf(ds), pod.metadata?.labels));
  }

  private addPod(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      this.deletePod(pod);
      return;
    }
    const ref = controllerOf(pod);
    if (ref) {
      const ds = this.resolve(pod.metadata?.namespace ?? '', ref);
      if (!ds) return;
      this.expectations.creationObserved(keyOf(ds));
      this.queue.add(keyOf(ds));
      return;
    }
    for (const ds of this.setsSelecting(pod)) this.queue.add(keyOf(ds));
  }

  private updatePod(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    if (cur.metadata?.deletionTimestamp) {
      // Graceful deletion starts: replace the pod now, not when the kubelet is done.
      this.deletePod(cur);
      return;
    }
    const ns = cur.metadata?.namespace ?? '';
    const curRef = controllerOf(cur);
    const oldRef = controllerOf(old);
    if (oldRef && oldRef.uid !== curRef?.uid) {
      const ds = this.resolve(ns, oldRef);
      if (ds) this.queue.add(keyOf(ds));
    }
    if (curRef) {
      const ds = this.resolve(ns, curRef);
      if (!ds) return;
      this.queue.add(keyOf(ds));
      const min = ds.spec?.minReadySeconds ?? 0;
      const readyNow = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      if (min > 0 && !readyNow(old) && readyNow(cur)) this.queue.addAfter(keyOf(ds), min * 1000 + 1000);
      return;
    }
    for (const ds of this.setsSelecting(cur)) this.queue.add(keyOf(ds));
  }

  private deletePod(pod: Pod): void {
    const ds = this.resolve(pod.metadata?.namespace ?? '', controllerOf(pod));
    if (!ds) return;
    this.expectations.deletionObservedUID(keyOf(ds), podKey(pod));
    this.queue.add(keyOf(ds));
  }

  // ---------------------------------------------------------------------------------------- sync

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const ds = this.sets.lister.get(namespace, name);
    if (!ds) {
      this.expectations.delete(key);
      return;
    }
    const selector = selectorOf(ds);
    if (selector.nothing || selectsEverything(selector)) {
      this.ctx.event(COMPONENT, ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    if (ds.metadata?.deletionTimestamp) return; // the garbage collector removes the pods
    const nodes = this.nodes.lister.list();
    const { current, old, collisionCount } = await this.constructHistory(ds, selector);
    const hash = current.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
    const pods = await this.claimPods(ds, selector);

    if (this.expectations.satisfied(key)) {
      await this.manage(key, ds, nodes, pods, hash);
      if (this.expectations.satisfied(key)) {
        if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
          const plan = rollingUpdatePlan(ds, nodes, podsByNode(visible(pods)), hash, this.ctx.clock.now());
          await this.syncNodes(key, ds, plan.deletePods, plan.createOn, hash);
        }
        await this.cleanupHistory(ds, old, pods, hash);
      }
    }
    await this.updateStatus(key, ds, nodes, visible(pods), hash, collisionCount);
  }

  /** The set's pods (adopting matching orphans, releasing ones that stopped matching). */
  private claimPods(ds: DaemonSetLike & KubeObject, selector: CompiledSelector): Promise<Pod[]> {
    const claims = new ControllerRefManager<Pod>({
      client: this.ctx.client, owner: ds, ownerGVK: GVK, ownerResource: DaemonSets, childResource: Pods, selector,
    });
    return claims.claim(claimCandidates(this.pods.indexer, ds));
  }

  private async manage(key: string, ds: DaemonSetLike & KubeObject, nodes: NodeLike[], pods: Pod[], hash: string): Promise<void> {
    const byNode = podsByNode(visible(pods));
    const uid = ds.metadata?.uid ?? '';
    const plan = planNodes(nodes, byNode, ds, hash, this.ctx.clock.now(), (node) => {
      const k = `${uid}/${node}`;
      if (!this.backoff.inBackoff(k)) return false;
      this.queue.addAfter(key, this.backoff.delay(k));
      return true;
    });
    for (const { pod, node } of plan.failedPods) {
      this.backoff.next(`${uid}/${node}`);
      this.ctx.event(COMPONENT, ds, 'Warning', FAILED_DAEMON_POD,
        `Found failed daemon pod ${pod.metadata?.namespace}/${pod.metadata?.name} on node ${node}, will try to kill it`);
    }
    this.backoff.gc();
    await this.syncNodes(key, ds, plan.deletePods, plan.createOn, hash);
  }

  /** Creates pods on `createOn` and deletes `deletePods`, each capped at burstReplicas, expectations first. */
  private async syncNodes(key: string, ds: DaemonSetLike & KubeObject, deletePods: string[], createOn: string[], hash: string): Promise<void> {
    const creates = createOn.slice(0, this.burstReplicas);
    const deletes = [...new Set(deletePods)].slice(0, this.burstReplicas);
    if (creates.length === 0 && deletes.length === 0) return;
    const ns = ds.metadata?.namespace ?? '';
    // expectDeletions replaces the key's expectations, so the creates are added on top of it afterwards.
    this.expectations.expectDeletions(key, deletes.map((n) => `${ns}/${n}`));
    this.expectations.lower(key, -creates.length, 0);
    const errors: unknown[] = [];
    if (creates.length) {
      const ref = newControllerRef(ds, GVK);
      let i = 0;
      const { successes, error } = await slowStartBatch(creates.length, SLOW_START_INITIAL_BATCH_SIZE, async () => {
        const node = creates[i++]!;
        try {
          await this.podControl.createPod(ns, daemonPodTemplate(ds, node, hash), ds, ref);
        } catch (err) {
          if (!isNamespaceTerminating(err)) throw err;
        }
      });
      if (creates.length - successes > 0) this.expectations.lower(key, creates.length - successes, 0);
      if (error !== undefined) errors.push(error);
    }
    const results = await Promise.allSettled(deletes.map(async (name) => {
      try {
        await this.podControl.deletePod(ns, name, ds);
      } catch (err) {
        this.expectations.deletionObservedUID(key, `${ns}/${name}`);
        if (!isNotFound(err)) throw err;
      }
    }));
    for (const r of results) if (r.status === 'rejected') errors.push(r.reason);
    if (errors.length) throw errors[0];
  }

  // ---------------------------------------------------------------------------------------- history

  private async claimRevisions(ds: DaemonSetLike & KubeObject, selector: CompiledSelector): Promise<ControllerRevision[]> {
    const claims = new ControllerRefManager<ControllerRevision>({
      client: this.ctx.client, owner: ds, ownerGVK: GVK, ownerResource: DaemonSets, childResource: ControllerRevisions, selector,
    });
    return claims.claim(claimCandidates(this.revisions.indexer, ds));
  }

  /**
   * constructHistory: the revision of the current template (created, or renumbered to the newest when an old
   * template came back) and the old ones. A DaemonSet's revision is named `<ds>-<template hash>`.
   */
  private async constructHistory(ds: DaemonSetLike & KubeObject, selector: CompiledSelector): Promise<{ current: ControllerRevision; old: ControllerRevision[]; collisionCount?: number }> {
    const revisions = await this.claimRevisions(ds, selector);
    const data = templatePatch(ds.spec?.template);
    const matching = findEqualRevisions(revisions, data);
    const old = revisions.filter((r) => !matching.includes(r));
    const next = maxRevision(old) + 1;
    let collisionCount = ds.status?.collisionCount;
    let current: ControllerRevision;
    if (matching.length === 0) {
      const make = (count: number | undefined): ControllerRevision => newControllerRevision(
        ds, GVK, ds.spec?.template?.metadata?.labels, data, next, count,
        { hash: computeHash(ds.spec?.template, count), annotations: ds.metadata?.annotations as Record<string, string> | undefined });
      const created = await createControllerRevision(this.ctx.client, make(collisionCount), collisionCount ?? 0, make);
      current = created.revision;
      if (created.collisionCount !== (collisionCount ?? 0)) collisionCount = created.collisionCount;
    } else {
      // Duplicates of the current template (a race between two writers): keep the newest, drop the rest.
      current = matching[matching.length - 1]!;
      for (const dup of matching.slice(0, -1)) await this.deleteRevision(dup);
      if ((current.revision ?? 0) < next) {
        current = await this.ctx.client.update<ControllerRevision>(ControllerRevisions, { ...current, revision: next });
      }
    }
    return { current, old, collisionCount };
  }

  /** cleanupHistory: old revisions no pod runs, oldest first, beyond revisionHistoryLimit. */
  private async cleanupHistory(ds: DaemonSetLike, old: ControllerRevision[], pods: Pod[], hash: string): Promise<void> {
    const live = new Set<string>([hash]);
    for (const p of pods) {
      const h = p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
      if (h) live.add(h);
    }
    for (const rev of revisionsToPrune(old, live, ds.spec?.revisionHistoryLimit)) await this.deleteRevision(rev);
  }

  private async deleteRevision(rev: ControllerRevision): Promise<void> {
    try {
      await this.ctx.client.delete(ControllerRevisions, rev.metadata?.namespace ?? '', rev.metadata?.name ?? '');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  // ---------------------------------------------------------------------------------------- status

  private async updateStatus(key: string, ds: DaemonSetLike & KubeObject, nodes: NodeLike[], pods: Pod[], hash: string, collisionCount: number | undefined): Promise<void> {
    const now = this.ctx.clock.now();
    const withCount = collisionCount === undefined ? ds : { ...ds, status: { ...(ds.status ?? emptyStatus()), collisionCount } };
    const status = calculateStatus(withCount, nodes, podsByNode(pods), hash, now);
    if ((ds.spec?.minReadySeconds ?? 0) > 0 && status.numberReady !== status.numberAvailable) {
      this.queue.addAfter(key, (ds.spec?.minReadySeconds ?? 0) * 1000);
    }
    if (statusUnchanged(ds, status)) return;
    await writeStatus(this.ctx.client, DaemonSets, ds, (target) => ({ ...target, status: { ...status, observedGeneration: target.metadata?.generation } }));
  }
}

const emptyStatus = (): DaemonSetStatus => ({ currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 });

const selectorOf = (ds: DaemonSetLike): CompiledSelector => compileSelector(ds.spec?.selector as LabelSelectorSpec | undefined);

/** Pods a sync counts: terminal pods already being deleted are gone as far as the node is concerned. */
const visible = (pods: Pod[]): Pod[] => pods.filter((p) => !(isPodTerminal(p) && p.metadata?.deletionTimestamp));

/** Node changes that may change where daemon pods should run (upstream's shouldIgnoreNodeUpdate, inverted). */
function nodeSchedulingChanged(old: NodeLike, cur: NodeLike): boolean {
  return JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(cur.metadata?.labels ?? {})
    || JSON.stringify(old.spec?.taints ?? []) !== JSON.stringify(cur.spec?.taints ?? [])
    || (old.spec?.unschedulable ?? false) !== (cur.spec?.unschedulable ?? false);
}

export const daemonSetController: ControllerDescriptor = {
  name: 'daemonset',
  enabledByDefault: true,
  create: (ctx) => new DaemonSetController(ctx),
};
