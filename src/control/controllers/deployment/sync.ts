/**
 * syncDeployment(key): reads the Deployment, its claimed ReplicaSets and (for Recreate) their pods from the
 * caches, decides with the pure plans (rolling.ts, scale.ts, recreate.ts, progress.ts, history.ts) and makes
 * the smallest writes, in upstream's order: paused → scale only; a size change → proportional scale; else roll
 * out by strategy; then status. Idempotent: any number of runs converge on the same objects.
 */
import type { Clock } from '../../../client/clock.js';
import type { EventType } from '../../../client/events.js';
import { isConflict, isNotFound, ApiError, type RestClient } from '../../../client/rest.js';
import { Deployments, ReplicaSets } from '../../../client/resources.js';
import type { Indexer, Lister } from '../../../client/store.js';
import type { KubeObject } from '../../../client/types.js';
import { claimCandidates, controlledBy, ControllerRefManager, errorMessage } from '../shared/controller-ref.js';
import { newControllerRef } from '../shared/pod-util.js';
import { compileSelector, selectsEverything } from '../shared/selector.js';
import { isNamespaceTerminating } from '../shared/pod-control.js';
import { canonicalJson, computeHash } from './hash.js';
import { replicaSetsToCleanUp } from './history.js';
import { rfc3339 } from '../../../client/time.js';
import { pausedConditionStatus, rolloutStatus, calculateStatus, stuckRecheckAfterMs } from './progress.js';
import { oldPodsRunning } from './recreate.js';
import { planNewReplicaSet, planOldReplicaSets } from './rolling.js';
import { isScalingEvent, planScale } from './scale.js';
import type { Deployment, DeploymentStatus, ReplicaSet } from './types.js';
import {
  DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY, DeploymentProgressing, FailedRSCreateReason, FoundNewRSReason, NewReplicaSetReason, REVISION_ANNOTATION,
  desiredReplicas, equalIgnoreHash, filterActive, findNewReplicaSet, findOldReplicaSets, getCondition, hasProgressDeadline, maxRevision,
  newCondition, newRSNewReplicas, replicasAnnotationsFor, replicasOf, setCondition, setNewReplicaSetAnnotations, setReplicasAnnotations,
} from './util.js';
import { deploymentComplete } from './progress.js';

export const COMPONENT = 'deployment-controller';
export const DEPLOYMENT_GVK = { apiVersion: 'apps/v1', kind: 'Deployment' };

export interface DeploymentSyncDeps {
  client: RestClient;
  clock: Clock;
  deployments: Lister<Deployment>;
  replicaSets: Indexer<ReplicaSet>;
  /** Pods indexed by controller UID (addControllerUIDIndex). */
  pods: Indexer<KubeObject>;
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
  /** Look at `key` again after `ms` (0: soon, rate-limited). */
  requeueAfter(key: string, ms: number): void;
}

/** Go's omitempty on DeploymentStatus: zero counts are not written, so an unchanged status compares equal. */
function compactStatus(s: DeploymentStatus): DeploymentStatus {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (v === undefined || v === 0 || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  // collisionCount is a pointer upstream: 0 is kept once set.
  if (s.collisionCount !== undefined) out['collisionCount'] = s.collisionCount;
  return out as DeploymentStatus;
}

const statusEqual = (a: DeploymentStatus | undefined, b: DeploymentStatus): boolean => canonicalJson(compactStatus(a ?? {})) === canonicalJson(compactStatus(b));

/** a < b for resourceVersions that are decimal revisions (Skiff's are); unknown forms never compare lower. */
function olderThan(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) < BigInt(b);
}

export class DeploymentSyncer {
  /**
   * The resourceVersion of this controller's last write per deployment. A cache still older than that would
   * only produce a conflicting write; the informer's event for that write enqueues the key again anyway.
   */
  private written = new Map<string, string>();
  /** The same for the replica sets this controller wrote (scaled, annotated, created), per deployment key. */
  private writtenRS = new Map<string, Map<string, string>>();

