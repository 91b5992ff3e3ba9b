/**
 * The node agent's event recorder: turns what event-rules.ts decides into core/v1 Events from `kubelet` on each
 * node (source.host and reportingInstance = the node's name, involvedObject.fieldPath naming the container, as
 * the kubelet's container reference does) and posts them through one bounded EventRecorder shared by every
 * node of the agent. Posting never blocks the agent: past the backlog, events are dropped and counted, and
 * client-go's per-object spam filter holds back floods, as the kubelet's own broadcaster does.
 *
 * Pod events are switchable (each pod costs a small memory and ~4 writes to reach Running); node events are a
 * handful per node and always on.
 */
import type { Clock } from '../../client/clock.js';
import { EventSpamFilter } from '../../client/event-spam-filter.js';
import { EventRecorder, objectEvent } from '../../client/events.js';
import type { RestClient } from '../../client/rest.js';
import { Events } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import { podTransitionEvents, type NodeEventSpec, type PodEventMemory, type PodEventSpec } from './event-rules.js';
import type { Pod, PodStatus } from './types.js';

export const KUBELET_COMPONENT = 'kubelet';

export interface KubeletEventsOptions {
  client: RestClient;
  clock: Clock;
  /** Post the pods' container events (Pulling, Pulled, Created, Started, Killing, BackOff). */
  podEvents: boolean;
  /** Event writes in flight at once (default 4). */
  concurrency?: number;
  /** Events waiting to be written before new ones are dropped (default 5000). */
  maxBacklog?: number;
}

export interface KubeletEventStats {
  dropped: number;
  failed: number;
  /** Held back by the per-object spam filter. */
  filtered: number;
}

export class KubeletEvents {
  readonly podEvents: boolean;
  private readonly recorder: EventRecorder;
  private readonly spam: EventSpamFilter;
  private readonly clock: Clock;
  /** Per pod uid: what the rules remember between looks (only while pod events are on). */
  private readonly pods = new Map<string, PodEventMemory>();
  /** Per node: images a Pulled event has reported, so IfNotPresent pulls once per node as on a real one. */
  private readonly images = new Map<string, Set<string>>();
  private filtered = 0;

  constructor(o: KubeletEventsOptions) {
    this.podEvents = o.podEvents;
    this.clock = o.clock;
    this.recorder = new EventRecorder((ev) => o.client.create(Events, ev), o.concurrency ?? 4, o.maxBacklog ?? 5000);
    this.spam = new EventSpamFilter(() => this.clock.now());
  }

  /** Node events (Starting, NodeReady, ...) about `nodeName`; involvedObject.uid is the node's name, as the kubelet's nodeRef. */
  node(nodeName: string, specs: readonly NodeEventSpec[]): void {
    if (!specs.length) return;
    const ref: KubeObject = { kind: 'Node', metadata: { name: nodeName, uid: nodeName } };
    for (const s of specs) this.post(nodeName, ref, s);
  }

  /** A look at a pod on `nodeName` (its status just computed, or null when unchanged): posts what it produced. */
  pod(nodeName: string, pod: Pod, status: PodStatus | null, now: number): void {
    const uid = pod.metadata?.uid;
    if (!this.podEvents || !uid) return;
    let images = this.images.get(nodeName);
    const out = podTransitionEvents({ pod, status, memory: this.pods.get(uid), now, hasImage: (i) => images?.has(i) ?? false });
    this.pods.set(uid, out.memory);
    for (const i of out.pulled) {
      if (!images) this.images.set(nodeName, (images = new Set()));
      images.add(i);
    }
    if (!out.events.length) return;
    const ref: KubeObject = { ...pod, apiVersion: 'v1', kind: 'Pod' };
    for (const s of out.events) this.post(nodeName, ref, s);
  }

  /** An event a pod's driver recorded (a probe failure, a hook failure): posted as is. */
  podEvent(nodeName: string, pod: Pod, spec: PodEventSpec): void {
    if (!this.podEvents || !pod.metadata?.uid) return;
    this.post(nodeName, { ...pod, apiVersion: 'v1', kind: 'Pod' }, spec);
  }

  /** The pod is gone from the API. */
  forget(uid: string): void {
    this.pods.delete(uid);
  }

  /** Resolves when nothing is waiting or in flight. */
  flush(): Promise<void> {
    return this.recorder.flush();
  }

  stats(): KubeletEventStats {
    return { dropped: this.recorder.dropped, failed: this.recorder.failed, filtered: this.filtered };
  }

  private post(nodeName: string, obj: KubeObject, s: NodeEventSpec | PodEventSpec): void {
    const ev = objectEvent(obj, s.type, s.reason, s.message, { component: KUBELET_COMPONENT, instance: nodeName }, new Date(this.clock.now()));
    const e = ev as KubeObject & { source: Record<string, string>; involvedObject: Record<string, unknown> };
    e.source = { component: KUBELET_COMPONENT, host: nodeName };
    if ('fieldPath' in s && s.fieldPath) e.involvedObject.fieldPath = s.fieldPath;
    if (!this.spam.allow(ev)) {
      this.filtered++;
      return;
    }
    this.recorder.record(ev);
  }
}
