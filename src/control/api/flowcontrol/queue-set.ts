/**
 * One limited priority level's seats and queues (upstream's fairqueuing/queueset): a request runs at once while
 * the level has seats to spare and nobody waits; otherwise it is shuffle-sharded to the shortest queue of its
 * flow's hand (rejected when that queue holds queueLengthLimit requests), and freed seats go to the queue whose
 * head would finish first in virtual time (fair queuing: each queue's nextDispatchR advances by the seat-seconds
 * its requests take, and the virtual clock R advances at min(seats wanted, limit) / active queues per second,
 * so a busy flow cannot take more than its share while others wait). A level with limitResponse Reject has no
 * queues: a request finds a seat or is refused. Time and timers are injected; nothing here does I/O.
 */
import { dealHand } from './shuffle-shard.js';
import type { Queuing } from './classify.js';
import { DemandIntegrator, type DemandStats } from './borrowing.js';

export type Rejection = 'queue-full' | 'concurrency-limit' | 'time-out' | 'cancelled';
export type Admission = { release: () => void; waitedMs: number } | { rejected: Rejection };

export interface QueueSetClock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(t: unknown): void;
}

/** Upstream's estimate of a request's service time before it is known (qs.estimatedServiceDuration). */
const ESTIMATED_SERVICE_S = 3;

/** A flow: its hash, and its hand of queues once dealt (kept on the caller's object, so dealt once per flow). */
export interface Flow {
  readonly flowHash: number;
  hand?: number[];
  handKey?: number;
}

interface Waiter {
  queue: Queue;
  flow: Flow;
  seats: number;
  enqueuedAt: number;
  resolve: (a: Admission) => void;
  timer: unknown;
}

interface Queue {
  waiting: Waiter[];
  waitingSeats: number;
  executing: number;
  seatsInUse: number;
  /** Virtual time (seat-seconds) at which this queue's next request starts. */
  nextDispatchR: number;
}

const newQueue = (): Queue => ({ waiting: [], waitingSeats: 0, executing: 0, seatsInUse: 0, nextDispatchR: 0 });

export class QueueSet {
  private limit: number;
  private queuing: Queuing | null;
  private queues: Queue[];
  private seatsUsed = 0;
  private executingCount = 0;
  private waitingCount = 0;
  private waitingSeatsSum = 0;
  /** Queues with a request waiting or running. */
  private active = 0;
  private currentR = 0;
  private lastRealMs: number;
  private robin = -1;
  /** Seats running plus seats waiting over time, for borrowing between levels. */
  private readonly demand: DemandIntegrator;

  constructor(concurrencyLimit: number, queuing: Queuing | null, private readonly clock: QueueSetClock) {
    this.limit = concurrencyLimit;
    this.queuing = queuing;
    this.queues = Array.from({ length: Math.max(1, queuing?.queues ?? 1) }, newQueue);
    this.lastRealMs = clock.now();
    this.demand = new DemandIntegrator(this.lastRealMs);
  }

  /** The seat demand since the last call (the adjustment period's). */
  takeDemand(): DemandStats {
    return this.demand.take(this.clock.now());
  }

  private noteDemand(now: number): void {
    this.demand.set(this.seatsUsed + this.waitingSeatsSum, now);
  }

  get concurrencyLimit(): number {
    return this.limit;
  }
  get seatsInUse(): number {
    return this.seatsUsed;
  }
  get executing(): number {
    return this.executingCount;
  }
  get waiting(): number {
    return this.waitingCount;
  }

  /** A new limit or queuing (the level's configuration changed): waiting requests keep their place in line. */
  configure(concurrencyLimit: number, queuing: Queuing | null): void {
    this.limit = concurrencyLimit;
    const same = (queuing === null && this.queuing === null)
      || (queuing !== null && this.queuing !== null && queuing.queues === this.queuing.queues && queuing.handSize === this.queuing.handSize);
    this.queuing = queuing;
    if (!same) {
      this.syncTime();
      const old = this.queues;
      this.queues = Array.from({ length: Math.max(1, queuing?.queues ?? 1) }, newQueue);
      this.active = 0;
      for (const q of old) {
        for (const w of q.waiting) {
          const nq = queuing ? this.queues[this.pickQueue(w.flow)]! : this.queues[0]!;
          if (nq.waiting.length === 0 && nq.executing === 0) {
            nq.nextDispatchR = this.currentR;
            this.active++;
          }
          w.queue = nq;
          nq.waiting.push(w);
          nq.waitingSeats += w.seats;
        }
        q.waiting = [];
        q.waitingSeats = 0;
        // Running requests stay counted against the set; their old queue only hears of their end.
        if (q.executing > 0) this.active++;
      }
    }
    this.dispatchAll();
  }

  /**
   * A seat for a request of `seats` width in `flow`: at once, a rejection, or a promise settled when it is
   * dispatched or has waited `waitLimitMs`.
   */
  start(flow: Flow, seats: number, waitLimitMs: number): Admission | Promise<Admission> {
    const now = this.clock.now();
    if (!this.queuing) {
      if (this.waitingCount === 0 && this.canAccommodate(seats)) return this.run(this.queues[0]!, seats, now, 0);
      return { rejected: 'concurrency-limit' };
    }
    this.syncTimeAt(now);
    const q = this.queues[this.pickQueue(flow)]!;
    if (this.waitingCount === 0 && this.canAccommodate(seats)) {
      if (q.waiting.length === 0 && q.executing === 0) q.nextDispatchR = Math.max(q.nextDispatchR, this.currentR);
      return this.run(q, seats, now, 0);
    }
    if (q.waiting.length >= this.queuing.queueLengthLimit) return { rejected: 'queue-full' };
    return new Promise<Admission>((resolve) => {
      const w: Waiter = { queue: q, flow, seats, enqueuedAt: now, resolve, timer: undefined };
      this.enqueue(w);
      w.timer = this.clock.setTimer(() => this.timeOut(w), waitLimitMs);
      this.dispatchAll();
    });
  }

