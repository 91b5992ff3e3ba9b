/** core/v1 kinds, with upstream's names, short names, categories, verbs and subresources. */
import type { ResourceType } from '../resource.js';
import { ALL_VERBS, NO_COLLECTION_DELETE } from './verbs.js';
import * as s from './strategies/core.js';
import { podStrategy } from './strategies/pod.js';
import { serviceStrategy } from './strategies/service.js';
import * as p from './printers/core.js';

const core = { group: '', version: 'v1' } as const;

export const namespaces: ResourceType = {
  ...core, kind: 'Namespace', listKind: 'NamespaceList', plural: 'namespaces', singular: 'namespace',
  shortNames: ['ns'], categories: [], namespaced: false, verbs: NO_COLLECTION_DELETE,
  subresources: ['status', 'finalize'], strategy: s.namespaceStrategy, columns: p.namespaceColumns,
  definition: 'io.k8s.api.core.v1.Namespace',
};

export const nodes: ResourceType = {
  ...core, kind: 'Node', listKind: 'NodeList', plural: 'nodes', singular: 'node',
  shortNames: ['no'], categories: [], namespaced: false, verbs: ALL_VERBS,
  subresources: ['status'], strategy: s.nodeStrategy, columns: p.nodeColumns,
  definition: 'io.k8s.api.core.v1.Node',
};

export const pods: ResourceType = {
  ...core, kind: 'Pod', listKind: 'PodList', plural: 'pods', singular: 'pod',
  shortNames: ['po'], categories: ['all'], namespaced: true, verbs: ALL_VERBS,
  subresources: ['status', 'binding', 'eviction', 'log', 'exec', 'attach', 'portforward', 'proxy'], strategy: podStrategy, columns: p.podColumns,
  definition: 'io.k8s.api.core.v1.Pod',
};

export const services: ResourceType = {
  ...core, kind: 'Service', listKind: 'ServiceList', plural: 'services', singular: 'service',
  shortNames: ['svc'], categories: ['all'], namespaced: true, verbs: ALL_VERBS,
  subresources: ['status', 'proxy'], strategy: serviceStrategy, columns: p.serviceColumns,
  definition: 'io.k8s.api.core.v1.Service',
};

export const endpoints: ResourceType = {
  ...core, kind: 'Endpoints', listKind: 'EndpointsList', plural: 'endpoints', singular: 'endpoints',
  shortNames: ['ep'], categories: [], namespaced: true, verbs: ALL_VERBS,
  subresources: [], strategy: s.endpointsStrategy, columns: p.endpointsColumns,
  definition: 'io.k8s.api.core.v1.Endpoints',
};

export const configmaps: ResourceType = {
  ...core, kind: 'ConfigMap', listKind: 'ConfigMapList', plural: 'configmaps', singular: 'configmap',
  shortNames: ['cm'], categories: [], namespaced: true, verbs: ALL_VERBS,
  subresources: [], strategy: s.configMapStrategy, columns: p.configMapColumns,
  definition: 'io.k8s.api.core.v1.ConfigMap',
};

export const secrets: ResourceType = {
  ...core, kind: 'Secret', listKind: 'SecretList', plural: 'secrets', singular: 'secret',
  shortNames: [], categories: [], namespaced: true, verbs: ALL_VERBS,
  subresources: [], strategy: s.secretStrategy, columns: p.secretColumns,
  definition: 'io.k8s.api.core.v1.Secret',
};

export const serviceaccounts: ResourceType = {
  ...core, kind: 'ServiceAccount', listKind: 'ServiceAccountList', plural: 'serviceaccounts',
  singular: 'serviceaccount', shortNames: ['sa'], categories: [], namespaced: true, verbs: ALL_VERBS,
  subresources: ['token'], strategy: s.serviceAccountStrategy, columns: p.serviceAccountColumns,
  definition: 'io.k8s.api.core.v1.ServiceAccount',
};

export const events: ResourceType = {
  ...core, kind: 'Event', listKind: 'EventList', plural: 'events', singular: 'event',
  shortNames: ['ev'], categories: [], namespaced: true, verbs: ALL_VERBS,
  subresources: [], strategy: s.eventStrategy, columns: p.eventColumns,
  definition: 'io.k8s.api.core.v1.Event',
};
