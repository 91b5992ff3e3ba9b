/**
 * The node lifecycle controller: every --node-monitor-period it checks each node's Lease and Ready heartbeat;
 * a node silent past --node-monitor-grace-period gets its kubelet conditions set Unknown, its pods marked not
 * Ready, and an event. Taints follow the conditions (TaintNodesByCondition, and the not-ready/unreachable
 * NoExecute taints that the taint eviction controller acts on); a node that comes back loses them.
 * Upstream's per-zone eviction rate is not modelled; a zone whose nodes are all unready gets no NoExecute taints
 * (upstream's full-disruption rule), so losing every node never evicts every pod.
 */
import { Leases, Nodes, Pods } from '../../../client/resources.js';
import type { KubeObject } from '../../../client/types.js';
import { rfc3339 } from '../../../client/time.js';
import { sleep } from '../../../client/clock.js';
import type { ControllerContext } from '../context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from '../controller.js';
import { observeHealth, silentNodeConditions, type NodeHealth } from './health.js';
import { desiredManagedTaints, reconcileTaints, type NodeCondition, type Taint } from './taints.js';

const COMPONENT = 'node-controller';
const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const NODE_NAME_INDEX = 'spec.nodeName';

type Node = KubeObject & { spec?: { taints?: Taint[]; unschedulable?: boolean }; status?: { conditions?: NodeCondition[] } };
type Lease = KubeObject & { spec?: { renewTime?: string } };
type Pod = KubeObject & { spec?: { nodeName?: string }; status?: { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } };

/** Index function: pods by the node they are bound to. */
export function podNodeName(p: KubeObject): string[] {
  const nodeName = (p.spec as { nodeName?: string } | undefined)?.nodeName;
  return nodeName ? [nodeName] : [];
}

const readyStatus = (n: Node): string => n.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';

/** Zones whose every node is unready (upstream's FullDisruption state): no NoExecute taints there. */
export function fullyDisruptedZones(nodes: readonly Node[]): Set<string> {
  const ready = new Map<string, number>();
  const total = new Map<string, number>();
  for (const n of nodes) {
    const z = n.metadata?.labels?.[ZONE_LABEL] ?? '';
    total.set(z, (total.get(z) ?? 0) + 1);
    if (readyStatus(n) === 'True') ready.set(z, (ready.get(z) ?? 0) + 1);
  }
  const out = new Set<string>();
  for (const [z, n] of total) if (n > 0 && !ready.get(z)) out.add(z);
  return out;
}

