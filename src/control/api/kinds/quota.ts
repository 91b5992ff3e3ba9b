/** core/v1 LimitRange and ResourceQuota: per-namespace defaults and limits, and aggregate quota. */
import type { ResourceType } from '../resource.js';
import { ALL_VERBS } from './verbs.js';
import { limitRangeStrategy, resourceQuotaStrategy } from './strategies/quota.js';
import { limitRangeColumns, resourceQuotaColumns } from './printers/quota.js';

const core = { group: '', version: 'v1' } as const;

export const limitranges: ResourceType = {
  ...core, kind: 'LimitRange', listKind: 'LimitRangeList', plural: 'limitranges', singular: 'limitrange',
  shortNames: ['limits'], categories: [], namespaced: true, verbs: ALL_VERBS,
  subresources: [], strategy: limitRangeStrategy, columns: limitRangeColumns,
  definition: 'io.k8s.api.core.v1.LimitRange',
};

export const resourcequotas: ResourceType = {
  ...core, kind: 'ResourceQuota', listKind: 'ResourceQuotaList', plural: 'resourcequotas', singular: 'resourcequota',
  shortNames: ['quota'], categories: [], namespaced: true, verbs: ALL_VERBS,
  subresources: ['status'], strategy: resourceQuotaStrategy, columns: resourceQuotaColumns,
  definition: 'io.k8s.api.core.v1.ResourceQuota',
};