  /** The queue of the hand with the fewest seats waiting (the first such, in dealing order). */
  private pickQueue(flow: Flow): number {
    const deck = this.queues.length;
    const handSize = this.queuing!.handSize;
    const key = deck * 64 + handSize;
    let hand = flow.hand;
    if (!hand || flow.handKey !== key) {
      hand = flow.hand = dealHand(flow.flowHash, deck, handSize);
      flow.handKey = key;
    }
    let best = hand[0]!;
    let bestSeats = this.queues[best]!.waitingSeats;
    for (let k = 1; k < hand.length && bestSeats > 0; k++) {
      const s = this.queues[hand[k]!]!.waitingSeats;
      if (s < bestSeats) {
        best = hand[k]!;
        bestSeats = s;
      }
    }
    return best;
  }

  private canAccommodate(seats: number): boolean {
    // A request wider than the whole limit runs alone rather than never (upstream's rule).
    if (seats > this.limit) return this.executingCount === 0;
    return this.seatsUsed + seats <= this.limit;
  }

  private enqueue(w: Waiter): void {
    const q = w.queue;
    if (q.waiting.length === 0 && q.executing === 0) {
      q.nextDispatchR = Math.max(q.nextDispatchR, this.currentR);
      this.active++;
    }
    q.waiting.push(w);
    q.waitingSeats += w.seats;
    this.waitingCount++;
    this.waitingSeatsSum += w.seats;
    this.noteDemand(w.enqueuedAt);
  }

  private unqueue(w: Waiter, index: number): void {
    const q = w.queue;
    q.waiting.splice(index, 1);
    q.waitingSeats -= w.seats;
    this.waitingCount--;
    this.waitingSeatsSum -= w.seats;
    this.noteDemand(this.lastRealMs);
  }

  private timeOut(w: Waiter): void {
    const i = w.queue.waiting.indexOf(w);
    if (i < 0) return;
    this.syncTime();
    this.unqueue(w, i);
    if (w.queue.waiting.length === 0 && w.queue.executing === 0) this.active--;
    w.resolve({ rejected: 'time-out' });
  }

  private run(q: Queue, seats: number, now: number, waitedMs: number): Admission {
    if (q.waiting.length === 0 && q.executing === 0) this.active++;
    q.executing++;
    q.seatsInUse += seats;
    q.nextDispatchR += seats * ESTIMATED_SERVICE_S;
    this.executingCount++;
    this.seatsUsed += seats;
    this.noteDemand(now);
    const started = now;
    let done = false;
    return {
      waitedMs,
      release: () => {
        if (done) return;
        done = true;
        const end = this.clock.now();
        this.syncTimeAt(end);
        q.executing--;
        q.seatsInUse -= seats;
        // The estimate charged at dispatch, corrected to what the request really took.
        q.nextDispatchR -= seats * (ESTIMATED_SERVICE_S - (end - started) / 1000);
        this.executingCount--;
        this.seatsUsed -= seats;
        this.noteDemand(end);
        if (q.waiting.length === 0 && q.executing === 0) this.active--;
        if (this.waitingCount > 0) this.dispatchAll();
      },
    };
  }

  /** Freed seats to the queue whose head finishes first in virtual time, as long as they fit. */
  private dispatchAll(): void {
    while (this.waitingCount > 0) {
      const n = this.queues.length;
      let best: Queue | null = null;
      let bestIdx = -1;
      let bestFinish = Infinity;
      for (let k = 1; k <= n; k++) {
        const idx = (this.robin + k) % n;
        const q = this.queues[idx]!;
        const head = q.waiting[0];
        if (!head) continue;
        const finish = q.nextDispatchR + head.seats * ESTIMATED_SERVICE_S;
        if (finish < bestFinish) {
          best = q;
          bestIdx = idx;
          bestFinish = finish;
        }
      }
      if (!best) return;
      const w = best.waiting[0]!;
      if (!this.canAccommodate(w.seats)) return;
      this.robin = bestIdx;
      this.unqueue(w, 0);
      this.clock.clearTimer(w.timer);
      // Still active: it runs now (run() counts the queue active again only if it was idle).
      if (best.waiting.length === 0 && best.executing === 0) this.active--;
      const now = this.clock.now();
      w.resolve(this.run(best, w.seats, now, now - w.enqueuedAt));
    }
  }

  private syncTime(): void {
    this.syncTimeAt(this.clock.now());
  }

  /** R advances at min(seats wanted, limit) / active queues per real second (upstream's virtual time ratio). */
  private syncTimeAt(now: number): void {
    const dt = (now - this.lastRealMs) / 1000;
    this.lastRealMs = now;
    if (dt <= 0 || this.active <= 0) return;
    const wanted = this.seatsUsed + this.waitingSeatsSum;
    this.currentR += (dt * Math.min(wanted, Math.max(1, this.limit))) / this.active;
  }
}
