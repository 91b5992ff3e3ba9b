/**
 * Node IPAM (upstream's range allocator, `nodeipam`): every node gets spec.podCIDR and spec.podCIDRs, a /24
 * (--node-cidr-mask-size) of --cluster-cidr, which the node agent hands out to its pods. CIDRs already on nodes
 * are kept; a deleted node's CIDR is reused. When the range is full the node gets a CIDRNotAvailable event.
 */
import { Nodes } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import { CidrSet, formatIpv4Cidr, parseIpv4Cidr } from './cidr-set.js';
import type { ControllerContext } from './context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from './controller.js';

const COMPONENT = 'cidrAllocator';
/**
 * Upstream's cidrUpdateWorkers: node updates in flight at once. One worker made a 5,000-node registration's
 * patches trail every node's Ready by minutes (one round trip each), into what should be heartbeats alone.
 */
const CIDR_UPDATE_WORKERS = 30;

type Node = KubeObject & { spec?: { podCIDR?: string; podCIDRs?: string[] } };

/**
 * What to write on a node: its CIDR, or nothing when it has one. `assigned` is what this controller already
 * gave the node and may not have seen yet in its cache: the same CIDR again, never a second one.
 */
export function podCIDRPatch(node: Node, cidrs: CidrSet, assigned: string | undefined): { spec: { podCIDR: string; podCIDRs: string[] } } | 'full' | null {
  if (node.spec?.podCIDR || node.metadata?.deletionTimestamp) return null;
  let text = assigned;
  if (!text) {
    const c = cidrs.allocateNext();
    if (!c) return 'full';
    text = formatIpv4Cidr(c);
  }
  return { spec: { podCIDR: text, podCIDRs: [text] } };
}

export function newNodeIpamController(ctx: ControllerContext): Controller {
  const cidrs = new CidrSet(parseIpv4Cidr(ctx.options.clusterCIDR), ctx.options.nodeCIDRMaskSize);
  const nodes = ctx.informers.forResource<Node>(Nodes);
  const queue = ctx.queue('node-ipam');
  /** CIDRs written to nodes whose update this cache has not shown yet. */
  const assigned = new Map<string, string>();
  const occupy = (n: Node): void => {
    for (const c of n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : [])) {
      try {
        cidrs.occupy(parseIpv4Cidr(c));
      } catch {
        // Not IPv4 or not ours: nothing to track.
      }
    }
  };
  nodes.addEventHandler({
    onAdd: (n) => {
      occupy(n);
      queue.add(n.metadata!.name!);
    },
    onUpdate: (_o, n) => {
      occupy(n);
      if (n.spec?.podCIDR) assigned.delete(n.metadata!.name!);
      else queue.add(n.metadata!.name!);
    },
    onDelete: (n) => {
      const pending = assigned.get(n.metadata!.name!);
      if (pending) cidrs.release(parseIpv4Cidr(pending));
      assigned.delete(n.metadata!.name!);
      for (const c of n.spec?.podCIDRs ?? []) {
        try {
          cidrs.release(parseIpv4Cidr(c));
        } catch {
          // As above.
        }
      }
    },
  });

  const sync = async (name: string): Promise<void> => {
    const node = nodes.lister.get(undefined, name);
    if (!node) return;
    const patch = podCIDRPatch(node, cidrs, assigned.get(name));
    if (patch === null) return;
    if (patch === 'full') {
      ctx.event(COMPONENT, { apiVersion: 'v1', kind: 'Node', ...node }, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
      return;
    }
    assigned.set(name, patch.spec.podCIDR);
    await ctx.client.patch(Nodes, undefined, name, patch, 'merge');
  };

  return {
    name: 'node-ipam',
    // Allocation stays in the order keys leave the queue: a worker allocates synchronously once it has its key
    // (one thread: the set is never shared mid-change), then waits for its patch while the others go on.
    run: (signal) => runWorkers(ctx, 'node-ipam', queue, [nodes], sync, signal, CIDR_UPDATE_WORKERS),
  };
}

export const nodeIpamController: ControllerDescriptor = { name: 'node-ipam', enabledByDefault: true, create: newNodeIpamController };
