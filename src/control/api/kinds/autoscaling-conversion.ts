/**
 * autoscaling/v1 ⇄ autoscaling/v2 HorizontalPodAutoscaler, as upstream converts through its internal type
 * (pkg/apis/autoscaling/v1/conversion.go; v2 is the storage version and carries everything the internal type does).
 *
 * v1 has one metric, spec.targetCPUUtilizationPercentage (a Resource cpu Utilization target in v2). What v1 cannot
 * say travels in annotations, so a read-modify-write through v1 keeps it:
 * - autoscaling.alpha.kubernetes.io/metrics: every other v2 metric, in v1's (v2beta1-shaped) MetricSpec form;
 * - autoscaling.alpha.kubernetes.io/current-metrics: every status.currentMetrics entry (v1 MetricStatus form);
 * - autoscaling.alpha.kubernetes.io/behavior: spec.behavior, as upstream marshals its internal Go struct
 *   (Go field names: ScaleUp, StabilizationWindowSeconds, …);
 * - autoscaling.alpha.kubernetes.io/conditions: status.conditions.
 * Reading v1 drops any such annotation already on the object before writing its own; writing v1 lifts them back
 * out and never stores them. A malformed annotation is ignored, as upstream's (kubernetes#89963).
 */
import type { KubeObject } from '../resource.js';

export const METRIC_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const METRIC_STATUSES_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const BEHAVIOR_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
const ROUND_TRIP = [METRIC_SPECS_ANNOTATION, BEHAVIOR_SPECS_ANNOTATION, METRIC_STATUSES_ANNOTATION, CONDITIONS_ANNOTATION];

/** The implicit v1 target (upstream's DefaultCPUUtilization) when no metric is given at all. */
export const DEFAULT_CPU_UTILIZATION = 80;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const objOr = (v: unknown): Obj => (isObj(v) ? v : {});
const objs = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
/** Go's zero resource.Quantity, what a required v1 quantity reads as when absent. */
const ZERO = '0';

/** Copies the keys of `from` that are set (not undefined) into a new object, in the order given. */
function pick(from: Obj, keys: readonly string[]): Obj {
  const out: Obj = {};
  for (const k of keys) if (from[k] !== undefined) out[k] = structuredClone(from[k]);
  return out;
}

/** Builds an object from [key, value] pairs, leaving out undefined values (Go's omitempty on pointers). */
function compact(entries: Array<[string, unknown]>): Obj {
  const out: Obj = {};
  for (const [k, v] of entries) if (v !== undefined) out[k] = v;
  return out;
}

const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v));

const isCpuResource = (m: Obj): boolean => m['type'] === 'Resource' && isObj(m['resource']) && m['resource']['name'] === 'cpu';

/** Metadata without the round-trip annotations (the annotations map goes when nothing else is left in it). */
function withoutRoundTrip(meta: unknown): Obj {
  const out = structuredClone(objOr(meta));
  const ann = out['annotations'];
  if (isObj(ann) && ROUND_TRIP.some((k) => k in ann)) {
    const kept = { ...ann };
    for (const k of ROUND_TRIP) delete kept[k];
    if (Object.keys(kept).length) out['annotations'] = kept;
    else delete out['annotations'];
  }
  return out;
}

/**
 * Removes the round-trip annotations in place: upstream drops them on every conversion to its internal type, so a
 * v2 write never stores them either.
 */
export function dropRoundTripAnnotations(obj: KubeObject): void {
  const meta = obj.metadata;
  if (meta?.annotations && ROUND_TRIP.some((k) => k in meta.annotations!)) {
    const kept = withoutRoundTrip(meta)['annotations'] as Record<string, string> | undefined;
    if (kept) meta.annotations = kept;
    else delete meta.annotations;
  }
}

const crossVersionRef = (ref: unknown): Obj => pick(objOr(ref), ['kind', 'name', 'apiVersion']);

// --- metric specs -------------------------------------------------------------------------------------------

