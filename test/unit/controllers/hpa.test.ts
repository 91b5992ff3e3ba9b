/**
 * The HPA's pure decisions as values: the replica calculator (tolerance, unready and missing pods by direction,
 * requests), stabilisation and behaviour policies, and one sync's decision with its conditions and reasons.
 */
import { describe, expect, test } from 'vitest';
import {
  convertDesiredReplicasWithBehaviorRate, convertDesiredReplicasWithRules, effectiveBehavior, emptyHistory, normalizeDesiredReplicas,
  normalizeDesiredReplicasWithBehaviors, scaleDownLimitWithRules, scaleUpLimitWithRules, setCondition, stabilizeRecommendation,
  storeScaleEvent, type ScaleHistory,
} from '../../../src/control/controllers/hpa/normalize.js';
import {
  defaultCalculatorOptions, formatMilliQuantity, parseGoDuration, podMetricsInfo, rawResourceReplicas, resourceReplicas, type PodMetricsObject,
} from '../../../src/control/controllers/hpa/replica-calculator.js';
import { decide, type HPAOptions, type ReconcileInput } from '../../../src/control/controllers/hpa/reconcile.js';
import { scaleTargetResource } from '../../../src/control/controllers/hpa/controller.js';
import type { HorizontalPodAutoscaler, PodMetricsInfo } from '../../../src/control/controllers/hpa/types.js';
import { parseLabelSelector } from '../../../src/control/api/selectors/label.js';
import type { Pod } from '../../../src/control/controllers/shared/pod-util.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

/** A running pod started 10 minutes ago (past cpu initialisation), ready since then, requesting `cpu` millicores. */
function pod(name: string, cpu = 100, opts: { phase?: string; ready?: boolean; startedAgoMs?: number; readyAgoMs?: number; deleting?: boolean } = {}): Pod {
  const started = NOW - (opts.startedAgoMs ?? 600_000);
  return {
    metadata: { name, namespace: 'ns', labels: { app: 'a' }, ...(opts.deleting ? { deletionTimestamp: iso(NOW) } : {}) },
    spec: { containers: [{ name: 'c', resources: { requests: { cpu: `${cpu}m`, memory: '100Mi' } } }] },
    status: {
      phase: opts.phase ?? 'Running',
      startTime: iso(started),
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', lastTransitionTime: iso(NOW - (opts.readyAgoMs ?? 590_000)) }],
    },
  };
}

const samples = (values: Record<string, number>, timestampMs = NOW - 1000): PodMetricsInfo =>
  new Map(Object.entries(values).map(([n, v]) => [n, { timestampMs, windowMs: 15_000, value: v }]));

const opts = defaultCalculatorOptions;

