/**
 * The pod status writer, as the kubelet's status manager: the latest status per pod is sent (PATCH pods/status),
 * older unsent ones are dropped; a bounded number of requests are in flight; failures retry with backoff.
 * A pod whose containers have stopped is then deleted (grace 0, uid precondition) after its last status.
 *
 * One pod is never written by two requests at once: a status that arrives while its pod's request runs waits
 * and goes next. With `ref.node` set, one node's writes go one at a time as a kubelet's status manager sends them
 * (one goroutine per kubelet): while a node's write is out, its pods' newer statuses replace older unsent ones,
 * so a slow API server gets fewer, newer statuses, while a thousand nodes still write side by side.
 */
import { realClock, type Clock } from '../../client/clock.js';
import { ApiError, type RestClient } from '../../client/rest.js';
import { Pods } from '../../client/resources.js';
import type { PodStatus } from './types.js';

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
  /** The node whose kubelet writes it: writes of one node go one at a time. Unset: the pod is its own lane. */
  node?: string;
}

interface Pending {
  ref: PodRef;
  status?: PodStatus;
  remove: boolean;
  failures: number;
}

export interface StatusWriterOptions {
  client: RestClient;
  /** Requests in flight at once (default 16). */
  concurrency?: number;
  clock?: Clock;
  /** First retry delay, doubled per failure up to maxBackoffMs (defaults 200 ms, 10 s). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  onError?: (err: unknown, ref: PodRef, what: 'status' | 'delete') => void;
}

const laneOf = (ref: PodRef): string => (ref.node !== undefined ? `n/${ref.node}` : `p/${ref.uid}`);

/** Errors that retrying cannot fix: the pod is gone, was replaced (uid), or the status is invalid. */
function isFinal(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 404 || err.code === 409 || err.code === 422 || err.code === 400 || err.code === 403);
}

export class PodStatusWriter {
  private pending = new Map<string, Pending>();
  /** Queued pod uids per lane (node), and the lanes with queued pods and no write out, in turn order. */
  private lanes = new Map<string, string[]>();
  private readyLanes: string[] = [];
  private laneReady = new Set<string>();
  private busyLanes = new Set<string>();
  private queued = new Set<string>();
  private inFlight = new Set<string>();
  private retryTimers = new Map<string, ReturnType<Clock['setTimeout']>>();
  private idleWaiters: (() => void)[] = [];
  private stopped = false;
  private readonly concurrency: number;
  private readonly clock: Clock;
  /** Counters for tests and the agent's /nodes summary. */
  readonly stats = { patches: 0, deletes: 0, failures: 0, coalesced: 0 };

  constructor(private readonly o: StatusWriterOptions) {
    this.concurrency = o.concurrency ?? 16;
    this.clock = o.clock ?? realClock;
  }

  /** Sends `status` for the pod (replacing any not yet sent). */
  enqueue(ref: PodRef, status: PodStatus): void {
    const p = this.entry(ref);
    if (p.status) this.stats.coalesced++;
    p.status = status;
    this.ready(ref.uid);
  }

  /** Deletes the pod once any pending status has been sent. */
  remove(ref: PodRef): void {
    this.entry(ref).remove = true;
    this.ready(ref.uid);
  }

  /** The pod is gone: drop whatever was waiting for it. */
  forget(uid: string): void {
    this.pending.delete(uid);
    const t = this.retryTimers.get(uid);
    if (t) this.clock.clearTimeout(t);
    this.retryTimers.delete(uid);
    this.checkIdle();
  }

  /** A write of this pod is waiting, running or scheduled for retry. */
  busy(uid: string): boolean {
    return this.pending.has(uid) || this.inFlight.has(uid) || this.retryTimers.has(uid);
  }

  /** Writes waiting or running. */
  get backlog(): number {
    return this.pending.size + this.inFlight.size;
  }

