/** autoscaling/v2 kinds. */
import type { ResourceType } from '../resource.js';
import { ALL_VERBS } from './verbs.js';
import { hpaStrategy } from './strategies/misc.js';
import { hpaColumns } from './printers/misc.js';

export const horizontalpodautoscalers: ResourceType = {
  group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', listKind: 'HorizontalPodAutoscalerList',
  plural: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', shortNames: ['hpa'],
  categories: ['all'], namespaced: true, verbs: ALL_VERBS, subresources: ['status'],
  strategy: hpaStrategy, columns: hpaColumns,
  definition: 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
};
