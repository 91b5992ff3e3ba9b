/**
 * Every kind the API server serves. The registry, discovery, OpenAPI and Table printing are derived from this
 * list; adding a kind is one entry here plus its strategy and columns.
 */
import type { ResourceType } from '../resource.js';
import { namespaces, nodes, pods, services, endpoints, configmaps, secrets, serviceaccounts, events } from './core.js';
import { deployments, replicasets, statefulsets, daemonsets, controllerrevisions } from './apps.js';
import { jobs, cronjobs } from './batch.js';
import { endpointslices } from './discovery.js';
import { leases } from './coordination.js';
import { horizontalpodautoscalers } from './autoscaling.js';
import { poddisruptionbudgets } from './policy.js';
import { nodemetrics, podmetrics } from './metrics.js';
import { replicationcontrollers } from './replicationcontrollers.js';

export const resources: ResourceType[] = [
  namespaces, nodes, pods, services, endpoints, configmaps, secrets, serviceaccounts, events, replicationcontrollers,
  deployments, replicasets, statefulsets, daemonsets, controllerrevisions,
  jobs, cronjobs,
  endpointslices, leases, horizontalpodautoscalers,
  poddisruptionbudgets,
];

/** metrics.k8s.io: computed from node agents' usage, never stored (upstream serves it through metrics-server). */
export const metricsResources: ResourceType[] = [nodemetrics, podmetrics];

/** What `buildServer` serves by default: the built-in kinds, then metrics.k8s.io (an aggregated group upstream, listed last). */
export const servedResources: ResourceType[] = [...resources, ...metricsResources];

export {
  nodemetrics, podmetrics,
  namespaces, nodes, pods, services, endpoints, configmaps, secrets, serviceaccounts, events,
  deployments, replicasets, statefulsets, daemonsets, controllerrevisions, jobs, cronjobs, endpointslices, leases,
  horizontalpodautoscalers, replicationcontrollers,
  poddisruptionbudgets,
};
