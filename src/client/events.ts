/**
 * Events as components post them: a core/v1 Event about an object, named as client-go's recorder names them,
 * and a recorder that posts in the background a few at a time. Like client-go's broadcaster it never blocks the
 * caller and drops events when its backlog is full, counting them.
 */
import type { KubeObject } from './types.js';
import { rfc3339 } from './time.js';

export type EventType = 'Normal' | 'Warning';

export interface EventSource {
  /** source.component and reportingComponent, e.g. `deployment-controller`. */
  component: string;
  /** reportingInstance (a host or pod name). */
  instance?: string;
}

let eventSeq = 0;

/** A core/v1 Event about `obj`. `action` is what the component did (events.k8s.io's action; may be empty). */
export function objectEvent(obj: KubeObject, type: EventType, reason: string, message: string, source: EventSource, now: Date, action = ''): KubeObject {
  const m = obj.metadata ?? {};
  // client-go names events <object>.<UnixNano in hex>; a counter fills the nanoseconds a Date lacks, so events
  // in one millisecond get distinct names (BigInt: the value exceeds 2^53).
  const stamp = (BigInt(now.getTime()) * 1_000_000n + BigInt(eventSeq++ % 1_000_000)).toString(16);
  const t = rfc3339(now);
  // Cluster-scoped objects' events go to the default namespace, as client-go's recorder does.
  const namespace = m.namespace || 'default';
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${m.name}.${stamp}`, namespace },
    involvedObject: {
      kind: obj.kind,
      ...(m.namespace ? { namespace: m.namespace } : {}),
      name: m.name,
      uid: m.uid,
      apiVersion: obj.apiVersion,
      resourceVersion: m.resourceVersion,
    },
    reason,
    message,
    source: { component: source.component },
    firstTimestamp: t,
    lastTimestamp: t,
    count: 1,
    type,
    ...(action ? { action } : {}),
    reportingComponent: source.component,
    reportingInstance: source.instance ?? '',
  };
}

export class EventRecorder {
  private backlog: KubeObject[] = [];
  private inFlight = 0;
  dropped = 0;
  failed = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly post: (ev: KubeObject) => Promise<unknown>,
    private readonly concurrency = 4,
    private readonly maxBacklog = 1000,
  ) {}

  record(ev: KubeObject): void {
    if (this.backlog.length >= this.maxBacklog) {
      this.dropped++;
      return;
    }
    this.backlog.push(ev);
    this.pump();
  }

  /** Resolves when nothing is queued or in flight. */
  flush(): Promise<void> {
    if (this.inFlight === 0 && this.backlog.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    while (this.inFlight < this.concurrency && this.backlog.length) {
      const ev = this.backlog.shift()!;
      this.inFlight++;
      this.post(ev)
        .catch(() => {
          this.failed++;
        })
        .finally(() => {
          this.inFlight--;
          this.pump();
          if (this.inFlight === 0 && this.backlog.length === 0) for (const w of this.idleWaiters.splice(0)) w();
        });
    }
  }
}
