/**
 * The Deployment controller (kube-controller-manager's `deployment`): informer handlers map Deployment,
 * ReplicaSet and Pod events to Deployment keys; workers run DeploymentSyncer.sync(key).
 */
import { Deployments, Pods, ReplicaSets } from '../../../client/resources.js';
import type { KubeObject } from '../../../client/types.js';
import type { ControllerContext } from '../context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from '../controller.js';
import { addControllerUIDIndex } from '../shared/controller-ref.js';
import { controllerOf } from '../shared/pod-util.js';
import { labelSelectorMatches } from '../shared/selector.js';
import { COMPONENT, DeploymentSyncer } from './sync.js';
import type { Deployment, ReplicaSet } from './types.js';

export function createDeploymentController(ctx: ControllerContext): Controller {
  const dInformer = ctx.informers.forResource<Deployment>(Deployments);
  const rsInformer = ctx.informers.forResource<ReplicaSet>(ReplicaSets);
  const podInformer = ctx.informers.forResource<KubeObject>(Pods);
  addControllerUIDIndex(rsInformer);
  addControllerUIDIndex(podInformer);
  const queue = ctx.queue('deployment');

  const keyOf = (o: KubeObject): string => `${o.metadata?.namespace}/${o.metadata?.name}`;
  const enqueue = (d: KubeObject): void => queue.add(keyOf(d));

  /** The deployment a controller reference names, if it is still that object (resolveControllerRef). */
  const owner = (namespace: string | undefined, ref: ReturnType<typeof controllerOf>): Deployment | undefined => {
    if (!ref || ref.kind !== 'Deployment' || !ref.apiVersion.startsWith('apps/')) return undefined;
    const d = dInformer.lister.get(namespace, ref.name);
    return d && d.metadata.uid === ref.uid ? d : undefined;
  };
  /** getDeploymentsForReplicaSet: deployments in the namespace whose selector takes this orphan. */
  const matching = (rs: ReplicaSet): Deployment[] =>
    dInformer.lister.list(rs.metadata.namespace).filter((d) => d.spec?.selector && labelSelectorMatches(d.spec.selector, rs.metadata.labels));

  dInformer.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });

  rsInformer.addEventHandler({
    onAdd: (rs) => {
      const ref = controllerOf(rs);
      if (ref) {
        const d = owner(rs.metadata.namespace, ref);
        if (d) enqueue(d);
        return;
      }
      for (const d of matching(rs)) enqueue(d);
    },
    onUpdate: (old, rs) => {
      if (old.metadata.resourceVersion === rs.metadata.resourceVersion) return;
      const oldRef = controllerOf(old);
      const ref = controllerOf(rs);
      if (oldRef && oldRef.uid !== ref?.uid) {
        const d = owner(old.metadata.namespace, oldRef);
        if (d) enqueue(d);
      }
      if (ref) {
        const d = owner(rs.metadata.namespace, ref);
        if (d) enqueue(d);
        return;
      }
      const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(rs.metadata.labels ?? {});
      if (labelsChanged || oldRef) for (const d of matching(rs)) enqueue(d);
    },
    onDelete: (rs) => {
      const d = owner(rs.metadata.namespace, controllerOf(rs));
      if (d) enqueue(d);
    },
  });

  // Recreate waits for old pods to be gone: their deletions matter.
  podInformer.addEventHandler({
    onDelete: (pod) => {
      const ref = controllerOf(pod);
      if (!ref || ref.kind !== 'ReplicaSet') return;
      const rs = rsInformer.lister.get(pod.metadata?.namespace, ref.name);
      if (!rs || rs.metadata.uid !== ref.uid) return;
      const d = owner(rs.metadata.namespace, controllerOf(rs));
      if (d && d.spec?.strategy?.type === 'Recreate') enqueue(d);
    },
  });

  const syncer = new DeploymentSyncer({
    client: ctx.client,
    clock: ctx.clock,
    deployments: dInformer.lister,
    replicaSets: rsInformer.indexer,
    pods: podInformer.indexer,
    event: (obj, type, reason, message) => ctx.event(COMPONENT, obj, type, reason, message),
    requeueAfter: (key, ms) => (ms <= 0 ? queue.addRateLimited(key) : queue.addAfter(key, ms)),
  });

  return {
    name: 'deployment',
    run: (signal) => runWorkers(ctx, 'deployment', queue, [dInformer, rsInformer, podInformer], (key) => syncer.sync(key), signal),
  };
}

export const deploymentController: ControllerDescriptor = {
  name: 'deployment',
  enabledByDefault: true,
  create: createDeploymentController,
};
