/**
 * From a metric recommendation to the replica count the HPA writes, as upstream's horizontal.go: the
 * stabilisation window (the highest recommendation of the last 5 minutes wins on the way down; with behavior,
 * the lowest of scaleUp's window on the way up), then the rate limits (without behavior: at most max(2×, 4)
 * upward; with behavior: the Pods/Percent policies over their periods, chosen by selectPolicy), then
 * min/maxReplicas. Each step also yields the AbleToScale and ScalingLimited conditions it implies.
 * Everything is a value: the caller owns the per-HPA history and hands in the time.
 */
import type { Behavior, HPACondition, ScalingRules } from './types.js';

export interface Recommendation {
  replicas: number;
  timestampMs: number;
}

export interface ScaleEvent {
  change: number;
  timestampMs: number;
  outdated: boolean;
}

/** What the controller remembers per HPA between syncs (upstream keeps the same in maps by key). */
export interface ScaleHistory {
  recommendations: Recommendation[];
  scaleUpEvents: ScaleEvent[];
  scaleDownEvents: ScaleEvent[];
}

export const emptyHistory = (): ScaleHistory => ({ recommendations: [], scaleUpEvents: [], scaleDownEvents: [] });

/** A condition to set: type, status, reason, message (transition times are the status writer's job). */
export interface ConditionUpdate {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/** Upstream's hard-coded scale-up limit without behavior: max(2 × current, 4). */
export function scaleUpLimit(currentReplicas: number): number {
  return Math.max(2 * currentReplicas, 4);
}

/** GenerateHPAScaleUpRules / GenerateHPAScaleDownRules: the user's rules over upstream's defaults. */
export function scaleUpRules(r: ScalingRules | undefined): Required<Pick<ScalingRules, 'selectPolicy' | 'policies'>> & ScalingRules {
  return {
    stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? 0,
    selectPolicy: r?.selectPolicy ?? 'Max',
    policies: r?.policies ?? [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }],
  };
}

