import type { KubeObject, ResourceType } from '../../resource.js';
import { storageKey } from '../../resource.js';
import type { EngineContext } from './context.js';
import type { DeleteOptions } from './delete.js';
import { gk } from './group-kind.js';

/**
 * Pods as upstream's pod strategy: unbound or terminal pods go at once; bound pods get the requested grace
 * (default spec.terminationGracePeriodSeconds, 30). Skiff's choice: a pod bound to a node that has no Node
 * object (so no kubelet will ever confirm) is also deleted at once.
 */
export async function gracePeriod(
  ctx: Pick<EngineContext, 'store' | 'registry'>, r: ResourceType, obj: KubeObject, options: DeleteOptions,
): Promise<number> {
  if (gk(r) !== '/Pod') return 0;
  const spec = (obj['spec'] ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const phase = (obj['status'] as { phase?: string } | undefined)?.phase;
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  const grace = options.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
  if (grace === 0) return 0;
  const nodes = ctx.registry.lookup('', 'v1', 'nodes');
  if (nodes) {
    const { kv } = await ctx.store.get(storageKey(nodes, undefined, spec.nodeName));
    if (!kv) return 0;
  }
  return grace;
}

/** A pod with a pending grace period stays until its kubelet confirms (or a shorter delete arrives). */
export function waitsOnGrace(r: ResourceType, obj: KubeObject): boolean {
  return gk(r) === '/Pod' && (obj.metadata?.deletionGracePeriodSeconds ?? 0) > 0;
}
