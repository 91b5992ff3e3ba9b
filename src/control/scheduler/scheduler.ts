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
import type { FailureReason, ScheduleHints, SchedulerCore } from './core.js';
import { REASON, type ExplainableCore } from './plugins.js';
import { nodeAffinityPreFilter } from './prefilter.js';
import { defaultSpreadSelector, type DefaultSpreadSources } from './default-spread.js';
import {
  EventRecorder, failedSchedulingMessage, podEvent, scheduledMessage, SCHEDULER_NAME, unschedulableCondition,
} from './events.js';
import { SchedulingQueue, schedulingInputsChanged, type QueuedPodInfo } from './queue.js';

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

  /** Schedules until the signal aborts. Informers must be feeding the handlers (and synced) before this runs. */
  async run(signal: AbortSignal): Promise<void> {
    this.queue.run();
    const stop = (): void => this.queue.close();
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
    try {
      const sources = this.opts.spreadSources;
      const selector = sources ? defaultSpreadSelector(pod, sources) : undefined;
      hints = selector ? { defaultSpreadSelector: selector } : undefined;
      result = this.opts.core.schedule(pod, hints);
    } catch (err) {
      this.stats.errors++;
      this.opts.onError?.(err, `scheduling ${key}`);
      this.reportFailure(pod, 'SchedulerError', `running the scheduling core: ${(err as Error).message}`);
      this.queue.addUnschedulable(info, new Set(), cycle, true);
      return;
    }
    if (result.node === null) {
      this.stats.unschedulable++;
      const failure = this.failureReasons(pod, hints, result.reasons);
      const message = failedSchedulingMessage(pod, this.cache.nodeCount(), failure.reasons, failure.preFilterMsg);
      this.reportFailure(pod, 'Unschedulable', message);
      this.queue.addUnschedulable(info, unschedulablePlugins(failure.reasons), cycle);
      return;
    }
    const nodeName = result.node;
    this.cache.assume(pod, nodeName);
    this.bindsInFlight++;
    this.opts.api
      .bind(pod, nodeName)
      .then(
        () => {
          this.cache.finishBinding(key);
          this.queue.done(key);
          this.stats.bound++;
          this.recorder.record(podEvent(pod, 'Normal', 'Scheduled', 'Binding', scheduledMessage(pod, nodeName), new Date(this.clock.now()), this.instance));
          this.opts.onBound?.(pod, nodeName);
        },
        (err: unknown) => {
          this.stats.bindErrors++;
          this.cache.forget(key);
          // The forgotten pod's room is free again: pods waiting for room may fit now.
          this.queue.moveAllToActiveOrBackoff('AssignedPodDelete');
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

  /** Resolves when no bind is in flight and every event has been posted (tests, shutdown). */
  async idle(): Promise<void> {
    if (this.bindsInFlight > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    await this.recorder.flush();
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
