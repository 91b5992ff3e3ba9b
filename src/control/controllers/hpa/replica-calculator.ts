/**
 * Upstream's replica calculator (pkg/controller/podautoscaler/replica_calculator.go) for resource metrics, as
 * pure functions over the pods a lister holds and the PodMetrics metrics.k8s.io served:
 *   - pods being deleted or Failed are ignored; Pending pods, and (for cpu) pods not yet ready or still inside
 *     their initialisation period, are "unready"; pods without a sample are "missing";
 *   - utilization is total usage over total requests of the pods with samples; within the tolerance (10%) the
 *     count stays, else it is ceil(ratio × ready pods);
 *   - when pods are missing or unready, the ratio is recomputed conservatively: on a scale up unready pods count
 *     as 0% and missing ones as 0, on a scale down missing ones as 100% (of request, or the target if above);
 *     a recomputed ratio that flips direction or lands within tolerance keeps the current count.
 * Errors carry upstream's messages (they reach the ScalingActive condition and events).
 */
import { parseQuantityScaled } from '../../scheduler/quantity.js';
import type { Pod } from '../shared/pod-util.js';
import type { PodMetric, PodMetricsInfo } from './types.js';

export interface CalculatorOptions {
  /** --horizontal-pod-autoscaler-tolerance (0.1). */
  tolerance: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period (5 min). */
  cpuInitializationPeriodMs: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay (30 s). */
  delayOfInitialReadinessStatusMs: number;
}

export const defaultCalculatorOptions: CalculatorOptions = {
  tolerance: 0.1,
  cpuInitializationPeriodMs: 5 * 60_000,
  delayOfInitialReadinessStatusMs: 30_000,
};

/** A metrics.k8s.io/v1beta1 PodMetrics as served. */
export interface PodMetricsObject {
  metadata?: { name?: string; namespace?: string };
  timestamp?: string;
  window?: string;
  containers?: { name: string; usage?: Record<string, string> }[];
}

/** Go's time.ParseDuration for the forms metrics.k8s.io writes ("15s", "1m30s", "500ms"); 0 when unreadable. */
export function parseGoDuration(s: string | undefined): number {
  if (!s) return 0;
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, ns: 0.000001 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;
  let matched = '';
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * unit[m[2]!]!;
    matched += m[0];
  }
  return matched === s ? total : 0;
}

/**
 * upstream's resource metrics client: per pod, the sum of its containers' usage of `resource` in milli-units (or
 * one container's, for ContainerResource metrics). A pod with no containers or a container without the resource
 * is left out (missing). Returns the samples and the first item's timestamp.
 */
export function podMetricsInfo(items: PodMetricsObject[], resource: string, container?: string): { metrics: PodMetricsInfo; timestampMs: number } {
  if (items.length === 0) throw new Error('no metrics returned from resource metrics API');
  const metrics: PodMetricsInfo = new Map();
  for (const m of items) {
    const name = m.metadata?.name ?? '';
    const timestampMs = Date.parse(m.timestamp ?? '') || 0;
    const windowMs = parseGoDuration(m.window);
    const containers = m.containers ?? [];
    if (container !== undefined) {
      const c = containers.find((x) => x.name === container);
      if (!c) throw new Error(`container ${container} not present in metrics for pod ${m.metadata?.namespace ?? ''}/${name}`);
      const v = parseQuantityScaled(c.usage?.[resource], 3);
      if (v !== null) metrics.set(name, { timestampMs, windowMs, value: v });
      continue;
    }
    let sum = 0;
    let missing = containers.length === 0;
    for (const c of containers) {
      const v = parseQuantityScaled(c.usage?.[resource], 3);
      if (v === null) {
        missing = true;
        break;
      }
      sum += v;
    }
    if (!missing) metrics.set(name, { timestampMs, windowMs, value: sum });
  }
  return { metrics, timestampMs: Date.parse(items[0]!.timestamp ?? '') || 0 };
}

export interface PodGroups {
  readyPodCount: number;
  unreadyPods: Set<string>;
  missingPods: Set<string>;
  ignoredPods: Set<string>;
}