  /** Resolves when nothing is waiting, running or scheduled for retry. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.retryTimers.values()) this.clock.clearTimeout(t);
    this.retryTimers.clear();
    this.pending.clear();
    this.lanes.clear();
    this.readyLanes = [];
    this.laneReady.clear();
    this.queued.clear();
    this.checkIdle();
  }

  private entry(ref: PodRef): Pending {
    let p = this.pending.get(ref.uid);
    if (!p) {
      p = { ref, remove: false, failures: 0 };
      this.pending.set(ref.uid, p);
    }
    p.ref = ref;
    return p;
  }

  private ready(uid: string): void {
    // A pod waiting out a backoff keeps waiting: the new status rides along when the timer fires. A pod being
    // written goes again when that request ends.
    if (this.stopped || this.queued.has(uid) || this.retryTimers.has(uid) || this.inFlight.has(uid)) return;
    const p = this.pending.get(uid);
    if (!p) return;
    const lane = laneOf(p.ref);
    this.queued.add(uid);
    let q = this.lanes.get(lane);
    if (!q) this.lanes.set(lane, (q = []));
    q.push(uid);
    this.laneTurn(lane);
    this.pump();
  }

  /** Puts a lane in line for a write when it has queued pods and none of its writes is out. */
  private laneTurn(lane: string): void {
    if (this.busyLanes.has(lane) || this.laneReady.has(lane) || !this.lanes.get(lane)?.length) return;
    this.laneReady.add(lane);
    this.readyLanes.push(lane);
  }

  private pump(): void {
    while (this.inFlight.size < this.concurrency && this.readyLanes.length > 0) {
      const lane = this.readyLanes.shift()!;
      this.laneReady.delete(lane);
      const q = this.lanes.get(lane)!;
      const uid = q.shift()!;
      if (q.length === 0) this.lanes.delete(lane);
      this.queued.delete(uid);
      const p = this.pending.get(uid);
      if (!p) {
        this.laneTurn(lane);
        continue;
      }
      this.pending.delete(uid);
      this.inFlight.add(uid);
      this.busyLanes.add(lane);
      void this.write(p).finally(() => {
        this.inFlight.delete(uid);
        this.busyLanes.delete(lane);
        if (this.pending.has(uid) && !this.retryTimers.has(uid)) this.ready(uid);
        this.laneTurn(lane);
        this.pump();
        this.checkIdle();
      });
    }
  }

  private async write(p: Pending): Promise<void> {
    const { ref } = p;
    let what: 'status' | 'delete' = 'status';
    try {
      if (p.status) {
        // The uid in the patch makes the server refuse a same-named replacement pod (as the status manager does).
        // Nothing here reads the patched pod back (the watch brings it): it is not decoded.
        await this.o.client.patch(Pods, ref.namespace, ref.name, { metadata: { uid: ref.uid }, status: p.status }, 'merge', { subresource: 'status', discardResult: true });
        this.stats.patches++;
        p.status = undefined;
      }
      if (p.remove) {
        what = 'delete';
        try {
          await this.o.client.delete(Pods, ref.namespace, ref.name, { gracePeriodSeconds: 0, preconditions: { uid: ref.uid } });
        } catch (err) {
          if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
        }
        this.stats.deletes++;
        p.remove = false;
      }
    } catch (err) {
      this.stats.failures++;
      this.o.onError?.(err, ref, what);
      // A pod that is gone or replaced needs nothing more; a rejected status is dropped, a delete still follows.
      if (isFinal(err)) {
        if (what === 'status' && p.remove && !(err instanceof ApiError && err.code === 404)) {
          p.status = undefined;
          this.requeue(p, 0);
        }
        return;
      }
      p.failures++;
      const delay = Math.min(this.o.maxBackoffMs ?? 10_000, (this.o.baseBackoffMs ?? 200) * 2 ** Math.min(p.failures - 1, 16));
      this.requeue(p, delay);
    }
  }

  /** Puts a failed write back, merged under anything newer that arrived meanwhile. */
  private requeue(p: Pending, delayMs: number): void {
    if (this.stopped) return;
    const newer = this.pending.get(p.ref.uid);
    const merged: Pending = newer
      ? { ref: newer.ref, status: newer.status ?? p.status, remove: newer.remove || p.remove, failures: p.failures }
      : p;
    this.pending.set(p.ref.uid, merged);
    if (delayMs <= 0) return; // write()'s finally re-queues it
    const uid = p.ref.uid;
    this.retryTimers.set(
      uid,
      this.clock.setTimeout(() => {
        this.retryTimers.delete(uid);
        if (this.pending.has(uid)) this.ready(uid);
      }, delayMs),
    );
  }

  private isIdle(): boolean {
    return this.pending.size === 0 && this.inFlight.size === 0 && this.retryTimers.size === 0;
  }

  private checkIdle(): void {
    if (this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
  }
}
