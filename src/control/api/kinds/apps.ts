/** apps/v1 workload kinds. */
import type { ResourceType, ScaleMapping } from '../resource.js';
import { ALL_VERBS } from './verbs.js';
import * as s from './strategies/workloads.js';
import * as p from './printers/apps.js';

const apps = { group: 'apps', version: 'v1' } as const;

/**
 * The scale subresource reads spec.replicas/status.replicas; the selector is a LabelSelector object that the
 * scale handler renders as a selector string (upstream's autoscaling/v1 Scale status.selector).
 */
const replicaScale: ScaleMapping = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  labelSelectorPath: '.spec.selector',
};

export const deployments: ResourceType = {
  ...apps, kind: 'Deployment', listKind: 'DeploymentList', plural: 'deployments', singular: 'deployment',
  shortNames: ['deploy'], categories: ['all'], namespaced: true, verbs: ALL_VERBS,
  subresources: ['status', 'scale'], scale: replicaScale, strategy: s.deploymentStrategy,
  columns: p.deploymentColumns, definition: 'io.k8s.api.apps.v1.Deployment',
};

export const replicasets: ResourceType = {
  ...apps, kind: 'ReplicaSet', listKind: 'ReplicaSetList', plural: 'replicasets', singular: 'replicaset',
  shortNames: ['rs'], categories: ['all'], namespaced: true, verbs: ALL_VERBS,
  subresources: ['status', 'scale'], scale: replicaScale, strategy: s.replicaSetStrategy,
  columns: p.replicaSetColumns, definition: 'io.k8s.api.apps.v1.ReplicaSet',
};

export const statefulsets: ResourceType = {
  ...apps, kind: 'StatefulSet', listKind: 'StatefulSetList', plural: 'statefulsets', singular: 'statefulset',
  shortNames: ['sts'], categories: ['all'], namespaced: true, verbs: ALL_VERBS,
  subresources: ['status', 'scale'], scale: replicaScale, strategy: s.statefulSetStrategy,
  columns: p.statefulSetColumns, definition: 'io.k8s.api.apps.v1.StatefulSet',
};

export const daemonsets: ResourceType = {
  ...apps, kind: 'DaemonSet', listKind: 'DaemonSetList', plural: 'daemonsets', singular: 'daemonset',
  shortNames: ['ds'], categories: ['all'], namespaced: true, verbs: ALL_VERBS,
  subresources: ['status'], strategy: s.daemonSetStrategy,
  columns: p.daemonSetColumns, definition: 'io.k8s.api.apps.v1.DaemonSet',
};

export const controllerrevisions: ResourceType = {
  ...apps, kind: 'ControllerRevision', listKind: 'ControllerRevisionList', plural: 'controllerrevisions', singular: 'controllerrevision',
  shortNames: [], categories: [], namespaced: true, verbs: ALL_VERBS,
  subresources: [], strategy: s.controllerRevisionStrategy,
  columns: p.controllerRevisionColumns, definition: 'io.k8s.api.apps.v1.ControllerRevision',
};
