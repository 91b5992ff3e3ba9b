/** The Job controller's view of its objects: upstream's API types as plain JSON the client caches. */
import type { Job as K8sJob, JobCondition } from 'kubernetes-types/batch/v1.js';
import type { Pod as K8sPod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../../client/types.js';

export type Job = K8sJob & KubeObject;
export type Pod = K8sPod & KubeObject;
export type { JobCondition };

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
export const INDEX_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-failure-count';
export const INDEX_IGNORED_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-ignored-failure-count';
export const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';