/** One v2 MetricSpec in v1's annotation form. */
export function metricSpecToV1(m: Obj): Obj {
  const out: Obj = { type: m['type'] };
  if (isObj(m['object'])) {
    const s = m['object'];
    const target = objOr(s['target']);
    const metric = objOr(s['metric']);
    out['object'] = compact([
      ['target', crossVersionRef(s['describedObject'])], ['metricName', metric['name'] ?? ''],
      ['targetValue', clone(target['value']) ?? ZERO], ['selector', clone(metric['selector'])], ['averageValue', clone(target['averageValue'])],
    ]);
  }
  if (isObj(m['pods'])) {
    const s = m['pods'];
    const metric = objOr(s['metric']);
    out['pods'] = compact([
      ['metricName', metric['name'] ?? ''], ['targetAverageValue', clone(objOr(s['target'])['averageValue']) ?? ZERO], ['selector', clone(metric['selector'])],
    ]);
  }
  for (const field of ['resource', 'containerResource'] as const) {
    if (!isObj(m[field])) continue;
    const s = m[field];
    const target = objOr(s['target']);
    out[field] = compact([
      ['name', s['name'] ?? ''], ['targetAverageUtilization', target['averageUtilization']], ['targetAverageValue', clone(target['averageValue'])],
      ['container', field === 'containerResource' ? s['container'] ?? '' : undefined],
    ]);
  }
  if (isObj(m['external'])) {
    const s = m['external'];
    const target = objOr(s['target']);
    const metric = objOr(s['metric']);
    out['external'] = compact([
      ['metricName', metric['name'] ?? ''], ['metricSelector', clone(metric['selector'])],
      ['targetValue', clone(target['value'])], ['targetAverageValue', clone(target['averageValue'])],
    ]);
  }
  return out;
}

/** One v1 annotation MetricSpec as v2. */
export function metricSpecFromV1(m: Obj): Obj {
  const out: Obj = { type: m['type'] };
  if (isObj(m['object'])) {
    const s = m['object'];
    out['object'] = {
      describedObject: crossVersionRef(s['target']),
      target: compact([
        ['type', s['averageValue'] === undefined ? 'Value' : 'AverageValue'], ['value', clone(s['targetValue']) ?? ZERO],
        ['averageValue', clone(s['averageValue'])],
      ]),
      metric: compact([['name', s['metricName'] ?? ''], ['selector', clone(s['selector'])]]),
    };
  }
  if (isObj(m['pods'])) {
    const s = m['pods'];
    out['pods'] = {
      metric: compact([['name', s['metricName'] ?? ''], ['selector', clone(s['selector'])]]),
      target: { type: 'AverageValue', averageValue: clone(s['targetAverageValue']) ?? ZERO },
    };
  }
  for (const field of ['resource', 'containerResource'] as const) {
    if (!isObj(m[field])) continue;
    const s = m[field];
    const utilization = s['targetAverageUtilization'];
    out[field] = compact([
      ['name', s['name'] ?? ''],
      ['target', compact([
        ['type', utilization === undefined ? 'AverageValue' : 'Utilization'], ['averageValue', clone(s['targetAverageValue'])],
        ['averageUtilization', utilization],
      ])],
      ['container', field === 'containerResource' ? s['container'] ?? '' : undefined],
    ]);
  }
  if (isObj(m['external'])) {
    const s = m['external'];
    out['external'] = {
      metric: compact([['name', s['metricName'] ?? ''], ['selector', clone(s['metricSelector'])]]),
      target: compact([
        ['type', s['targetValue'] === undefined ? 'AverageValue' : 'Value'], ['value', clone(s['targetValue'])],
        ['averageValue', clone(s['targetAverageValue'])],
      ]),
    };
  }
  return out;
}

// --- metric statuses ----------------------------------------------------------------------------------------

