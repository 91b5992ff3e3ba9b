/**
 * autoscaling kinds: HorizontalPodAutoscaler stored as autoscaling/v2 and served as v2 and v1, as kube-apiserver
 * 1.32 does (v2 preferred; v1 is what `kubectl autoscale` writes). v1 is converted at the engine's boundary
 * (autoscaling-conversion.ts); strategy, validation and printing are v2's.
 */
import type { ResourceType } from '../resource.js';
import { ALL_VERBS } from './verbs.js';
import { hpaStrategy } from './strategies/misc.js';
import { hpaColumns } from './printers/misc.js';
import { dropRoundTripAnnotations, hpaV1ToV2, hpaV2ToV1 } from './autoscaling-conversion.js';

export const horizontalpodautoscalers: ResourceType = {
  group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', listKind: 'HorizontalPodAutoscalerList',
  plural: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', shortNames: ['hpa'],
  categories: ['all'], namespaced: true, verbs: ALL_VERBS, subresources: ['status'],
  strategy: {
    ...hpaStrategy,
    // Round-trip annotations are v1's wire form only: a v2 write drops them, as upstream's v2 conversion does.
    default(obj) {
      dropRoundTripAnnotations(obj);
      hpaStrategy.default?.(obj);
    },
  },
  columns: hpaColumns,
  definition: 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
};

export const horizontalpodautoscalersV1: ResourceType = {
  ...horizontalpodautoscalers,
  version: 'v1',
  definition: 'io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler',
  conversion: { storage: horizontalpodautoscalers, toStorage: hpaV1ToV2, fromStorage: hpaV2ToV1 },
};