/** upstream's groupPods: which pods' samples count, and which are unready, missing or ignored. */
export function groupPods(pods: Pod[], metrics: PodMetricsInfo, resource: string, nowMs: number, opts: CalculatorOptions): PodGroups {
  const g: PodGroups = { readyPodCount: 0, unreadyPods: new Set(), missingPods: new Set(), ignoredPods: new Set() };
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Failed') {
      g.ignoredPods.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      g.unreadyPods.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missingPods.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      const startMs = Date.parse((pod.status?.startTime as string | undefined) ?? '');
      let unready: boolean;
      if (!ready || Number.isNaN(startMs)) {
        unready = true;
      } else {
        const transitionMs = Date.parse(ready.lastTransitionTime ?? '') || 0;
        if (startMs + opts.cpuInitializationPeriodMs > nowMs) {
          // Still initialising: skip samples of an unready pod, or ones not a full window after it became ready.
          unready = ready.status === 'False' || metric.timestampMs < transitionMs + metric.windowMs;
        } else {
          // Past initialisation: skip only a pod that is unready and has never been ready.
          unready = ready.status === 'False' && startMs + opts.delayOfInitialReadinessStatusMs > transitionMs;
        }
      }
      if (unready) {
        g.unreadyPods.add(name);
        continue;
      }
    }
    g.readyPodCount++;
  }
  return g;
}

