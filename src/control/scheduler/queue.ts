/**
 * The scheduling queue, as kube-scheduler's PriorityQueue:
 * - activeQ: pods ready to be tried, highest spec.priority first, then earliest enqueue time;
 * - backoffQ: pods that failed and wait out a per-pod backoff (1 s doubling per attempt, capped at 10 s),
 *   flushed to activeQ every second;
 * - unschedulable pods: parked until a cluster event that may make them fit (see cluster-events.ts) moves
 *   them to backoffQ (still backing off) or activeQ; any left parked for 5 minutes are moved by a periodic flush.
 * A pod that fails in a cycle during which a move request happened goes to backoffQ instead of being parked,
 * so an event that arrived while it was being scheduled is not lost (upstream's moveRequestCycle).
 * Time comes from the injected clock.
 */
import type { KubeObject } from '../api/resource.js';
import { realClock, type Clock, type TimerHandle } from '../../client/clock.js';
import { eventMayHelp, type ClusterEvent } from './cluster-events.js';
import { Heap } from './heap.js';
import { sameSchedulingInputs } from './cache.js';

export const INITIAL_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 10_000;
/** Upstream's podMaxInUnschedulablePodsDuration. */
export const MAX_UNSCHEDULABLE_MS = 5 * 60_000;
const BACKOFF_FLUSH_MS = 1_000;
const UNSCHEDULABLE_FLUSH_MS = 30_000;

export interface QueuedPodInfo {
  key: string;
  /** The latest version of the pod the queue has seen. */
  pod: KubeObject;
  /** When the pod was last added to a queue (activeQ's tie-break, and the start of its backoff). */
  timestamp: number;
  /** When the pod first entered the queue. */
  initialAttemptTimestamp: number;
  /** Scheduling attempts so far. */
  attempts: number;
  /** Plugins that rejected it in its last attempt. */
  unschedulablePlugins: Set<string>;
}

type Where = 'active' | 'backoff' | 'unschedulable' | 'inflight';

interface Entry {
  info: QueuedPodInfo;
  where: Where;
  /** Bumped whenever the entry leaves a heap, so stale heap slots are skipped. */
  gen: number;
}

interface Slot {
  entry: Entry;
  gen: number;
  priority: number;
  timestamp: number;
  expiry: number;
  seq: number;
}

export function podPriority(pod: KubeObject): number {
  const p = (pod.spec as { priority?: unknown } | undefined)?.priority;
  return typeof p === 'number' && Number.isFinite(p) ? p : 0;
}

/** Upstream's PrioritySort: higher priority first, then earlier timestamp. */
export function activeLess(a: { priority: number; timestamp: number }, b: { priority: number; timestamp: number }): boolean {
  return a.priority !== b.priority ? a.priority > b.priority : a.timestamp < b.timestamp;
}

/** Backoff after `attempts` attempts: 1 s, 2 s, 4 s, 8 s, then 10 s. */
export function backoffDuration(attempts: number, initialMs = INITIAL_BACKOFF_MS, maxMs = MAX_BACKOFF_MS): number {
  let d = initialMs;
  for (let i = 1; i < attempts; i++) {
    if (d > maxMs - d) return maxMs;
    d += d;
  }
  return Math.min(d, maxMs);
}

export const backoffExpiry = (info: QueuedPodInfo): number => info.timestamp + backoffDuration(info.attempts);

export interface SchedulingQueueOptions {
  clock?: Clock;
}

export class SchedulingQueue {
  private readonly clock: Clock;
  private entries = new Map<string, Entry>();
  // Equal priority and time fall back to insertion order, so pods added in one tick keep FIFO order.
  private active = new Heap<Slot>((a, b) => activeLess(a, b) || (!activeLess(b, a) && a.seq < b.seq));
  private seq = 0;
  private backoff = new Heap<Slot>((a, b) => a.expiry < b.expiry);
  private activeCount = 0;
  private backoffCount = 0;
  private unschedulable = new Map<string, Entry>();
  private waiters: ((info: QueuedPodInfo | undefined) => void)[] = [];
  private closed = false;
  private timers: TimerHandle[] = [];
  /** Incremented by every pop; a pod remembers the cycle it was popped in. */
  schedulingCycle = 0;
  private moveRequestCycle = -1;

  constructor(opts: SchedulingQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
  }

  /** Starts the periodic flushes (backoffQ every second, long-parked pods every 30 s). */
  run(): void {
    const every = (ms: number, fn: () => void): void => {
      const tick = (): void => {
        if (this.closed) return;
        fn();
        this.timers.push(this.clock.setTimeout(tick, ms));
      };
      this.timers.push(this.clock.setTimeout(tick, ms));
    };
    every(BACKOFF_FLUSH_MS, () => this.flushBackoffCompleted());
    every(UNSCHEDULABLE_FLUSH_MS, () => this.flushUnschedulableLeftover());
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) this.clock.clearTimeout(t);
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** A new pending pod. If the queue already knows it, this is an update. */
  add(key: string, pod: KubeObject): void {
    const e = this.entries.get(key);
    if (e) return this.update(key, pod);
    const now = this.clock.now();
    const entry: Entry = {
      info: { key, pod, timestamp: now, initialAttemptTimestamp: now, attempts: 0, unschedulablePlugins: new Set() },
      where: 'active',
      gen: 0,
    };
    this.entries.set(key, entry);
    this.pushActive(entry);
  }