describe('replica calculator', () => {
  test('utilization against requests; within 10% tolerance keeps the count', () => {
    const pods = [pod('a'), pod('b')];
    expect(resourceReplicas(2, 50, 'cpu', pods, samples({ a: 54, b: 54 }), NOW, opts)).toEqual({ replicas: 2, utilization: 54, rawAverage: 54 });
    // 200% of a 50% target: ratio 4 over 2 ready pods.
    expect(resourceReplicas(2, 50, 'cpu', pods, samples({ a: 200, b: 200 }), NOW, opts).replicas).toBe(8);
    // 20% of 50%: ceil(0.4 × 2) = 1.
    expect(resourceReplicas(2, 50, 'cpu', pods, samples({ a: 20, b: 20 }), NOW, opts).replicas).toBe(1);
  });

  test('scale up with unready pods counts them at 0%', () => {
    const pods = [pod('a'), pod('b'), pod('c', 100, { ready: false, startedAgoMs: 10_000, readyAgoMs: 10_000 })];
    // Ready ones at 100% of a 50% target (ratio 2); with c at 0: 200/300 = 66% → ratio 1.32 → ceil(1.32×3) = 4.
    const r = resourceReplicas(3, 50, 'cpu', pods, samples({ a: 100, b: 100, c: 100 }), NOW, opts);
    expect(r).toEqual({ replicas: 4, utilization: 100, rawAverage: 100 });
    // Pending pods are unready too; here the 0% correction lands within tolerance and the count stays.
    const pending = [pod('a'), pod('p', 100, { phase: 'Pending' })];
    expect(resourceReplicas(2, 50, 'cpu', pending, samples({ a: 100 }), NOW, opts).replicas).toBe(2);
  });

  test('missing metrics: 100% of request on the way down, 0 on the way up; flips keep the count', () => {
    const pods = [pod('a'), pod('b'), pod('m')];
    // Down: a, b at 10% of 50%; m assumed 100% → (10+10+100)/300 = 40% → 0.8 → ceil(2.4) = 3 = current.
    expect(resourceReplicas(3, 50, 'cpu', pods, samples({ a: 10, b: 10 }), NOW, opts).replicas).toBe(3);
    // A lower count: six pods, one missing: (5×10 + 100)/600 = 25% → 0.5 → ceil(3) = 3.
    const six = ['a', 'b', 'c', 'd', 'e', 'm'].map((n) => pod(n));
    expect(resourceReplicas(6, 50, 'cpu', six, samples({ a: 10, b: 10, c: 10, d: 10, e: 10 }), NOW, opts).replicas).toBe(3);
    // Up: a, b at 150% of 50%; m as 0 → 300/300 = 100% → ratio 2 → ceil(6) = 6.
    expect(resourceReplicas(3, 50, 'cpu', pods, samples({ a: 150, b: 150 }), NOW, opts).replicas).toBe(6);
    // Up, but the missing pod at 0 flips it below 1: keep.
    expect(resourceReplicas(3, 50, 'cpu', pods, samples({ a: 60, b: 60 }), NOW, opts).replicas).toBe(3);
  });

  test('deleted and failed pods are ignored; a fresh sample inside the window after readiness is unready', () => {
    const pods = [pod('a'), pod('gone', 100, { deleting: true }), pod('f', 100, { phase: 'Failed' })];
    expect(resourceReplicas(1, 50, 'cpu', pods, samples({ a: 100, gone: 1000, f: 1000 }), NOW, opts).replicas).toBe(2);
    // Started 1 min ago, ready 5 s ago, sample window 15 s: not a full window since readiness → unready.
    const young = [pod('a'), pod('y', 100, { startedAgoMs: 60_000, readyAgoMs: 5_000 })];
    const r = resourceReplicas(2, 50, 'cpu', young, samples({ a: 100, y: 100 }), NOW, opts);
    expect(r.utilization).toBe(100); // only a counted
    expect(r.replicas).toBe(2); // scale-up correction: (100+0)/200 = 50% → within tolerance
  });

  test('errors carry upstream wording', () => {
    expect(() => resourceReplicas(1, 50, 'cpu', [], samples({}), NOW, opts)).toThrow('no pods returned by selector while calculating replica count');
    expect(() => resourceReplicas(1, 50, 'cpu', [pod('a', 100, { phase: 'Pending' })], samples({}), NOW, opts))
      .toThrow('did not receive metrics for targeted pods (pods might be unready)');
    const noReq: Pod = { ...pod('a'), spec: { containers: [{ name: 'c' }] } };
    expect(() => resourceReplicas(1, 50, 'cpu', [noReq], samples({ a: 10 }), NOW, opts)).toThrow('missing request for cpu in container c of Pod a');
    expect(() => podMetricsInfo([], 'cpu')).toThrow('no metrics returned from resource metrics API');
  });

  test('average value targets (memory), no readiness rules for non-cpu resources', () => {
    const pods = [pod('a', 100, { ready: false }), pod('b')];
    const mi = 1024 * 1024 * 1000; // milli-bytes per MiB
    expect(rawResourceReplicas(2, 100 * mi, 'memory', pods, samples({ a: 200 * mi, b: 200 * mi }), NOW, opts)).toEqual({ replicas: 4, rawAverage: 200 * mi });
    expect(rawResourceReplicas(2, 100 * mi, 'memory', pods, samples({ a: 105 * mi, b: 105 * mi }), NOW, opts).replicas).toBe(2);
  });

  test('PodMetrics parsing: containers summed in milli-units, pods lacking the resource left out', () => {
    const items: PodMetricsObject[] = [
      { metadata: { name: 'a' }, timestamp: '2025-01-01T11:59:50Z', window: '15s', containers: [{ name: 'x', usage: { cpu: '150m', memory: '1Mi' } }, { name: 'y', usage: { cpu: '50000000n', memory: '1Mi' } }] },
      { metadata: { name: 'b' }, timestamp: '2025-01-01T11:59:50Z', window: '15s', containers: [{ name: 'x', usage: { memory: '1Mi' } }] },
    ];
    const { metrics, timestampMs } = podMetricsInfo(items, 'cpu');
    expect([...metrics.entries()]).toEqual([['a', { timestampMs: Date.parse('2025-01-01T11:59:50Z'), windowMs: 15_000, value: 200 }]]);
    expect(timestampMs).toBe(Date.parse('2025-01-01T11:59:50Z'));
    expect(podMetricsInfo(items, 'memory', 'x').metrics.get('b')?.value).toBe(1024 * 1024 * 1000);
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('bogus')).toBe(0);
  });

  test('quantities print as DecimalSI milli quantities', () => {
    expect(formatMilliQuantity(250)).toBe('250m');
    expect(formatMilliQuantity(2000)).toBe('2');
    expect(formatMilliQuantity(104857600000)).toBe('104857600');
    expect(formatMilliQuantity(1_000_000_000_000)).toBe('1G');
    expect(formatMilliQuantity(0)).toBe('0');
  });
});

