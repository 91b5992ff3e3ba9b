/**
 * The node lifecycle controller: every --node-monitor-period it checks each node's Lease and Ready heartbeat;
 * a node silent past --node-monitor-grace-period gets its kubelet conditions set Unknown, its pods marked not
 * Ready, and an event. Taints follow the conditions (TaintNodesByCondition, and the not-ready/unreachable
 * NoExecute taints that the taint eviction controller acts on); a node that comes back loses them. NoExecute
 * taints are given out per zone at upstream's eviction rates (zones.ts), none while every zone is lost.
 */
import { Leases, Nodes, Pods } from '../../../client/resources.js';
import type { KubeObject } from '../../../client/types.js';
import { rfc3339 } from '../../../client/time.js';
import { sleep } from '../../../client/clock.js';
import type { ControllerContext } from '../context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from '../controller.js';
import { observeHealth, silentNodeConditions, type NodeHealth } from './health.js';
import { desiredManagedTaints, hasNoExecuteTaint, reconcileTaints, type NodeCondition, type Taint } from './taints.js';
import { ZoneTainter } from './zone-tainter.js';
import { defaultEvictionRates, planDisruption, zoneKey, ZoneReadiness, type ZoneState } from './zones.js';

const COMPONENT = 'node-controller';
/** Upstream's nodeEvictionPeriod: how often the zones' queues are looked at for nodes to taint. */
const TAINTING_PERIOD_MS = 100;
export const NODE_NAME_INDEX = 'spec.nodeName';

type Node = KubeObject & { spec?: { taints?: Taint[]; unschedulable?: boolean }; status?: { conditions?: NodeCondition[] } };
type Lease = KubeObject & { spec?: { renewTime?: string } };
type Pod = KubeObject & { spec?: { nodeName?: string }; status?: { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } };

/** Index function: pods by the node they are bound to. */
export function podNodeName(p: KubeObject): string[] {
  const nodeName = (p.spec as { nodeName?: string } | undefined)?.nodeName;
  return nodeName ? [nodeName] : [];
}

const readyStatusOf = (n: Node): string | undefined => n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
const readyStatus = (n: Node): string => readyStatusOf(n) ?? 'Unknown';

