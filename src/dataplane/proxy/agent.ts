/**
 * The proxy agent (kube-proxy's main loop): keeps Services and EndpointSlices from a source (informers in
 * production, a fake in tests), and syncs the dataplane through one backend:
 * - debounced: a change syncs as soon as possible but never sooner than minSyncPeriod after the last sync began
 *   (upstream's BoundedFrequencyRunner);
 * - a resync (compare with the kernel) every syncPeriod and after any failure, retried with exponential backoff;
 * - /healthz on the health port, /proxyMode and /metrics on the metrics port, bound to loopback by default.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { realClock, type Clock, type TimerHandle } from '../../client/clock.js';
import { buildServicePortsCached, ServicePortCache, type EndpointSliceObject, type ServiceObject } from './model-builder.js';
import type { ServicePortInfo } from './model.js';
import type { ProxyBackend } from './backends.js';
import { ProxyMetrics } from './metrics.js';

/** Where the agent's objects come from. `start` resolves once the initial lists are in (caches synced). */
export interface ProxySource {
  start(onChange: () => void, signal: AbortSignal): Promise<void>;
  services(): Iterable<ServiceObject>;
  endpointSlices(): Iterable<EndpointSliceObject>;
}

export interface ProxyAgentOptions {
  backend: ProxyBackend;
  source: ProxySource;
  nodeName: string;
  /** Upstream --min-sync-period (default 1 s). */
  minSyncPeriodMs?: number;
  /** Upstream --sync-period (default 30 s). */
  syncPeriodMs?: number;
  /** First retry delay after a failed sync; doubles up to syncPeriod. */
  retryBaseMs?: number;
  clock?: Clock;
  metrics?: ProxyMetrics;
  /** "host:port" for /healthz (upstream default 0.0.0.0:10256; here loopback); null = no server. */
  healthzBindAddress?: string | null;
  /** "host:port" for /metrics and /proxyMode (upstream 127.0.0.1:10249); null = no server. */
  metricsBindAddress?: string | null;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface SyncRecord {
  at: number;
  durationMs: number;
  resync: boolean;
  bytes: number;
  servicePorts: number;
  error?: string;
}

function parseBind(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  const port = Number(addr.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid bind address ${JSON.stringify(addr)} (want host:port)`);
  return { host: addr.slice(0, i) || '127.0.0.1', port };
}

export class ProxyAgent {
  readonly metrics: ProxyMetrics;
  private readonly clock: Clock;
  private readonly minSync: number;
  private readonly syncPeriod: number;
  private readonly retryBase: number;
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  private running: Promise<void> | null = null;
  private pending = false;
  private needResync = true;
  private failures = 0;
  private lastStart = -Infinity;
  private lastResync = -Infinity;
  private lastSuccess = 0;
  private firstPendingAt = 0;
  private stopped = false;
  private servers: http.Server[] = [];
  private readonly portCache = new ServicePortCache();
  private keepAlive: NodeJS.Timeout | null = null;
  /** The model of the last successful sync. */
  lastModel: ServicePortInfo[] = [];
  readonly history: SyncRecord[] = [];
  private waiters: Array<{ pred: (r: SyncRecord) => boolean; resolve: (r: SyncRecord) => void }> = [];

  constructor(private readonly opts: ProxyAgentOptions) {
    this.clock = opts.clock ?? realClock;
    this.minSync = opts.minSyncPeriodMs ?? 1000;
    this.syncPeriod = opts.syncPeriodMs ?? 30_000;
    this.retryBase = opts.retryBaseMs ?? 1000;
    this.metrics = opts.metrics ?? new ProxyMetrics();
    opts.backend.attachMetrics?.(this.metrics);
  }

  get mode(): string {
    return this.opts.backend.mode;
  }

  /** Start servers and the source; the first sync runs once caches are synced. Returns the bound ports. */
  async start(signal: AbortSignal): Promise<{ healthzPort?: number; metricsPort?: number }> {
    const ports: { healthzPort?: number; metricsPort?: number } = {};
    if (this.opts.healthzBindAddress !== null) ports.healthzPort = await this.listen(this.opts.healthzBindAddress ?? '127.0.0.1:10256', (req, res) => this.serveHealth(req, res));
    if (this.opts.metricsBindAddress !== null) ports.metricsPort = await this.listen(this.opts.metricsBindAddress ?? '127.0.0.1:10249', (req, res) => this.serveMetrics(req, res));
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    // The clock's timers do not hold the process open; a running agent must, until stopped.
    if (!this.stopped) this.keepAlive = setInterval(() => {}, 1 << 30);
    await this.opts.source.start(() => this.requestSync(), signal);
    this.requestSync();
    return ports;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = null;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers = [];
    await this.running;
  }

  /** Something changed: sync as soon as minSyncPeriod allows. */
  requestSync(): void {
    if (this.stopped) return;
    if (!this.pending) this.firstPendingAt = this.clock.now();
    this.pending = true;
    this.schedule(Math.max(0, this.lastStart + this.minSync - this.clock.now()));
  }

  /** Resolves with the next sync record matching `pred` (tests, benchmarks). */
  waitForSync(pred: (r: SyncRecord) => boolean = () => true): Promise<SyncRecord> {
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  private schedule(delay: number): void {
    const at = this.clock.now() + delay;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      void this.runSync();
    }, delay);
  }

  private async runSync(): Promise<void> {
    if (this.stopped) return;
    if (this.running) {
      // One sync at a time: the one in flight re-checks `pending` when done.
      return;
    }
    this.running = this.syncOnce().finally(() => {
      this.running = null;
    });
    await this.running;
  }

  private async syncOnce(): Promise<void> {
    const resync = this.needResync || this.clock.now() - this.lastResync >= this.syncPeriod;
    this.pending = false;
    this.needResync = false;
    this.lastStart = this.clock.now();
    const t0 = performance.now();
    const model = buildServicePortsCached(this.opts.source.services(), this.opts.source.endpointSlices(), this.opts.nodeName, this.portCache);
    const rec: SyncRecord = { at: this.clock.now(), durationMs: 0, resync, bytes: 0, servicePorts: model.length };
    try {
      const out = await this.opts.backend.sync(model, resync);
      rec.bytes = out.bytes;
      rec.resync = out.full;
      const secs = (performance.now() - t0) / 1000;
      this.metrics.syncDuration.observe(secs);
      (out.full ? this.metrics.fullSyncDuration : this.metrics.partialSyncDuration).observe(secs);
      this.metrics.lastSync.set(this.clock.now() / 1000);
      this.metrics.servicesTotal.set(model.length);
      this.lastModel = model;
      if (out.full) this.lastResync = this.lastStart;
      this.lastSuccess = this.clock.now();
      this.failures = 0;
    } catch (e) {
      rec.error = e instanceof Error ? e.message : String(e);
      this.metrics.syncFailures.inc();
      this.needResync = true;
      this.pending = true;
      this.failures++;
      this.opts.log?.('proxy sync failed', { error: rec.error, failures: this.failures });
    }
    rec.durationMs = performance.now() - t0;
    this.history.push(rec);
    if (this.history.length > 100) this.history.shift();
    this.waiters = this.waiters.filter((w) => (w.pred(rec) ? (w.resolve(rec), false) : true));
    if (this.stopped) return;
    if (rec.error) {
      this.schedule(Math.min(this.syncPeriod, this.retryBase * 2 ** (this.failures - 1)));
    } else if (this.pending) {
      this.schedule(Math.max(0, this.lastStart + this.minSync - this.clock.now()));
    } else {
      // Periodic resync against the kernel, syncPeriod after the last one.
      this.schedule(Math.max(0, this.lastResync + this.syncPeriod - this.clock.now()));
    }
  }

  /** Healthy when a sync succeeded and no change has waited longer than two sync periods (upstream's rule). */
  healthy(): boolean {
    if (this.lastSuccess === 0) return false;
    const waiting = this.pending ? this.clock.now() - this.firstPendingAt : 0;
    return waiting <= 2 * this.syncPeriod;
  }

  private listen(addr: string, handler: http.RequestListener): Promise<number> {
    const { host, port } = parseBind(addr);
    const server = http.createServer(handler);
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
    });
  }

  private serveHealth(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.url !== '/healthz' && req.url !== '/livez') {
      res.writeHead(404).end('404 page not found\n');
      return;
    }
    const ok = this.healthy();
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        lastUpdated: new Date(this.lastSuccess).toISOString(),
        currentTime: new Date(this.clock.now()).toISOString(),
        nodeEligible: true,
      }),
    );
  }

  private serveMetrics(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.url === '/proxyMode') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(this.mode.split('/')[0]);
    } else if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(this.metrics.render());
    } else if (req.url === '/healthz') {
      res.writeHead(this.healthy() ? 200 : 503).end(this.healthy() ? 'ok' : 'unhealthy');
    } else {
      res.writeHead(404).end('404 page not found\n');
    }
  }
}

/** A source whose objects a test (or `skiff proxy compile`) sets directly. */
export class StaticSource implements ProxySource {
  private svcs = new Map<string, ServiceObject>();
  private eps = new Map<string, EndpointSliceObject>();
  private onChange: (() => void) | null = null;

  constructor(services: ServiceObject[] = [], slices: EndpointSliceObject[] = []) {
    for (const s of services) this.svcs.set(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, s);
    for (const s of slices) this.eps.set(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, s);
  }

  async start(onChange: () => void): Promise<void> {
    this.onChange = onChange;
  }
  services(): Iterable<ServiceObject> {
    return this.svcs.values();
  }
  endpointSlices(): Iterable<EndpointSliceObject> {
    return this.eps.values();
  }
  upsertService(s: ServiceObject): void {
    this.svcs.set(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, s);
    this.onChange?.();
  }
  deleteService(namespace: string, name: string): void {
    this.svcs.delete(`${namespace}/${name}`);
    this.onChange?.();
  }
  upsertSlice(s: EndpointSliceObject): void {
    this.eps.set(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, s);
    this.onChange?.();
  }
  deleteSlice(namespace: string, name: string): void {
    this.eps.delete(`${namespace}/${name}`);
    this.onChange?.();
  }
}