  /**
   * A pending pod changed. In activeQ/backoffQ it keeps its place with the new object (re-sorted if its priority
   * changed); a parked pod whose spec or labels changed is given another try, as upstream does on pod updates.
   */
  update(key: string, pod: KubeObject): void {
    const e = this.entries.get(key);
    if (!e) return this.add(key, pod);
    const old = e.info.pod;
    e.info.pod = pod;
    if (e.where === 'active' && podPriority(old) !== podPriority(pod)) {
      this.removeFromHeaps(e);
      this.pushActive(e);
    } else if (e.where === 'unschedulable' && schedulingInputsChanged(old, pod)) {
      this.unschedulable.delete(key);
      this.requeueMoved(e);
    }
  }

  delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.removeFromHeaps(e);
    this.unschedulable.delete(key);
    this.entries.delete(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The next pod to schedule; waits while activeQ is empty; undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    const info = this.popNow();
    if (info || this.closed) return Promise.resolve(info);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Pops without waiting. */
  popNow(): QueuedPodInfo | undefined {
    for (;;) {
      const s = this.active.pop();
      if (!s) return undefined;
      if (s.gen !== s.entry.gen || s.entry.where !== 'active') continue;
      this.activeCount--;
      const e = s.entry;
      e.gen++;
      e.where = 'inflight';
      e.info.attempts++;
      this.schedulingCycle++;
      return e.info;
    }
  }

  /** The pod left the queue for good (its binding succeeded). Until then it stays known as in flight. */
  done(key: string): void {
    const e = this.entries.get(key);
    if (e && e.where === 'inflight') this.entries.delete(key);
  }

  /**
   * The attempt that started in `podCycle` failed: park the pod as unschedulable, or send it to backoffQ when a
   * move request arrived since (or when `error` — API errors back off rather than wait for an event).
   */
  addUnschedulable(info: QueuedPodInfo, plugins: Set<string>, podCycle: number, error = false): void {
    if (this.closed) return;
    const e = this.entries.get(info.key);
    // Gone (deleted while in flight) or already requeued by someone else: nothing to do.
    if (!e || e.where !== 'inflight') return;
    e.info.unschedulablePlugins = plugins;
    e.info.timestamp = this.clock.now();
    if (error || this.moveRequestCycle >= podCycle) {
      this.pushBackoff(e);
    } else {
      e.where = 'unschedulable';
      this.unschedulable.set(e.info.key, e);
    }
  }

  /** A cluster event: move every parked pod it may help to backoffQ or activeQ. */
  moveAllToActiveOrBackoff(event: ClusterEvent, filter?: (info: QueuedPodInfo) => boolean): number {
    let moved = 0;
    for (const [key, e] of this.unschedulable) {
      if (!eventMayHelp(event, e.info.unschedulablePlugins)) continue;
      if (filter && !filter(e.info)) continue;
      this.unschedulable.delete(key);
      this.requeueMoved(e);
      moved++;
    }
    this.moveRequestCycle = this.schedulingCycle;
    return moved;
  }

  /** Moves pods whose backoff has expired to activeQ. */
  flushBackoffCompleted(): void {
    const now = this.clock.now();
    for (;;) {
      const s = this.backoff.peek();
      if (!s) return;
      if (s.gen !== s.entry.gen || s.entry.where !== 'backoff') {
        this.backoff.pop();
        continue;
      }
      if (s.expiry > now) return;
      this.backoff.pop();
      this.backoffCount--;
      s.entry.gen++;
      this.pushActive(s.entry);
    }
  }

  /** Moves pods parked longer than 5 minutes back (upstream's flushUnschedulablePodsLeftover). */
  flushUnschedulableLeftover(): void {
    const now = this.clock.now();
    for (const [key, e] of this.unschedulable) {
      if (now - e.info.timestamp < MAX_UNSCHEDULABLE_MS) continue;
      this.unschedulable.delete(key);
      this.requeueMoved(e);
    }
  }

  /** Counts per sub-queue, for tests and metrics. */
  stats(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.activeCount, backoff: this.backoffCount, unschedulable: this.unschedulable.size };
  }

  where(key: string): Where | undefined {
    return this.entries.get(key)?.where;
  }

  private requeueMoved(e: Entry): void {
    if (backoffExpiry(e.info) > this.clock.now()) this.pushBackoff(e);
    else this.pushActive(e);
  }

  private pushActive(e: Entry): void {
    e.where = 'active';
    e.gen++;
    const w = this.waiters.shift();
    if (w) {
      // A waiting pop takes the pod directly.
      e.where = 'inflight';
      e.info.attempts++;
      this.schedulingCycle++;
      w(e.info);
      return;
    }
    this.active.push({ entry: e, gen: e.gen, priority: podPriority(e.info.pod), timestamp: e.info.timestamp, expiry: 0, seq: this.seq++ });
    this.activeCount++;
  }

  private pushBackoff(e: Entry): void {
    e.where = 'backoff';
    e.gen++;
    this.backoff.push({ entry: e, gen: e.gen, priority: 0, timestamp: 0, expiry: backoffExpiry(e.info), seq: this.seq++ });
    this.backoffCount++;
  }

  private removeFromHeaps(e: Entry): void {
    if (e.where === 'active') this.activeCount--;
    else if (e.where === 'backoff') this.backoffCount--;
    e.gen++;
    e.where = 'inflight';
  }
}

/** Whether an update to a pending pod can change a scheduling decision (anything but status and metadata noise). */
export function schedulingInputsChanged(oldPod: KubeObject, newPod: KubeObject): boolean {
  return !sameSchedulingInputs(oldPod, newPod);
}