describe('stabilisation and limits', () => {
  test('without behavior: scale up at most max(2×, 4); min and max bound', () => {
    expect(convertDesiredReplicasWithRules(1, 10, 1, 20)).toEqual({ replicas: 4, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' });
    expect(convertDesiredReplicasWithRules(5, 30, 1, 8)).toEqual({ replicas: 8, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' });
    expect(convertDesiredReplicasWithRules(5, 1, 2, 8)).toEqual({ replicas: 2, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' });
    expect(convertDesiredReplicasWithRules(5, 6, 2, 8)).toEqual({ replicas: 6, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' });
  });

  test('the downscale window holds the highest recent recommendation', () => {
    let recs = [{ replicas: 5, timestampMs: NOW - 200_000 }];
    const s = stabilizeRecommendation(recs, 2, 300_000, NOW);
    expect(s.replicas).toBe(5);
    recs = s.recommendations;
    // After the window, the old sample's slot is reused and the new recommendation wins.
    const later = stabilizeRecommendation(recs, 2, 300_000, NOW + 150_000);
    expect(later.replicas).toBe(2);
    expect(later.recommendations).toEqual([{ replicas: 2, timestampMs: NOW + 150_000 }, { replicas: 2, timestampMs: NOW }]);
  });

  test('normalize without behavior: conditions as upstream', () => {
    const h: ScaleHistory = { ...emptyHistory(), recommendations: [{ replicas: 6, timestampMs: NOW - 10_000 }] };
    const n = normalizeDesiredReplicas(h, 6, 3, 1, 10, 300_000, NOW);
    expect(n.replicas).toBe(6);
    expect(n.conditions).toEqual([
      { type: 'AbleToScale', status: 'True', reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' },
      { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' },
    ]);
    const up = normalizeDesiredReplicas(emptyHistory(), 1, 9, 1, 10, 300_000, NOW);
    expect(up.replicas).toBe(4);
    expect(up.conditions[1]).toMatchObject({ status: 'True', reason: 'ScaleUpLimit' });
  });

  test('default behavior: up max(+4 pods, +100%) per 15 s, down 100% per 15 s', () => {
    const b = effectiveBehavior({}, 300);
    expect(scaleUpLimitWithRules(1, [], [], b.scaleUp, NOW)).toBe(5);
    expect(scaleUpLimitWithRules(10, [], [], b.scaleUp, NOW)).toBe(20);
    // 6 added 5 s ago: the period started at 4 → max(8, 8).
    expect(scaleUpLimitWithRules(10, [{ change: 6, timestampMs: NOW - 5_000, outdated: false }], [], b.scaleUp, NOW)).toBe(8);
    expect(scaleDownLimitWithRules(10, [], [], b.scaleDown, NOW)).toBe(0);
  });

  test('selectPolicy Min and Disabled; Percent rounds up going up and down going down', () => {
    const rules = { selectPolicy: 'Min', policies: [{ type: 'Pods', value: 4, periodSeconds: 60 }, { type: 'Percent', value: 50, periodSeconds: 60 }] };
    expect(scaleUpLimitWithRules(3, [], [], rules, NOW)).toBe(5); // min(7, ceil(4.5))
    expect(scaleDownLimitWithRules(3, [], [], rules, NOW)).toBe(1); // max(-1, trunc(1.5))
    expect(scaleUpLimitWithRules(3, [], [], { selectPolicy: 'Disabled', policies: rules.policies }, NOW)).toBe(3);
  });

  test('with behavior: stabilisation both ways and rate limits', () => {
    const behavior = { scaleDown: { stabilizationWindowSeconds: 60, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } };
    const h: ScaleHistory = { ...emptyHistory(), recommendations: [{ replicas: 8, timestampMs: NOW - 30_000 }] };
    const held = normalizeDesiredReplicasWithBehaviors(h, behavior, 8, 3, 1, 10, 300, NOW);
    expect(held.replicas).toBe(8);
    expect(held.conditions[0]).toMatchObject({ reason: 'ScaleDownStabilized' });
    const past = normalizeDesiredReplicasWithBehaviors(h, behavior, 8, 3, 1, 10, 300, NOW + 61_000);
    expect(past.replicas).toBe(7); // one pod per minute
    expect(past.conditions).toEqual([
      { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
      { type: 'ScalingLimited', status: 'True', reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' },
    ]);
    // A scale event of 1 within the minute: no further step down until it ages out.
    const after = storeScaleEvent(past.history, behavior, 8, 7, NOW + 61_000, 300);
    expect(convertDesiredReplicasWithBehaviorRate(7, 3, 1, 10, effectiveBehavior(behavior, 300), after, NOW + 70_000).replicas).toBe(7);
    expect(convertDesiredReplicasWithBehaviorRate(7, 3, 1, 10, effectiveBehavior(behavior, 300), after, NOW + 122_000).replicas).toBe(6);
    // Scale-up window: the lowest recent recommendation caps an increase.
    const upBehavior = { scaleUp: { stabilizationWindowSeconds: 120 } };
    const hu: ScaleHistory = { ...emptyHistory(), recommendations: [{ replicas: 3, timestampMs: NOW - 60_000 }] };
    const u = normalizeDesiredReplicasWithBehaviors(hu, upBehavior, 2, 6, 1, 10, 300, NOW);
    expect(u.replicas).toBe(3);
    expect(u.conditions[0]).toMatchObject({ reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' });
  });

  test('conditions keep their transition time unless the status changes', () => {
    const first = setCondition(undefined, { type: 'AbleToScale', status: 'True', reason: 'A', message: 'a' }, 't1');
    const same = setCondition(first, { type: 'AbleToScale', status: 'True', reason: 'B', message: 'b' }, 't2');
    expect(same).toEqual([{ type: 'AbleToScale', status: 'True', reason: 'B', message: 'b', lastTransitionTime: 't1' }]);
    const flipped = setCondition(same, { type: 'AbleToScale', status: 'False', reason: 'C', message: 'c' }, 't3');
    expect(flipped[0]!.lastTransitionTime).toBe('t3');
  });
});

describe('one sync decision', () => {
  const hpaOpts: HPAOptions = { ...defaultCalculatorOptions, downscaleStabilisationWindowMs: 300_000 };
  const hpa = (metrics: unknown[], min = 1, max = 10): HorizontalPodAutoscaler => ({
    metadata: { name: 'h', namespace: 'ns', generation: 1 },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' }, minReplicas: min, maxReplicas: max, metrics: metrics as never },
  });
  const cpu50 = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } };
  const pm = (name: string, cpu: string): PodMetricsObject => ({
    metadata: { name, namespace: 'ns' }, timestamp: iso(NOW - 1000), window: '15s', containers: [{ name: 'c', usage: { cpu, memory: '10Mi' } }],
  });
  const input = (over: Partial<ReconcileInput>): ReconcileInput => ({
    hpa: hpa([cpu50]), scale: { spec: { replicas: 1 }, status: { replicas: 1, selector: 'app=a' } }, selector: parseLabelSelector('app=a'),
    pods: [pod('a')], podMetrics: [pm('a', '300m')], history: emptyHistory(), nowMs: NOW, opts: hpaOpts, ...over,
  });

  test('high cpu scales up (300% of 50%: 6, limited to max(2×1, 4)) with the reason upstream words', () => {
    const d = decide(input({}));
    expect(d).toMatchObject({ currentReplicas: 1, desiredReplicas: 4, rescale: true, rescaleReason: 'cpu resource utilization (percentage of request) above target' });
    expect(d.metricStatuses).toEqual([{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 300, averageValue: '300m' } } }]);
    expect(d.conditions.map((c) => [c.type, c.reason])).toEqual([
      ['AbleToScale', 'SucceededGetScale'], ['ScalingActive', 'ValidMetricFound'], ['AbleToScale', 'ReadyForNewScale'], ['ScalingLimited', 'ScaleUpLimit'],
    ]);
    expect(d.conditions[1]!.message).toBe('the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)');
  });

  test('all metrics failing: no rescale, ScalingActive False, both events', () => {
    const d = decide(input({ podMetrics: [] }));
    expect(d.rescale).toBe(false);
    expect(d.metricsError).toBe('invalid metrics (1 invalid out of 1), first error is: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API');
    expect(d.conditions[1]).toEqual({
      type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric',
      message: 'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API',
    });
    expect(d.events.map((e) => e.reason)).toEqual(['FailedGetResourceMetric', 'FailedComputeMetricsReplicas']);
    expect(d.metricStatuses).toEqual([{ type: '' }]);
  });

  test('out of range and zero targets', () => {
    expect(decide(input({ scale: { spec: { replicas: 12 }, status: { selector: 'app=a' } } }))).toMatchObject({
      desiredReplicas: 10, rescale: true, rescaleReason: 'Current number of replicas above Spec.MaxReplicas',
    });
    expect(decide(input({ hpa: hpa([cpu50], 3), scale: { spec: { replicas: 2 }, status: { selector: 'app=a' } } }))).toMatchObject({
      desiredReplicas: 3, rescaleReason: 'Current number of replicas below Spec.MinReplicas',
    });
    const zero = decide(input({ scale: { spec: { replicas: 0 }, status: { selector: 'app=a' } } }));
    expect(zero).toMatchObject({ desiredReplicas: 0, rescale: false });
    expect(zero.conditions[1]).toMatchObject({ reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' });
  });

  test('a second metric that fails does not stop a scale up; memory averageValue status', () => {
    const mem = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '5Mi' } } };
    const pods = { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '1' } } };
    const d = decide(input({ hpa: hpa([mem, pods]) }));
    expect(d.desiredReplicas).toBe(2); // 10Mi against 5Mi
    expect(d.rescaleReason).toBe('memory resource above target');
    expect(d.metricStatuses).toEqual([{ type: 'Resource', resource: { name: 'memory', current: { averageValue: '10485760' } } }, { type: '' }]);
    expect(d.events.map((e) => e.reason)).toEqual(['FailedGetPodsMetric']);
  });

  test('missing selector: InvalidSelector', () => {
    const d = decide(input({ selector: undefined }));
    expect(d.rescale).toBe(false);
    expect(d.conditions[1]).toEqual({ type: 'ScalingActive', status: 'False', reason: 'InvalidSelector', message: "the HPA target's scale is missing a selector" });
  });

  test('scale targets map to their resources', () => {
    expect(scaleTargetResource({ apiVersion: 'apps/v1', kind: 'StatefulSet' })).toEqual({ group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true });
    expect(scaleTargetResource({ apiVersion: 'v1', kind: 'ReplicationController' })).toEqual({ group: '', version: 'v1', plural: 'replicationcontrollers', namespaced: true });
  });
});