/** Requests of `resource` per pod (milli-units), summed over containers (or the named one); a container without one is an error. */
export function calculatePodRequests(pods: Pod[], resource: string, container?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.spec?.containers ?? []) {
      if (container !== undefined && c.name !== container) continue;
      const requests = (c.resources as { requests?: Record<string, unknown> } | undefined)?.requests;
      const v = parseQuantityScaled(requests?.[resource], 3);
      if (v === null) throw new Error(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata?.name ?? ''}`);
      sum += v;
    }
    out.set(pod.metadata?.name ?? '', sum);
  }
  return out;
}

/** metricsclient.GetResourceUtilizationRatio: over pods with both a sample and a request. */
export function resourceUtilizationRatio(
  metrics: PodMetricsInfo, requests: Map<string, number>, targetUtilization: number,
): { ratio: number; utilization: number; rawAverage: number } {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let entries = 0;
  for (const [name, m] of metrics) {
    const r = requests.get(name);
    if (r === undefined) continue;
    metricsTotal += m.value;
    requestsTotal += r;
    entries++;
  }
  if (requestsTotal === 0) throw new Error('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / targetUtilization, utilization, rawAverage: Math.trunc(metricsTotal / entries) };
}

/** metricsclient.GetMetricUsageRatio: average usage over all samples against the target average. */
export function metricUsageRatio(metrics: PodMetricsInfo, targetUsage: number): { ratio: number; usage: number } {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const usage = Math.trunc(total / metrics.size);
  return { ratio: usage / targetUsage, usage };
}

const withoutPods = (metrics: PodMetricsInfo, names: Iterable<string>): PodMetricsInfo => {
  const out = new Map(metrics);
  for (const n of names) out.delete(n);
  return out;
};

const zero = (m: PodMetric | undefined): PodMetric => ({ timestampMs: m?.timestampMs ?? 0, windowMs: m?.windowMs ?? 0, value: 0 });

export interface ResourceReplicas {
  replicas: number;
  /** Percentage of requests (Utilization targets only). */
  utilization?: number;
  /** Average usage per pod, milli-units. */
  rawAverage: number;
}

/** GetResourceReplicas: replicas for an averageUtilization target (a percentage of requests). */
export function resourceReplicas(
  currentReplicas: number, targetUtilization: number, resource: string, pods: Pod[], sampled: PodMetricsInfo, nowMs: number,
  opts: CalculatorOptions = defaultCalculatorOptions, container?: string,
): ResourceReplicas {
  if (pods.length === 0) throw new Error('no pods returned by selector while calculating replica count');
  const g = groupPods(pods, sampled, resource, nowMs, opts);
  let metrics = withoutPods(withoutPods(sampled, g.ignoredPods), g.unreadyPods);
  if (metrics.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  const requests = calculatePodRequests(pods, resource, container);
  const { ratio, utilization, rawAverage } = resourceUtilizationRatio(metrics, requests, targetUtilization);
  const result = (replicas: number): ResourceReplicas => ({ replicas, utilization, rawAverage });
  const scaleUpWithUnready = g.unreadyPods.size > 0 && ratio > 1.0;
  if (!scaleUpWithUnready && g.missingPods.size === 0) {
    if (Math.abs(1.0 - ratio) <= opts.tolerance) return result(currentReplicas);
    return result(Math.ceil(ratio * g.readyPodCount));
  }
  metrics = new Map(metrics);
  if (g.missingPods.size > 0) {
    if (ratio < 1.0) {
      // Scaling down: assume the missing pods use their full request (or the target, if that is higher).
      const fallback = Math.max(100, targetUtilization);
      for (const n of g.missingPods) metrics.set(n, { timestampMs: 0, windowMs: 0, value: Math.trunc(((requests.get(n) ?? 0) * fallback) / 100) });
    } else if (ratio > 1.0) {
      for (const n of g.missingPods) metrics.set(n, zero(undefined));
    }
  }
  if (scaleUpWithUnready) for (const n of g.unreadyPods) metrics.set(n, zero(undefined));
  const next = resourceUtilizationRatio(metrics, requests, targetUtilization).ratio;
  if (Math.abs(1.0 - next) <= opts.tolerance || (ratio < 1.0 && next > 1.0) || (ratio > 1.0 && next < 1.0)) return result(currentReplicas);
  const proposed = Math.ceil(next * metrics.size);
  if ((next < 1.0 && proposed > currentReplicas) || (next > 1.0 && proposed < currentReplicas)) return result(currentReplicas);
  return result(proposed);
}

/** GetRawResourceReplicas / calcPlainMetricReplicas: replicas for an averageValue target (milli-units per pod). */
export function rawResourceReplicas(
  currentReplicas: number, targetUsage: number, resource: string, pods: Pod[], sampled: PodMetricsInfo, nowMs: number,
  opts: CalculatorOptions = defaultCalculatorOptions,
): ResourceReplicas {
  if (pods.length === 0) throw new Error('no pods returned by selector while calculating replica count');
  const g = groupPods(pods, sampled, resource, nowMs, opts);
  let metrics = withoutPods(withoutPods(sampled, g.ignoredPods), g.unreadyPods);
  if (metrics.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  const { ratio, usage } = metricUsageRatio(metrics, targetUsage);
  const result = (replicas: number): ResourceReplicas => ({ replicas, rawAverage: usage });
  const scaleUpWithUnready = g.unreadyPods.size > 0 && ratio > 1.0;
  if (!scaleUpWithUnready && g.missingPods.size === 0) {
    if (Math.abs(1.0 - ratio) <= opts.tolerance) return result(currentReplicas);
    return result(Math.ceil(ratio * g.readyPodCount));
  }
  metrics = new Map(metrics);
  for (const n of g.missingPods) metrics.set(n, { timestampMs: 0, windowMs: 0, value: ratio < 1.0 ? targetUsage : 0 });
  if (scaleUpWithUnready) for (const n of g.unreadyPods) metrics.set(n, zero(undefined));
  const next = metricUsageRatio(metrics, targetUsage).ratio;
  if (Math.abs(1.0 - next) <= opts.tolerance || (ratio < 1.0 && next > 1.0) || (ratio > 1.0 && next < 1.0)) return result(currentReplicas);
  const proposed = Math.ceil(next * metrics.size);
  if ((next < 1.0 && proposed > currentReplicas) || (next > 1.0 && proposed < currentReplicas)) return result(currentReplicas);
  return result(proposed);
}

/** resource.NewMilliQuantity(v, DecimalSI).String(): the largest SI suffix that keeps the number whole. */
export function formatMilliQuantity(milli: number): string {
  let v = Math.trunc(milli);
  if (v === 0) return '0';
  const suffixes = ['m', '', 'k', 'M', 'G', 'T', 'P', 'E'];
  let i = 0;
  while (i < suffixes.length - 1 && v % 1000 === 0) {
    v /= 1000;
    i++;
  }
  return `${v}${suffixes[i]}`;
}
