import { describe, expect, it } from 'vitest';
import { FairQueue, type Admission } from '../../../../src/control/api/limits/fair-queue.js';
import { isLongRunningRequest } from '../../../../src/control/api/limits/long-running.js';
import { requestDeadlineMs } from '../../../../src/control/api/limits/index.js';

/** Manual timers: fire() runs the ones due. */
function timers() {
  let now = 0;
  const list: { at: number; fn: () => void; done: boolean }[] = [];
  return {
    setTimer: (fn: () => void, ms: number) => {
      const t = { at: now + ms, fn, done: false };
      list.push(t);
      return t;
    },
    clearTimer: (t: unknown) => void ((t as { done: boolean }).done = true),
    advance(ms: number) {
      now += ms;
      for (const t of list) if (!t.done && t.at <= now) {
        t.done = true;
        t.fn();
      }
    },
  };
}

const seat = (a: Admission | Promise<Admission>) => {
  if (a instanceof Promise) throw new Error('expected a seat at once');
  if ('rejected' in a) throw new Error(`rejected: ${a.rejected}`);
  return a.release;
};

describe('FairQueue', () => {
  it('runs up to the limit at once, then queues, and rejects beyond the queue length', () => {
    const t = timers();
    const q = new FairQueue({ limit: 2, queueLength: 1, queueTimeoutMs: 1000, ...t });
    seat(q.acquire('a'));
    seat(q.acquire('a'));
    expect(q.acquire('a')).toBeInstanceOf(Promise);
    expect(q.acquire('a')).toEqual({ rejected: 'queue-full' });
    expect(q.acquire('b')).toBeInstanceOf(Promise); // b has its own queue
    expect([q.inFlight, q.waiting]).toEqual([2, 2]);
  });

  it('bounds the waiting requests of all flows together', () => {
    const t = timers();
    const q = new FairQueue({ limit: 1, queueLength: 5, maxQueued: 2, queueTimeoutMs: 1000, ...t });
    seat(q.acquire('a'));
    expect(q.acquire('b')).toBeInstanceOf(Promise);
    expect(q.acquire('c')).toBeInstanceOf(Promise);
    expect(q.acquire('d')).toEqual({ rejected: 'queue-full' });
  });

  it('hands freed seats to the flows in turn, so a busy flow cannot starve another', async () => {
    const t = timers();
    const q = new FairQueue({ limit: 1, queueLength: 10, queueTimeoutMs: 1000, ...t });
    let release = seat(q.acquire('busy'));
    const granted: { flow: string; release: () => void }[] = [];
    for (const flow of ['busy', 'busy', 'busy', 'quiet']) {
      void (q.acquire(flow) as Promise<Admission>).then((a) => {
        if (!('rejected' in a)) granted.push({ flow, release: a.release });
      });
    }
    for (let i = 0; i < 4; i++) {
      release();
      await new Promise((r) => setImmediate(r));
      expect(granted).toHaveLength(i + 1);
      release = granted[i]!.release;
    }
    // quiet asked last but is served second: seats alternate between the waiting flows.
    expect(granted.map((g) => g.flow)).toEqual(['busy', 'quiet', 'busy', 'busy']);
  });

  it('a request that waits past the queue timeout is rejected and leaves the queue', async () => {
    const t = timers();
    const q = new FairQueue({ limit: 1, queueLength: 5, queueTimeoutMs: 1000, ...t });
    const release = seat(q.acquire('a'));
    const waiting = q.acquire('b') as Promise<Admission>;
    t.advance(999);
    expect(q.waiting).toBe(1);
    t.advance(1);
    expect(await waiting).toEqual({ rejected: 'timeout' });
    expect(q.waiting).toBe(0);
    release();
    expect(q.inFlight).toBe(0);
    seat(q.acquire('c'));
  });

  it('a per-flow limit keeps one flow from taking every seat', () => {
    const t = timers();
    const q = new FairQueue({ limit: 3, perFlowLimit: 1, queueLength: 5, queueTimeoutMs: 1000, ...t });
    const r = seat(q.acquire('a'));
    expect(q.acquire('a')).toBeInstanceOf(Promise);
    seat(q.acquire('b')); // room for b although a waits
    r();
    r(); // releasing twice is harmless
    expect(q.inFlight).toBe(2); // a's waiter took the freed seat
  });
});

describe('request classes', () => {
  it('long-running requests as upstream', () => {
    expect(isLongRunningRequest('GET', '/api/v1/namespaces/a/pods?watch=true')).toBe(true);
    expect(isLongRunningRequest('GET', '/api/v1/watch/pods')).toBe(true);
    expect(isLongRunningRequest('GET', '/api/v1/namespaces/a/pods/p/log?follow=true')).toBe(true);
    expect(isLongRunningRequest('POST', '/api/v1/namespaces/a/pods/p/exec?command=sh')).toBe(true);
    expect(isLongRunningRequest('GET', '/api/v1/namespaces/a/pods/p/portforward')).toBe(true);
    expect(isLongRunningRequest('GET', '/api/v1/namespaces/a/pods')).toBe(false);
    expect(isLongRunningRequest('GET', '/api/v1/namespaces/a/pods/log')).toBe(false); // a pod named log
    expect(isLongRunningRequest('GET', '/api/v1/pods?watch=false')).toBe(false);
  });

  it('?timeout= is honoured up to the server\'s deadline; a bad one is a 400', () => {
    expect(requestDeadlineMs('/api/v1/pods', 60_000)).toBe(60_000);
    expect(requestDeadlineMs('/api/v1/pods?timeout=5s', 60_000)).toBe(5000);
    expect(requestDeadlineMs('/api/v1/pods?timeout=5m', 60_000)).toBe(60_000);
    expect(requestDeadlineMs('/api/v1/pods?timeoutSeconds=5', 60_000)).toBe(60_000);
    const bad = requestDeadlineMs('/api/v1/pods?timeout=soon', 60_000);
    expect(bad).toMatchObject({ code: 400, message: 'invalid timeout specified in the request URL' });
  });
});
