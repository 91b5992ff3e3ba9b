/**
 * The ReplicationController controller: upstream runs RCs through the ReplicaSet controller's code with an
 * adapter (pkg/controller/replication), so both kinds behave the same. Here the adapter is a kind descriptor:
 * the fields the sync reads (replicas, minReadySeconds, template, status) have the same names in both kinds;
 * only the selector (a plain label map), the resource, the owner reference and the event source differ.
 */
import { ReplicationControllers } from '../../client/resources.js';
import type { ControllerDescriptor } from './controller.js';
import { ReplicaSetController, type ReplicaSetKind } from './replicaset.js';
import { selectorFromSet } from './shared/selector.js';

export const replicationControllerKind: ReplicaSetKind = {
  name: 'replicationcontroller',
  component: 'replication-controller',
  queueName: 'replicationmanager',
  resource: ReplicationControllers,
  gvk: { apiVersion: 'v1', kind: 'ReplicationController' },
  // spec.selector is a label map, defaulted from the template's labels by the API server.
  selectorOf: (rc) => selectorFromSet(rc.spec?.selector as Record<string, string> | undefined),
};

export const replicationControllerController: ControllerDescriptor = {
  name: 'replicationcontroller',
  enabledByDefault: true,
  create: (ctx) => new ReplicaSetController(ctx, replicationControllerKind),
};