/** One v2 MetricStatus in v1's annotation form. */
export function metricStatusToV1(m: Obj): Obj {
  const out: Obj = { type: m['type'] };
  if (isObj(m['object'])) {
    const s = m['object'];
    const current = objOr(s['current']);
    const metric = objOr(s['metric']);
    out['object'] = compact([
      ['target', crossVersionRef(s['describedObject'])], ['metricName', metric['name'] ?? ''],
      ['currentValue', clone(current['value']) ?? ZERO], ['selector', clone(metric['selector'])], ['averageValue', clone(current['averageValue'])],
    ]);
  }
  if (isObj(m['pods'])) {
    const s = m['pods'];
    const metric = objOr(s['metric']);
    out['pods'] = compact([
      ['metricName', metric['name'] ?? ''], ['currentAverageValue', clone(objOr(s['current'])['averageValue']) ?? ZERO], ['selector', clone(metric['selector'])],
    ]);
  }
  for (const field of ['resource', 'containerResource'] as const) {
    if (!isObj(m[field])) continue;
    const s = m[field];
    const current = objOr(s['current']);
    out[field] = compact([
      ['name', s['name'] ?? ''], ['currentAverageUtilization', current['averageUtilization']],
      ['currentAverageValue', clone(current['averageValue']) ?? ZERO],
      ['container', field === 'containerResource' ? s['container'] ?? '' : undefined],
    ]);
  }
  if (isObj(m['external'])) {
    const s = m['external'];
    const current = objOr(s['current']);
    const metric = objOr(s['metric']);
    out['external'] = compact([
      ['metricName', metric['name'] ?? ''], ['metricSelector', clone(metric['selector'])],
      ['currentValue', clone(current['value']) ?? ZERO], ['currentAverageValue', clone(current['averageValue'])],
    ]);
  }
  return out;
}

/** One v1 annotation MetricStatus as v2. */
export function metricStatusFromV1(m: Obj): Obj {
  const out: Obj = { type: m['type'] };
  if (isObj(m['object'])) {
    const s = m['object'];
    out['object'] = {
      metric: compact([['name', s['metricName'] ?? ''], ['selector', clone(s['selector'])]]),
      current: compact([['value', clone(s['currentValue']) ?? ZERO], ['averageValue', clone(s['averageValue'])]]),
      describedObject: crossVersionRef(s['target']),
    };
  }
  if (isObj(m['pods'])) {
    const s = m['pods'];
    out['pods'] = {
      metric: compact([['name', s['metricName'] ?? ''], ['selector', clone(s['selector'])]]),
      current: { averageValue: clone(s['currentAverageValue']) ?? ZERO },
    };
  }
  for (const field of ['resource', 'containerResource'] as const) {
    if (!isObj(m[field])) continue;
    const s = m[field];
    out[field] = compact([
      ['name', s['name'] ?? ''],
      ['current', compact([['averageValue', clone(s['currentAverageValue']) ?? ZERO], ['averageUtilization', s['currentAverageUtilization']]])],
      ['container', field === 'containerResource' ? s['container'] ?? '' : undefined],
    ]);
  }
  if (isObj(m['external'])) {
    const s = m['external'];
    out['external'] = {
      metric: compact([['name', s['metricName'] ?? ''], ['selector', clone(s['metricSelector'])]]),
      current: compact([['value', clone(s['currentValue']) ?? ZERO], ['averageValue', clone(s['currentAverageValue'])]]),
    };
  }
  return out;
}

// --- behavior (upstream marshals its internal Go struct: Go field names, nulls for nil pointers) ---------------

const GO_RULES = ['StabilizationWindowSeconds', 'SelectPolicy', 'Policies'] as const;

function rulesToGo(rules: unknown): Obj | null {
  if (!isObj(rules)) return null;
  return {
    StabilizationWindowSeconds: rules['stabilizationWindowSeconds'] ?? null,
    SelectPolicy: rules['selectPolicy'] ?? null,
    Policies: Array.isArray(rules['policies'])
      ? objs(rules['policies']).map((p) => ({ Type: p['type'] ?? '', Value: p['value'] ?? 0, PeriodSeconds: p['periodSeconds'] ?? 0 }))
      : null,
  };
}

export function behaviorToAnnotation(behavior: Obj): string {
  return JSON.stringify({ ScaleUp: rulesToGo(behavior['scaleUp']), ScaleDown: rulesToGo(behavior['scaleDown']) });
}

