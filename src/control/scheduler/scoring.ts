/**
 * Scoring options beyond the seam's SchedulerConfig, and arithmetic helpers both cores must share exactly.
 */
import type { SchedulerConfig } from './core.js';

export interface ShapePoint { utilization: number; score: number }

export interface CoreOptions extends SchedulerConfig {
  /**
   * RequestedToCapacityRatio's shape (utilization 0–100, score 0–10 as in KubeSchedulerConfiguration).
   * Upstream has no default; ours is bin packing, [{0,0},{100,10}].
   */
  requestedToCapacityRatioShape?: ShapePoint[];
}

/** The shape with scores scaled to 0–100 (MaxNodeScore / MaxCustomPriorityScore). */
export function rtcrShape(o: CoreOptions): ShapePoint[] {
  const raw = o.requestedToCapacityRatioShape ?? [{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }];
  if (raw.length === 0) throw new Error('requestedToCapacityRatioShape: at least one point is required');
  return raw.map((p) => ({ utilization: Math.trunc(p.utilization), score: Math.trunc(p.score) * 10 }));
}

/** Go's math.Round for the non-negative values the plugins round (half away from zero). */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}
