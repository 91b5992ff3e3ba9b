/**
 * When the sqlite store commits its next batch. A commit costs the thread about the same whatever it holds (its
 * WAL frames are a few syscalls each), and where WAL syncs are fast a steady stream of independent writes (node
 * leases) would commit one write at a time. So while writes keep coming, commits are spaced `spacingMs` apart
 * and the writes of that interval share one. A lone sequential writer (each write waits for the last) gains
 * nothing from waiting: after `maxMisses` waits in a row that gathered no second write, spacing pauses for
 * `pauseMs`; a batch of two or more ends the pause. Pure: the caller passes the time.
 */
export interface CommitPacerOptions {
  /** Least time between two commits while spacing applies; 0 turns spacing off. */
  spacingMs: number;
  /** Waits in a row that gathered a single write before spacing pauses. */
  maxMisses?: number;
  /** How long a pause lasts before spacing is tried again. */
  pauseMs?: number;
}

export class CommitPacer {
  private lastAt = -Infinity;
  private misses = 0;
  private pausedUntil = -Infinity;
  private readonly spacingMs: number;
  private readonly maxMisses: number;
  private readonly pauseMs: number;

  constructor(o: CommitPacerOptions) {
    this.spacingMs = o.spacingMs;
    this.maxMisses = o.maxMisses ?? 3;
    this.pauseMs = o.pauseMs ?? 100;
  }

  /** Milliseconds to wait before committing a write that arrives at `now` (0: commit at once). */
  delay(now: number): number {
    if (this.spacingMs <= 0 || now < this.pausedUntil) return 0;
    return Math.max(0, this.lastAt + this.spacingMs - now);
  }

  /** A batch of `size` writes was committed at `now`, after waiting (`waited`) or at once. */
  committed(now: number, size: number, waited: boolean): void {
    this.lastAt = now;
    if (size > 1) {
      this.misses = 0;
      this.pausedUntil = -Infinity;
    } else if (waited && ++this.misses >= this.maxMisses) {
      this.misses = 0;
      this.pausedUntil = now + this.pauseMs;
    }
  }
}
