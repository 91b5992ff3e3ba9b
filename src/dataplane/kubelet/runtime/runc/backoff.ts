/**
 * client-go's flowcontrol.Backoff as the kubelet uses it, for container restarts (CrashLoopBackOff) and image
 * pulls (ImagePullBackOff): per key, a delay that starts at `initialMs`, doubles on every `next` up to `maxMs`,
 * and starts over once 2×max has passed since the last `next`. Pure: every call takes the time.
 */

export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly initialMs = BACKOFF_INITIAL_MS,
    readonly maxMs = BACKOFF_MAX_MS,
  ) {}

  private expired(eventTime: number, e: Entry): boolean {
    return eventTime - e.lastUpdate > 2 * this.maxMs;
  }

  /** Records an attempt at `eventTime`: the delay grows (or starts over after a quiet 2×max). */
  next(key: string, eventTime: number): number {
    const e = this.entries.get(key);
    if (!e || this.expired(eventTime, e)) {
      this.entries.set(key, { backoffMs: this.initialMs, lastUpdate: eventTime });
      return this.initialMs;
    }
    e.backoffMs = Math.min(e.backoffMs * 2, this.maxMs);
    e.lastUpdate = eventTime;
    return e.backoffMs;
  }

  /** The current delay for key (0 when none). */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /**
   * A container that exited at `eventTime` waits (CrashLoopBackOff) while less than the current delay has passed
   * since then (IsInBackOffSince); returns when the wait ends, or null when it may restart now.
   */
  inBackOffSince(key: string, eventTime: number, now: number): number | null {
    const e = this.entries.get(key);
    if (!e || this.expired(eventTime, e)) return null;
    return now - eventTime < e.backoffMs ? eventTime + e.backoffMs : null;
  }

  /** An image pull waits while less than the current delay has passed since the last failure (IsInBackOffSinceUpdate). */
  inBackOffSinceUpdate(key: string, now: number): number | null {
    const e = this.entries.get(key);
    if (!e || this.expired(now, e)) return null;
    return now - e.lastUpdate < e.backoffMs ? e.lastUpdate + e.backoffMs : null;
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** What to persist across an agent restart. */
  dump(): Record<string, Entry> {
    return Object.fromEntries([...this.entries].map(([k, e]) => [k, { ...e }]));
  }

  load(saved: Record<string, { backoffMs?: unknown; lastUpdate?: unknown }> | undefined): void {
    if (!saved) return;
    for (const [k, e] of Object.entries(saved)) {
      if (typeof e?.backoffMs === 'number' && typeof e.lastUpdate === 'number') this.entries.set(k, { backoffMs: e.backoffMs, lastUpdate: e.lastUpdate });
    }
  }
}