export function scaleDownRules(r: ScalingRules | undefined, defaultWindowSeconds: number): Required<Pick<ScalingRules, 'selectPolicy' | 'policies'>> & ScalingRules {
  return {
    // Left unset by defaulting, so that --horizontal-pod-autoscaler-downscale-stabilization applies.
    stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? defaultWindowSeconds,
    selectPolicy: r?.selectPolicy ?? 'Max',
    policies: r?.policies ?? [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  };
}

/** The behavior the controller runs with: both directions filled with defaults. */
export function effectiveBehavior(b: Behavior, defaultDownWindowSeconds: number): Required<Behavior> {
  return { scaleUp: scaleUpRules(b.scaleUp), scaleDown: scaleDownRules(b.scaleDown, defaultDownWindowSeconds) };
}

/** recordInitialRecommendation: the first sync remembers the current count as a recommendation. */
export function withInitialRecommendation(h: ScaleHistory, currentReplicas: number, nowMs: number): ScaleHistory {
  return h.recommendations.length ? h : { ...h, recommendations: [{ replicas: currentReplicas, timestampMs: nowMs }] };
}

/** Records `replicas` now, reusing the slot of a sample older than every window (as upstream, to bound the list). */
function record(recs: Recommendation[], oldIndex: number, replicas: number, nowMs: number): Recommendation[] {
  const out = recs.slice();
  if (oldIndex >= 0) out[oldIndex] = { replicas, timestampMs: nowMs };
  else out.push({ replicas, timestampMs: nowMs });
  return out;
}

/** stabilizeRecommendation (no behavior): the highest recommendation within the downscale window. */
export function stabilizeRecommendation(
  recs: Recommendation[], desired: number, windowMs: number, nowMs: number,
): { replicas: number; recommendations: Recommendation[] } {
  let max = desired;
  let oldIndex = -1;
  const cutoff = nowMs - windowMs;
  recs.forEach((r, i) => {
    if (r.timestampMs < cutoff) oldIndex = i;
    else if (r.replicas > max) max = r.replicas;
  });
  return { replicas: max, recommendations: record(recs, oldIndex, desired, nowMs) };
}

/** stabilizeRecommendationWithBehaviors: clamp the current count between the up window's min and the down window's max. */
export function stabilizeRecommendationWithBehaviors(
  recs: Recommendation[], current: number, desired: number, upWindowSeconds: number, downWindowSeconds: number, nowMs: number,
): { replicas: number; recommendations: Recommendation[]; reason: string; message: string } {
  const upCutoff = nowMs - upWindowSeconds * 1000;
  const downCutoff = nowMs - downWindowSeconds * 1000;
  let up = desired;
  let down = desired;
  let oldIndex = -1;
  recs.forEach((r, i) => {
    if (r.timestampMs > upCutoff) up = Math.min(r.replicas, up);
    if (r.timestampMs > downCutoff) down = Math.max(r.replicas, down);
    if (r.timestampMs < upCutoff && r.timestampMs < downCutoff) oldIndex = i;
  });
  let replicas = current;
  if (replicas < up) replicas = up;
  if (replicas > down) replicas = down;
  const scalingUp = desired >= current;
  return {
    replicas,
    recommendations: record(recs, oldIndex, desired, nowMs),
    reason: scalingUp ? 'ScaleUpStabilized' : 'ScaleDownStabilized',
    message: scalingUp
      ? 'recent recommendations were lower than current one, applying the lowest recent recommendation'
      : 'recent recommendations were higher than current one, applying the highest recent recommendation',
  };
}

/** getReplicasChangePerPeriod: replicas added (or removed) by events within the last `periodSeconds`. */
export function replicasChangePerPeriod(periodSeconds: number, events: ScaleEvent[], nowMs: number): number {
  const cutoff = nowMs - periodSeconds * 1000;
  let sum = 0;
  for (const e of events) if (e.timestampMs > cutoff) sum += e.change;
  return sum;
}

/** calculateScaleUpLimitWithScalingRules. */
export function scaleUpLimitWithRules(current: number, up: ScaleEvent[], down: ScaleEvent[], rules: ScalingRules, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const minChange = rules.selectPolicy === 'Min';
  let result = minChange ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const start = current - replicasChangePerPeriod(p.periodSeconds, up, nowMs) + replicasChangePerPeriod(p.periodSeconds, down, nowMs);
    let proposed = start;
    if (p.type === 'Pods') proposed = start + p.value;
    else if (p.type === 'Percent') proposed = Math.ceil(start * (1 + p.value / 100));
    result = minChange ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** calculateScaleDownLimitWithBehaviors. */
export function scaleDownLimitWithRules(current: number, up: ScaleEvent[], down: ScaleEvent[], rules: ScalingRules, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const minChange = rules.selectPolicy === 'Min';
  let result = minChange ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const start = current - replicasChangePerPeriod(p.periodSeconds, up, nowMs) + replicasChangePerPeriod(p.periodSeconds, down, nowMs);
    let proposed = start;
    if (p.type === 'Pods') proposed = start - p.value;
    else if (p.type === 'Percent') proposed = Math.trunc(start * (1 - p.value / 100));
    result = minChange ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

const WITHIN_RANGE = { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
const TOO_MANY = { reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
const TOO_FEW = { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
const UP_LIMIT = { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' };
const DOWN_LIMIT = { reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' };

/** convertDesiredReplicasWithRules (no behavior): min/max and the fixed scale-up limit. */
export function convertDesiredReplicasWithRules(current: number, desired: number, min: number, max: number): { replicas: number; reason: string; message: string } {
  const limit = scaleUpLimit(current);
  const [maxAllowed, why] = max > limit ? [limit, UP_LIMIT] : [max, TOO_MANY];
  if (desired < min) return { replicas: min, ...TOO_FEW };
  if (desired > maxAllowed) return { replicas: maxAllowed, ...why };
  return { replicas: desired, ...WITHIN_RANGE };
}

/** convertDesiredReplicasWithBehaviorRate: min/max and the behavior's policies. */
export function convertDesiredReplicasWithBehaviorRate(
  current: number, desired: number, min: number, max: number, behavior: Required<Behavior>, history: ScaleHistory, nowMs: number,
): { replicas: number; reason: string; message: string } {
  if (desired > current) {
    const limit = Math.max(current, scaleUpLimitWithRules(current, history.scaleUpEvents, history.scaleDownEvents, behavior.scaleUp, nowMs));
    const [maxAllowed, why] = max > limit ? [limit, UP_LIMIT] : [max, TOO_MANY];
    if (desired > maxAllowed) return { replicas: maxAllowed, ...why };
  } else if (desired < current) {
    const limit = Math.min(current, scaleDownLimitWithRules(current, history.scaleUpEvents, history.scaleDownEvents, behavior.scaleDown, nowMs));
    const [minAllowed, why] = min < limit ? [limit, DOWN_LIMIT] : [min, TOO_FEW];
    if (desired < minAllowed) return { replicas: minAllowed, ...why };
  }
  return { replicas: desired, ...WITHIN_RANGE };
}

export interface Normalized {
  replicas: number;
  history: ScaleHistory;
  conditions: ConditionUpdate[];
}

/** normalizeDesiredReplicas: stabilisation over `downscaleWindowMs`, then the rules; with AbleToScale and ScalingLimited. */
export function normalizeDesiredReplicas(
  history: ScaleHistory, current: number, desired: number, min: number, max: number, downscaleWindowMs: number, nowMs: number,
): Normalized {
  const s = stabilizeRecommendation(history.recommendations, desired, downscaleWindowMs, nowMs);
  const conditions: ConditionUpdate[] = [
    s.replicas !== desired
      ? { type: 'AbleToScale', status: 'True', reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' }
      : { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
  ];
  const c = convertDesiredReplicasWithRules(current, s.replicas, min, max);
  conditions.push({ type: 'ScalingLimited', status: c.replicas === s.replicas ? 'False' : 'True', reason: c.reason, message: c.message });
  return { replicas: c.replicas, history: { ...history, recommendations: s.recommendations }, conditions };
}

/** normalizeDesiredReplicasWithBehaviors. */
export function normalizeDesiredReplicasWithBehaviors(
  history: ScaleHistory, behavior: Behavior, current: number, desired: number, min: number, max: number, downscaleWindowSeconds: number, nowMs: number,
): Normalized {
  const b = effectiveBehavior(behavior, downscaleWindowSeconds);
  const s = stabilizeRecommendationWithBehaviors(
    history.recommendations, current, desired, b.scaleUp.stabilizationWindowSeconds ?? 0, b.scaleDown.stabilizationWindowSeconds ?? downscaleWindowSeconds, nowMs,
  );
  const conditions: ConditionUpdate[] = [
    s.replicas !== desired
      ? { type: 'AbleToScale', status: 'True', reason: s.reason, message: s.message }
      : { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
  ];
  const next = { ...history, recommendations: s.recommendations };
  const c = convertDesiredReplicasWithBehaviorRate(current, s.replicas, min, max, b, next, nowMs);
  conditions.push({ type: 'ScalingLimited', status: c.replicas === s.replicas ? 'False' : 'True', reason: c.reason, message: c.message });
  return { replicas: c.replicas, history: next, conditions };
}

/** The longest policy period of a direction's rules (events older than it never count again). */
function longestPeriodSeconds(rules: ScalingRules): number {
  return Math.max(0, ...(rules.policies ?? []).map((p) => p.periodSeconds));
}

/** storeScaleEvent: remembers a rescale for the behavior's rate limits (nothing without behavior). */
export function storeScaleEvent(history: ScaleHistory, behavior: Behavior | undefined, prev: number, next: number, nowMs: number, downscaleWindowSeconds: number): ScaleHistory {
  if (!behavior) return history;
  const b = effectiveBehavior(behavior, downscaleWindowSeconds);
  const upward = next > prev;
  const rules = upward ? b.scaleUp : b.scaleDown;
  const cutoff = nowMs - longestPeriodSeconds(rules) * 1000;
  const events = (upward ? history.scaleUpEvents : history.scaleDownEvents).map((e) => (e.timestampMs < cutoff ? { ...e, outdated: true } : e));
  const event: ScaleEvent = { change: Math.abs(next - prev), timestampMs: nowMs, outdated: false };
  const slot = events.findIndex((e) => e.outdated);
  if (slot >= 0) events[slot] = event;
  else events.push(event);
  return upward ? { ...history, scaleUpEvents: events } : { ...history, scaleDownEvents: events };
}

/** setConditionInList: replaces the condition of that type (transition time only on a status change), else appends. */
export function setCondition(list: HPACondition[] | undefined, u: ConditionUpdate, nowIso: string): HPACondition[] {
  const out = (list ?? []).map((c) => ({ ...c }));
  let c = out.find((x) => x.type === u.type);
  if (!c) {
    c = { type: u.type, status: '' };
    out.push(c);
  }
  if (c.status !== u.status) c.lastTransitionTime = nowIso;
  c.status = u.status;
  c.reason = u.reason;
  c.message = u.message;
  return out;
}
