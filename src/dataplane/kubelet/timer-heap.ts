/**
 * One timer for many deadlines: a binary min-heap of (at, key) with one Clock timeout armed for the earliest
 * entry. The agent keeps every lease renewal, node status report and pod wake-up here, so 15,000 nodes cost one
 * timer, not 15,000 intervals. Scheduling a key that is already queued moves it (a key is due at most once).
 */
import type { Clock, TimerHandle } from '../../client/clock.js';

interface Entry {
  at: number;
  key: string;
  /** Position in the heap array, kept current so a key can be moved or removed in O(log n). */
  index: number;
  /** Tie-break: equal deadlines fire in scheduling order. */
  seq: number;
}

export class TimerHeap {
  private heap: Entry[] = [];
  private byKey = new Map<string, Entry>();
  private seq = 0;
  private timer: TimerHandle | null = null;
  private armedAt = Infinity;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    /** Called for each due key, earliest first. A throw is the caller's bug: it is reported and the loop goes on. */
    private readonly onDue: (key: string) => void,
    private readonly onError: (err: unknown) => void = (err) => console.error('timer heap: handler failed:', err),
  ) {}

  get size(): number {
    return this.heap.length;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** When `key` is due, or undefined when it is not queued. */
  dueAt(key: string): number | undefined {
    return this.byKey.get(key)?.at;
  }

  /** Queues `key` at absolute time `at` (clock ms), replacing any earlier schedule of the same key. */
  schedule(key: string, at: number): void {
    if (this.stopped) return;
    const e = this.byKey.get(key);
    if (e) {
      const up = at < e.at;
      e.at = at;
      e.seq = this.seq++;
      if (up) this.siftUp(e.index);
      else this.siftDown(e.index);
    } else {
      const n: Entry = { at, key, index: this.heap.length, seq: this.seq++ };
      this.heap.push(n);
      this.byKey.set(key, n);
      this.siftUp(n.index);
    }
    this.arm();
  }

  /** Queues `key` at `at` unless it is already queued earlier. */
  scheduleNoLater(key: string, at: number): void {
    const cur = this.byKey.get(key);
    if (cur === undefined || cur.at > at) this.schedule(key, at);
  }

  cancel(key: string): void {
    const e = this.byKey.get(key);
    if (!e) return;
    this.removeAt(e.index);
    this.byKey.delete(key);
    this.arm();
  }

  /** Drops everything and disarms the timer; later schedules are ignored. */
  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.heap = [];
    this.byKey.clear();
  }

  /** Fires every key due at `now` (also called by the armed timer). */
  runDue(now = this.clock.now()): void {
    while (this.heap.length && this.heap[0]!.at <= now && !this.stopped) {
      const top = this.heap[0]!;
      this.removeAt(0);
      this.byKey.delete(top.key);
      try {
        this.onDue(top.key);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  private arm(): void {
    if (this.stopped) return;
    const next = this.heap.length ? this.heap[0]!.at : Infinity;
    if (next === this.armedAt) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.armedAt = next;
    if (next === Infinity) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.armedAt = Infinity;
      this.runDue();
      this.arm();
    }, next - this.clock.now());
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private removeAt(i: number): void {
    const last = this.heap.pop()!;
    if (i === this.heap.length) return;
    this.heap[i] = last;
    last.index = i;
    this.siftUp(i);
    this.siftDown(last.index);
  }

  private siftUp(i: number): void {
    const h = this.heap;
    const e = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(e, h[p]!)) break;
      h[i] = h[p]!;
      h[i]!.index = i;
      i = p;
    }
    h[i] = e;
    e.index = i;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    const e = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(h[r]!, h[l]!) ? r : l;
      if (!this.less(h[c]!, e)) break;
      h[i] = h[c]!;
      h[i]!.index = i;
      i = c;
    }
    h[i] = e;
    e.index = i;
  }
}
