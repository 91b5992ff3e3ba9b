/**
 * The taint eviction controller (split out of node lifecycle in 1.29): a pod on a node with NoExecute taints it
 * does not tolerate is deleted at once; one that tolerates them for tolerationSeconds is deleted when that runs
 * out (counted from when the taint was added). Before deleting, the pod gets the DisruptionTarget condition, as
 * upstream's.
 */
import { Nodes, Pods } from '../../../client/resources.js';
import { rfc3339 } from '../../../client/time.js';
import { isNotFound } from '../../../client/rest.js';
import { jsonEqual } from '../../../client/share-parts.js';
import { objectKey, splitKey, type KubeObject } from '../../../client/types.js';
import type { ControllerContext } from '../context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from '../controller.js';
import { NODE_NAME_INDEX, podNodeName } from './controller.js';
import { evictionTime, type Taint, type Toleration } from './taints.js';

const COMPONENT = 'taint-eviction-controller';

type Node = KubeObject & { spec?: { taints?: Taint[] } };
type Pod = KubeObject & { spec?: { nodeName?: string; tolerations?: Toleration[] }; status?: { phase?: string } };

const noExecute = (n: Node | undefined): string => JSON.stringify((n?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute'));

export function newTaintEvictionController(ctx: ControllerContext): Controller {
  const nodes = ctx.informers.forResource<Node>(Nodes);
  const pods = ctx.informers.forResource<Pod>(Pods);
  pods.indexer.ensureIndexer(NODE_NAME_INDEX, podNodeName);
  const queue = ctx.queue('taint-eviction');
  const enqueueNode = (name: string): void => {
    for (const p of pods.indexer.byIndex(NODE_NAME_INDEX, name)) queue.add(objectKey(p));
  };
  nodes.addEventHandler({
    onAdd: (n) => n.spec?.taints?.some((t) => t.effect === 'NoExecute') && enqueueNode(n.metadata!.name!),
    onUpdate: (o, n) => noExecute(o) !== noExecute(n) && enqueueNode(n.metadata!.name!),
  });
  pods.addEventHandler({
    onAdd: (p) => p.spec?.nodeName && queue.add(objectKey(p)),
    onUpdate: (o, p) => (o.spec?.nodeName !== p.spec?.nodeName || !jsonEqual(o.spec?.tolerations, p.spec?.tolerations)) && queue.add(objectKey(p)),
  });

  const sync = async (key: string): Promise<void> => {
    const { namespace, name } = splitKey(key);
    const pod = pods.lister.get(namespace, name);
    if (!pod?.spec?.nodeName || pod.metadata?.deletionTimestamp) return;
    const node = nodes.lister.get(undefined, pod.spec.nodeName);
    const now = ctx.clock.now();
    const at = evictionTime(pod.spec.tolerations ?? [], node?.spec?.taints ?? [], now);
    if (at === null) return;
    if (at > now) {
      queue.addAfter(key, at - now);
      return;
    }
    ctx.event(COMPONENT, { apiVersion: 'v1', kind: 'Pod', ...pod }, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    const condition = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: rfc3339(new Date(now)) };
    try {
      await ctx.client.patch(Pods, namespace, name, { status: { conditions: [condition] } }, 'strategic', { subresource: 'status' });
      await ctx.client.delete(Pods, namespace, name, { preconditions: { uid: pod.metadata!.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  };

  return {
    name: 'taint-eviction-controller',
    run: (signal) => runWorkers(ctx, 'taint-eviction-controller', queue, [nodes, pods], sync, signal),
  };
}

export const taintEvictionController: ControllerDescriptor = { name: 'taint-eviction-controller', enabledByDefault: true, create: newTaintEvictionController };
