/**
 * Pod garbage collector (upstream's pkg/controller/podgc): every gcCheckPeriod (20 s) it force-deletes, in this
 * order,
 *  - terminated pods (phase not Pending/Running/Unknown) past --terminated-pod-gc-threshold, evicted ones first,
 *    then oldest first;
 *  - terminating pods on nodes that are NotReady and tainted node.kubernetes.io/out-of-service;
 *  - orphaned pods, bound to a node that is gone: a node missing from the cache is quarantined for 40 s, then
 *    checked with a live GET, so a slow informer never costs a pod; its pods get DisruptionTarget (DeletionByPodGC);
 *  - terminating pods that were never scheduled.
 * A pod not yet terminal is first patched to phase Failed (nothing else would: an orphan has no kubelet), then
 * deleted with gracePeriodSeconds 0. Not a key-driven controller: one periodic pass over the listers, as upstream.
 */
import { sleep } from '../../client/clock.js';
import { rfc3339 } from '../../client/time.js';
import type { SharedInformer } from '../../client/informer.js';
import { isNotFound } from '../../client/rest.js';
import { Nodes, Pods } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import type { ControllerContext } from './context.js';
import type { Controller, ControllerDescriptor } from './controller.js';
import { NODE_NAME_INDEX, podNodeName } from './node-lifecycle/controller.js';
import type { Pod, PodCondition } from './shared/pod-util.js';

/** upstream's gcCheckPeriod. */
export const GC_CHECK_PERIOD_MS = 20_000;
/** upstream's quarantineTime: how long a node may be missing from the cache before it is looked up. */
export const QUARANTINE_MS = 40_000;
export const OUT_OF_SERVICE_TAINT = 'node.kubernetes.io/out-of-service';
/** Deletes in flight at once (upstream starts one goroutine per pod; bounded here). */
const DELETE_CONCURRENCY = 16;

type Node = KubeObject & { spec?: { taints?: { key: string; effect?: string }[] }; status?: { conditions?: { type: string; status: string }[] } };

// ---------------------------------------------------------------- decisions (pure)

/** upstream's isPodTerminated: any phase but Pending, Running and Unknown. */
export function isPodTerminated(pod: Pod): boolean {
  const p = pod.status?.phase;
  return p !== 'Pending' && p !== 'Running' && p !== 'Unknown';
}

/** eviction.PodIsEvicted: Failed with reason Evicted (the kubelet's eviction manager). */
export function isPodEvicted(pod: Pod): boolean {
  return pod.status?.phase === 'Failed' && pod.status['reason'] === 'Evicted';
}

