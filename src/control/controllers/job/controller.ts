/**
 * The Job controller (upstream's pkg/controller/job): runs a Job's pods to completion. Pods carry the
 * batch.kubernetes.io/job-tracking finalizer until they are counted: finished pods go first into
 * status.uncountedTerminatedPods, then their finalizers are removed, then the counters move. A failing or
 * succeeding Job gets FailureTarget / SuccessCriteriaMet first and Failed / Complete once no pod is left
 * terminating, as 1.32 does. Decisions live in status.ts and its neighbours; this file reads listers and writes.
 */
import { ControllerExpectations } from '../../../client/expectations.js';
import type { SharedInformer } from '../../../client/informer.js';
import { isNotFound } from '../../../client/rest.js';
import { Jobs, Pods } from '../../../client/resources.js';
import { splitKey } from '../../../client/types.js';
import type { WorkQueue } from '../../../client/workqueue.js';
import { rfc3339 } from '../../../client/time.js';
import type { ControllerContext } from '../context.js';
import { addControllerUIDIndex, claimCandidates, ControllerRefManager } from '../shared/controller-ref.js';
import { compileSelector, selectorMatches, type LabelSelectorSpec } from '../shared/selector.js';
import { runWorkers, type Controller, type ControllerDescriptor } from '../controller.js';
import { nextBackoffRecord, remainingBackoffMs, DEFAULT_POD_FAILURE_BACKOFF_MS, NO_BACKOFF, type BackoffRecord } from './backoff.js';
import { completionIndexOf, firstPendingIndexes, formatIndexes, hasIndex, mergeIntervals, totalIndexes, withIndexes, UNKNOWN_INDEX, type Interval } from './indexes.js';
import { matchPodFailurePolicy } from './pod-failure-policy.js';
import { finishedTime, hasTrackingFinalizer, isActive, isPodFailed, isPodReady, isTerminating, onlyReplaceFailedPods } from './pods.js';
import {
  activePodsForRemoval, countedFailures, deadlineRemainingMs, ensureCondition, failedIndexes, failJobMessage, findCondition,
  hasBackoffLimitPerIndex, isComplete, isIndexed, isJobFinished, isSuspended, newCondition, newFinishedPods, nextIndexFailureCounts,
  pastBackoffLimitOnFailure, succeededIndexes, wantActive, indexFailureCount, indexIgnoredFailureCount,
  MSG_BACKOFF_LIMIT, MSG_COMPLETIONS_REACHED, MSG_DEADLINE, MSG_FAILED_INDEXES, MSG_MAX_FAILED_INDEXES, REASON_BACKOFF_LIMIT,
  REASON_COMPLETIONS_REACHED, REASON_DEADLINE, REASON_FAILED_INDEXES, REASON_MAX_FAILED_INDEXES, REASON_POD_FAILURE_POLICY, REASON_SUCCESS_POLICY,
} from './status.js';
import { matchSuccessPolicy } from './success-policy.js';
import {
  COMPLETION_INDEX_ANNOTATION, COMPLETION_INDEX_ENV, INDEX_FAILURE_COUNT_ANNOTATION, INDEX_IGNORED_FAILURE_COUNT_ANNOTATION,
  JOB_TRACKING_FINALIZER, type Job, type JobCondition, type Pod,
} from './types.js';

const COMPONENT = 'job-controller';
const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';
/** Upstream's MaxUncountedPods and MaxPodCreateDeletePerSync. */
const MAX_UNCOUNTED_PODS = 500;
const MAX_POD_CREATE_DELETE_PER_SYNC = 500;
const SLOW_START_INITIAL_BATCH = 1;
const BY_CONTROLLER = 'job-controller:byControllerUID';
const JOB_GVK = { apiVersion: 'batch/v1', kind: 'Job' };

const keyOf = (o: { metadata?: { namespace?: string; name?: string } }): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
const controllerOf = (o: Pod | Job) => o.metadata?.ownerReferences?.find((r) => r.controller === true);

export class JobController implements Controller {
  readonly name = 'job';
  private readonly jobs: SharedInformer<Job>;
  private readonly pods: SharedInformer<Pod>;
  private readonly queue: WorkQueue<string>;
  private readonly orphanQueue: WorkQueue<string>;
  private readonly expectations: ControllerExpectations;
  /** Pod UIDs whose finalizer removal was sent but not yet seen, per Job key. */
  private readonly finalizerExpectations = new Map<string, Set<string>>();
  private readonly backoff = new Map<string, BackoffRecord>();