export function newNodeLifecycleController(ctx: ControllerContext): Controller {
  const nodes = ctx.informers.forResource<Node>(Nodes);
  // Every namespace's leases, as upstream's shared lease informer (read in kube-node-lease): the garbage collector
  // watches leases cluster-wide too, so both share one watch and the API server sends each renewal once, not twice.
  const leases = ctx.informers.forResource<Lease>(Leases);
  const pods = ctx.informers.forResource<Pod>(Pods);
  pods.indexer.ensureIndexer(NODE_NAME_INDEX, podNodeName);
  const health = new Map<string, NodeHealth>();
  const queue = ctx.queue('node-lifecycle');
  // Upstream's knownNodeSet: a node seen for the first time is announced once (RegisteredNode), a deleted one too.
  const known = new Set<string>();
  const nodeEvent = (n: Node, reason: string, what: string): void =>
    ctx.event(COMPONENT, { apiVersion: 'v1', kind: 'Node', ...n }, 'Normal', reason, `Node ${n.metadata!.name} event: ${what}`);
  nodes.addEventHandler({
    onAdd: (n) => {
      const name = n.metadata!.name!;
      if (!known.has(name)) {
        known.add(name);
        nodeEvent(n, 'RegisteredNode', `Registered Node ${name} in Controller`);
      }
      queue.add(name);
    },
    onUpdate: (o, n) => {
      if (readyStatus(o) !== readyStatus(n) || o.spec?.unschedulable !== n.spec?.unschedulable) queue.add(n.metadata!.name!);
    },
    onDelete: (n) => {
      health.delete(n.metadata!.name!);
      if (known.delete(n.metadata!.name!)) nodeEvent(n, 'RemovingNode', `Removing Node ${n.metadata!.name} from Controller`);
    },
  });

  const sync = async (name: string): Promise<void> => {
    const node = nodes.lister.get(undefined, name);
    if (!node) return;
    const now = ctx.clock.now();
    const nowText = rfc3339(new Date(now));
    const lease = leases.lister.get('kube-node-lease', name);
    const h = observeHealth(health.get(name), node.status?.conditions ?? [], lease?.spec?.renewTime, now);
    health.set(name, h);
    let conditions = node.status?.conditions ?? [];
    const silent = silentNodeConditions(conditions, h, now, ctx.options.nodeMonitorGracePeriodMs, ctx.options.nodeStartupGracePeriodMs, nowText);
    if (silent) {
      const wasReady = readyStatus(node) === 'True';
      await ctx.client.patch(Nodes, undefined, name, { status: { conditions: silent } }, 'strategic', { subresource: 'status' });
      conditions = silent;
      ctx.event(COMPONENT, { apiVersion: 'v1', kind: 'Node', ...node }, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      if (wasReady) await markPodsNotReady(name, nowText);
    }
    const zone = node.metadata?.labels?.[ZONE_LABEL] ?? '';
    // Only a NotReady/Unknown node can get a NoExecute taint; the zone count (every node) is needed only then,
    // not on each of a thousand Ready nodes' syncs every monitor period.
    const ready = conditions.find((c) => c.type === 'Ready')?.status;
    const evict = ready !== 'False' && ready !== 'Unknown' ? true : !fullyDisruptedZones(nodes.lister.list()).has(zone);
    const taints = reconcileTaints(node.spec?.taints ?? [], desiredManagedTaints(conditions, !!node.spec?.unschedulable, evict), nowText);
    if (taints) {
      const cur = nodes.lister.get(undefined, name) ?? node;
      // A full replace guarded by resourceVersion: taints are a list others edit too (kubectl taint).
      await ctx.client.patch(Nodes, undefined, name, { metadata: { resourceVersion: cur.metadata?.resourceVersion }, spec: { taints } }, 'merge');
    }
  };

  /** Upstream's MarkPodsNotReady: pods on a lost node stop counting as Ready (Services drop them). */
  const markPodsNotReady = async (nodeName: string, nowText: string): Promise<void> => {
    for (const pod of pods.indexer.byIndex(NODE_NAME_INDEX, nodeName)) {
      const conds = pod.status?.conditions ?? [];
      if (!conds.some((c) => c.type === 'Ready' && c.status !== 'False')) continue;
      const next = conds.map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: nowText } : c));
      try {
        await ctx.client.patch(Pods, pod.metadata!.namespace, pod.metadata!.name!, { status: { conditions: next } }, 'strategic', { subresource: 'status' });
        ctx.event(COMPONENT, { apiVersion: 'v1', kind: 'Pod', ...pod }, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (err) {
        ctx.onError(err, `node-lifecycle: marking pod ${pod.metadata!.namespace}/${pod.metadata!.name} not ready`);
      }
    }
  };

  const monitor = async (signal: AbortSignal): Promise<void> => {
    if (!(await nodes.waitForSync(signal)) || !(await leases.waitForSync(signal))) return;
    while (!signal.aborted) {
      for (const n of nodes.lister.list()) queue.add(n.metadata!.name!);
      await sleep(ctx.clock, ctx.options.nodeMonitorPeriodMs, signal);
    }
  };

  return {
    name: 'node-lifecycle',
    run: async (signal) => {
      await Promise.all([monitor(signal), runWorkers(ctx, 'node-lifecycle', queue, [nodes, leases, pods], sync, signal)]);
    },
  };
}

export const nodeLifecycleController: ControllerDescriptor = { name: 'node-lifecycle', enabledByDefault: true, create: newNodeLifecycleController };