/** byEvictionAndCreationTimestamp: evicted pods first, then oldest, names breaking ties. */
export function compareForDeletion(a: Pod, b: Pod): number {
  const ea = isPodEvicted(a);
  const eb = isPodEvicted(b);
  if (ea !== eb) return ea ? -1 : 1;
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** The terminated pods beyond `threshold`, in deletion order; none when the threshold is 0 (disabled). */
export function terminatedPodsToDelete<P extends Pod>(pods: readonly P[], threshold: number): P[] {
  if (threshold <= 0) return [];
  const terminated = pods.filter(isPodTerminated);
  const excess = terminated.length - threshold;
  if (excess <= 0) return [];
  return terminated.sort(compareForDeletion).slice(0, excess);
}

/** nodeutil.IsNodeReady: a Ready condition that is True (none at all is not ready). */
export function isNodeReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** A node whose terminating pods may be force-deleted: NotReady and tainted out-of-service (any effect). */
export function isOutOfService(node: Node): boolean {
  return !isNodeReady(node) && (node.spec?.taints ?? []).some((t) => t.key === OUT_OF_SERVICE_TAINT);
}

/** Terminating pods on out-of-service nodes, in deletion order. */
export function terminatingOnOutOfServiceNodes<P extends Pod>(pods: readonly P[], node: (name: string) => Node | undefined): P[] {
  const out = pods.filter((p) => {
    if (!p.metadata?.deletionTimestamp || !p.spec?.nodeName) return false;
    const n = node(p.spec.nodeName);
    return n !== undefined && isOutOfService(n);
  });
  return out.sort(compareForDeletion);
}

/** Terminating pods never bound to a node (nothing else will ever finish them). */
export function unscheduledTerminatingPods<P extends Pod>(pods: readonly P[]): P[] {
  return pods.filter((p) => !!p.metadata?.deletionTimestamp && !p.spec?.nodeName);
}

/** Names of nodes that pods are bound to but the cache does not hold. */
export function missingNodes(pods: readonly Pod[], nodeExists: (name: string) => boolean): Set<string> {
  const out = new Set<string>();
  for (const p of pods) {
    const n = p.spec?.nodeName;
    if (n && !out.has(n) && !nodeExists(n)) out.add(n);
  }
  return out;
}

/**
 * The quarantine of missing nodes (upstream's delaying nodeQueue): a node first seen missing at time t is due for
 * a live check at t + quarantineMs. `firstSeen` maps node → first time seen missing; the result holds the nodes
 * due now and the quarantine to keep (due nodes leave it: if still missing next pass, they start over, as
 * upstream's queue item is consumed by the check). Nodes back in the cache are checked no more.
 */
export function advanceQuarantine(
  firstSeen: ReadonlyMap<string, number>, missing: ReadonlySet<string>, now: number, quarantineMs: number,
): { due: string[]; next: Map<string, number> } {
  const due: string[] = [];
  const next = new Map<string, number>();
  for (const [name, at] of firstSeen) {
    if (!missing.has(name)) continue;
    if (now - at >= quarantineMs) due.push(name);
    else next.set(name, at);
  }
  for (const name of missing) if (!firstSeen.has(name)) next.set(name, now);
  return { due, next };
}

/** The condition an orphaned pod gets before deletion (upstream's words). */
export function orphanCondition(now: number): PodCondition {
  return { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists', lastTransitionTime: rfc3339(new Date(now)) };
}

// ---------------------------------------------------------------- the controller

export interface PodGCOptions {
  gcCheckPeriodMs?: number;
  quarantineMs?: number;
}

export class PodGCController implements Controller {
  readonly name = 'pod-garbage-collector';
  private readonly pods: SharedInformer<Pod>;
  private readonly nodes: SharedInformer<Node>;
  private readonly periodMs: number;
  private readonly quarantineMs: number;
  private quarantine = new Map<string, number>();

  constructor(private readonly ctx: ControllerContext, opts: PodGCOptions = {}) {
    this.pods = ctx.informers.forResource<Pod>(Pods);
    this.nodes = ctx.informers.forResource<Node>(Nodes);
    this.pods.indexer.ensureIndexer(NODE_NAME_INDEX, podNodeName);
    this.periodMs = opts.gcCheckPeriodMs ?? GC_CHECK_PERIOD_MS;
    this.quarantineMs = opts.quarantineMs ?? QUARANTINE_MS;
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.pods.waitForSync(signal)) || !(await this.nodes.waitForSync(signal))) return;
    // wait.UntilWithContext: a pass at once, then one per period after each pass ends.
    while (!signal.aborted) {
      try {
        await this.gc(signal);
      } catch (err) {
        if (!signal.aborted) this.ctx.onError(err, `${this.name}: gc pass`);
      }
      await sleep(this.ctx.clock, this.periodMs, signal);
    }
  }

  /** One pass over the caches (exposed for tests). */
  async gc(signal?: AbortSignal): Promise<void> {
    const pods = this.pods.lister.list();
    const node = (name: string): Node | undefined => this.nodes.lister.get(undefined, name);
    await this.forceDelete(terminatedPodsToDelete(pods, this.ctx.options.terminatedPodGCThreshold), 'terminated', signal);
    await this.forceDelete(terminatingOnOutOfServiceNodes(pods, node), 'terminating on an out-of-service node', signal);
    await this.gcOrphaned(pods, node, signal);
    await this.forceDelete(unscheduledTerminatingPods(pods), 'unscheduled terminating', signal);
  }

  private async gcOrphaned(pods: readonly Pod[], node: (name: string) => Node | undefined, signal?: AbortSignal): Promise<void> {
    const missing = missingNodes(pods, (n) => node(n) !== undefined);
    const { due, next } = advanceQuarantine(this.quarantine, missing, this.ctx.clock.now(), this.quarantineMs);
    this.quarantine = next;
    for (const name of due) {
      if (signal?.aborted) return;
      try {
        await this.ctx.client.get(Nodes, name);
        continue; // It exists: the cache is behind. If it stays missing there, the quarantine starts again.
      } catch (err) {
        if (!isNotFound(err)) {
          this.ctx.onError(err, `${this.name}: getting node ${name}`);
          continue;
        }
      }
      // The index reads the latest cache, not the pass's snapshot: pods bound since are orphans too.
      const orphans = this.pods.indexer.byIndex(NODE_NAME_INDEX, name);
      await this.forceDelete(orphans, `orphaned (node ${name} no longer exists)`, signal, orphanCondition(this.ctx.clock.now()));
    }
  }

  private async forceDelete(pods: readonly Pod[], why: string, signal?: AbortSignal, condition?: PodCondition): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pods.length && !signal?.aborted) {
        const pod = pods[next++]!;
        try {
          await this.markFailedAndDelete(pod, condition);
        } catch (err) {
          this.ctx.onError(err, `${this.name}: force deleting ${why} pod ${pod.metadata?.namespace}/${pod.metadata?.name}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, pods.length) }, worker));
  }

  /**
   * upstream's markFailedAndDeletePodWithCondition: a pod not yet terminal is moved to Failed first (with the
   * condition, merged by type), so its controller counts it as failed; then it is deleted without grace.
   */
  private async markFailedAndDelete(pod: Pod, condition?: PodCondition): Promise<void> {
    const { namespace, name, uid } = pod.metadata ?? {};
    try {
      if (pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed') {
        const status: Record<string, unknown> = { phase: 'Failed' };
        if (condition) status['conditions'] = [condition];
        await this.ctx.client.patch(Pods, namespace, name!, { status }, 'strategic', { subresource: 'status' });
      }
      await this.ctx.client.delete(Pods, namespace, name!, { gracePeriodSeconds: 0, preconditions: { uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export function newPodGC(ctx: ControllerContext, opts?: PodGCOptions): PodGCController {
  return new PodGCController(ctx, opts);
}

export const podGCController: ControllerDescriptor = {
  name: 'pod-garbage-collector',
  enabledByDefault: true,
  create: (ctx) => new PodGCController(ctx),
};
