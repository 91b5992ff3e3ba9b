/**
 * The usage the node agents last reported, per agent endpoint, as metrics-server's storage holds its last
 * scrape. Nodes are grouped by endpoint (every node of one simulated agent shares it), each endpoint is asked at
 * most once per resolution period, and a read finding an endpoint's data older than that scrapes it on demand,
 * so the first `kubectl top` of a fresh cluster answers at once instead of after a period.
 *
 * A node whose agent fails to answer is simply absent (as with metrics-server); the failure is logged and the
 * endpoint is tried again after a short back-off, not on every request.
 */
import type { KubeObject } from '../resource.js';
import type { NodeUsage } from '../../../dataplane/kubelet/types.js';
import { realClock, type Clock } from '../../../client/clock.js';
import { agentEndpoint, fetchUsage, type UsageFetcher } from './scrape.js';

export interface UsageCacheOptions {
  /** How long one scrape's figures are served (metrics-server's --metric-resolution; default 15 s). */
  resolutionMs?: number;
  /** Per-request timeout of a scrape (default 5 s). */
  timeoutMs?: number;
  /** How long a failed endpoint is left alone before it is tried again (default min(resolution, 2 s)). */
  retryAfterFailureMs?: number;
  clock?: Clock;
  fetch?: UsageFetcher;
  onError?: (err: unknown, endpoint: string) => void;
}

interface Scrape {
  at: number;
  /** nodeName → usage, as the endpoint reported it. */
  nodes: Map<string, NodeUsage>;
  failed: boolean;
}

export class UsageCache {
  private readonly scrapes = new Map<string, Scrape>();
  private readonly inFlight = new Map<string, Promise<Scrape>>();
  private readonly resolutionMs: number;
  private readonly timeoutMs: number;
  private readonly retryMs: number;
  private readonly clock: Clock;
  private readonly fetch: UsageFetcher;
  /** Scrapes in flight, aborted by close(). */
  private readonly running = new Set<AbortController>();
  private closed = false;

  constructor(private readonly opts: UsageCacheOptions = {}) {
    this.resolutionMs = opts.resolutionMs ?? 15_000;
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.retryMs = opts.retryAfterFailureMs ?? Math.min(this.resolutionMs, 2_000);
    this.clock = opts.clock ?? realClock;
    this.fetch = opts.fetch ?? fetchUsage;
  }

  /** The usage of each given node its agent reported (nodes without figures are left out), scraping stale endpoints. */
  async usageOf(nodes: readonly KubeObject[]): Promise<Map<string, NodeUsage>> {
    const byEndpoint = new Map<string, string[]>();
    for (const node of nodes) {
      const name = node.metadata?.name;
      const endpoint = agentEndpoint(node);
      if (!name || !endpoint) continue;
      const names = byEndpoint.get(endpoint) ?? [];
      names.push(name);
      byEndpoint.set(endpoint, names);
    }
    const scrapes = await Promise.all([...byEndpoint.keys()].map((e) => this.fresh(e)));
    const out = new Map<string, NodeUsage>();
    [...byEndpoint.values()].forEach((names, i) => {
      // Only what an endpoint reports for the nodes that name it: an agent cannot speak for another's nodes.
      for (const name of names) {
        const u = scrapes[i]!.nodes.get(name);
        if (u) out.set(name, u);
      }
    });
    return out;
  }

  /** Aborts scrapes in flight. */
  close(): void {
    this.closed = true;
    for (const c of this.running) c.abort();
  }

  /** Whether a scrape taken at `s.at` is still served at `now`. */
  private isFresh(s: Scrape, now: number): boolean {
    return now - s.at < (s.failed ? this.retryMs : this.resolutionMs);
  }

  private fresh(endpoint: string): Promise<Scrape> {
    const have = this.scrapes.get(endpoint);
    if (have && this.isFresh(have, this.clock.now())) return Promise.resolve(have);
    let p = this.inFlight.get(endpoint);
    if (!p) {
      p = this.scrape(endpoint).finally(() => this.inFlight.delete(endpoint));
      this.inFlight.set(endpoint, p);
    }
    return p;
  }

  private async scrape(endpoint: string): Promise<Scrape> {
    // One controller per scrape (no listener left on a long-lived signal), aborted on timeout or close().
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs).unref();
    this.running.add(controller);
    if (this.closed) controller.abort();
    let s: Scrape;
    try {
      const reported = await this.fetch(endpoint, controller.signal);
      s = { at: this.clock.now(), nodes: new Map(reported.map((u) => [u.nodeName, u])), failed: false };
    } catch (err) {
      if (!this.closed) this.opts.onError?.(controller.signal.aborted && !this.closed ? controller.signal.reason : err, endpoint);
      s = { at: this.clock.now(), nodes: new Map(), failed: true };
    } finally {
      clearTimeout(timer);
      this.running.delete(controller);
    }
    this.scrapes.set(endpoint, s);
    return s;
  }
}