  constructor(private readonly ctx: ControllerContext) {
    this.jobs = ctx.informers.forResource<Job>(Jobs);
    this.pods = ctx.informers.forResource<Pod>(Pods);
    this.queue = ctx.queue('job');
    this.orphanQueue = ctx.queue('job_orphan_pod');
    this.expectations = new ControllerExpectations(ctx.clock);
    try {
      this.pods.indexer.addIndexer(BY_CONTROLLER, (p) => {
        const ref = controllerOf(p);
        return ref?.kind === 'Job' ? [ref.uid] : [];
      });
    } catch {
      // Registered already by another copy of this controller on the same informers.
    }
    addControllerUIDIndex(this.pods); // the namespace's orphans, for adoption
    this.jobs.addEventHandler({
      onAdd: (j) => this.queue.add(keyOf(j)),
      onUpdate: (old, j) => {
        this.queue.add(keyOf(j));
        // A new deadline needs a sync at the new time, not at the next pod event.
        if (old.spec?.activeDeadlineSeconds !== j.spec?.activeDeadlineSeconds) {
          const left = deadlineRemainingMs(j, ctx.clock.now());
          if (left !== null && left > 0) this.queue.addAfter(keyOf(j), left);
        }
      },
      onDelete: (j) => {
        this.queue.add(keyOf(j));
        for (const p of this.pods.indexer.byIndex(BY_CONTROLLER, j.metadata?.uid ?? '')) if (hasTrackingFinalizer(p)) this.orphanQueue.add(keyOf(p));
      },
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.podChanged(p, p.metadata?.deletionTimestamp ? 'deleting' : 'added'),
      onUpdate: (old, p) => {
        if (old.metadata?.resourceVersion === p.metadata?.resourceVersion) return;
        const oldRef = controllerOf(old);
        if (oldRef && oldRef.uid !== controllerOf(p)?.uid) {
          const j = this.resolve(old, oldRef);
          if (j) this.queue.add(keyOf(j));
        }
        this.podChanged(p, p.metadata?.deletionTimestamp ? 'deleting' : 'updated');
      },
      onDelete: (p) => this.podChanged(p, 'deleted'),
    });
  }

  private resolve(p: Pod, ref: { kind: string; name: string; uid: string }): Job | undefined {
    if (ref.kind !== 'Job') return undefined;
    const j = this.jobs.lister.get(p.metadata?.namespace, ref.name);
    return j && j.metadata?.uid === ref.uid ? j : undefined;
  }

  private podChanged(p: Pod, how: 'added' | 'updated' | 'deleting' | 'deleted'): void {
    const ref = controllerOf(p);
    const job = ref ? this.resolve(p, ref) : undefined;
    if (!job) {
      if (hasTrackingFinalizer(p) && how !== 'deleted') this.orphanQueue.add(keyOf(p));
      // An orphan: every Job whose selector matches may want to adopt it (upstream's getPodJobs).
      if (!ref && how !== 'deleted' && !p.metadata?.deletionTimestamp) {
        for (const j of this.jobs.lister.list(p.metadata?.namespace)) {
          if (selectorMatches(compileSelector(j.spec?.selector as LabelSelectorSpec | undefined), p.metadata?.labels)) this.queue.add(keyOf(j));
        }
      }
      return;
    }
    const key = keyOf(job);
    const uid = p.metadata?.uid ?? '';
    if (how === 'added') this.expectations.creationObserved(key);
    if (how === 'deleting' || how === 'deleted') this.expectations.deletionObserved(key);
    if (how === 'deleted' || !hasTrackingFinalizer(p)) this.finalizerExpectations.get(key)?.delete(uid);
    this.queue.add(key);
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([
      runWorkers(this.ctx, this.name, this.queue, this.informerList(), (k) => this.sync(k), signal),
      runWorkers(this.ctx, 'job_orphan_pod', this.orphanQueue, this.informerList(), (k) => this.syncOrphanPod(k), signal, 1),
    ]);
  }

  private informerList(): SharedInformer[] {
    return [this.jobs, this.pods] as unknown as SharedInformer[];
  }

  /** Removes the tracking finalizer from a pod no running Job will count. */
  async syncOrphanPod(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pod = this.pods.lister.get(namespace, name);
    if (!pod || !hasTrackingFinalizer(pod)) return;
    const ref = controllerOf(pod);
    if (ref) {
      const job = this.resolve(pod, ref);
      if (job && !isJobFinished(job)) return;
    }
    await this.removeFinalizer(pod);
  }

