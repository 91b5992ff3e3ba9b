/**
 * client-go's EventSourceObjectSpamFilter (tools/record, used by every component built on record.EventBroadcaster,
 * kube-controller-manager included): per source and involved object, a token bucket of 25 events refilled at one
 * per 5 minutes; an event without a token is dropped. A ReplicaSet creating 10,000 pods thus posts 25
 * SuccessfulCreate events, not 10,000 — which upstream relies on to keep events from swamping the API server.
 * The buckets live in an LRU of 4096 entries (maxLruCacheEntries).
 */
import type { KubeObject } from './types.js';

/** defaultSpamBurst, defaultSpamQPS, maxLruCacheEntries. */
export const SPAM_BURST = 25;
export const SPAM_QPS = 1 / 300;
export const SPAM_LRU_ENTRIES = 4096;

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

/** getSpamKey: the source and the involved object (not the reason or message). */
export function spamKey(ev: KubeObject): string {
  const e = ev as { source?: { component?: string; host?: string }; involvedObject?: { kind?: string; namespace?: string; name?: string; uid?: string; apiVersion?: string } };
  const o = e.involvedObject ?? {};
  return [e.source?.component ?? '', e.source?.host ?? '', o.kind ?? '', o.namespace ?? '', o.name ?? '', o.uid ?? '', o.apiVersion ?? ''].join('\u0000');
}

/** spamKey of the event objectEvent makes about `obj` for `component`, without making it (most are dropped). */
export function objectSpamKey(obj: KubeObject, component: string): string {
  const m = obj.metadata ?? {};
  return [component, '', obj.kind ?? '', m.namespace ?? '', m.name ?? '', m.uid ?? '', obj.apiVersion ?? ''].join('\u0000');
}

export class EventSpamFilter {
  private buckets = new Map<string, Bucket>();

  constructor(
    private readonly now: () => number,
    private readonly burst = SPAM_BURST,
    private readonly qps = SPAM_QPS,
    private readonly maxEntries = SPAM_LRU_ENTRIES,
  ) {}

  /** True when the event may be posted (takes a token); false when its source and object are over the limit. */
  allow(ev: KubeObject): boolean {
    return this.allowKey(spamKey(ev));
  }

  /** allow() for an event whose spamKey is `key`. */
  allowKey(key: string): boolean {
    const t = this.now();
    let b = this.buckets.get(key);
    if (b) {
      this.buckets.delete(key); // re-inserted below: Map order is the LRU order
      b.tokens = Math.min(this.burst, b.tokens + (Math.max(0, t - b.at) / 1000) * this.qps);
      b.at = t;
    } else {
      b = { tokens: this.burst, at: t };
      if (this.buckets.size >= this.maxEntries) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