export function newNodeLifecycleController(ctx: ControllerContext): Controller {
  const nodes = ctx.informers.forResource<Node>(Nodes);
  // Every namespace's leases, as upstream's shared lease informer (read in kube-node-lease): the garbage collector
  // watches leases cluster-wide too, so both share one watch and the API server sends each renewal once, not twice.
  const leases = ctx.informers.forResource<Lease>(Leases);
  const pods = ctx.informers.forResource<Pod>(Pods);
  pods.indexer.ensureIndexer(NODE_NAME_INDEX, podNodeName);
  const health = new Map<string, NodeHealth>();
  const queue = ctx.queue('node-lifecycle');
  const rates = ctx.options.evictionRates ?? defaultEvictionRates;
  const tainter = new ZoneTainter(ctx.clock, rates.nodeEvictionRate);
  // Unready nodes that may carry their NoExecute taint (their zone's turn came, or they had it already): kept
  // until the node is Ready again, so a sync that reads the node before the taint's write is seen keeps it.
  const tainted = new Set<string>();
  const readiness = new ZoneReadiness();
  let zoneStates = new Map<string, ZoneState>();
  // Every zone lost (upstream's master disruption mode): no NoExecute taints anywhere.
  let allZonesLost = false;
  // Upstream's knownNodeSet: a node seen for the first time is announced once (RegisteredNode), a deleted one too.
  const known = new Set<string>();
  const nodeEvent = (n: Node, reason: string, what: string): void =>
    ctx.event(COMPONENT, { apiVersion: 'v1', kind: 'Node', ...n }, 'Normal', reason, `Node ${n.metadata!.name} event: ${what}`);
  nodes.addEventHandler({
    onAdd: (n) => {
      const name = n.metadata!.name!;
      readiness.set(name, n.metadata?.labels, readyStatusOf(n));
      if (!known.has(name)) {
        known.add(name);
        nodeEvent(n, 'RegisteredNode', `Registered Node ${name} in Controller`);
      }
      queue.add(name);
    },
    onUpdate: (o, n) => {
      readiness.set(n.metadata!.name!, n.metadata?.labels, readyStatusOf(n));
      if (readyStatus(o) !== readyStatus(n) || o.spec?.unschedulable !== n.spec?.unschedulable) queue.add(n.metadata!.name!);
    },
    onDelete: (n) => {
      health.delete(n.metadata!.name!);
      readiness.delete(n.metadata!.name!);
      tainter.remove(n.metadata!.name!);
      tainted.delete(n.metadata!.name!);
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
      // Counted unready now, before the informer says so: the tainting pass must not see a lost zone as healthy.
      readiness.set(name, node.metadata?.labels, 'Unknown');
      ctx.event(COMPONENT, { apiVersion: 'v1', kind: 'Node', ...node }, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      if (wasReady) await markPodsNotReady(name, nowText);
    }
    const ready = conditions.find((c) => c.type === 'Ready')?.status;
    const unready = ready === 'False' || ready === 'Unknown';
    let noExecute = false;
    if (!unready || allZonesLost) {
      tainter.remove(name);
      tainted.delete(name);
    } else if (tainted.has(name) || hasNoExecuteTaint(node.spec?.taints ?? [])) {
      // Its turn came, or it has one already and only swaps not-ready for unreachable (or back) straight away.
      tainted.add(name);
      noExecute = true;
    } else {
      tainter.add(zoneKey(node.metadata?.labels), name);
    }
    const taints = reconcileTaints(node.spec?.taints ?? [], desiredManagedTaints(conditions, !!node.spec?.unschedulable, noExecute), nowText);
    if (taints) {
      const cur = nodes.lister.get(undefined, name) ?? node;
      // A full replace guarded by resourceVersion: taints are a list others edit too (kubectl taint).
      await ctx.client.patch(Nodes, undefined, name, { metadata: { resourceVersion: cur.metadata?.resourceVersion }, spec: { taints } }, 'merge');
    }
  };

  /** Upstream's handleDisruption, over the nodes' Ready statuses as the informer has them. */
  const updateZones = (): void => {
    const plan = planDisruption(zoneStates, readiness.states(rates.unhealthyZoneThreshold), rates);
    zoneStates = plan.states;
    for (const [z, qps] of plan.rates) tainter.setRate(z, qps);
    if (plan.mode === 'enter' || plan.mode === 'exit') {
      allZonesLost = plan.mode === 'enter';
      const now = ctx.clock.now();
      for (const n of nodes.lister.list()) {
        const name = n.metadata!.name!;
        // Leaving it, every node gets a fresh grace period, as upstream resets its probe timestamps.
        const h = health.get(name);
        if (!allZonesLost && h) health.set(name, { ...h, probeTimestamp: now });
        queue.add(name);
      }
    }
  };

  const taintingPass = async (signal: AbortSignal): Promise<void> => {
    while (!signal.aborted) {
      // The zones first: a node that just went unready may have been the last Ready one.
      if (tainter.pending() > 0) updateZones();
      for (const name of tainter.take()) {
        tainted.add(name);
        queue.add(name);
      }
      await sleep(ctx.clock, TAINTING_PERIOD_MS, signal);
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
      updateZones();
      for (const n of nodes.lister.list()) queue.add(n.metadata!.name!);
      await sleep(ctx.clock, ctx.options.nodeMonitorPeriodMs, signal);
    }
  };

  return {
    name: 'node-lifecycle',
    run: async (signal) => {
      await Promise.all([monitor(signal), taintingPass(signal), runWorkers(ctx, 'node-lifecycle', queue, [nodes, leases, pods], sync, signal)]);
    },
  };
}

export const nodeLifecycleController: ControllerDescriptor = { name: 'node-lifecycle', enabledByDefault: true, create: newNodeLifecycleController };
