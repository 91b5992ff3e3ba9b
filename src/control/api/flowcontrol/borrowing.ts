/**
 * Borrowing between priority levels (KEP 1040's "borrowing", upstream's apf_controller periodic adjustment): every
 * adjustment period each limited level's seat demand (seats running plus seats waiting, over time) is summarised
 * as its mean plus one standard deviation, smoothed so that it rises at once and decays slowly; then each level's
 * current limit is fairProp * target clamped to [nominal - lendable, nominal + borrowing limit], with the one
 * fairProp that makes the limits add up to the server's. Pure functions; the caller keeps the state.
 */

/** How fast a level's smoothed demand decays per period (upstream's 0.977). */
export const DEMAND_SMOOTHING = 0.977;

/** A level's demand summary for one period: its seat demand's time average, standard deviation and peak. */
export interface DemandStats {
  avg: number;
  stdDev: number;
  high: number;
}

/** The smoothed demand after a period: the envelope (mean + one stdDev) at once when higher, else a slow decay. */
export function smoothDemand(prev: number, s: DemandStats): number {
  const envelope = s.avg + s.stdDev;
  return Math.max(envelope, DEMAND_SMOOTHING * prev + (1 - DEMAND_SMOOTHING) * envelope);
}

export interface AllocationItem {
  lower: number;
  upper: number;
  target: number;
}

/**
 * Limits in [lower, upper] proportional to target (one common factor), adding up to `total` where the bounds
 * allow; rounded to whole seats. With every lower bound together above the total, the lower bounds; with every
 * reachable upper bound below it, those.
 */
export function allocateConcurrency(items: readonly AllocationItem[], total: number): number[] {
  const at = (p: number) => items.map((i) => Math.min(i.upper, Math.max(i.lower, p * i.target)));
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  if (sum(at(0)) >= total) return at(0).map(Math.round);
  // The largest factor that still changes anything: past it every item sits at a bound.
  let hi = 1;
  for (const i of items) if (i.target > 0 && Number.isFinite(i.upper)) hi = Math.max(hi, i.upper / i.target);
  const unbounded = items.some((i) => i.target > 0 && !Number.isFinite(i.upper));
  if (!unbounded && sum(at(hi)) <= total) return at(hi).map(Math.round);
  if (unbounded) while (sum(at(hi)) < total) hi *= 2;
  let lo = 0;
  for (let k = 0; k < 64; k++) {
    const mid = (lo + hi) / 2;
    if (sum(at(mid)) < total) lo = mid;
    else hi = mid;
  }
  return at(hi).map(Math.round);
}

/**
 * Seat demand over time (seats in use plus seats waiting): the queue set notes each change; take() ends a period
 * with its time average, standard deviation and peak, and starts the next at the current value.
 */
export class DemandIntegrator {
  private value = 0;
  private since: number;
  private start: number;
  private area = 0;
  private areaSq = 0;
  private high = 0;

  constructor(now: number) {
    this.since = now;
    this.start = now;
  }

  set(value: number, now: number): void {
    const dt = now - this.since;
    if (dt > 0) {
      this.area += this.value * dt;
      this.areaSq += this.value * this.value * dt;
      this.since = now;
    }
    this.value = value;
    if (value > this.high) this.high = value;
  }

  take(now: number): DemandStats {
    this.set(this.value, now);
    const span = now - this.start;
    const avg = span > 0 ? this.area / span : this.value;
    const variance = span > 0 ? Math.max(0, this.areaSq / span - avg * avg) : 0;
    const stats = { avg, stdDev: Math.sqrt(variance), high: this.high };
    this.start = now;
    this.since = now;
    this.area = 0;
    this.areaSq = 0;
    this.high = this.value;
    return stats;
  }
}
