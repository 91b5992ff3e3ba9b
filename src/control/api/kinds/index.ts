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
import { horizontalpodautoscalers, horizontalpodautoscalersV1 } from './autoscaling.js';
import { poddisruptionbudgets } from './policy.js';
import { nodemetrics, podmetrics } from './metrics.js';
import { replicationcontrollers } from './replicationcontrollers.js';
import { customresourcedefinitions } from '../crd/kind.js';
import { roles, rolebindings, clusterroles, clusterrolebindings } from './rbac.js';
import { certificatesigningrequests } from './certificates.js';
import {
  mutatingwebhookconfigurations, validatingwebhookconfigurations, validatingadmissionpolicies, validatingadmissionpolicybindings,
} from './admissionregistration.js';
import { apiservices } from './apiregistration.js';
import { limitranges, resourcequotas } from './quota.js';
import { podtemplates } from './podtemplates.js';
import { persistentvolumes, persistentvolumeclaims } from './volumes.js';
import { eventsV1 } from './events.js';
import { storageclasses, csidrivers, csinodes, volumeattachments } from './storage.js';
import { networkpolicies, ingresses, ingressclasses } from './networking.js';
import { priorityclasses } from './scheduling.js';
import { runtimeclasses } from './node.js';
import { flowschemas, prioritylevelconfigurations } from './flowcontrol.js';
import { bindings } from './bindings.js';
import { componentstatuses } from './componentstatuses.js';
import { csistoragecapacities } from './storage-capacity.js';

export const resources: ResourceType[] = [
  namespaces, nodes, pods, services, endpoints, configmaps, secrets, serviceaccounts, events, replicationcontrollers,
  deployments, replicasets, statefulsets, daemonsets, controllerrevisions,
  jobs, cronjobs,
  endpointslices, leases, horizontalpodautoscalers,
  poddisruptionbudgets,
  customresourcedefinitions,
  roles, rolebindings, clusterroles, clusterrolebindings, certificatesigningrequests,
  mutatingwebhookconfigurations, validatingwebhookconfigurations, validatingadmissionpolicies, validatingadmissionpolicybindings,
  apiservices,
  limitranges, resourcequotas, podtemplates, persistentvolumes, persistentvolumeclaims,
  storageclasses, csidrivers, csinodes, volumeattachments, networkpolicies, ingresses, ingressclasses,
  priorityclasses, runtimeclasses,
  flowschemas, prioritylevelconfigurations,
  // core/v1 bindings (they write pods/binding) and componentstatuses (probed on request) are never stored.
  bindings, componentstatuses, csistoragecapacities,
];

/**
 * Further versions of stored kinds, served beside their storage version and converted at the engine's boundary
 * (ResourceType.conversion). Listed after `resources`, so each group's storage version stays its preferred one.
 */
export const otherVersions: ResourceType[] = [horizontalpodautoscalersV1, eventsV1];

/** Every stored kind in every served version. */
export const builtinResources: ResourceType[] = [...resources, ...otherVersions];

/** metrics.k8s.io: computed from node agents' usage, never stored (upstream serves it through metrics-server). */
export const metricsResources: ResourceType[] = [nodemetrics, podmetrics];

/** What `buildServer` serves by default: the built-in kinds, then metrics.k8s.io (an aggregated group upstream, listed last). */
export const servedResources: ResourceType[] = [...builtinResources, ...metricsResources];

export {
  nodemetrics, podmetrics,
  namespaces, nodes, pods, services, endpoints, configmaps, secrets, serviceaccounts, events,
  deployments, replicasets, statefulsets, daemonsets, controllerrevisions, jobs, cronjobs, endpointslices, leases,
  horizontalpodautoscalers, horizontalpodautoscalersV1, replicationcontrollers,
  poddisruptionbudgets, customresourcedefinitions,
};
