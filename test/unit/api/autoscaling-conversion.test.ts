import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/control/api/resource.js';
import {
  BEHAVIOR_SPECS_ANNOTATION, CONDITIONS_ANNOTATION, METRIC_SPECS_ANNOTATION, METRIC_STATUSES_ANNOTATION, hpaV1ToV2, hpaV2ToV1,
} from '../../../src/control/api/kinds/autoscaling-conversion.js';

const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
const cpu = (u: number) => ({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: u } } });
const v1 = (spec: Record<string, unknown>, annotations?: Record<string, string>): KubeObject => ({
  apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'default', ...(annotations ? { annotations } : {}) },
  spec: { scaleTargetRef: ref, maxReplicas: 5, ...spec },
});
const v2 = (spec: Record<string, unknown>, status?: Record<string, unknown>, annotations?: Record<string, string>): KubeObject => ({
  apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'default', ...(annotations ? { annotations } : {}) },
  spec: { scaleTargetRef: ref, minReplicas: 1, maxReplicas: 5, ...spec },
  ...(status ? { status } : {}),
});

/** Every v2 metric source, in the shapes the v1 annotation can carry without loss. */
const richMetrics = [
  { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
  { type: 'ContainerResource', containerResource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 }, container: 'app' } },
  { type: 'Pods', pods: { metric: { name: 'qps', selector: { matchLabels: { a: 'b' } } }, target: { type: 'AverageValue', averageValue: '10' } } },
  {
    type: 'Object',
    object: {
      describedObject: { kind: 'Service', name: 'front', apiVersion: 'v1' },
      target: { type: 'Value', value: '2k' },
      metric: { name: 'requests' },
    },
  },
  { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'AverageValue', averageValue: '30' } } },
  cpu(50),
];

describe('autoscaling/v1 → v2', () => {
  it('maps targetCPUUtilizationPercentage to a cpu Utilization metric', () => {
    const out = hpaV1ToV2(v1({ minReplicas: 2, targetCPUUtilizationPercentage: 50 }));
    expect(out).toEqual({
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'default' },
      spec: { scaleTargetRef: ref, minReplicas: 2, maxReplicas: 5, metrics: [cpu(50)] },
    });
  });

  it('makes the implicit 80% cpu target explicit when no metric is given at all', () => {
    expect((hpaV1ToV2(v1({})).spec as Record<string, unknown>)['metrics']).toEqual([cpu(80)]);
  });

  it('puts the annotation metrics first, then the cpu target, and drops the annotation', () => {
    const ann = JSON.stringify([{ type: 'Resource', resource: { name: 'memory', targetAverageValue: '1Gi' } }]);
    const out = hpaV1ToV2(v1({ targetCPUUtilizationPercentage: 40 }, { [METRIC_SPECS_ANNOTATION]: ann, keep: 'me' }));
    expect((out.spec as Record<string, unknown>)['metrics']).toEqual([
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '1Gi' } } }, cpu(40),
    ]);
    expect(out.metadata?.annotations).toEqual({ keep: 'me' });
  });

  it('reads behavior in upstream Go field names, case-insensitively as encoding/json does', () => {
    const ann = JSON.stringify({ scaleup: { selectPolicy: 'Max', Policies: [{ Type: 'Percent', value: 100, PeriodSeconds: 15 }] }, ScaleDown: null });
    const out = hpaV1ToV2(v1({}, { [BEHAVIOR_SPECS_ANNOTATION]: ann }));
    expect((out.spec as Record<string, unknown>)['behavior']).toEqual({ scaleUp: { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } });
    expect(out.metadata?.annotations).toBeUndefined();
  });

  it('ignores malformed round-trip annotations but still drops them (upstream #89963)', () => {
    const out = hpaV1ToV2(v1({ targetCPUUtilizationPercentage: 10 }, {
      [METRIC_SPECS_ANNOTATION]: '{not json', [BEHAVIOR_SPECS_ANNOTATION]: '{"ScaleUp":{"StabilizationWindowSeconds":"soon"}}',
      [CONDITIONS_ANNOTATION]: '', [METRIC_STATUSES_ANNOTATION]: '{}',
    }));
    expect(out.spec).toEqual({ scaleTargetRef: ref, maxReplicas: 5, metrics: [cpu(10)] });
    expect(out['status']).toBeUndefined();
    expect(out.metadata?.annotations).toBeUndefined();
  });

  it('maps status: current cpu utilization, replaced by the richer annotation, and conditions', () => {
    const base = { ...v1({}), status: { currentReplicas: 0, desiredReplicas: 2, currentCPUUtilizationPercentage: 33 } };
    expect(hpaV1ToV2(base)['status']).toEqual({
      desiredReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 33 } } }],
    });
    const annotated = {
      ...base,
      metadata: {
        name: 'web',
        annotations: {
          [METRIC_STATUSES_ANNOTATION]: JSON.stringify([{ type: 'Resource', resource: { name: 'cpu', currentAverageUtilization: 33, currentAverageValue: '150m' } }]),
          [CONDITIONS_ANNOTATION]: JSON.stringify([{ type: 'ScalingActive', status: 'False', lastTransitionTime: null, reason: 'FailedGetResourceMetric' }]),
        },
      },
    };
    expect(hpaV1ToV2(annotated)['status']).toEqual({
      desiredReplicas: 2,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '150m', averageUtilization: 33 } } }],
      conditions: [{ type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric' }],
    });
  });
});

