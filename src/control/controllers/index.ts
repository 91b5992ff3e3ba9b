/**
 * Every controller the manager knows, by upstream's name. One line per controller: its file exports a
 * ControllerDescriptor.
 */
import type { ControllerDescriptor } from './controller.js';
import { statefulSetController } from './statefulset/controller.js';
import { podGCController } from './podgc.js';
import { daemonSetController } from './daemonset/controller.js';
import { ttlAfterFinishedController } from './ttl-after-finished.js';
import { cronJobDescriptor } from './cronjob/controller.js';
import { deploymentController } from './deployment/controller.js';
import { jobDescriptor } from './job/controller.js';
import { horizontalPodAutoscalerController } from './hpa/controller.js';
import { disruptionController } from './disruption.js';
import { endpointSliceControllerDescriptor } from './endpointslice/controller.js';
import { endpointSliceMirroringControllerDescriptor } from './endpointslice-mirroring.js';
import { endpointsControllerDescriptor } from './endpoints.js';
import { nodeIpamController } from './node-ipam.js';
import { nodeLifecycleController } from './node-lifecycle/controller.js';
import { replicaSetController } from './replicaset.js';
import { replicationControllerController } from './replication-controller.js';
import { taintEvictionController } from './node-lifecycle/taint-eviction.js';
import { serviceAccountController } from './serviceaccount.js';
import { rootCACertPublisherController } from './root-ca-publisher.js';
import { garbageCollectorController } from './garbage-collector/controller.js';
import { clusterRoleAggregationController } from './clusterrole-aggregation.js';
import { persistentVolumeBinderController } from './persistentvolume/controller.js';
import { localPathProvisionerController } from './persistentvolume/local-path.js';
import { pvcProtectionController, pvProtectionController } from './persistentvolume/protection.js';
import { ephemeralVolumeController } from './persistentvolume/ephemeral.js';
import { resourceQuotaController } from './resource-quota.js';
import { csrSigningController } from './csr-signing.js';
import { csrApprovingController } from './csr-approving.js';
import { tokenCleanerController } from './token-cleaner.js';

export const CONTROLLERS: ControllerDescriptor[] = [
  statefulSetController,
  podGCController,
  daemonSetController,
  deploymentController,
  endpointSliceControllerDescriptor,
  endpointSliceMirroringControllerDescriptor,
  endpointsControllerDescriptor,
  nodeIpamController,
  nodeLifecycleController,
  replicaSetController,
  replicationControllerController,
  taintEvictionController,
  jobDescriptor,
  horizontalPodAutoscalerController,
  disruptionController,
  serviceAccountController,
  rootCACertPublisherController,
  garbageCollectorController,
  cronJobDescriptor,
  ttlAfterFinishedController,
  clusterRoleAggregationController,
  persistentVolumeBinderController,
  localPathProvisionerController,
  pvcProtectionController,
  pvProtectionController,
  ephemeralVolumeController,
  resourceQuotaController,
  csrSigningController,
  csrApprovingController,
  tokenCleanerController,
];
