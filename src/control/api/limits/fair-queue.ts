/**
 * A concurrency budget shared fairly between flows (users), after API Priority and Fairness: while there is room a
 * request runs at once; when the budget is spent it waits in its flow's bounded queue, and freed seats go to the
 * flows in turn (round-robin), so one busy user cannot starve the others. A request that waits longer than the
 * queue timeout, or finds its flow's queue full, is rejected (the caller answers 429). Timers come from the
 * injected clock's scheduler so tests need no sleeps.
 */

export interface FairQueueOptions {
  /** Requests running at once (--max-requests-inflight / --max-mutating-requests-inflight); 0 = unlimited. */
  limit: number;
  /** Requests one flow may have running at once; 0 = only the overall limit. */
  perFlowLimit?: number;
  /** Requests one flow may have waiting; beyond it they are rejected at once. */
  queueLength: number;
  /** Requests all flows together may have waiting (default: no bound beyond the per-flow one). */
  maxQueued?: number;
  /** How long a request may wait for a seat. */
  queueTimeoutMs: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

export type Release = () => void;
export type Admission = { release: Release } | { rejected: 'queue-full' | 'timeout' };

interface Waiter {
  flow: string;
  resolve: (a: Admission) => void;
  timer: unknown;
}

export class FairQueue {
  private inflight = 0;
  private queued = 0;
  /** Waiting requests per flow; the Map's order is the round-robin order (a served flow moves to the end). */
  private readonly queues = new Map<string, Waiter[]>();
  /** Running requests per flow, kept only with a per-flow limit. */
  private readonly running = new Map<string, number>();
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (t: unknown) => void;

  constructor(private readonly opts: FairQueueOptions) {
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms).unref());
    this.clearTimer = opts.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
  }

  get inFlight(): number {
    return this.inflight;
  }

  get waiting(): number {
    return this.queued;
  }

  /** A seat now (the fast path: a counter, plus one map lookup with a per-flow limit), or a promise of one. */
  acquire(flow: string): Admission | Promise<Admission> {
    if (this.opts.limit <= 0) return { release: noop };
    // Waiters while seats are free are flows at their own limit: a flow with none waiting and room goes first.
    let q = this.queues.get(flow);
    if (!q && this.inflight < this.opts.limit && this.flowHasRoom(flow)) return { release: this.seat(flow) };
    if ((q?.length ?? 0) >= this.opts.queueLength || this.queued >= (this.opts.maxQueued ?? Infinity)) return { rejected: 'queue-full' };
    if (!q) this.queues.set(flow, (q = []));
    const queue = q;
    this.queued++;
    return new Promise<Admission>((resolve) => {
      const w: Waiter = { flow, resolve, timer: undefined };
      w.timer = this.setTimer(() => {
        const i = queue.indexOf(w);
        if (i < 0) return;
        queue.splice(i, 1);
        this.queued--;
        if (queue.length === 0 && this.queues.get(flow) === queue) this.queues.delete(flow);
        resolve({ rejected: 'timeout' });
      }, this.opts.queueTimeoutMs);
      queue.push(w);
    });
  }

  private flowHasRoom(flow: string): boolean {
    const per = this.opts.perFlowLimit ?? 0;
    return per <= 0 || (this.running.get(flow) ?? 0) < per;
  }

  private seat(flow: string): Release {
    this.inflight++;
    const per = (this.opts.perFlowLimit ?? 0) > 0;
    if (per) this.running.set(flow, (this.running.get(flow) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inflight--;
      if (per) {
        const n = (this.running.get(flow) ?? 1) - 1;
        if (n === 0) this.running.delete(flow);
        else this.running.set(flow, n);
      }
      if (this.queued) this.dispatch();
    };
  }

  /** Freed seats go to the waiting flows in turn. */
  private dispatch(): void {
    while (this.queued > 0 && this.inflight < this.opts.limit) {
      let served = false;
      for (const [flow, q] of this.queues) {
        if (!this.flowHasRoom(flow)) continue;
        const w = q.shift()!;
        this.queued--;
        this.queues.delete(flow);
        if (q.length) this.queues.set(flow, q); // to the back of the round
        this.clearTimer(w.timer);
        w.resolve({ release: this.seat(flow) });
        served = true;
        break;
      }
      if (!served) return; // every waiting flow is at its own limit
    }
  }
}

const noop: Release = () => {};