  constructor(private readonly deps: DeploymentSyncDeps) {}

  private rsWrites(key: string): Map<string, string> {
    let m = this.writtenRS.get(key);
    if (!m) this.writtenRS.set(key, (m = new Map()));
    return m;
  }

  async sync(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const cached = this.deps.deployments.get(namespace, name);
    if (!cached) {
      this.written.delete(key);
      this.writtenRS.delete(key);
      return;
    }
    if (olderThan(cached.metadata.resourceVersion, this.written.get(key))) return;
    this.written.delete(key);
    const d = structuredClone(cached) as Deployment;
    d.apiVersion = 'apps/v1';
    d.kind = 'Deployment';
    d.spec ??= {};
    const run = new DeploymentRun(this.deps, d, key, (rv) => rv && this.written.set(key, rv), this.rsWrites(key));
    await run.sync();
  }
}

/** One sync of one deployment: `d` follows every write so later writes carry the latest resourceVersion. */
class DeploymentRun {
  constructor(
    private readonly deps: DeploymentSyncDeps,
    private d: Deployment,
    private readonly key: string,
    private readonly onWritten: (resourceVersion: string | undefined) => void,
    private readonly writtenRS: Map<string, string>,
  ) {}

  /** Remembers a replica set this sync wrote, so a later sync waits for the cache to catch up with it. */
  private wroteRS(rs: ReplicaSet): ReplicaSet {
    if (rs.metadata.resourceVersion) this.writtenRS.set(`${rs.metadata.namespace}/${rs.metadata.name}`, rs.metadata.resourceVersion);
    return rs;
  }

  /** True when the cache still holds a replica set older than this controller's own last write of it. */
  private cacheBehind(rsList: ReplicaSet[]): boolean {
    for (const rs of rsList) {
      const k = `${rs.metadata.namespace}/${rs.metadata.name}`;
      const w = this.writtenRS.get(k);
      if (w === undefined) continue;
      if (olderThan(rs.metadata.resourceVersion, w)) return true;
      this.writtenRS.delete(k);
    }
    return false;
  }

  private now(): number {
    return this.deps.clock.now();
  }

  async sync(): Promise<void> {
    const d = this.d;
    const selector = compileSelector(d.spec.selector);
    if (selectsEverything(selector)) {
      this.deps.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        await this.writeStatus({ ...d.status, observedGeneration: d.metadata.generation });
      }
      return;
    }
    const rsList = await this.claimReplicaSets(selector);
    // Acting on a replica set older than our own write of it would only conflict; its update event re-enqueues us.
    if (this.cacheBehind(rsList)) return;

    if (d.metadata.deletionTimestamp) return this.syncStatusOnly(rsList);

    const paused = pausedConditionStatus(this.d, this.now());
    if (paused) await this.writeStatus(paused);

    if (this.d.spec.paused) return this.syncScale(rsList);

    {
      const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(rsList, false);
      if (isScalingEvent(this.d, newRS, oldRSs)) return this.syncScale(rsList);
    }

    if (this.d.spec.strategy?.type === 'Recreate') return this.rolloutRecreate(rsList);
    if ((this.d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate') return this.rolloutRolling(rsList);
    throw new Error(`unexpected deployment strategy type: ${this.d.spec.strategy?.type}`);
  }

  /** getReplicaSetsForDeployment: own replica sets that still match, plus adopted orphans. */
  private async claimReplicaSets(selector: ReturnType<typeof compileSelector>): Promise<ReplicaSet[]> {
    const candidates = claimCandidates(this.deps.replicaSets, this.d);
    const mgr = new ControllerRefManager<ReplicaSet>({
      client: this.deps.client,
      owner: this.d,
      ownerGVK: DEPLOYMENT_GVK,
      ownerResource: Deployments,
      childResource: ReplicaSets,
      selector,
    });
    return mgr.claim(candidates);
  }

  // ---------------------------------------------------------------- revision and the new replica set

  /**
   * getAllReplicaSetsAndSyncRevision: the new replica set (created when asked and missing) with its revision
   * raised above every old one, and all old replica sets.
   */
  private async getAllReplicaSetsAndSyncRevision(rsList: ReplicaSet[], create: boolean): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
    const { allOld } = findOldReplicaSets(this.d, rsList);
    const newRS = await this.getNewReplicaSet(rsList, allOld, create);
    return { newRS, oldRSs: allOld };
  }

