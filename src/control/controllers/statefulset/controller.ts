/**
 * The StatefulSet controller (upstream's pkg/controller/statefulset): pods with stable names `<set>-<ordinal>`,
 * created in order (OrderedReady) or all at once (Parallel), replaced when they fail, removed highest ordinal
 * first when scaling down, rolled highest ordinal first down to the partition, with history as
 * ControllerRevisions named in status.currentRevision/updateRevision. Informer handlers only enqueue set keys;
 * `sync(key)` claims pods and revisions, plans one step (decide.ts) and carries it out.
 *
 * volumeClaimTemplates (claims.ts): a pod's claims `<template>-<set>-<ordinal>` are created before the pod (and
 * again for a Pending pod whose claim went), the pod mounts them, and each claim's owner references follow
 * persistentVolumeClaimRetentionPolicy before any pod is deleted, so the garbage collector removes what the
 * policy says (whenDeleted with the set, whenScaled with a scaled-down pod) and keeps the rest.
 */
import type { SharedInformer } from '../../../client/informer.js';
import { isNotFound } from '../../../client/rest.js';
import { writeStatus } from '../shared/status-write.js';
import { ControllerRevisions, PersistentVolumeClaims, Pods, StatefulSets } from '../../../client/resources.js';
import { splitKey, type KubeObject } from '../../../client/types.js';
import type { ControllerContext } from '../context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from '../controller.js';
import { slowStartBatch } from '../replicaset-decide.js';
import { addControllerUIDIndex, claimCandidates, ControllerRefManager, errorMessage } from '../shared/controller-ref.js';
import {
  CONTROLLER_REVISION_HASH_LABEL, createControllerRevision, isAlreadyExists, revisionsToPrune, type ControllerRevision,
} from '../shared/history.js';
import { controllerOf, isControlledBy, type Pod } from '../shared/pod-util.js';
import { compileSelector, selectorMatches, selectsEverything, type CompiledSelector, type LabelSelectorSpec } from '../shared/selector.js';
import {
  allowsBurst, completeRollingUpdate, GVK, isMemberOf, ordinalOf, planStatefulSet, specReplicas, statusUnchanged,
  type Action, type StatefulSetLike, type StatefulSetStatus,
} from './decide.js';
import { chooseCurrentRevision, chooseUpdateRevision, newRevision } from './revisions.js';
import { claimIsStale, claimOwnerUpToDate, claimsFor, withClaimOwnerRefs, withStorage } from './claims.js';
import type { PersistentVolumeClaim } from '../persistentvolume/types.js';

