/**
 * Bounds how many requests an agent has in flight (16-32 keep 15,000 nodes' heartbeats from flooding the API
 * server and the agent's own socket pool). FIFO: work waits its turn, none is dropped.
 */
export class Limiter {
  private active = 0;
  private waiting: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`limit must be a positive integer, got ${limit}`);
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `fn` when a slot is free; resolves or rejects with its result. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` stays counted.
      if (next) next();
      else {
        this.active--;
        if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
      }
    }
  }

  /** Resolves when nothing is running or waiting. */
  idle(): Promise<void> {
    if (this.active === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }
}
