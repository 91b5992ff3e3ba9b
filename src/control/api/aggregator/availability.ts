/**
 * kube-aggregator's availability controller, inside the API server: every remote APIService is checked in turn
 * (its Service, its endpoints, then a GET of /apis/<group>/<version> on the aggregated server) and its
 * Available condition written when it changes, with upstream's reasons (ServiceNotFound, ServicePortError,
 * MissingEndpoints, FailedDiscoveryCheck, Passed). The discovery document each check reads is kept for the
 * aggregated discovery this server answers.
 */
import { request } from 'node:https';
import type { APIResourceList } from '../discovery.js';
import type { KubeObject } from '../resource.js';
import { resolveEndpoint, type ObjectLookup } from './endpoint.js';
import { targetTls, type ProxyClientCertificate, type ProxyTarget } from './proxy.js';
import type { RemoteAPI, RemoteAPIs } from './remote-apis.js';

export interface AvailableCondition { type: 'Available'; status: 'True' | 'False'; reason: string; message: string; lastTransitionTime?: string }

export interface StatusWriter {
  current(name: string): Promise<KubeObject | undefined>;
  writeCondition(name: string, c: AvailableCondition): Promise<void>;
}

const CHECK_TIMEOUT_MS = 5_000;

function fetchDiscovery(t: ProxyTarget, path: string, client: ProxyClientCertificate | undefined): Promise<APIResourceList> {
  const url = `${t.origin}${path}`;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'GET', headers: { accept: 'application/json' }, timeout: CHECK_TIMEOUT_MS, ...targetTls(t, client),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`bad status from ${url}: ${res.statusCode}`));
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as APIResourceList);
        } catch (err) {
          reject(new Error(`invalid discovery document from ${url}: ${(err as Error).message}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('Client.Timeout exceeded while awaiting headers')));
    req.on('error', (err) => reject(new Error(`failing or missing response from ${url}: ${err.message}`)));
    req.end();
  });
}

export class AvailabilityController {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Each available remote group-version's resources, for discovery. */
  readonly discovery = new Map<string, APIResourceList>();

  constructor(
    private readonly remotes: RemoteAPIs,
    private readonly objects: ObjectLookup,
    private readonly status: StatusWriter,
    private readonly opts: { intervalMs: number; client?: ProxyClientCertificate; now?: () => Date; onError?: (err: unknown) => void },
  ) {}

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.checkAll().catch((err) => this.opts.onError?.(err)).finally(() => {
        this.running = null;
        if (!this.stopped) this.timer = setTimeout(tick, this.opts.intervalMs).unref();
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  async checkAll(): Promise<void> {
    const apis = this.remotes.all();
    const live = new Set(apis.map((a) => `${a.group}/${a.version}`));
    for (const gv of [...this.discovery.keys()]) if (!live.has(gv)) this.discovery.delete(gv);
    for (const api of apis) await this.check(api);
  }

  private async check(api: RemoteAPI): Promise<void> {
    const gv = `${api.group}/${api.version}`;
    let cond: AvailableCondition;
    const r = await resolveEndpoint(this.objects, api);
    if ('reason' in r) cond = { type: 'Available', status: 'False', reason: r.reason, message: r.message };
    else {
      try {
        this.discovery.set(gv, await fetchDiscovery(r.target, `/apis/${api.group}/${api.version}`, this.opts.client));
        cond = { type: 'Available', status: 'True', reason: 'Passed', message: 'all checks passed' };
      } catch (err) {
        cond = { type: 'Available', status: 'False', reason: 'FailedDiscoveryCheck', message: (err as Error).message };
      }
    }
    if (cond.status !== 'True') this.discovery.delete(gv);
    const cur = await this.status.current(api.name);
    const old = ((cur?.['status'] as { conditions?: AvailableCondition[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Available');
    if (old && old.status === cond.status && old.reason === cond.reason && old.message === cond.message) return;
    const now = `${(this.opts.now?.() ?? new Date()).toISOString().slice(0, 19)}Z`;
    await this.status.writeCondition(api.name, { ...cond, lastTransitionTime: old && old.status === cond.status ? old.lastTransitionTime ?? now : now });
  }
}