const COMPONENT = 'statefulset-controller';
type Set = StatefulSetLike & KubeObject;
const keyOf = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export class StatefulSetController implements Controller {
  readonly name = 'statefulset';
  private readonly queue;
  private readonly sets: SharedInformer<Set>;
  private readonly pods: SharedInformer<Pod>;
  private readonly revisions: SharedInformer<ControllerRevision>;
  private readonly claims: SharedInformer<PersistentVolumeClaim>;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = ctx.queue('statefulset');
    this.claims = ctx.informers.forResource<PersistentVolumeClaim>(PersistentVolumeClaims);
    this.sets = ctx.informers.forResource<Set>(StatefulSets);
    this.pods = ctx.informers.forResource<Pod>(Pods);
    this.revisions = ctx.informers.forResource<ControllerRevision>(ControllerRevisions);
    addControllerUIDIndex(this.pods);
    addControllerUIDIndex(this.revisions);
    this.sets.addEventHandler({
      onAdd: (s) => this.queue.add(keyOf(s)),
      onUpdate: (_o, s) => this.queue.add(keyOf(s)),
      onDelete: (s) => this.queue.add(keyOf(s)),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.onPod(p),
      onUpdate: (old, cur) => {
        if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
        const oldRef = controllerOf(old);
        if (oldRef && oldRef.uid !== controllerOf(cur)?.uid) this.onPod(old);
        this.onPod(cur, old);
      },
      onDelete: (p) => this.onPod(p),
    });
    // A claim of a set's template that goes may be what a pod waits for (a stale claim, one being deleted).
    const onClaim = (claim: PersistentVolumeClaim): void => {
      for (const s of this.sets.lister.list(claim.metadata?.namespace ?? '')) {
        if ((s.spec?.volumeClaimTemplates ?? []).length > 0 && selectorMatches(selectorOf(s), claim.metadata?.labels)) this.queue.add(keyOf(s));
      }
    };
    this.claims.addEventHandler({ onUpdate: (_o, c) => { if (c.metadata?.deletionTimestamp) onClaim(c); }, onDelete: onClaim });
    const ownerOf = (rev: ControllerRevision): void => {
      const s = this.resolve(rev.metadata?.namespace ?? '', controllerOf(rev));
      if (s) this.queue.add(keyOf(s));
    };
    this.revisions.addEventHandler({ onAdd: ownerOf, onUpdate: (_o, r) => ownerOf(r), onDelete: ownerOf });
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.ctx, this.name, this.queue,
      [this.sets as SharedInformer, this.pods as SharedInformer, this.revisions as SharedInformer, this.claims as SharedInformer], (k) => this.sync(k), signal);
  }

  private resolve(namespace: string, ref: { kind: string; name: string; uid: string } | undefined): Set | undefined {
    if (!ref || ref.kind !== 'StatefulSet') return undefined;
    const s = this.sets.lister.get(namespace, ref.name);
    return s && s.metadata?.uid === ref.uid ? s : undefined;
  }

  private onPod(pod: Pod, old?: Pod): void {
    const ns = pod.metadata?.namespace ?? '';
    const ref = controllerOf(pod);
    if (ref) {
      const s = this.resolve(ns, ref);
      if (!s) return;
      this.queue.add(keyOf(s));
      const min = s.spec?.minReadySeconds ?? 0;
      const ready = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      if (old && min > 0 && !ready(old) && ready(pod)) this.queue.addAfter(keyOf(s), min * 1000 + 1000);
      return;
    }
    // An orphan: wake the sets that may adopt it.
    for (const s of this.sets.lister.list(ns)) {
      if (selectorMatches(selectorOf(s), pod.metadata?.labels)) this.queue.add(keyOf(s));
    }
  }

  // ---------------------------------------------------------------------------------------- sync

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const set = this.sets.lister.get(namespace, name);
    if (!set) return;
    const selector = selectorOf(set);
    if (selector.nothing || selectsEverything(selector)) {
      this.ctx.onError(new Error(`StatefulSet ${key} has an invalid or empty pod selector`), this.name);
      return;
    }
    const pods = await new ControllerRefManager<Pod>({
      client: this.ctx.client, owner: set, ownerGVK: GVK, ownerResource: StatefulSets, childResource: Pods, selector,
      filter: (p) => isMemberOf(set, p),
    }).claim(claimCandidates(this.pods.indexer, set));
    const revisions = await new ControllerRefManager<ControllerRevision>({
      client: this.ctx.client, owner: set, ownerGVK: GVK, ownerResource: StatefulSets, childResource: ControllerRevisions, selector,
    }).claim(claimCandidates(this.revisions.indexer, set));

    const { current, update, collisionCount } = await this.revisionsOf(set, revisions);
    const plan = planStatefulSet(set, pods, current, update, collisionCount, this.ctx.clock.now());
    let stepError: unknown;
    try {
      await this.maintainClaims(set, pods);
      await this.run1(set, plan.replicas);
      await this.run1(set, plan.condemned);
      await this.run1(set, plan.update);
    } catch (err) {
      stepError = err;
    }
    const status = completeRollingUpdate(set, plan.status);
    await this.updateStatus(set, status);
    await this.truncateHistory(set, pods, revisions, current, update);
    if ((set.spec?.minReadySeconds ?? 0) > 0 && status.availableReplicas !== specReplicas(set)) {
      this.queue.addAfter(key, (set.spec?.minReadySeconds ?? 0) * 1000);
    }
    if (stepError !== undefined) throw stepError;
  }

  /** Carries out one phase: in order (OrderedReady, stopping at an error) or in slow-start batches (Parallel). */
  private async run1(set: Set, actions: Action[]): Promise<void> {
    if (actions.length === 0) return;
    if (!allowsBurst(set)) {
      for (const a of actions) await this.act(set, a);
      return;
    }
    let i = 0;
    const { error } = await slowStartBatch(actions.length, 1, () => this.act(set, actions[i++]!));
    if (error !== undefined) throw error;
  }

  private async act(set: Set, a: Action): Promise<void> {
    const ns = set.metadata?.namespace ?? '';
    const podName = a.pod.metadata?.name ?? '';
    const setName = set.metadata?.name ?? '';
    const verb = a.type;
    try {
      if (a.type === 'create') {
        // A claim still owned by an earlier pod of this name (whenScaled Delete) is about to go: wait for it.
        if (this.hasStaleClaim(set, a.pod)) return;
        await this.createClaims(set, a.pod);
        try {
          await this.ctx.client.create(Pods, withStorage(set, a.pod), { namespace: ns });
        } catch (err) {
          // Our own pod the cache has not shown yet: the informer's add will requeue the set.
          if (isAlreadyExists(err) && (await this.ownPodExists(set, podName))) return;
          throw err;
        }
      } else if (a.type === 'delete') {
        try {
          await this.ctx.client.delete(Pods, ns, podName);
        } catch (err) {
          if (isNotFound(err)) return;
          throw err;
        }
      } else {
        await this.ctx.client.update(Pods, a.pod);
      }
    } catch (err) {
      const reason = `Failed${verb[0]!.toUpperCase()}${verb.slice(1)}`;
      this.ctx.event(COMPONENT, set, 'Warning', reason, `${verb} Pod ${podName} in StatefulSet ${setName} failed error: ${errorMessage(err)}`);
      throw err;
    }
    const reason = `Successful${verb[0]!.toUpperCase()}${verb.slice(1)}`;
    this.ctx.event(COMPONENT, set, 'Normal', reason, `${verb} Pod ${podName} in StatefulSet ${setName} successful`);
  }

  // ---------------------------------------------------------------------------------------- claims

  /**
   * createPersistentVolumeClaims: the pod's claims that do not exist yet, with the retention policy's owner
   * references; a claim still being deleted stops the pod's creation until it is gone.
   */
  private async createClaims(set: Set, pod: Pod): Promise<void> {
    const ns = set.metadata?.namespace ?? '';
    const podName = pod.metadata?.name ?? '';
    for (const { claim } of claimsFor(set, ordinalOf(pod))) {
      const name = claim.metadata?.name ?? '';
      const existing = this.claims.lister.get(ns, name);
      if (existing) {
        if (existing.metadata?.deletionTimestamp) throw new Error(`pvc ${name} is being deleted`);
        continue;
      }
      try {
        await this.ctx.client.create(PersistentVolumeClaims, withClaimOwnerRefs(claim, set, pod), { namespace: ns });
      } catch (err) {
        if (isAlreadyExists(err)) continue;
        this.ctx.event(COMPONENT, set, 'Warning', 'FailedCreate', `create Claim ${name} for Pod ${podName} in StatefulSet ${set.metadata?.name ?? ''} failed error: ${errorMessage(err)}`);
        throw err;
      }
      this.ctx.event(COMPONENT, set, 'Normal', 'SuccessfulCreate', `create Claim ${name} Pod ${podName} in StatefulSet ${set.metadata?.name ?? ''} success`);
    }
  }

  /** PodClaimIsStale, from the cache (a claim's deletion requeues the set). */
  private hasStaleClaim(set: Set, pod: Pod): boolean {
    const ns = set.metadata?.namespace ?? '';
    return claimsFor(set, ordinalOf(pod)).some(({ claim }) => {
      const cur = this.claims.lister.get(ns, claim.metadata?.name ?? '');
      return cur !== undefined && claimIsStale(cur, set, pod);
    });
  }

  /**
   * Before the step: a Pending pod gets back a claim that went (createMissingPersistentVolumeClaims), and every
   * live pod's claims carry the owner references the retention policy asks for (UpdatePodClaimForRetentionPolicy),
   * so a condemned pod's claim is already owned by it when the pod is deleted.
   */
  private async maintainClaims(set: Set, pods: Pod[]): Promise<void> {
    if ((set.spec?.volumeClaimTemplates ?? []).length === 0 || set.metadata?.deletionTimestamp) return;
    const ns = set.metadata?.namespace ?? '';
    for (const pod of pods) {
      if (pod.metadata?.deletionTimestamp) continue;
      if (pod.status?.phase === 'Pending') await this.createClaims(set, pod);
      for (const { claim } of claimsFor(set, ordinalOf(pod))) {
        const cur = this.claims.lister.get(ns, claim.metadata?.name ?? '');
        if (!cur || cur.metadata?.deletionTimestamp || claimOwnerUpToDate(cur, set, pod)) continue;
        try {
          await this.ctx.client.update(PersistentVolumeClaims, withClaimOwnerRefs(cur, set, pod));
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
  }

  private async ownPodExists(set: Set, name: string): Promise<boolean> {
    try {
      const pod = await this.ctx.client.get<Pod>(Pods, name, set.metadata?.namespace);
      return isControlledBy(pod, set);
    } catch {
      return false;
    }
  }

  // ---------------------------------------------------------------------------------------- history

  private async revisionsOf(set: Set, revisions: ControllerRevision[]): Promise<{ current: ControllerRevision; update: ControllerRevision; collisionCount: number }> {
    const choice = chooseUpdateRevision(set, revisions);
    let collisionCount = set.status?.collisionCount ?? 0;
    let update: ControllerRevision;
    if (choice.kind === 'existing') update = choice.revision;
    else if (choice.kind === 'renumber') {
      update = await this.ctx.client.update<ControllerRevision>(ControllerRevisions, { ...choice.revision, revision: choice.to });
    } else {
      const created = await createControllerRevision(this.ctx.client, choice.revision, collisionCount,
        (count) => newRevision(set, choice.revision.revision ?? 1, count));
      update = created.revision;
      collisionCount = created.collisionCount;
    }
    return { current: chooseCurrentRevision(set, revisions, update), update, collisionCount };
  }

  /** truncateHistory: revisions no pod runs and status does not name, oldest first, beyond revisionHistoryLimit. */
  private async truncateHistory(set: Set, pods: Pod[], revisions: ControllerRevision[], current: ControllerRevision, update: ControllerRevision): Promise<void> {
    const live = new Set<string>([current.metadata?.name ?? '', update.metadata?.name ?? '']);
    for (const p of pods) {
      const r = p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
      if (r) live.add(r);
    }
    const old = revisions.filter((r) => !live.has(r.metadata?.name ?? ''));
    for (const rev of revisionsToPrune(old, new Set(), set.spec?.revisionHistoryLimit)) {
      try {
        await this.ctx.client.delete(ControllerRevisions, rev.metadata?.namespace ?? '', rev.metadata?.name ?? '');
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  // ---------------------------------------------------------------------------------------- status

  private async updateStatus(set: Set, status: StatefulSetStatus): Promise<void> {
    if (statusUnchanged(set, status)) return;
    await writeStatus(this.ctx.client, StatefulSets, set, (target) => ({ ...target, status }));
  }
}

const selectorOf = (s: StatefulSetLike): CompiledSelector => compileSelector(s.spec?.selector as LabelSelectorSpec | undefined);

export const statefulSetController: ControllerDescriptor = {
  name: 'statefulset',
  enabledByDefault: true,
  create: (ctx) => new StatefulSetController(ctx),
};