/** Go's encoding/json matches field names case-insensitively; unknown fields are skipped. */
function goField(o: Obj, name: string): unknown {
  if (name in o) return o[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

class Malformed extends Error {}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function rulesFromGo(v: unknown): Obj | undefined {
  if (v === null || v === undefined) return undefined;
  if (!isObj(v)) throw new Malformed();
  const out: Obj = {};
  const window = goField(v, GO_RULES[0]);
  if (window !== null && window !== undefined) {
    if (!isInt(window)) throw new Malformed();
    out['stabilizationWindowSeconds'] = window;
  }
  const select = goField(v, GO_RULES[1]);
  if (select !== null && select !== undefined) {
    if (typeof select !== 'string') throw new Malformed();
    out['selectPolicy'] = select;
  }
  const policies = goField(v, GO_RULES[2]);
  if (policies !== null && policies !== undefined) {
    if (!Array.isArray(policies)) throw new Malformed();
    out['policies'] = policies.map((p) => {
      if (!isObj(p)) throw new Malformed();
      const type = goField(p, 'Type') ?? '';
      const value = goField(p, 'Value') ?? 0;
      const period = goField(p, 'PeriodSeconds') ?? 0;
      if (typeof type !== 'string' || !isInt(value) || !isInt(period)) throw new Malformed();
      return { type, value, periodSeconds: period };
    });
  }
  return out;
}

/** spec.behavior from the annotation; undefined when it is malformed or sets neither direction. */
export function behaviorFromAnnotation(text: string): Obj | undefined {
  try {
    const v: unknown = JSON.parse(text);
    if (!isObj(v)) return undefined;
    const up = rulesFromGo(goField(v, 'ScaleUp'));
    const down = rulesFromGo(goField(v, 'ScaleDown'));
    if (!up && !down) return undefined;
    return compact([['scaleUp', up], ['scaleDown', down]]);
  } catch {
    return undefined;
  }
}

/** A JSON array of objects from an annotation; undefined when malformed (upstream ignores it then). */
function annotationList(text: unknown): Obj[] | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (v === null) return [];
    if (!Array.isArray(v) || !v.every(isObj)) return undefined;
    return v;
  } catch {
    return undefined;
  }
}

const conditionToV1 = (c: Obj): Obj => ({
  type: c['type'] ?? '', status: c['status'] ?? '', lastTransitionTime: c['lastTransitionTime'] ?? null,
  ...compact([['reason', c['reason'] || undefined], ['message', c['message'] || undefined]]),
});

const conditionFromV1 = (c: Obj): Obj =>
  compact([
    ['type', c['type'] ?? ''], ['status', c['status'] ?? ''], ['lastTransitionTime', c['lastTransitionTime'] ?? undefined],
    ['reason', c['reason'] || undefined], ['message', c['message'] || undefined],
  ]);

// --- whole objects ------------------------------------------------------------------------------------------

/** An autoscaling/v2 HorizontalPodAutoscaler (storage) as autoscaling/v1. */
export function hpaV2ToV1(obj: KubeObject): KubeObject {
  const spec = objOr(obj['spec']);
  const metrics = objs(spec['metrics']);
  const status = isObj(obj['status']) ? obj['status'] : undefined;
  const meta = withoutRoundTrip(obj.metadata);

  // The first Resource cpu metric is v1's target (only when it is a utilization); every other metric is kept
  // in the annotation.
  const cpu = metrics.find(isCpuResource);
  const cpuTarget = cpu ? objOr(objOr(cpu['resource'])['target'])['averageUtilization'] : undefined;
  const others = metrics.filter((m) => !(isCpuResource(m) && objOr(objOr(m['resource'])['target'])['averageUtilization'] !== undefined));

  const annotations: Obj = {};
  if (others.length) annotations[METRIC_SPECS_ANNOTATION] = JSON.stringify(others.map(metricSpecToV1));
  const currentMetrics = objs(status?.['currentMetrics']);
  // All of status.currentMetrics, the cpu one too: it carries the raw value besides the utilization.
  if (currentMetrics.length) annotations[METRIC_STATUSES_ANNOTATION] = JSON.stringify(currentMetrics.map(metricStatusToV1));
  if (isObj(spec['behavior'])) annotations[BEHAVIOR_SPECS_ANNOTATION] = behaviorToAnnotation(spec['behavior']);
  const conditions = objs(status?.['conditions']);
  if (conditions.length) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(conditions.map(conditionToV1));
  if (Object.keys(annotations).length) meta['annotations'] = { ...objOr(meta['annotations']), ...annotations };

  const out: KubeObject = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: meta };
  if (obj['spec'] !== undefined) {
    out['spec'] = compact([
      ['scaleTargetRef', clone(spec['scaleTargetRef'])], ['minReplicas', spec['minReplicas']], ['maxReplicas', spec['maxReplicas'] ?? 0],
      ['targetCPUUtilizationPercentage', cpuTarget],
    ]);
  }
  if (status) {
    // The last cpu utilization in currentMetrics, as upstream's loop leaves it.
    let currentCPU: unknown;
    for (const m of currentMetrics) {
      if (!isCpuResource(m)) continue;
      const u = objOr(objOr(m['resource'])['current'])['averageUtilization'];
      if (u !== undefined) currentCPU = u;
    }
    out['status'] = compact([
      ['observedGeneration', status['observedGeneration']], ['lastScaleTime', status['lastScaleTime']],
      ['currentReplicas', status['currentReplicas'] ?? 0], ['desiredReplicas', status['desiredReplicas'] ?? 0],
      ['currentCPUUtilizationPercentage', currentCPU],
    ]);
  }
  return out;
}

