/**
 * The bound (or assumed) pods a plugin core knows, by key and by node name. Nodes not yet in the core's table
 * are included, so a node that appears later picks its pods up. Both cores keep their per-node accounting
 * beside it; this is only the bookkeeping they share.
 */
import type { KubeObject } from '../api/resource.js';
import type { ParsedPod } from './pod-query.js';

const NONE: readonly ParsedPod[] = [];

export class PodIndex {
  private readonly byKey = new Map<string, ParsedPod>();
  private readonly byNode = new Map<string, Map<string, ParsedPod>>();

  onNode(nodeName: string): Iterable<ParsedPod> {
    return this.byNode.get(nodeName)?.values() ?? NONE;
  }

  add(pod: ParsedPod): void {
    this.byKey.set(pod.key, pod);
    let m = this.byNode.get(pod.nodeName);
    if (!m) this.byNode.set(pod.nodeName, (m = new Map()));
    m.set(pod.key, pod);
  }

  /** Forgets the pod stored under this object's `namespace/name`; returns what was stored. */
  remove(obj: KubeObject): ParsedPod | undefined {
    const meta = obj.metadata ?? {};
    const key = `${meta.namespace ?? 'default'}/${meta.name ?? ''}`;
    const old = this.byKey.get(key);
    if (!old) return undefined;
    this.byKey.delete(key);
    const m = this.byNode.get(old.nodeName);
    m?.delete(key);
    if (m?.size === 0) this.byNode.delete(old.nodeName);
    return old;
  }
}
