/**
 * The scheduling loop, as kube-scheduler's scheduleOne: pop the next pod, ask the core for a node, assume the
 * pod there, bind it in the background (up to `bindConcurrency` binds in flight), and report. A pod no node
 * fits gets upstream's FailedScheduling event and PodScheduled=False condition and is parked until a cluster
 * event may help. Informer events keep the core current incrementally (see `podHandler`, `nodeHandler`).
 *
 * Only pods whose spec.schedulerName is this scheduler's (default-scheduler) are taken; pods already bound,
 * terminating or finished are ignored. Preemption is not implemented (see events.ts for the message).
 */
import { hostname } from 'node:os';
import type { KubeObject } from '../api/resource.js';
import { realClock, type Clock } from '../../client/clock.js';
import type { ResourceEventHandler } from '../../client/informer.js';
import { bindErrorIsFinal, type SchedulerApi } from './binder.js';
import { nodeNameOf, podKey, SchedulerCache } from './cache.js';
import { nodeSchedulingChanges, unschedulablePlugins } from './cluster-events.js';
import type { FailureReason, ScheduleHints, ScheduleResult, SchedulerCore } from './core.js';
import { REASON, type ExplainableCore, type NodeExplain } from './plugins.js';
import { nodeAffinityPreFilter } from './prefilter.js';
import { eligibleToPreempt, planPreemption, podPriority } from './preemption.js';
import { defaultSpreadSelector, type DefaultSpreadSources } from './default-spread.js';
import {
  EventRecorder, failedSchedulingMessage, formatFitError, podEvent, scheduledMessage, SCHEDULER_NAME, unschedulableCondition,
} from './events.js';
import { SchedulingQueue, schedulingInputsChanged, type QueuedPodInfo } from './queue.js';
import type { VolumeBinder, VolumeReservation } from './volume-binder.js';
import { podClaimRefs, podHasClaims, type NodeVolumeResults } from './volume-binding.js';
import { runsBeforeVolumeBinding, type VolumeClusterEvent } from './cluster-events.js';

export interface SchedulerOptions {
  core: SchedulerCore;
  api: SchedulerApi;
  clock?: Clock;
  /** Pods with this spec.schedulerName are ours. Default `default-scheduler`. */
  schedulerName?: string;
  /**
   * Binds in flight at once. Default 64: a bind waits on a storage commit, so with a busy API server ~16 in
   * flight capped throughput at 16/latency (upstream runs every binding cycle in its own goroutine, unbounded).
   */
  bindConcurrency?: number;
  /** Services, ReplicaSets and StatefulSets for PodTopologySpread's system default selector; none = no defaults. */
  spreadSources?: DefaultSpreadSources;
  /**
   * VolumeBinding (volume-binder.ts): pods with PersistentVolumeClaims are placed where their volumes are (or can
   * be made) and bound only after their claims are. Absent: volumes are not looked at.
   */
  volumes?: VolumeBinder;
  /** Tie-break among equally scored nodes when VolumeBinding narrows the choice (tests fix it). */
  random?: () => number;
  /** Called after a bind call succeeded (benchmarks, metrics). */
  onBound?: (pod: KubeObject, nodeName: string) => void;
  /** Non-fatal problems (a failed status write, an exception from the core). */
  onError?: (err: unknown, context: string) => void;
}

export interface SchedulerStats {
  attempts: number;
  bound: number;
  unschedulable: number;
  bindErrors: number;
  errors: number;
  /** Cycles that evicted victims for the pod (DefaultPreemption). */
  preemptions?: number;
}

const phaseOf = (pod: KubeObject): string => ((pod.status as { phase?: string } | undefined)?.phase ?? '');
export const isTerminal = (pod: KubeObject): boolean => phaseOf(pod) === 'Succeeded' || phaseOf(pod) === 'Failed';
export const isTerminating = (pod: KubeObject): boolean => !!pod.metadata?.deletionTimestamp;
export const isAssigned = (pod: KubeObject): boolean => nodeNameOf(pod) !== '';
export const schedulerNameOf = (pod: KubeObject): string =>
  (pod.spec as { schedulerName?: string } | undefined)?.schedulerName || SCHEDULER_NAME;