/** An autoscaling/v1 HorizontalPodAutoscaler as autoscaling/v2 (storage). */
export function hpaV1ToV2(obj: KubeObject): KubeObject {
  const ann = objOr(obj.metadata?.annotations);
  const spec = isObj(obj['spec']) ? obj['spec'] : undefined;
  const v1Status = isObj(obj['status']) ? obj['status'] : undefined;

  let metrics: Obj[] = [];
  const target = spec?.['targetCPUUtilizationPercentage'];
  if (target !== undefined && target !== null) {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } });
  }
  // The annotation's metrics first, then the cpu target.
  const others = annotationList(ann[METRIC_SPECS_ANNOTATION]);
  if (others) metrics = [...others.map(metricSpecFromV1), ...metrics];
  // v1's implicit default (once applied by the controller) made explicit: here all metrics are known.
  if (metrics.length === 0) {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } });
  }
  const behavior = typeof ann[BEHAVIOR_SPECS_ANNOTATION] === 'string' ? behaviorFromAnnotation(ann[BEHAVIOR_SPECS_ANNOTATION]) : undefined;

  let currentMetrics: Obj[] | undefined;
  const cpuNow = v1Status?.['currentCPUUtilizationPercentage'];
  if (cpuNow !== undefined && cpuNow !== null) {
    currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: cpuNow } } }];
  }
  // The annotation has more than v1's one number (raw values, other metrics): it wins.
  const statuses = annotationList(ann[METRIC_STATUSES_ANNOTATION]);
  if (statuses) currentMetrics = statuses.map(metricStatusFromV1);
  const conditions = annotationList(ann[CONDITIONS_ANNOTATION])?.map(conditionFromV1);

  const out: KubeObject = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: withoutRoundTrip(obj.metadata) };
  out['spec'] = compact([
    ['scaleTargetRef', clone(spec?.['scaleTargetRef'])], ['minReplicas', spec?.['minReplicas']], ['maxReplicas', spec?.['maxReplicas']],
    ['metrics', metrics], ['behavior', behavior],
  ]);
  if (v1Status || currentMetrics?.length || conditions?.length) {
    const s = v1Status ?? {};
    out['status'] = compact([
      ['observedGeneration', s['observedGeneration']], ['lastScaleTime', s['lastScaleTime']],
      // v2's currentReplicas is omitted when zero (Go's omitempty); desiredReplicas is always written.
      ['currentReplicas', s['currentReplicas'] ? s['currentReplicas'] : undefined], ['desiredReplicas', s['desiredReplicas'] ?? 0],
      ['currentMetrics', currentMetrics?.length ? currentMetrics : undefined], ['conditions', conditions?.length ? conditions : undefined],
    ]);
  }
  return out;
}