  private async removeFinalizer(pod: Pod): Promise<void> {
    try {
      await this.ctx.client.patch(Pods, pod.metadata?.namespace, pod.metadata?.name ?? '', { metadata: { '$deleteFromPrimitiveList/finalizers': [JOB_TRACKING_FINALIZER] } }, 'strategic');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * getPodsForJob: the Job's pods, claimed as upstream's PodControllerRefManager does: matching orphans are
   * adopted (owner reference and tracking finalizer added), owned pods that no longer match are released.
   */
  private async podsOf(job: Job): Promise<Pod[]> {
    const ns = job.metadata?.namespace;
    const own = this.pods.indexer.byIndex(BY_CONTROLLER, job.metadata?.uid ?? '').filter((p) => p.metadata?.namespace === ns);
    const candidates = own.concat(claimCandidates(this.pods.indexer, job).filter((p) => !controllerOf(p)));
    const selector = compileSelector(job.spec?.selector as LabelSelectorSpec | undefined);
    if (selector.nothing) return own;
    const claims = new ControllerRefManager<Pod>({
      client: this.ctx.client, owner: job, ownerGVK: JOB_GVK, ownerResource: Jobs, childResource: Pods, selector, finalizers: [JOB_TRACKING_FINALIZER],
    });
    return claims.claim(candidates);
  }

  async sync(key: string): Promise<void> {
    const now = this.ctx.clock.now();
    const { namespace, name } = splitKey(key);
    const shared = this.jobs.lister.get(namespace, name);
    if (!shared) {
      this.expectations.delete(key);
      this.finalizerExpectations.delete(key);
      this.backoff.delete(key);
      return;
    }
    if (shared.spec?.managedBy && shared.spec.managedBy !== JOB_CONTROLLER_NAME) return;
    if (isJobFinished(shared)) {
      this.backoff.delete(key);
      return;
    }
    const mode = shared.spec?.completionMode;
    if (mode !== undefined && mode !== 'NonIndexed' && mode !== 'Indexed') {
      this.ctx.event(COMPONENT, shared, 'Warning', 'UnknownCompletionMode', 'Skipped Job sync because completion mode is unknown');
      return;
    }
    const job = structuredClone(shared) as Job;
    const status = (job.status ??= {});
    status.uncountedTerminatedPods ??= {};
    const satisfied = this.expectations.satisfied(key);
    const pods = await this.podsOf(shared);
    const activePods = pods.filter(isActive);
    const uncounted = { succeeded: new Set(status.uncountedTerminatedPods.succeeded ?? []), failed: new Set(status.uncountedTerminatedPods.failed ?? []) };
    const expectedRm = this.finalizerExpectations.get(key) ?? new Set<string>();
    let ready = activePods.filter(isPodReady).length;
    let terminating = pods.filter(isTerminating).length;
    let active = activePods.length;
    const fresh = newFinishedPods(job, pods, uncounted, expectedRm);
    let succeeded = (status.succeeded ?? 0) + fresh.succeeded.length + uncounted.succeeded.size;
    const failed = (status.failed ?? 0) + countedFailures(job, fresh.failed) + uncounted.failed.size;
    if (!status.startTime && !isSuspended(job)) status.startTime = rfc3339(new Date(now));
    const newBackoff = nextBackoffRecord(this.backoff.get(key) ?? NO_BACKOFF, fresh.succeeded, fresh.failed);

    let finished: JobCondition | null = findCondition(job, 'SuccessCriteriaMet')?.status === 'True' ? findCondition(job, 'SuccessCriteriaMet')! : null;
    if (!finished) {
      const target = findCondition(job, 'FailureTarget');
      const failMsg = target?.status === 'True' ? null : failJobMessage(job, pods);
      if (target?.status === 'True') finished = newCondition('Failed', 'True', target.reason ?? '', target.message ?? '', now);
      else if (failMsg) finished = newCondition('FailureTarget', 'True', REASON_POD_FAILURE_POLICY, failMsg, now);
    }
    if (!finished) {
      const left = deadlineRemainingMs(job, now);
      if (failed > (job.spec?.backoffLimit ?? 6) || pastBackoffLimitOnFailure(job, pods)) {
        finished = newCondition('FailureTarget', 'True', REASON_BACKOFF_LIMIT, MSG_BACKOFF_LIMIT, now);
      } else if (left !== null && left <= 0) {
        finished = newCondition('FailureTarget', 'True', REASON_DEADLINE, MSG_DEADLINE, now);
      } else if (left !== null) {
        this.queue.addAfter(key, left);
      }
    }
    let prevSucceeded: Interval[] = [];
    let succeededIx: Interval[] = [];
    let failedIx: Interval[] | null = null;
    let delayedPerIndex = new Map<number, Pod>();
    if (isIndexed(job)) {
      const completions = job.spec?.completions ?? 0;
      ({ prev: prevSucceeded, now: succeededIx } = succeededIndexes(job, pods));
      succeeded = totalIndexes(succeededIx);
      if (hasBackoffLimitPerIndex(job)) {
        failedIx = failedIndexes(job, pods);
        const nFailed = totalIndexes(failedIx);
        if (!finished) {
          const max = job.spec?.maxFailedIndexes;
          if (max !== undefined && max !== null && nFailed > max) finished = newCondition('FailureTarget', 'True', REASON_MAX_FAILED_INDEXES, MSG_MAX_FAILED_INDEXES, now);
          else if (nFailed > 0 && nFailed + succeeded >= completions) finished = newCondition('FailureTarget', 'True', REASON_FAILED_INDEXES, MSG_FAILED_INDEXES, now);
        }
        delayedPerIndex = this.podsWithDelayedDeletion(job, pods, activePods, expectedRm, succeededIx, failedIx);
      }
      if (!finished) {
        const msg = matchSuccessPolicy(job.spec?.successPolicy, completions, succeededIx);
        if (msg) finished = newCondition('SuccessCriteriaMet', 'True', REASON_SUCCESS_POLICY, msg, now);
      }
    }

    let manageErr: unknown = null;
    let suspendChanged = false;
    if (finished) {
      // Finishing: every active pod goes (finalizers stay until the pods are counted).
      const { deleted, deletedReady, err } = await this.deletePods(job, activePods, false, key);
      if (deleted !== active || !satisfied) finished = null;
      active -= deleted;
      terminating += deleted;
      ready -= deletedReady;
      manageErr = err;
    } else {
      let managed = false;
      if (satisfied && !job.metadata?.deletionTimestamp) {
        const r = await this.manageJob(job, key, { activePods, pods, succeeded, failedIx, succeededIx, delayedPerIndex, backoff: newBackoff, terminating, now });
        active = r.active;
        ready -= r.removedReady;
        terminating += r.removed;
        manageErr = r.err;
        managed = true;
      }
      if (isComplete(job, succeeded, active)) {
        finished = newCondition('SuccessCriteriaMet', 'True', REASON_COMPLETIONS_REACHED, MSG_COMPLETIONS_REACHED, now);
      } else if (managed) {
        if (isSuspended(job)) {
          let changed: boolean;
          [status.conditions, changed] = ensureCondition(status.conditions ?? [], 'Suspended', 'True', 'JobSuspended', 'Job suspended', now);
          if (changed) {
            suspendChanged = true;
            this.ctx.event(COMPONENT, job, 'Normal', 'Suspended', 'Job suspended');
          }
        } else {
          let changed: boolean;
          [status.conditions, changed] = ensureCondition(status.conditions ?? [], 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
          if (changed) {
            suspendChanged = true;
            this.ctx.event(COMPONENT, job, 'Normal', 'Resumed', 'Job resumed');
            // activeDeadlineSeconds counts continuous activity: a resumed Job starts its clock again.
            status.startTime = rfc3339(new Date(now));
          }
        }
      }
    }

    const needsUpdate = suspendChanged || active !== (status.active ?? 0) || ready !== status.ready || terminating !== status.terminating;
    status.active = active;
    status.ready = ready;
    status.terminating = terminating;
    await this.trackStatus(key, job, pods, { finished, expectedRm, uncounted, prevSucceeded, succeededIx, failedIx, delayedPerIndex, terminating, backoff: newBackoff }, needsUpdate);
    if (manageErr) throw manageErr;
  }

  /** Failed pods whose deletion waits until their index's replacement exists (it inherits their failure count). */
  private podsWithDelayedDeletion(job: Job, pods: Pod[], activePods: Pod[], expectedRm: Set<string>, succeededIx: Interval[], failedIx: Interval[]): Map<number, Pod> {
    const completions = job.spec?.completions ?? 0;
    const activeIx = new Set(activePods.map((p) => completionIndexOf(p.metadata?.annotations)));
    const out = new Map<number, Pod>();
    for (const p of pods) {
      if (!hasTrackingFinalizer(p) || expectedRm.has(p.metadata?.uid ?? '') || !isPodFailed(p, job)) continue;
      const ix = completionIndexOf(p.metadata?.annotations);
      if (ix === UNKNOWN_INDEX || ix >= completions || hasIndex(succeededIx, ix) || hasIndex(failedIx, ix) || activeIx.has(ix)) continue;
      const prev = out.get(ix);
      const abs = (x: Pod): number => indexFailureCount(x) + indexIgnoredFailureCount(x);
      if (!prev || (abs(prev) <= abs(p) && finishedTime(p) >= finishedTime(prev))) out.set(ix, p);
    }
    return out;
  }

  private async manageJob(
    job: Job,
    key: string,
    s: { activePods: Pod[]; pods: Pod[]; succeeded: number; failedIx: Interval[] | null; succeededIx: Interval[]; delayedPerIndex: Map<number, Pod>; backoff: BackoffRecord; terminating: number; now: number },
  ): Promise<{ active: number; removed: number; removedReady: number; err: unknown }> {
    let active = s.activePods.length;
    if (isSuspended(job)) {
      const toDelete = activePodsForRemoval(job, s.activePods, active);
      this.expectations.expect(key, 0, toDelete.length);
      const r = await this.deletePods(job, toDelete, true, key);
      return { active: active - r.deleted, removed: r.deleted, removedReady: r.deletedReady, err: r.err };
    }
    const want = wantActive(job, active, s.succeeded);
    const rmAtLeast = Math.max(0, active - want);
    let toDelete = activePodsForRemoval(job, s.activePods, rmAtLeast).slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
    if (toDelete.length > 0) {
      this.expectations.expect(key, 0, toDelete.length);
      const r = await this.deletePods(job, toDelete, true, key);
      toDelete = [];
      return { active: active - r.deleted, removed: r.deleted, removedReady: r.deletedReady, err: r.err };
    }
    const terminating = onlyReplaceFailedPods(job) ? s.terminating : 0;
    let diff = want - terminating - active;
    if (diff <= 0) return { active, removed: 0, removedReady: 0, err: null };
    if (!hasBackoffLimitPerIndex(job)) {
      const wait = remainingBackoffMs(s.backoff.failuresAfterLastSuccess, s.backoff.lastFailureTime, s.now);
      if (wait > 0) {
        this.queue.addAfter(key, wait);
        return { active, removed: 0, removedReady: 0, err: null };
      }
    }
    diff = Math.min(diff, MAX_POD_CREATE_DELETE_PER_SYNC);
    let indexes: number[] = [];
    if (isIndexed(job)) {
      const completions = job.spec?.completions ?? 0;
      let taken = withIndexes(s.succeededIx, s.activePods.map((p) => completionIndexOf(p.metadata?.annotations)).filter((i) => i !== UNKNOWN_INDEX));
      if (onlyReplaceFailedPods(job)) taken = withIndexes(taken, s.pods.filter(isTerminating).map((p) => completionIndexOf(p.metadata?.annotations)).filter((i) => i !== UNKNOWN_INDEX));
      if (s.failedIx) taken = mergeIntervals(taken, s.failedIx);
      indexes = firstPendingIndexes(taken, diff, completions);
      if (hasBackoffLimitPerIndex(job)) {
        // Each index backs off on its own, from its last failed pod.
        const now: number[] = [];
        let minWait = Infinity;
        for (const ix of indexes) {
          const last = s.delayedPerIndex.get(ix);
          const wait = last ? remainingBackoffMs(indexFailureCount(last) + indexIgnoredFailureCount(last) + 1, finishedTime(last), s.now) : 0;
          if (wait === 0) now.push(ix);
          else minWait = Math.min(minWait, wait);
        }
        if (now.length === 0 && minWait !== Infinity) {
          this.queue.addAfter(key, minWait);
          return { active, removed: 0, removedReady: 0, err: null };
        }
        indexes = now;
      }
      diff = indexes.length;
    }
    this.expectations.expect(key, diff, 0);
    let err: unknown = null;
    let created = 0;
    let attempted = 0;
    // Slow start, as upstream: batches of 1, 2, 4, … stop at the first batch with an error.
    for (let batch = Math.min(diff, SLOW_START_INITIAL_BATCH); attempted < diff; batch = Math.min(batch * 2, diff - attempted)) {
      const slice = Array.from({ length: batch }, (_, i) => (indexes.length ? indexes[attempted + i]! : UNKNOWN_INDEX));
      attempted += batch;
      const results = await Promise.allSettled(slice.map((ix) => this.createPod(job, ix, s.delayedPerIndex.get(ix))));
      let failedHere = 0;
      for (const r of results) {
        if (r.status === 'fulfilled') created++;
        else {
          failedHere++;
          err ??= r.reason;
          this.expectations.creationObserved(key);
        }
      }
      if (failedHere > 0) {
        this.expectations.lower(key, diff - attempted, 0);
        break;
      }
    }
    return { active: active + created, removed: 0, removedReady: 0, err };
  }

  /** The pod for one more run of the Job (for Indexed Jobs, of index `ix`). */
  podFor(job: Job, ix: number, replaced: Pod | undefined): Pod {
    const template = structuredClone(job.spec?.template ?? {});
    const meta = template.metadata ?? {};
    const labels: Record<string, string> = { ...(meta.labels ?? {}) };
    const annotations: Record<string, string> = { ...(meta.annotations ?? {}) };
    const spec = template.spec ?? { containers: [] };
    const jobName = job.metadata?.name ?? '';
    let generateName = `${jobName}-`;
    if (ix !== UNKNOWN_INDEX) {
      annotations[COMPLETION_INDEX_ANNOTATION] = String(ix);
      labels[COMPLETION_INDEX_ANNOTATION] = String(ix);
      spec.hostname = `${jobName}-${ix}`;
      generateName = `${jobName}-${ix}-`;
      for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
        if ((c.env ?? []).some((e) => e.name === COMPLETION_INDEX_ENV)) continue;
        c.env = [...(c.env ?? []), { name: COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX_ANNOTATION}']` } } }];
      }
      if (hasBackoffLimitPerIndex(job)) {
        const counts = nextIndexFailureCounts(job, replaced);
        annotations[INDEX_FAILURE_COUNT_ANNOTATION] = String(counts.failures);
        if (counts.ignored > 0) annotations[INDEX_IGNORED_FAILURE_COUNT_ANNOTATION] = String(counts.ignored);
      }
    }
    // Generated names are at most 63 characters with their 5-character suffix.
    if (generateName.length > 58) generateName = generateName.slice(0, 58);
    const finalizers = [...(meta.finalizers ?? [])];
    if (!finalizers.includes(JOB_TRACKING_FINALIZER)) finalizers.push(JOB_TRACKING_FINALIZER);
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName,
        namespace: job.metadata?.namespace,
        labels,
        annotations,
        finalizers,
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: jobName, uid: job.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
      },
      spec,
    };
  }

  private async createPod(job: Job, ix: number, replaced: Pod | undefined): Promise<void> {
    // Only the name is read: the answer is decoded without its managedFields (a third of a created pod).
    const created = await this.ctx.client.create(Pods, this.podFor(job, ix, replaced), { omitManagedFields: true });
    this.ctx.event(COMPONENT, job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name}`);
  }

  /**
   * Deletes pods. `dropFinalizer`: pods removed while the Job runs (excess, suspend) are not counted, so their
   * finalizer goes first; pods removed because the Job finished keep it until they are counted.
   */
  private async deletePods(job: Job, pods: Pod[], dropFinalizer: boolean, key: string): Promise<{ deleted: number; deletedReady: number; err: unknown }> {
    let deleted = 0;
    let deletedReady = 0;
    let err: unknown = null;
    await Promise.all(
      pods.map(async (p) => {
        try {
          if (dropFinalizer && hasTrackingFinalizer(p)) await this.removeFinalizer(p);
          await this.ctx.client.delete(Pods, p.metadata?.namespace, p.metadata?.name ?? '');
          this.ctx.event(COMPONENT, job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata?.name}`);
          deleted++;
        } catch (e) {
          if (dropFinalizer) this.expectations.deletionObserved(key);
          if (isNotFound(e)) deleted++;
          else err ??= e;
        }
        if (isPodReady(p)) deletedReady++;
      }),
    );
    return { deleted, deletedReady, err };
  }

  /**
   * Counts finished pods through status.uncountedTerminatedPods and finalizer removal (upstream's
   * trackJobStatusAndRemoveFinalizers), adds interim and final conditions, and writes status when it changed.
   */
  private async trackStatus(
    key: string,
    jobIn: Job,
    pods: Pod[],
    s: { finished: JobCondition | null; expectedRm: Set<string>; uncounted: { succeeded: Set<string>; failed: Set<string> }; prevSucceeded: Interval[]; succeededIx: Interval[]; failedIx: Interval[] | null; delayedPerIndex: Map<number, Pod>; terminating: number; backoff: BackoffRecord },
    needsFlushIn: boolean,
  ): Promise<void> {
    const now = this.ctx.clock.now();
    let job = jobIn;
    let needsFlush = needsFlushIn;
    let finished = s.finished;
    const indexed = isIndexed(job);
    const completions = job.spec?.completions ?? 0;
    const uncountedStatus = job.status!.uncountedTerminatedPods!;
    uncountedStatus.succeeded ??= [];
    uncountedStatus.failed ??= [];
    const ordered = indexed ? [...pods].sort((a, b) => completionIndexOf(a.metadata?.annotations) - completionIndexOf(b.metadata?.annotations)) : pods;
    const withFinalizer = new Set<string>();
    for (const p of ordered) if (hasTrackingFinalizer(p) && !s.expectedRm.has(p.metadata?.uid ?? '')) withFinalizer.add(p.metadata?.uid ?? '');
    if (cleanUncounted(job, withFinalizer)) needsFlush = true;
    const toRemove: Pod[] = [];
    const newSucceededIx: number[] = [];
    let reachedMax = false;
    for (const p of ordered) {
      const uid = p.metadata?.uid ?? '';
      if (!hasTrackingFinalizer(p) || s.expectedRm.has(uid)) continue;
      const failedNow = isPodFailed(p, job);
      if (!this.canRemoveFinalizer(job, p, failedNow, finished, s.delayedPerIndex)) continue;
      toRemove.push(p);
      if (p.status?.phase === 'Succeeded' && !s.uncounted.failed.has(uid)) {
        if (indexed) {
          const ix = completionIndexOf(p.metadata?.annotations);
          if (ix !== UNKNOWN_INDEX && ix < completions && !hasIndex(s.prevSucceeded, ix)) {
            newSucceededIx.push(ix);
            needsFlush = true;
          }
        } else if (!s.uncounted.succeeded.has(uid)) {
          uncountedStatus.succeeded.push(uid);
          needsFlush = true;
        }
      } else if (failedNow || (finished && finished.type !== 'SuccessCriteriaMet')) {
        // A finishing Job counts every pod not yet terminated as failed.
        const ix = completionIndexOf(p.metadata?.annotations);
        if (!s.uncounted.failed.has(uid) && (!indexed || (ix !== UNKNOWN_INDEX && ix < completions))) {
          if (matchPodFailurePolicy(job.spec?.podFailurePolicy, p).countFailed) {
            uncountedStatus.failed.push(uid);
            needsFlush = true;
          }
        }
      }
      if (newSucceededIx.length + uncountedStatus.succeeded.length + uncountedStatus.failed.length >= MAX_UNCOUNTED_PODS) {
        reachedMax = true;
        break;
      }
    }
    if (indexed) {
      const succ = withIndexes(s.succeededIx, newSucceededIx);
      const str = formatIndexes(succ);
      if (str !== (job.status!.completedIndexes ?? '')) needsFlush = true;
      job.status!.succeeded = totalIndexes(succ);
      job.status!.completedIndexes = str;
      const failedStr = s.failedIx ? formatIndexes(s.failedIx) : undefined;
      if (failedStr !== job.status!.failedIndexes) {
        job.status!.failedIndexes = failedStr;
        needsFlush = true;
      }
    }
    if (finished?.type === 'FailureTarget') {
      job.status!.conditions = [...(job.status!.conditions ?? []), finished];
      needsFlush = true;
      finished = newCondition('Failed', 'True', finished.reason ?? '', finished.message ?? '', now);
    }
    if (finished?.type === 'SuccessCriteriaMet') {
      if (findCondition(job, 'SuccessCriteriaMet')?.status !== 'True') {
        job.status!.conditions = [...(job.status!.conditions ?? []), finished];
        needsFlush = true;
      }
      finished = newCondition('Complete', 'True', finished.reason ?? '', finished.message ?? '', now);
    }
    // Flush what will be counted before removing finalizers, so a crash in between loses no pod.
    if (needsFlush) {
      job = await this.updateStatus(job);
      this.backoff.set(key, s.backoff);
      needsFlush = false;
    }
    let rmErr: unknown = null;
    if (toRemove.length > 0) {
      const expected = this.finalizerExpectations.get(key) ?? new Set<string>();
      for (const p of toRemove) expected.add(p.metadata?.uid ?? '');
      this.finalizerExpectations.set(key, expected);
      await Promise.all(
        toRemove.map(async (p) => {
          try {
            await this.removeFinalizer(p);
            withFinalizer.delete(p.metadata?.uid ?? '');
          } catch (e) {
            expected.delete(p.metadata?.uid ?? '');
            rmErr ??= e;
          }
        }),
      );
    }
    if (cleanUncounted(job, withFinalizer)) needsFlush = true;
    if (rmErr) {
      if (needsFlush) await this.updateStatus(job);
      throw rmErr;
    }
    let jobFinished = false;
    if (!reachedMax && finished) {
      const u = job.status?.uncountedTerminatedPods;
      const pending = (u?.succeeded?.length ?? 0) + (u?.failed?.length ?? 0);
      if (pending === 0 && s.terminating === 0) {
        [job.status!.conditions] = ensureCondition(job.status!.conditions ?? [], finished.type, 'True', finished.reason ?? '', finished.message ?? '', now);
        if (finished.type === 'Complete') job.status!.completionTime = findCondition(job, 'Complete')!.lastTransitionTime;
        jobFinished = true;
        needsFlush = true;
      }
    }
    if (needsFlush) {
      job = await this.updateStatus(job);
      if (jobFinished) {
        if (finished!.type === 'Complete') {
          const c = job.spec?.completions;
          if (c !== undefined && c !== null && (job.status?.succeeded ?? 0) > c) {
            this.ctx.event(COMPONENT, job, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
          }
          this.ctx.event(COMPONENT, job, 'Normal', 'Completed', 'Job completed');
        } else {
          this.ctx.event(COMPONENT, job, 'Warning', finished!.reason ?? '', finished!.message ?? '');
        }
      }
    }
  }

  private canRemoveFinalizer(job: Job, p: Pod, failedNow: boolean, finished: JobCondition | null, delayed: Map<number, Pod>): boolean {
    if (job.metadata?.deletionTimestamp || finished || p.status?.phase === 'Succeeded') return true;
    if (!failedNow) return false;
    if (hasBackoffLimitPerIndex(job)) {
      const ix = completionIndexOf(p.metadata?.annotations);
      if (ix !== UNKNOWN_INDEX && delayed.get(ix)?.metadata?.uid === p.metadata?.uid) return false;
    }
    return true;
  }

  private async updateStatus(job: Job): Promise<Job> {
    const status = job.status ?? {};
    // Empty lists and unset optional fields are omitted as Go's omitempty does.
    const u = status.uncountedTerminatedPods;
    if (u) {
      if (!u.succeeded?.length) delete u.succeeded;
      if (!u.failed?.length) delete u.failed;
    }
    if (status.completedIndexes === '') delete status.completedIndexes;
    return (await this.ctx.client.update(Jobs, job, { subresource: 'status' })) as Job;
  }
}

/** Moves pods whose finalizer is gone from uncountedTerminatedPods into the counters; true if anything moved. */
export function cleanUncounted(job: Job, withFinalizer: ReadonlySet<string>): boolean {
  const status = job.status!;
  const u = status.uncountedTerminatedPods!;
  let changed = false;
  const keepS = (u.succeeded ?? []).filter((uid) => withFinalizer.has(uid));
  if (keepS.length !== (u.succeeded ?? []).length) {
    status.succeeded = (status.succeeded ?? 0) + (u.succeeded!.length - keepS.length);
    u.succeeded = keepS;
    changed = true;
  }
  const keepF = (u.failed ?? []).filter((uid) => withFinalizer.has(uid));
  if (keepF.length !== (u.failed ?? []).length) {
    status.failed = (status.failed ?? 0) + (u.failed!.length - keepF.length);
    u.failed = keepF;
    changed = true;
  }
  return changed;
}

export const jobDescriptor: ControllerDescriptor = {
  name: 'job',
  enabledByDefault: true,
  create: (ctx) => new JobController(ctx),
};

export { DEFAULT_POD_FAILURE_BACKOFF_MS };