  private async getNewReplicaSet(rsList: ReplicaSet[], oldRSs: ReplicaSet[], create: boolean): Promise<ReplicaSet | undefined> {
    const d = this.d;
    const existing = findNewReplicaSet(d, rsList);
    const newRevision = maxRevision(oldRSs) + 1n;

    if (existing) {
      const rsCopy = structuredClone(existing);
      const annotationsUpdated = setNewReplicaSetAnnotations(d, rsCopy, newRevision, true);
      const minReadyNeedsUpdate = (rsCopy.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0);
      if (annotationsUpdated || minReadyNeedsUpdate) {
        rsCopy.spec.minReadySeconds = d.spec.minReadySeconds ?? 0;
        const updated = this.wroteRS(await this.deps.client.update<ReplicaSet>(ReplicaSets, rsCopy));
        // Later steps of this sync look the new replica set up again: let them see this write.
        const i = rsList.indexOf(existing);
        if (i >= 0) rsList[i] = updated;
        return updated;
      }
      const revision = rsCopy.metadata.annotations?.[REVISION_ANNOTATION];
      if (revision !== undefined) await this.setRevision(revision);
      if (hasProgressDeadline(this.d) && !getCondition(this.d.status, DeploymentProgressing)) {
        const s = structuredClone(this.d.status ?? {});
        setCondition(s, newCondition(DeploymentProgressing, 'True', FoundNewRSReason, `Found new replica set "${rsCopy.metadata.name}"`, rfc3339(this.now())));
        await this.writeStatus(s);
      }
      return rsCopy;
    }
    if (!create) return undefined;

    const template = structuredClone(d.spec.template ?? {});
    const hash = computeHash(template, d.status?.collisionCount);
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY]: hash } };
    const selector = structuredClone(d.spec.selector ?? {});
    selector.matchLabels = { ...selector.matchLabels, [DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY]: hash };
    const newRS: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        // Deterministic, so a retried create finds its own earlier attempt.
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        ownerReferences: [newControllerRef(d, DEPLOYMENT_GVK)],
        labels: { ...template.metadata.labels },
      },
      spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    };
    newRS.spec.replicas = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
    setNewReplicaSetAnnotations(d, newRS, newRevision, false);

    let created: ReplicaSet;
    let alreadyExists = false;
    try {
      created = this.wroteRS(await this.deps.client.create<ReplicaSet>(ReplicaSets, newRS));
    } catch (err) {
      if (err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists') {
        alreadyExists = true;
        const rs = this.deps.replicaSets.get(`${newRS.metadata.namespace}/${newRS.metadata.name}`);
        if (!rs) throw err; // not in the cache yet: retry later
        const ref = rs.metadata.ownerReferences?.find((r) => r.controller);
        if (ref?.uid === d.metadata.uid && equalIgnoreHash(d.spec.template, rs.spec.template)) {
          created = rs;
        } else {
          // A hash collision: another template has this name. Bump collisionCount and try again next sync.
          await this.writeStatus({ ...structuredClone(this.d.status ?? {}), collisionCount: (this.d.status?.collisionCount ?? 0) + 1 });
          throw err;
        }
      } else if (isNamespaceTerminating(err)) {
        throw err;
      } else {
        const msg = `Failed to create new replica set "${newRS.metadata.name}": ${errorMessage(err)}`;
        if (hasProgressDeadline(this.d)) {
          const s = structuredClone(this.d.status ?? {});
          setCondition(s, newCondition(DeploymentProgressing, 'False', FailedRSCreateReason, msg, rfc3339(this.now())));
          await this.writeStatus(s).catch(() => {});
        }
        this.deps.event(this.d, 'Warning', FailedRSCreateReason, msg);
        throw err;
      }
    }
    if (!alreadyExists && replicasOf(newRS) > 0) {
      this.deps.event(this.d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${replicasOf(newRS)}`);
    }
    await this.setRevision(String(newRevision));
    if (!alreadyExists && hasProgressDeadline(this.d)) {
      const s = structuredClone(this.d.status ?? {});
      setCondition(s, newCondition(DeploymentProgressing, 'True', NewReplicaSetReason, `Created new replica set "${created.metadata.name}"`, rfc3339(this.now())));
      await this.writeStatus(s);
    }
    return created;
  }

  /**
   * SetDeploymentRevision. Upstream writes the annotation along with the status (its status strategy keeps
   * metadata changes); here it is its own metadata patch, which works on either server.
   */
  private async setRevision(revision: string): Promise<void> {
    if (this.d.metadata.annotations?.[REVISION_ANNOTATION] === revision) return;
    const patched = await this.deps.client.patch<Deployment>(Deployments, this.d.metadata.namespace, this.d.metadata.name ?? '', {
      metadata: { annotations: { [REVISION_ANNOTATION]: revision } },
    });
    this.adopt(patched);
  }

  // ---------------------------------------------------------------- strategies

  private async rolloutRolling(rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(rsList, true);
    if (!newRS) throw new Error('no new replica set after creating one');
    let cur = newRS;
    const allRSs = (): ReplicaSet[] => [...oldRSs, cur];

    const next = planNewReplicaSet(this.d, allRSs(), cur);
    if (next !== undefined) {
      const res = await this.scaleReplicaSet(cur, next, false);
      cur = res.rs;
      if (res.scaled) return this.syncRolloutStatus(allRSs(), cur);
    }

    const steps = planOldReplicaSets(this.d, allRSs(), filterActive(oldRSs), cur);
    let scaledDown = false;
    for (const step of steps) {
      const res = await this.scaleReplicaSet(step.rs, step.replicas, false);
      const i = oldRSs.indexOf(step.rs);
      if (i >= 0) oldRSs[i] = res.rs;
      scaledDown ||= res.scaled;
    }
    if (scaledDown) return this.syncRolloutStatus(allRSs(), cur);

    if (deploymentComplete(this.d, this.d.status ?? {})) await this.cleanup(oldRSs);
    return this.syncRolloutStatus(allRSs(), cur);
  }

  private async rolloutRecreate(rsList: ReplicaSet[]): Promise<void> {
    let { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(rsList, false);
    const all = (): ReplicaSet[] => [...oldRSs, ...(newRS ? [newRS] : [])];

    let scaledDown = false;
    for (const rs of filterActive(oldRSs)) {
      const res = await this.scaleReplicaSet(rs, 0, false);
      oldRSs = oldRSs.map((x) => (x === rs ? res.rs : x));
      scaledDown ||= res.scaled;
    }
    if (scaledDown) return this.syncRolloutStatus(all(), newRS);

    const podsByRS = new Map<string, KubeObject[]>();
    for (const rs of rsList) {
      const uid = rs.metadata.uid ?? '';
      podsByRS.set(uid, controlledBy(this.deps.pods, uid));
    }
    if (oldPodsRunning(newRS, oldRSs, podsByRS)) return this.syncRolloutStatus(all(), newRS);

    if (!newRS) ({ newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(rsList, true));
    if (newRS) newRS = (await this.scaleReplicaSet(newRS, desiredReplicas(this.d), false)).rs;

    if (deploymentComplete(this.d, this.d.status ?? {})) await this.cleanup(oldRSs);
    return this.syncRolloutStatus(all(), newRS);
  }

  /** sync(): scaling (a size change, or a paused deployment), clean-up and a plain status update. */
  private async syncScale(rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(rsList, false);
    let cur = newRS;
    const olds = [...oldRSs];
    for (const step of planScale(this.d, newRS, oldRSs)) {
      const res = await this.scaleReplicaSet(step.rs, step.replicas, step.refreshAnnotations);
      if (step.rs === cur) cur = res.rs;
      const i = olds.indexOf(step.rs);
      if (i >= 0) olds[i] = res.rs;
    }
    await this.cleanup(olds);
    await this.syncDeploymentStatus([...olds, ...(cur ? [cur] : [])], cur);
  }

  private async syncStatusOnly(rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(rsList, false);
    await this.syncDeploymentStatus([...oldRSs, ...(newRS ? [newRS] : [])], newRS);
  }

  // ---------------------------------------------------------------- writes

  /**
   * scaleReplicaSet(AndRecordEvent): sets the size and the replica annotations. Without `refreshAnnotations`
   * an unchanged size writes nothing.
   */
  private async scaleReplicaSet(rs: ReplicaSet, replicas: number, refreshAnnotations: boolean): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    const oldScale = replicasOf(rs);
    if (oldScale === replicas && !refreshAnnotations) return { scaled: false, rs };
    const copy = structuredClone(rs);
    const { desired, max } = replicasAnnotationsFor(this.d);
    const annotationsChanged = setReplicasAnnotations((copy.metadata.annotations ??= {}), desired, max);
    const sizeChanged = oldScale !== replicas;
    if (!sizeChanged && !annotationsChanged) return { scaled: false, rs };
    copy.spec.replicas = replicas;
    const updated = this.wroteRS(await this.deps.client.update<ReplicaSet>(ReplicaSets, copy));
    if (sizeChanged) {
      this.deps.event(this.d, 'Normal', 'ScalingReplicaSet', `Scaled ${oldScale < replicas ? 'up' : 'down'} replica set ${rs.metadata.name} from ${oldScale} to ${replicas}`);
    }
    return { scaled: sizeChanged, rs: updated };
  }

  /** cleanupDeployment: deletes replica sets of revisions beyond revisionHistoryLimit. */
  private async cleanup(oldRSs: ReplicaSet[]): Promise<void> {
    for (const rs of replicaSetsToCleanUp(this.d, oldRSs)) {
      try {
        await this.deps.client.delete(ReplicaSets, rs.metadata.namespace, rs.metadata.name ?? '');
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
  }

  private async syncDeploymentStatus(allRSs: ReplicaSet[], newRS: ReplicaSet | undefined): Promise<void> {
    const s = calculateStatus(allRSs, newRS, this.d, rfc3339(this.now()));
    if (statusEqual(this.d.status, s)) return;
    await this.writeStatus(s);
  }

  private async syncRolloutStatus(allRSs: ReplicaSet[], newRS: ReplicaSet | undefined): Promise<void> {
    const nowMs = this.now();
    const s = rolloutStatus(allRSs, newRS, this.d, nowMs);
    if (statusEqual(this.d.status, s)) {
      const after = stuckRecheckAfterMs(this.d, s, nowMs);
      if (after !== undefined) this.deps.requeueAfter(this.key, after);
      return;
    }
    await this.writeStatus(s);
  }

  private async writeStatus(status: DeploymentStatus): Promise<void> {
    const body = { ...this.d, status: compactStatus(status) };
    const updated = await this.deps.client.update<Deployment>(Deployments, body, { subresource: 'status' });
    this.adopt(updated);
  }

  /**
   * Carries on with the server's copy after a write (resourceVersion, annotations, status), but with the spec
   * and generation this sync started from: observedGeneration must never claim a spec this sync did not see.
   */
  private adopt(obj: Deployment): void {
    this.onWritten(obj.metadata.resourceVersion);
    obj.apiVersion = 'apps/v1';
    obj.kind = 'Deployment';
    obj.spec = this.d.spec;
    obj.metadata.generation = this.d.metadata.generation;
    this.d = obj;
  }
}
