/**
 * The autoscaling/v2 shapes the HorizontalPodAutoscaler controller reads and writes, and the autoscaling/v1
 * Scale of its target. Only the fields the controller uses are typed; the rest passes through.
 */
import type { KubeObject } from '../../../client/types.js';

export interface MetricTarget {
  type: 'Utilization' | 'Value' | 'AverageValue' | string;
  averageUtilization?: number;
  averageValue?: string | number;
  value?: string | number;
}

export interface ResourceMetricSource {
  name: string;
  target: MetricTarget;
}

export interface ContainerResourceMetricSource extends ResourceMetricSource {
  container: string;
}

export interface MetricSpec {
  type: 'Resource' | 'ContainerResource' | 'Pods' | 'Object' | 'External' | string;
  resource?: ResourceMetricSource;
  containerResource?: ContainerResourceMetricSource;
  [source: string]: unknown;
}

export interface MetricValueStatus {
  averageUtilization?: number;
  averageValue?: string;
  value?: string;
}

/** One entry of status.currentMetrics; `{type: ''}` for a metric that could not be read (upstream's zero value). */
export interface MetricStatus {
  type: string;
  resource?: { name: string; current: MetricValueStatus };
  containerResource?: { name: string; container: string; current: MetricValueStatus };
}

export interface ScalingPolicy {
  type: 'Pods' | 'Percent' | string;
  value: number;
  periodSeconds: number;
}

export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled' | string;
  policies?: ScalingPolicy[];
}

export interface Behavior {
  scaleUp?: ScalingRules;
  scaleDown?: ScalingRules;
}

export interface HPACondition {
  type: 'AbleToScale' | 'ScalingActive' | 'ScalingLimited' | string;
  status: 'True' | 'False' | 'Unknown' | string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface HPASpec {
  scaleTargetRef: { apiVersion?: string; kind: string; name: string };
  minReplicas?: number;
  maxReplicas: number;
  metrics?: MetricSpec[];
  behavior?: Behavior;
}

export interface HPAStatus {
  observedGeneration?: number;
  lastScaleTime?: string;
  currentReplicas: number;
  desiredReplicas: number;
  currentMetrics?: MetricStatus[];
  conditions?: HPACondition[];
}

export interface HorizontalPodAutoscaler extends KubeObject {
  spec?: HPASpec;
  status?: HPAStatus;
}

/** autoscaling/v1 Scale, as the scale subresource serves it. */
export interface Scale extends KubeObject {
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

/** One pod's usage sample (milli-units: millicores, or milli-bytes as upstream's MilliValue). */
export interface PodMetric {
  timestampMs: number;
  windowMs: number;
  value: number;
}

/** Pod name → usage, as upstream's PodMetricsInfo. */
export type PodMetricsInfo = Map<string, PodMetric>;
