import { describe, expect, it } from 'vitest';
import { QueueSet, type Admission, type QueueSetClock } from '../../../../src/control/api/flowcontrol/queue-set.js';
import { flowHash } from '../../../../src/control/api/flowcontrol/shuffle-shard.js';

/** A manual clock: advance() moves time and fires the timers due. */
function manualClock(): QueueSetClock & { advance(ms: number): void } {
  let now = 0;
  const timers: { at: number; fn: () => void; done: boolean }[] = [];
  return {
    now: () => now,
    setTimer: (fn, ms) => {
      const t = { at: now + ms, fn, done: false };
      timers.push(t);
      return t;
    },
    clearTimer: (t) => void ((t as { done: boolean }).done = true),
    advance(ms) {
      now += ms;
      for (const t of timers) if (!t.done && t.at <= now) {
        t.done = true;
        t.fn();
      }
    },
  };
}

const seat = (a: Admission | Promise<Admission>): () => void => {
  if (a instanceof Promise) throw new Error('expected a seat at once');
  if ('rejected' in a) throw new Error(`rejected: ${a.rejected}`);
  return a.release;
};
/** A waiting request's outcome, readable after the microtasks have run. */
const track = (a: Admission | Promise<Admission>) => {
  const r: { value?: Admission } = {};
  if (a instanceof Promise) void a.then((v) => (r.value = v));
  else r.value = a;
  return r;
};
const settle = () => new Promise((r) => setImmediate(r));
const flow = (flowHash: number) => ({ flowHash });

describe('QueueSet', () => {
  it('Reject: seats up to the limit, then concurrency-limit; a freed seat is taken again', () => {
    const qs = new QueueSet(2, null, manualClock());
    const a = seat(qs.start(flow(1), 1, 1000));
    seat(qs.start(flow(2), 1, 1000));
    expect(qs.start(flow(3), 1, 1000)).toEqual({ rejected: 'concurrency-limit' });
    a();
    a(); // twice is once
    expect(qs.seatsInUse).toBe(1);
    seat(qs.start(flow(3), 1, 1000));
  });

  it('a level with no seats still runs one request at a time (upstream: wider than the limit runs alone)', () => {
    const qs = new QueueSet(0, null, manualClock());
    const a = seat(qs.start(flow(1), 1, 1000));
    expect(qs.start(flow(2), 1, 1000)).toEqual({ rejected: 'concurrency-limit' });
    a();
    seat(qs.start(flow(2), 1, 1000));
  });

  it('Queue: waits when full, the flow that has had less service goes first, waiting times out after the limit', async () => {
    const clock = manualClock();
    const qs = new QueueSet(1, { queues: 4, handSize: 2, queueLengthLimit: 5 }, clock);
    const first = seat(qs.start(flow(flowHash('s', 'a')), 1, 1000));
    const second = track(qs.start(flow(flowHash('s', 'a')), 1, 1000));
    const third = track(qs.start(flow(flowHash('s', 'b')), 1, 1000));
    expect(qs.waiting).toBe(2);
    clock.advance(200);
    first();
    await settle();
    // Flow a just ran: b's queue is behind in virtual time, so b gets the seat.
    expect(third.value && 'release' in third.value && third.value.waitedMs).toBe(200);
    expect(second.value).toBeUndefined();
    clock.advance(800);
    await settle();
    expect(second.value).toEqual({ rejected: 'time-out' });
    expect(qs.waiting).toBe(0);
  });

  it('refuses with queue-full once the shortest queue of the hand holds queueLengthLimit requests', () => {
    const qs = new QueueSet(1, { queues: 1, handSize: 1, queueLengthLimit: 2 }, manualClock());
    seat(qs.start(flow(1), 1, 1000));
    void qs.start(flow(1), 1, 1000);
    void qs.start(flow(2), 1, 1000);
    expect(qs.start(flow(3), 1, 1000)).toEqual({ rejected: 'queue-full' });
  });

  it('shares freed seats fairly between flows: a flow with many waiting does not starve one with a few', async () => {
    const clock = manualClock();
    const qs = new QueueSet(1, { queues: 64, handSize: 1, queueLengthLimit: 50 }, clock);
    // Two flows that land in different queues.
    let other = 1;
    while (flowHash('s', `f${other}`) % 64 === flowHash('s', 'heavy') % 64) other++;
    const running = [seat(qs.start(flow(flowHash('s', 'heavy')), 1, 60_000))];
    const order: string[] = [];
    const enqueue = (name: string, hash: number) => {
      const p = qs.start(flow(hash), 1, 60_000) as Promise<Admission>;
      void p.then((a) => {
        order.push(name);
        if ('release' in a) running.push(a.release);
      });
    };
    for (let i = 0; i < 6; i++) enqueue('heavy', flowHash('s', 'heavy'));
    for (let i = 0; i < 3; i++) enqueue('light', flowHash('s', `f${other}`));
    for (let i = 0; i < 9; i++) {
      clock.advance(100);
      running.shift()!();
      await settle();
    }
    // Alternating while both wait, then the rest of the heavy flow.
    expect(order).toEqual(['light', 'heavy', 'light', 'heavy', 'light', 'heavy', 'heavy', 'heavy', 'heavy']);
  });

  it('configure: a larger limit dispatches waiting requests; new queues keep them in line', async () => {
    const qs = new QueueSet(1, { queues: 8, handSize: 2, queueLengthLimit: 5 }, manualClock());
    seat(qs.start(flow(1), 1, 1000));
    const w = track(qs.start(flow(2), 1, 1000));
    qs.configure(1, { queues: 16, handSize: 4, queueLengthLimit: 5 });
    expect(qs.waiting).toBe(1);
    qs.configure(2, { queues: 16, handSize: 4, queueLengthLimit: 5 });
    await settle();
    expect(w.value && 'release' in w.value).toBe(true);
    expect(qs.executing).toBe(2);
  });
});