const yieldToIO = (): Promise<void> => new Promise((r) => setImmediate(r));
/** Longest stretch of back-to-back cycles before the loop lets I/O callbacks run. */
const YIELD_EVERY_MS = 2;

/** A PreBind plugin failed (the pod is retried after backoff). */
class PreBindError extends Error {}

/** One cycle's VolumeBinding state: the per-node results, the decision, and failure reasons when none fits. */
interface VolumeCycle {
  results: NodeVolumeResults;
  result: ScheduleResult;
  failure?: { reasons: FailureReason[]; preFilterMsg: string };
}

const isExplainable = (core: SchedulerCore): core is ExplainableCore => typeof (core as Partial<ExplainableCore>).explain === 'function';

export class Scheduler {
  readonly queue: SchedulingQueue;
  readonly cache: SchedulerCache;
  readonly recorder: EventRecorder;
  readonly stats: SchedulerStats = { attempts: 0, bound: 0, unschedulable: 0, bindErrors: 0, errors: 0 };
  private readonly clock: Clock;
  private readonly name: string;
  private readonly bindConcurrency: number;
  private readonly instance = `${SCHEDULER_NAME}-${hostname()}`;
  private bindsInFlight = 0;
  /** Pods in VolumeBinding's PreBind, by key: deleting the pod (or stopping) ends the wait. */
  private readonly preBinding = new Map<string, AbortController>();
  /** Pods nominated by a preemption, by key, until they bind (status.nominatedNodeName may still be on its way). */
  private readonly nominated = new Map<string, string>();
  private slotWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: SchedulerOptions) {
    this.clock = opts.clock ?? realClock;
    this.name = opts.schedulerName ?? SCHEDULER_NAME;
    this.bindConcurrency = Math.max(1, opts.bindConcurrency ?? 64);
    this.queue = new SchedulingQueue({ clock: this.clock });
    this.cache = new SchedulerCache(opts.core);
    this.recorder = new EventRecorder((ev) => opts.api.createEvent(ev));
  }

  responsibleFor(pod: KubeObject): boolean {
    return schedulerNameOf(pod) === this.name;
  }

  /** Pod informer handler: pending pods feed the queue, bound pods feed the cache (and so the core). */
  readonly podHandler: ResourceEventHandler<KubeObject> = {
    onAdd: (pod) => {
      if (isTerminal(pod)) return;
      if (isAssigned(pod)) {
        this.cache.addPod(pod);
        this.queue.moveAllToActiveOrBackoff('AssignedPodAdd');
      } else if (this.responsibleFor(pod) && !isTerminating(pod)) {
        this.queue.add(podKey(pod), pod);
      }
    },
    onUpdate: (oldPod, pod) => {
      const key = podKey(pod);
      if (isAssigned(oldPod)) {
        if (isTerminal(pod)) {
          this.cache.removePod(oldPod);
          this.queue.moveAllToActiveOrBackoff('AssignedPodDelete');
        } else {
          this.cache.updatePod(pod);
          if (schedulingInputsChanged(oldPod, pod)) this.queue.moveAllToActiveOrBackoff('AssignedPodUpdate');
        }
      } else if (isAssigned(pod)) {
        // The binding landed (ours, or another scheduler's).
        this.queue.delete(key);
        if (isTerminal(pod)) return;
        this.cache.addPod(pod);
        this.queue.moveAllToActiveOrBackoff('AssignedPodAdd');
      } else if (this.cache.isAssumed(key)) {
        // Our decision is on its way; the queue keeps the newest object for a retry if the bind fails.
        if (this.queue.has(key)) this.queue.update(key, pod);
      } else if (this.responsibleFor(pod) && !isTerminating(pod) && !isTerminal(pod)) {
        this.queue.update(key, pod);
      } else {
        this.queue.delete(key);
      }
    },
    onDelete: (pod) => {
      if (isAssigned(pod)) {
        this.cache.removePod(pod);
        this.queue.moveAllToActiveOrBackoff('AssignedPodDelete');
      } else {
        this.queue.delete(podKey(pod));
        // A pod waiting in PreBind for its claims is not waited for any longer (upstream's checkBindings).
        this.preBinding.get(podKey(pod))?.abort(new Error(`pod does not exist any more: pod "${pod.metadata?.name ?? ''}" not found`));
      }
    },
  };

  /** Node informer handler: the core's node table follows every change scheduling can see. */
  readonly nodeHandler: ResourceEventHandler<KubeObject> = {
    onAdd: (node) => {
      this.cache.upsertNode(node);
      this.queue.moveAllToActiveOrBackoff('NodeAdd');
    },
    onUpdate: (oldNode, node) => {
      const changes = nodeSchedulingChanges(oldNode, node);
      if (changes.length === 0) return;
      this.cache.upsertNode(node);
      if (changes.some((c) => c !== 'Images')) this.queue.moveAllToActiveOrBackoff('NodeUpdate');
    },
    onDelete: (node) => {
      if (node.metadata?.name) this.cache.removeNode(node.metadata.name);
    },
  };

  /** A PVC, PV or StorageClass changed: pods VolumeBinding rejected may fit now (and PreBind may be done). */
  storageEvent(event: VolumeClusterEvent, obj: KubeObject, old?: KubeObject): void {
    if (event === 'PersistentVolumeClaimAdd' || event === 'PersistentVolumeClaimUpdate') {
      // Upstream's queueing hint: only pods in the claim's namespace that use the claim.
      const ns = obj.metadata?.namespace;
      const name = obj.metadata?.name;
      this.queue.moveAllToActiveOrBackoff(event, (info) =>
        (info.pod.metadata?.namespace ?? 'default') === ns && podClaimRefs(info.pod).some((r) => r.name === name));
      return;
    }
    // A class update helps only through allowedTopologies (the binding mode cannot change).
    if (event === 'StorageClassUpdate' && old && JSON.stringify((old as { allowedTopologies?: unknown }).allowedTopologies ?? null) === JSON.stringify((obj as { allowedTopologies?: unknown }).allowedTopologies ?? null)) return;
    this.queue.moveAllToActiveOrBackoff(event);
  }

  /** Schedules until the signal aborts. Informers must be feeding the handlers (and synced) before this runs. */
  async run(signal: AbortSignal): Promise<void> {
    this.queue.run();
    const stop = (): void => {
      this.queue.close();
      for (const ac of this.preBinding.values()) ac.abort(new Error('scheduler stopping'));
    };
    signal.addEventListener('abort', stop, { once: true });
    let lastYield = performance.now();
    try {
      while (!signal.aborted) {
        await this.waitForBindSlot();
        const info = await this.queue.pop();
        if (!info || signal.aborted) break;
        try {
          this.scheduleOne(info);
        } catch (err) {
          // A bug or bad input in one cycle must not stop the loop: report, back the pod off, go on.
          this.stats.errors++;
          this.opts.onError?.(err, `scheduling ${info.key}`);
          this.queue.addUnschedulable(info, new Set(), this.queue.schedulingCycle, true);
        }
        // Let informer events and bind responses in every few milliseconds: a busy queue never waits on I/O.
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await yieldToIO();
          lastYield = performance.now();
        }
      }
    } finally {
      signal.removeEventListener('abort', stop);
      this.queue.close();
    }
  }

  /** One scheduling cycle for a popped pod; the binding continues in the background. */
  scheduleOne(info: QueuedPodInfo): void {
    const pod = info.pod;
    const key = info.key;
    const cycle = this.queue.schedulingCycle;
    if (isAssigned(pod) || isTerminating(pod) || !this.responsibleFor(pod)) {
      this.queue.delete(key);
      return;
    }
    this.stats.attempts++;
    let result;
    let hints: ScheduleHints | undefined;
    let vol: VolumeCycle | undefined;
    try {
      const sources = this.opts.spreadSources;
      const selector = sources ? defaultSpreadSelector(pod, sources) : undefined;
      hints = selector ? { defaultSpreadSelector: selector } : undefined;
      const volumes = this.opts.volumes;
      if (volumes && podHasClaims(pod)) {
        const pre = volumes.preFilter(pod);
        if (pre.kind === 'reject' && nodeAffinityPreFilter(pod).kind !== 'conflict') {
          // VolumeBinding's PreFilter runs after NodeAffinity's: its rejection is the pod's whole answer.
          this.stats.unschedulable++;
          const reasons = [{ reason: pre.message, count: this.cache.nodeCount() }];
          this.reportFailure(pod, 'Unschedulable', failedSchedulingMessage(pod, this.cache.nodeCount(), reasons, pre.message));
          this.queue.addUnschedulable(info, unschedulablePlugins(reasons), cycle);
          return;
        }
        if (pre.kind === 'claims') vol = this.scheduleWithVolumes(pod, hints, volumes.filterNodes(pre.claims));
      }
      result = vol ? vol.result : this.opts.core.schedule(pod, hints);
    } catch (err) {
      this.stats.errors++;
      this.opts.onError?.(err, `scheduling ${key}`);
      this.reportFailure(pod, 'SchedulerError', `running the scheduling core: ${(err as Error).message}`);
      this.queue.addUnschedulable(info, new Set(), cycle, true);
      return;
    }
    if (result.node === null) {
      this.stats.unschedulable++;
      const failure = vol?.failure ?? this.failureReasons(pod, hints, result.reasons);
      // PostFilter: a successful preemption leaves no PostFilter message (upstream's empty success status).
      const preempting = !vol && !failure.preFilterMsg && this.preempt(pod, hints);
      const message = preempting
        ? formatFitError(this.cache.nodeCount(), failure.reasons)
        : failedSchedulingMessage(pod, this.cache.nodeCount(), failure.reasons, failure.preFilterMsg);
      this.reportFailure(pod, 'Unschedulable', message);
      this.queue.addUnschedulable(info, unschedulablePlugins(failure.reasons), cycle);
      return;
    }
    const nodeName = result.node;
    // Reserve: the volumes this node needs are assumed before the next cycle looks.
    let reservation: VolumeReservation | undefined;
    if (vol) {
      const r = vol.results.get(nodeName);
      if (r?.ok === true) reservation = this.opts.volumes!.reserve(nodeName, r.plan);
    }
    this.cache.assume(pod, nodeName);
    this.bindsInFlight++;
    // Without volumes to bind the bind call starts at once (no extra turn of the event loop).
    const bound = reservation
      ? this.preBind(key, reservation).then(
        () => this.opts.api.bind(pod, nodeName),
        (err: unknown) => {
          // PreBind failed: the pod goes back to the queue (backoff), its volumes' assumptions are dropped.
          throw new PreBindError(err instanceof Error ? err.message : String(err));
        },
      )
      : this.opts.api.bind(pod, nodeName);
    bound
      .then(
        () => {
          this.nominated.delete(key);
          this.cache.finishBinding(key);
          this.queue.done(key);
          this.stats.bound++;
          this.recorder.record(podEvent(pod, 'Normal', 'Scheduled', 'Binding', scheduledMessage(pod, nodeName), new Date(this.clock.now()), this.instance));
          this.opts.onBound?.(pod, nodeName);
        },
        (err: unknown) => {
          this.stats.bindErrors++;
          if (reservation) this.opts.volumes!.unreserve(reservation);
          this.cache.forget(key);
          // The forgotten pod's room is free again: pods waiting for room may fit now.
          this.queue.moveAllToActiveOrBackoff('AssignedPodDelete');
          if (err instanceof PreBindError) {
            // Deleted meanwhile: nothing to report or retry.
            if (!this.queue.has(key)) return;
            this.opts.onError?.(err, `binding volumes of ${key} on ${nodeName}`);
            this.recorder.record(
              podEvent(pod, 'Warning', 'FailedScheduling', 'Scheduling', `running PreBind plugin "VolumeBinding": ${err.message}`, new Date(this.clock.now()), this.instance),
            );
            this.queue.addUnschedulable(info, new Set(), cycle, true);
            return;
          }
          if (bindErrorIsFinal(err)) {
            // Gone, or bound by someone else: the informer brings the truth; nothing to retry.
            this.queue.delete(key);
            return;
          }
          this.opts.onError?.(err, `binding ${key} to ${nodeName}`);
          this.recorder.record(
            podEvent(pod, 'Warning', 'FailedScheduling', 'Scheduling', `Binding rejected: ${(err as Error).message}`, new Date(this.clock.now()), this.instance),
          );
          this.queue.addUnschedulable(info, new Set(), cycle, true);
        },
      )
      .finally(() => this.releaseBindSlot());
  }

  private async preBind(key: string, reservation: VolumeReservation): Promise<void> {
    const ac = new AbortController();
    this.preBinding.set(key, ac);
    try {
      await this.opts.volumes!.preBind(reservation, ac.signal);
    } finally {
      if (this.preBinding.get(key) === ac) this.preBinding.delete(key);
    }
  }

  /** Resolves when no bind is in flight and every event has been posted (tests, shutdown). */
  async idle(): Promise<void> {
    if (this.bindsInFlight > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    await this.recorder.flush();
  }

  /**
   * A cycle for a pod whose claims narrow the nodes (VolumeBinding's Filter). When every node passes it, the core
   * decides alone. Otherwise the core explains every node (its filters and scores, as for any pod) and the best
   * node that also passes VolumeBinding wins, ties at random; filters stay exact, while scores are normalised
   * over the nodes the core found feasible (upstream normalises after VolumeBinding too: a rare difference).
   */
  private scheduleWithVolumes(pod: KubeObject, hints: ScheduleHints | undefined, results: NodeVolumeResults): VolumeCycle {
    let narrowed = false;
    for (const r of results.values()) {
      if (r.ok === 'error') throw new Error(`running "VolumeBinding" filter plugin: ${r.message}`);
      if (r.ok === false) narrowed = true;
    }
    const core = this.opts.core;
    if (!narrowed) return { results, result: core.schedule(pod, hints) };
    if (!isExplainable(core)) throw new Error('the scheduling core cannot explain nodes, which VolumeBinding needs');
    const random = this.opts.random ?? Math.random;
    const explained = core.explain(pod, hints);
    let best: string | null = null;
    let bestTotal = -Infinity;
    let ties = 0;
    let feasible = 0;
    for (const n of explained) {
      if (n.reasons.length > 0 || results.get(n.node)?.ok !== true) continue;
      feasible++;
      if (n.total > bestTotal) {
        best = n.node;
        bestTotal = n.total;
        ties = 1;
      } else if (n.total === bestTotal && random() * ++ties < 1) best = n.node;
    }
    const result = { node: best, evaluated: explained.length, feasible, reasons: [] };
    if (best !== null) return { results, result };
    return { results, result, failure: { reasons: this.volumeFailureReasons(pod, explained, results), preFilterMsg: '' } };
  }

  /**
   * Per-node reasons with VolumeBinding in upstream's filter order: a node the core rejected in a plugin that runs
   * before VolumeBinding keeps that reason; otherwise a node VolumeBinding rejects carries its reasons.
   */
  private volumeFailureReasons(pod: KubeObject, explained: readonly NodeExplain[], results: NodeVolumeResults): FailureReason[] {
    const pre = nodeAffinityPreFilter(pod);
    if (pre.kind === 'conflict') return [{ reason: REASON.affinityTermsConflict, count: this.cache.nodeCount() }];
    const counts = new Map<string, number>();
    let outside = 0;
    for (const n of explained) {
      if (pre.kind === 'nodes' && !pre.names.has(n.node)) {
        outside++;
        continue;
      }
      const v = results.get(n.node);
      const earlier = n.reasons.length > 0 && n.reasons.every(runsBeforeVolumeBinding);
      const reasons = !earlier && v && v.ok === false ? v.reasons : n.reasons;
      for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    }
    if (outside) counts.set(REASON.outsidePreFilterNodes, outside);
    return [...counts].map(([reason, count]) => ({ reason, count }));
  }

  /**
   * The per-node reasons upstream reports for a pod no node fits: the core's, unless NodeAffinity's PreFilter
   * narrowed the pod to named nodes (prefilter.ts). Then only those nodes' own reasons count, the others are
   * outside the set, and a set that names no node is the PreFilter's own rejection. The cores filter every node
   * (same decision), so the named nodes' reasons come from an explain of this rare, failed cycle.
   */
  private failureReasons(pod: KubeObject, hints: ScheduleHints | undefined, coreReasons: FailureReason[]): { reasons: FailureReason[]; preFilterMsg: string } {
    const pre = nodeAffinityPreFilter(pod);
    if (pre.kind === 'conflict') return { reasons: [{ reason: REASON.affinityTermsConflict, count: this.cache.nodeCount() }], preFilterMsg: REASON.affinityTermsConflict };
    const core = this.opts.core;
    if (pre.kind === 'all' || !isExplainable(core)) return { reasons: coreReasons, preFilterMsg: '' };
    const counts = new Map<string, number>();
    let outside = 0;
    for (const n of core.explain(pod, hints)) {
      if (!pre.names.has(n.node)) outside++;
      else for (const r of n.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    }
    if (outside) counts.set(REASON.outsidePreFilterNodes, outside);
    return { reasons: [...counts].map(([reason, count]) => ({ reason, count })), preFilterMsg: '' };
  }

  /**
   * DefaultPreemption (preemption.ts): true when the pod is nominated to a node whose lower-priority victims are
   * being evicted now, or still terminating from an earlier preemption (then nothing more is evicted).
   */
  private preempt(pod: KubeObject, hints: ScheduleHints | undefined): boolean {
    const { api, core } = this.opts;
    if (!api.preempt || !api.nominate || !isExplainable(core) || !eligibleToPreempt(pod)) return false;
    const key = podKey(pod);
    const prio = podPriority(pod);
    const earlier = this.nominated.get(key) ?? (pod.status as { nominatedNodeName?: string } | undefined)?.nominatedNodeName;
    if (earlier && this.cache.podsOn(earlier).some((p) => p.metadata?.deletionTimestamp && podPriority(p) < prio)) return true;
    let plan;
    try {
      plan = planPreemption(core, pod, hints, (n) => this.cache.podsOn(n));
    } catch (err) {
      this.opts.onError?.(err, `preemption for ${key}`);
      return false;
    }
    if (!plan) return false;
    this.nominated.set(key, plan.node);
    api.nominate(pod, plan.node).catch((err: unknown) => {
      if (!bindErrorIsFinal(err)) this.opts.onError?.(err, `nominating ${key} to ${plan.node}`);
    });
    const now = new Date(this.clock.now());
    for (const v of plan.victims) {
      this.recorder.record(podEvent(v, 'Normal', 'Preempted', 'Preempting', `Preempted by pod ${pod.metadata?.uid ?? ''} on node ${plan.node}`, now, this.instance));
      api.preempt(v, `${schedulerNameOf(pod)}: preempting to accommodate a higher priority pod`).catch((err: unknown) => this.opts.onError?.(err, `preempting ${podKey(v)}`));
    }
    this.stats.preemptions = (this.stats.preemptions ?? 0) + 1;
    return true;
  }

  private reportFailure(pod: KubeObject, reason: 'Unschedulable' | 'SchedulerError', message: string): void {
    const now = new Date(this.clock.now());
    this.recorder.record(podEvent(pod, 'Warning', 'FailedScheduling', 'Scheduling', message, now, this.instance));
    const cond = unschedulableCondition(pod, reason, message, now);
    if (cond) {
      this.opts.api.setPodCondition(pod, cond).catch((err: unknown) => {
        if (!bindErrorIsFinal(err)) this.opts.onError?.(err, `updating PodScheduled of ${podKey(pod)}`);
      });
    }
  }

  private waitForBindSlot(): Promise<void> {
    if (this.bindsInFlight < this.bindConcurrency) return Promise.resolve();
    return new Promise((r) => this.slotWaiters.push(r));
  }

  private releaseBindSlot(): void {
    this.bindsInFlight--;
    this.slotWaiters.shift()?.();
    if (this.bindsInFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}
