/**
 * Where a resource lives in the REST API: group, version, plural and scope. Paths follow kube-apiserver:
 * `/api/v1/...` for the core group, `/apis/<group>/<version>/...` for the others.
 */
export interface ResourceRef {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

const coreRef = (plural: string, namespaced: boolean): ResourceRef => ({ group: '', version: 'v1', plural, namespaced });

export const Pods = coreRef('pods', true);
export const Nodes = coreRef('nodes', false);
export const Namespaces = coreRef('namespaces', false);
export const Services = coreRef('services', true);
export const Endpoints = coreRef('endpoints', true);
export const ConfigMaps = coreRef('configmaps', true);
export const Secrets = coreRef('secrets', true);
export const Events = coreRef('events', true);
export const ServiceAccounts = coreRef('serviceaccounts', true);
export const ReplicationControllers = coreRef('replicationcontrollers', true);
export const PersistentVolumes = coreRef('persistentvolumes', false);
export const PersistentVolumeClaims = coreRef('persistentvolumeclaims', true);
export const ResourceQuotas = coreRef('resourcequotas', true);
export const LimitRanges = coreRef('limitranges', true);
export const StorageClasses: ResourceRef = { group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses', namespaced: false };
export const EndpointSlices: ResourceRef = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true };
export const Leases: ResourceRef = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true };
export const Deployments: ResourceRef = { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true };
export const ReplicaSets: ResourceRef = { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true };
export const StatefulSets: ResourceRef = { group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true };
export const DaemonSets: ResourceRef = { group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true };
export const ControllerRevisions: ResourceRef = { group: 'apps', version: 'v1', plural: 'controllerrevisions', namespaced: true };
export const Jobs: ResourceRef = { group: 'batch', version: 'v1', plural: 'jobs', namespaced: true };
export const CronJobs: ResourceRef = { group: 'batch', version: 'v1', plural: 'cronjobs', namespaced: true };
export const HorizontalPodAutoscalers: ResourceRef = { group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', namespaced: true };
export const PodDisruptionBudgets: ResourceRef = { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', namespaced: true };
export const CustomResourceDefinitions: ResourceRef = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', namespaced: false };
export const ClusterRoles: ResourceRef = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', namespaced: false };
export const CertificateSigningRequests: ResourceRef = { group: 'certificates.k8s.io', version: 'v1', plural: 'certificatesigningrequests', namespaced: false };

/** Characters a name or namespace may not contain in a path segment (names are DNS-ish, but never trust input). */
const seg = (s: string): string => encodeURIComponent(s);

/**
 * The path of a collection (no name), an object, or an object's subresource. A namespaced resource without a
 * namespace addresses the all-namespaces collection (list/watch only).
 */
export function resourcePath(ref: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  const base = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  let p = base;
  if (ref.namespaced && namespace) p += `/namespaces/${seg(namespace)}`;
  else if (ref.namespaced && name) throw new Error(`${ref.plural} is namespaced: a namespace is required to address ${name}`);
  p += `/${ref.plural}`;
  if (name !== undefined) {
    if (name === '') throw new Error(`empty name for ${ref.plural}`);
    p += `/${seg(name)}`;
    if (subresource) p += `/${seg(subresource)}`;
  } else if (subresource) {
    throw new Error(`subresource ${subresource} needs an object name`);
  }
  return p;
}

export const apiVersionOf = (ref: ResourceRef): string => (ref.group === '' ? ref.version : `${ref.group}/${ref.version}`);
