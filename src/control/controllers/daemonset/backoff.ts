/**
 * Back-off for deleting failed daemon pods on one node (upstream's failedPodsBackoff, flowcontrol.Backoff with
 * 1 s initial and 15 min maximum): a kubelet that rejects a daemon pod at once would otherwise make the controller
 * delete and re-create it in a hot loop.
 */
import type { Clock } from '../../../client/clock.js';

export const FAILED_POD_BACKOFF_INITIAL_MS = 1_000;
export const FAILED_POD_BACKOFF_MAX_MS = 15 * 60_000;

export class FailedPodBackoff {
  private readonly entries = new Map<string, { delayMs: number; lastUpdate: number }>();

  constructor(private readonly clock: Clock) {}

  /** True while the last deletion on `key` is more recent than the current delay. */
  inBackoff(key: string): boolean {
    const e = this.entries.get(key);
    return e !== undefined && this.clock.now() - e.lastUpdate < e.delayMs;
  }

  /** The current delay of `key` (0 when none). */
  delay(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  /** Records a deletion: the delay starts at 1 s and doubles up to 15 min; an entry idle for twice the max restarts. */
  next(key: string): void {
    const now = this.clock.now();
    const e = this.entries.get(key);
    if (!e || now - e.lastUpdate > 2 * FAILED_POD_BACKOFF_MAX_MS) {
      this.entries.set(key, { delayMs: FAILED_POD_BACKOFF_INITIAL_MS, lastUpdate: now });
      return;
    }
    e.delayMs = Math.min(e.delayMs * 2, FAILED_POD_BACKOFF_MAX_MS);
    e.lastUpdate = now;
  }

  /** Drops entries idle for twice the max delay (upstream's GC). */
  gc(): void {
    const now = this.clock.now();
    for (const [k, e] of this.entries) if (now - e.lastUpdate > 2 * FAILED_POD_BACKOFF_MAX_MS) this.entries.delete(k);
  }
}
