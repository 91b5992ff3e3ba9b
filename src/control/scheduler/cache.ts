/**
 * The scheduler's view of placed pods in front of the core, as upstream's scheduler cache: bound pods from the
 * informer plus *assumed* pods — placed by this scheduler, their bind call not yet confirmed. The core sees an
 * assumed pod on its node at once, so the next cycle accounts for the last decision; a failed bind forgets it;
 * the informer's copy of the bound pod replaces it when it arrives.
 * `core.removePod` gets the object last handed to `core.addPod`, or a newer one of the same pod whose scheduling
 * inputs (`samePlacementInputs`) are equal: an update that changes none of them (the informer's confirmation of
 * an assumed pod, a status write) swaps only the cached object and leaves the core alone.
 */
import type { KubeObject } from '../api/resource.js';
import { jsonEqual } from '../../client/share-parts.js';
import type { SchedulerCore } from './core.js';
import { boundPodView } from './bound-pod-view.js';

interface CachedPod {
  pod: KubeObject;
  assumed: boolean;
  /** The bind call returned success (the informer's update may still be on its way). */
  bindingFinished: boolean;
}

export const podKey = (pod: KubeObject): string => `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
/** Spec and labels deep-equal (key order aside): nothing a scheduling decision reads differs. */
export const sameSchedulingInputs = (a: KubeObject, b: KubeObject): boolean =>
  jsonEqual(a.spec ?? null, b.spec ?? null) && jsonEqual(a.metadata?.labels ?? null, b.metadata?.labels ?? null);

/** What the core's accounting of a placed pod reads: its scheduling inputs and whether it is terminating. */
const samePlacementInputs = (a: KubeObject, b: KubeObject): boolean =>
  (a.metadata?.deletionTimestamp ?? '') === (b.metadata?.deletionTimestamp ?? '') && sameSchedulingInputs(a, b);

export const nodeNameOf = (pod: KubeObject): string => ((pod.spec as { nodeName?: string } | undefined)?.nodeName ?? '');

export class SchedulerCache {
  private pods = new Map<string, CachedPod>();
  private nodes = new Set<string>();

  constructor(readonly core: SchedulerCore) {}

  upsertNode(node: KubeObject): void {
    const name = node.metadata?.name;
    if (!name) return;
    this.nodes.add(name);
    this.core.upsertNode(node);
  }

  removeNode(name: string): void {
    this.nodes.delete(name);
    this.core.removeNode(name);
  }

  nodeCount(): number {
    return this.core.nodeCount();
  }

  /** The pods (bound or assumed) on a node, as the core holds them. A scan: for preemption, which is rare. */
  podsOn(nodeName: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const c of this.pods.values()) if (nodeNameOf(c.pod) === nodeName) out.push(c.pod);
    return out;
  }

  /** Records the decision before the bind lands; returns the assumed copy (spec.nodeName set). */
  assume(pod: KubeObject, nodeName: string): KubeObject {
    const key = podKey(pod);
    // A stale entry under this name (a pod deleted and re-created while its bind was in flight) goes first.
    const stale = this.pods.get(key);
    if (stale) this.core.removePod(stale.pod);
    // In the shape the informer keeps bound pods in (bound-pod-view.ts), so its confirmation compares equal.
    const assumed: KubeObject = boundPodView({ ...pod, spec: { ...(pod.spec as object), nodeName } });
    this.core.addPod(assumed);
    this.pods.set(key, { pod: assumed, assumed: true, bindingFinished: false });
    return assumed;
  }

  finishBinding(key: string): void {
    const c = this.pods.get(key);
    if (c?.assumed) c.bindingFinished = true;
  }

  /** The bind failed: the pod is not on that node after all. */
  forget(key: string): void {
    const c = this.pods.get(key);
    if (!c?.assumed) return;
    this.core.removePod(c.pod);
    this.pods.delete(key);
  }

  isAssumed(key: string): boolean {
    return this.pods.get(key)?.assumed ?? false;
  }

  /** A bound pod from the informer (new, or the confirmation of an assumed one). */
  addPod(pod: KubeObject): void {
    const key = podKey(pod);
    const c = this.pods.get(key);
    if (c) {
      // Confirmation (or a re-list): swap the cached copy for the server's. The core parses and accounts the pod
      // again only when that changes what it holds (the server's copy of an assumed pod usually does not).
      if (samePlacementInputs(c.pod, pod)) {
        this.pods.set(key, { pod, assumed: false, bindingFinished: true });
        return;
      }
      this.core.removePod(c.pod);
    }
    this.core.addPod(pod);
    this.pods.set(key, { pod, assumed: false, bindingFinished: true });
  }

  updatePod(pod: KubeObject): void {
    this.addPod(pod);
  }

  removePod(pod: KubeObject): void {
    const key = podKey(pod);
    const c = this.pods.get(key);
    if (!c) return;
    this.core.removePod(c.pod);
    this.pods.delete(key);
  }

  podCount(): number {
    return this.pods.size;
  }

  assumedCount(): number {
    let n = 0;
    for (const c of this.pods.values()) if (c.assumed) n++;
    return n;
  }
}
