/**
 * One HPA sync's decision, as upstream's reconcileAutoscaler, over what the shell read (the target's Scale, the
 * pods its selector picks from the lister, one PodMetrics list) and the HPA's remembered history: the desired
 * replica count, whether to rescale and why, the current metrics, the conditions to set and the events to post.
 * Writing the scale and the status, and what a failed scale write changes, stay in the controller.
 */
import type { LabelSelector } from '../../api/selectors/label.js';
import type { Pod } from '../shared/pod-util.js';
import {
  normalizeDesiredReplicas, normalizeDesiredReplicasWithBehaviors, withInitialRecommendation, type ConditionUpdate, type ScaleHistory,
} from './normalize.js';
import {
  formatMilliQuantity, podMetricsInfo, rawResourceReplicas, resourceReplicas, type CalculatorOptions, type PodMetricsObject,
} from './replica-calculator.js';
import { parseQuantityScaled } from '../../scheduler/quantity.js';
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus, Scale } from './types.js';

export interface HPAOptions extends CalculatorOptions {
  /** --horizontal-pod-autoscaler-downscale-stabilization (5 min). */
  downscaleStabilisationWindowMs: number;
}

export interface EventToPost {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface ReconcileInput {
  hpa: HorizontalPodAutoscaler;
  scale: Scale;
  /** The scale's status.selector parsed, or the parse error's message. */
  selector: LabelSelector | { error: string } | undefined;
  /** Pods in the HPA's namespace that the selector matches. */
  pods: Pod[];
  /** The PodMetrics list for the selector, or why it could not be read (only needed with resource metrics). */
  podMetrics: PodMetricsObject[] | Error | undefined;
  history: ScaleHistory;
  nowMs: number;
  opts: HPAOptions;
}

export interface Decision {
  currentReplicas: number;
  desiredReplicas: number;
  rescale: boolean;
  rescaleReason: string;
  metricStatuses?: MetricStatus[];
  /** In order of setting (later ones of a type replace earlier ones). */
  conditions: ConditionUpdate[];
  events: EventToPost[];
  history: ScaleHistory;
  /** Set when no replica count could be computed: status is written with current replicas and metrics only. */
  metricsError?: string;
}

interface MetricResult {
  replicas: number;
  name: string;
  status: MetricStatus;
}

class MetricError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

/** The replica proposal of one metric, or a MetricError with upstream's condition reason. */
function computeReplicasForMetric(spec: MetricSpec, specReplicas: number, inp: ReconcileInput): MetricResult {
  const container = spec.type === 'ContainerResource' ? spec.containerResource : undefined;
  const source = spec.type === 'Resource' ? spec.resource : container;
  if (spec.type === 'Resource' || spec.type === 'ContainerResource') {
    const reason = spec.type === 'Resource' ? 'FailedGetResourceMetric' : 'FailedGetContainerResourceMetric';
    if (!source) throw new MetricError(reason, `invalid ${spec.type} metric source: the ${spec.type === 'Resource' ? 'resource' : 'containerResource'} field is missing`);
    const resource = source.name;
    const target = source.target ?? { type: '' };
    const what = container ? `${resource} container` : resource;
    const fetch = (): ReturnType<typeof podMetricsInfo> => {
      if (inp.podMetrics instanceof Error) throw inp.podMetrics;
      return podMetricsInfo(inp.podMetrics ?? [], resource, container?.container);
    };
    const status = (current: MetricStatus['resource'] extends infer _ ? { averageUtilization?: number; averageValue: string } : never): MetricStatus =>
      container
        ? { type: 'ContainerResource', containerResource: { name: resource, container: container.container, current } }
        : { type: 'Resource', resource: { name: resource, current } };
    if (target.averageValue !== undefined) {
      const targetMilli = parseQuantityScaled(target.averageValue, 3) ?? 0;
      let r;
      try {
        const { metrics } = wrapUnable(resource, fetch);
        r = rawResourceReplicas(specReplicas, targetMilli, resource, inp.pods, metrics, inp.nowMs, inp.opts);
      } catch (err) {
        throw new MetricError(reason, `failed to get ${what} usage: ${message(err)}`);
      }
      return { replicas: r.replicas, name: `${what} resource`, status: status({ averageValue: formatMilliQuantity(r.rawAverage) }) };
    }
    if (typeof target.averageUtilization !== 'number') {
      throw new MetricError(reason, 'invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
    }
    let r;
    try {
      const { metrics } = wrapUnable(resource, fetch);
      r = resourceReplicas(specReplicas, target.averageUtilization, resource, inp.pods, metrics, inp.nowMs, inp.opts, container?.container);
    } catch (err) {
      throw new MetricError(reason, `failed to get ${what} utilization: ${message(err)}`);
    }
    return {
      replicas: r.replicas,
      name: `${what} resource utilization (percentage of request)`,
      status: status({ averageUtilization: r.utilization, averageValue: formatMilliQuantity(r.rawAverage) }),
    };
  }
  // Skiff serves no custom.metrics.k8s.io or external.metrics.k8s.io API, so these sources never yield a value.
  const metricName = (spec[spec.type.charAt(0).toLowerCase() + spec.type.slice(1)] as { metric?: { name?: string } } | undefined)?.metric?.name ?? '';
  switch (spec.type) {
    case 'Pods':
      throw new MetricError('FailedGetPodsMetric', `failed to get pods metric value: unable to get metric ${metricName}: no custom metrics API (custom.metrics.k8s.io) is served`);
    case 'Object':
      throw new MetricError('FailedGetObjectMetric', `failed to get object metric value: unable to get metric ${metricName}: no custom metrics API (custom.metrics.k8s.io) is served`);
    case 'External':
      throw new MetricError('FailedGetExternalMetric', `failed to get external metric value: unable to get external metric ${metricName}: no external metrics API (external.metrics.k8s.io) is served`);
    default:
      throw new MetricError('InvalidMetricSourceType', `unknown metric source type "${spec.type}"`);
  }
}

function wrapUnable<T>(resource: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new Error(`unable to get metrics for resource ${resource}: ${message(err)}`);
  }
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** computeReplicasForMetrics: the largest proposal over valid metrics; -1 when all fail, or some fail and the rest would scale down. */
function computeReplicasForMetrics(inp: ReconcileInput, conditions: ConditionUpdate[], events: EventToPost[]): {
  replicas: number; metric: string; statuses: MetricStatus[]; error?: string;
} {
  const sel = inp.selector;
  if (sel === undefined) {
    events.push({ type: 'Warning', reason: 'SelectorRequired', message: 'selector is required' });
    conditions.push({ type: 'ScalingActive', status: 'False', reason: 'InvalidSelector', message: "the HPA target's scale is missing a selector" });
    return { replicas: 0, metric: '', statuses: [], error: 'selector is required' };
  }
  if (!Array.isArray(sel)) {
    const msg = `couldn't convert selector into a corresponding internal selector object: ${sel.error}`;
    events.push({ type: 'Warning', reason: 'InvalidSelector', message: msg });
    conditions.push({ type: 'ScalingActive', status: 'False', reason: 'InvalidSelector', message: msg });
    return { replicas: 0, metric: '', statuses: [], error: msg };
  }
  const specs = inp.hpa.spec?.metrics ?? [];
  const specReplicas = inp.scale.spec?.replicas ?? 0;
  const statuses: MetricStatus[] = specs.map(() => ({ type: '' }));
  let replicas = 0;
  let metric = '';
  let invalid = 0;
  let first: MetricError | undefined;
  specs.forEach((spec, i) => {
    try {
      const r = computeReplicasForMetric(spec, specReplicas, inp);
      statuses[i] = r.status;
      if (replicas === 0 || r.replicas > replicas) {
        replicas = r.replicas;
        metric = r.name;
      }
    } catch (err) {
      const e = err instanceof MetricError ? err : new MetricError('FailedGetResourceMetric', message(err));
      // getUnableComputeReplicaCountCondition: every failing metric posts its own event.
      events.push({ type: 'Warning', reason: e.reason, message: e.message });
      if (!first) first = e;
      invalid++;
    }
  });
  const error = first ? `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${first.message}` : undefined;
  if (invalid >= specs.length || (invalid > 0 && replicas < specReplicas)) {
    if (first) conditions.push({ type: 'ScalingActive', status: 'False', reason: first.reason, message: `the HPA was unable to compute the replica count: ${first.message}` });
    return { replicas: -1, metric: '', statuses, error: error ?? 'no metrics are specified' };
  }
  conditions.push({ type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: `the HPA was able to successfully calculate a replica count from ${metric}` });
  return { replicas, metric, statuses, error };
}

/** reconcileAutoscaler's decision, from the scale read onwards. */
export function decide(inp: ReconcileInput): Decision {
  const { hpa, nowMs } = inp;
  const spec = hpa.spec!;
  const conditions: ConditionUpdate[] = [
    { type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: "the HPA controller was able to get the target's current scale" },
  ];
  const events: EventToPost[] = [];
  const currentReplicas = inp.scale.spec?.replicas ?? 0;
  let history = withInitialRecommendation(inp.history, currentReplicas, nowMs);
  const minReplicas = spec.minReplicas ?? 1;
  const maxReplicas = spec.maxReplicas;
  let desiredReplicas = 0;
  let rescale = true;
  let rescaleReason = '';
  let metricStatuses: MetricStatus[] | undefined;

  if (currentReplicas === 0 && minReplicas !== 0) {
    // Autoscaling is off while the target is scaled to zero.
    desiredReplicas = 0;
    rescale = false;
    conditions.push({ type: 'ScalingActive', status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' });
  } else if (currentReplicas > maxReplicas) {
    rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
    desiredReplicas = maxReplicas;
  } else if (currentReplicas < minReplicas) {
    rescaleReason = 'Current number of replicas below Spec.MinReplicas';
    desiredReplicas = minReplicas;
  } else {
    const m = computeReplicasForMetrics(inp, conditions, events);
    metricStatuses = m.statuses;
    if (m.error !== undefined && m.replicas === -1) {
      events.push({ type: 'Warning', reason: 'FailedComputeMetricsReplicas', message: m.error });
      return { currentReplicas, desiredReplicas: hpa.status?.desiredReplicas ?? 0, rescale: false, rescaleReason: '', metricStatuses, conditions, events, history, metricsError: m.error };
    }
    if (m.error !== undefined && m.replicas === 0) {
      // The selector could not be used, so nothing was computed: upstream goes on to scale towards 0 (held by the
      // stabilisation window); Skiff keeps the count instead of shrinking a workload it cannot measure.
      return { currentReplicas, desiredReplicas: hpa.status?.desiredReplicas ?? 0, rescale: false, rescaleReason: '', metricStatuses, conditions, events, history, metricsError: m.error };
    }
    let rescaleMetric = '';
    if (m.replicas > desiredReplicas) {
      desiredReplicas = m.replicas;
      rescaleMetric = m.metric;
    }
    if (desiredReplicas > currentReplicas) rescaleReason = `${rescaleMetric} above target`;
    if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';
    const n = spec.behavior
      ? normalizeDesiredReplicasWithBehaviors(history, spec.behavior, currentReplicas, desiredReplicas, minReplicas, maxReplicas,
        Math.trunc(inp.opts.downscaleStabilisationWindowMs / 1000), nowMs)
      : normalizeDesiredReplicas(history, currentReplicas, desiredReplicas, minReplicas, maxReplicas, inp.opts.downscaleStabilisationWindowMs, nowMs);
    desiredReplicas = n.replicas;
    history = n.history;
    conditions.push(...n.conditions);
    rescale = desiredReplicas !== currentReplicas;
  }
  if (!rescale) desiredReplicas = currentReplicas;
  return { currentReplicas, desiredReplicas, rescale, rescaleReason, metricStatuses, conditions, events, history };
}
