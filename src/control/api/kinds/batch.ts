/** batch/v1 kinds. */
import type { ResourceType } from '../resource.js';
import { ALL_VERBS } from './verbs.js';
import * as s from './strategies/batch.js';
import * as p from './printers/batch.js';

const batch = { group: 'batch', version: 'v1' } as const;

export const jobs: ResourceType = {
  ...batch, kind: 'Job', listKind: 'JobList', plural: 'jobs', singular: 'job',
  shortNames: [], categories: ['all'], namespaced: true, verbs: ALL_VERBS,
  subresources: ['status'], strategy: s.jobStrategy, columns: p.jobColumns,
  definition: 'io.k8s.api.batch.v1.Job',
};

export const cronjobs: ResourceType = {
  ...batch, kind: 'CronJob', listKind: 'CronJobList', plural: 'cronjobs', singular: 'cronjob',
  shortNames: ['cj'], categories: ['all'], namespaced: true, verbs: ALL_VERBS,
  subresources: ['status'], strategy: s.cronJobStrategy, columns: p.cronJobColumns,
  definition: 'io.k8s.api.batch.v1.CronJob',
};