describe('autoscaling/v2 → v1', () => {
  it('shows the cpu utilization target and nothing else for a cpu-only HPA', () => {
    const out = hpaV2ToV1(v2({ metrics: [cpu(50)] }, { desiredReplicas: 0 }));
    expect(out).toEqual({
      apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'default' },
      spec: { scaleTargetRef: ref, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 },
      status: { currentReplicas: 0, desiredReplicas: 0 },
    });
  });

  it('keeps every other metric in v1 form in the metrics annotation', () => {
    const out = hpaV2ToV1(v2({ metrics: richMetrics }));
    expect((out.spec as Record<string, unknown>)['targetCPUUtilizationPercentage']).toBe(50);
    expect(JSON.parse(out.metadata!.annotations![METRIC_SPECS_ANNOTATION]!)).toEqual([
      { type: 'Resource', resource: { name: 'memory', targetAverageValue: '500Mi' } },
      { type: 'ContainerResource', containerResource: { name: 'cpu', targetAverageUtilization: 70, container: 'app' } },
      { type: 'Pods', pods: { metricName: 'qps', targetAverageValue: '10', selector: { matchLabels: { a: 'b' } } } },
      { type: 'Object', object: { target: { kind: 'Service', name: 'front', apiVersion: 'v1' }, metricName: 'requests', targetValue: '2k' } },
      { type: 'External', external: { metricName: 'queue', targetAverageValue: '30' } },
    ]);
  });

  it('a cpu metric that is not a utilization has no v1 field: no target, kept in the annotation', () => {
    const avg = { type: 'Resource', resource: { name: 'cpu', target: { type: 'AverageValue', averageValue: '200m' } } };
    const out = hpaV2ToV1(v2({ metrics: [avg] }));
    expect(out.spec).not.toHaveProperty('targetCPUUtilizationPercentage');
    expect(JSON.parse(out.metadata!.annotations![METRIC_SPECS_ANNOTATION]!)).toEqual([{ type: 'Resource', resource: { name: 'cpu', targetAverageValue: '200m' } }]);
    expect((hpaV1ToV2(out).spec as Record<string, unknown>)['metrics']).toEqual([avg]);
  });

  it('writes behavior with upstream Go field names and nulls', () => {
    const behavior = { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }] } };
    const out = hpaV2ToV1(v2({ metrics: [cpu(50)], behavior }));
    expect(out.metadata!.annotations![BEHAVIOR_SPECS_ANNOTATION]).toBe(
      '{"ScaleUp":{"StabilizationWindowSeconds":0,"SelectPolicy":"Max","Policies":[{"Type":"Pods","Value":4,"PeriodSeconds":15}]},"ScaleDown":null}',
    );
  });

  it('maps status: the last cpu utilization, every current metric and the conditions into annotations', () => {
    const status = {
      observedGeneration: 3, lastScaleTime: '2024-01-01T00:00:00Z', currentReplicas: 2, desiredReplicas: 3,
      currentMetrics: [
        { type: 'Resource', resource: { name: 'cpu', current: { averageValue: '100m', averageUtilization: 20 } } },
        { type: 'Pods', pods: { metric: { name: 'qps' }, current: { averageValue: '7' } } },
      ],
      conditions: [{ type: 'AbleToScale', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z', reason: 'ReadyForNewScale', message: 'ok' }],
    };
    const out = hpaV2ToV1(v2({ metrics: [cpu(50)] }, status));
    expect(out['status']).toEqual({
      observedGeneration: 3, lastScaleTime: '2024-01-01T00:00:00Z', currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 20,
    });
    expect(JSON.parse(out.metadata!.annotations![METRIC_STATUSES_ANNOTATION]!)).toEqual([
      { type: 'Resource', resource: { name: 'cpu', currentAverageUtilization: 20, currentAverageValue: '100m' } },
      { type: 'Pods', pods: { metricName: 'qps', currentAverageValue: '7' } },
    ]);
    expect(JSON.parse(out.metadata!.annotations![CONDITIONS_ANNOTATION]!)).toEqual(status.conditions);
    // And back: the same status.
    expect(hpaV1ToV2(out)['status']).toEqual(status);
  });

  it('replaces round-trip annotations already on the object with its own', () => {
    const stale = { [METRIC_SPECS_ANNOTATION]: '[{"type":"Pods"}]', [CONDITIONS_ANNOTATION]: '[]', other: 'x' };
    const out = hpaV2ToV1(v2({ metrics: [cpu(50)] }, undefined, stale));
    expect(out.metadata?.annotations).toEqual({ other: 'x' });
  });

  it('round-trips a v2 object with every metric kind, behavior and status through v1 unchanged', () => {
    const obj = v2(
      { metrics: richMetrics, behavior: { scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Min', policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] } } },
      {
        currentReplicas: 4, desiredReplicas: 4,
        currentMetrics: [{ type: 'External', external: { metric: { name: 'queue' }, current: { value: '0', averageValue: '12' } } }],
      },
      { team: 'a' },
    );
    const before = structuredClone(obj);
    const there = hpaV2ToV1(obj);
    const back = hpaV1ToV2(there);
    expect(obj).toEqual(before);
    // v1's annotation lists the others first and the cpu target last, the order it is rebuilt in.
    expect(back).toEqual(obj);
  });
});
