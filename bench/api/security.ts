/**
 * What security costs the API server: two servers in this one process, wired as `skiff server --insecure-http`
 * (plain HTTP, every request system:unsecured) and as `skiff server` by default (HTTPS with the cluster CA,
 * client-certificate then bootstrap-token and ServiceAccount-token authentication, authorisation Node,RBAC with
 * anonymous requests only to the public paths, ServiceAccount admission on as when the controllers run), each on
 * its own sqlite data dir with secrets encryption and the default in-flight limits, as the CLI builds them.
 *
 * On the secure server the measured client is no admin: `bench-user` (a client certificate from the same CA, in
 * no privileged group) bound to the `edit` ClusterRole in the bench namespace by a RoleBinding, so every request
 * is decided by RBAC rules rather than by the system:masters shortcut. The namespace's `default` ServiceAccount is
 * made by hand (the serviceaccount controller's job), so each pod gets its projected token volume as in a cluster.
 *
 * Rounds alternate the two (plain then secure, then secure then plain, …) so the machine's other load falls on
 * both alike: each round measures pod creates/s for `seconds` and then the write-to-event latency at `watchers`
 * watch streams (each its own connection, over TLS on the secure server). The figure that matters is the median
 * over rounds of secure/plain creates/s; the load average is read before and after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { Pool } from 'undici';
import { openStore } from '../../src/control/storage/index.js';
import type { Store } from '../../src/control/storage/store.js';
import { buildServer, type ApiServer, type ServerOptions } from '../../src/control/api/server.js';
import { bootstrap } from '../../src/control/bootstrap.js';
import { loadOrCreateClusterCA } from '../../src/control/pki/ca.js';
import { loadOrIssueServerCertificates } from '../../src/control/pki/cluster-certs.js';
import { issueCertificate } from '../../src/control/pki/issue.js';
import { ClusterIPAllocator } from '../../src/control/api/allocators/clusterip.js';
import { authenticationChain, UNSECURED_USER } from '../../src/control/api/auth/index.js';
import { BootstrapTokenAuthenticator, engineBootstrapSecretLookup } from '../../src/control/api/auth/bootstrap-token.js';
import { DEFAULT_SERVICE_ACCOUNT_ISSUER, loadOrCreateSigningKey } from '../../src/control/api/serviceaccount/index.js';
import { PUBLIC_INFO_PATHS } from '../../src/control/api/authz/index.js';
import { loadOrCreateDefaultEncryptionConfig } from '../../src/control/storage/encryption/index.js';
import { measureOps, nowMs, percentiles, type Latency } from '../runner/index.js';

export type Config = 'plain' | 'secure';
export const CONFIGS: readonly Config[] = ['plain', 'secure'];

export interface SecurityOptions {
  seconds: number;
  concurrency: number;
  rounds: number;
  watchers: number;
  events: number;
  /** Seconds of unmeasured creates on each server before the first round (JIT, caches). */
  warmupSeconds: number;
}

export interface RoundFigures {
  round: number;
  order: Config[];
  createPerSec: Record<Config, number>;
  createP50Ms: Record<Config, number>;
  createP99Ms: Record<Config, number>;
  watchEventMs: Record<Config, Latency>;
  /** secure/plain creates/s this round. */
  ratio: number;
}

export interface SecurityFigures {
  options: SecurityOptions;
  user: string;
  rounds: RoundFigures[];
  medianCreatePerSec: Record<Config, number>;
  /** Median over rounds of each round's secure/plain creates/s. */
  medianRatio: number;
  /** 1 - medianRatio: what security costs of create throughput. */
  overhead: number;
  medianWatchP50Ms: Record<Config, number>;
  medianWatchP99Ms: Record<Config, number>;
  loadBefore: number[];
  loadAfter: number[];
}

export const BENCH_USER = 'bench-user';
const NS = 'bench';

/** A client of one server: undici pools (as RestClient uses), TLS with a client certificate on the secure one. */
class Transport {
  private readonly pool: Pool;
  private readonly watchPool: Pool;

  constructor(readonly origin: string, tls?: { ca: string; cert: string; key: string }, connections = 16) {
    const connect = tls ? { secureContext: createSecureContext(tls), rejectUnauthorized: true } : undefined;
    this.pool = new Pool(origin, { connections, ...(connect ? { connect } : {}) });
    // One connection per watch stream, as a client's informers open them.
    this.watchPool = new Pool(origin, { pipelining: 0, bodyTimeout: 0, ...(connect ? { connect } : {}) });
  }

  async send(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const res = await this.pool.request({
      method, path,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.statusCode, text: await res.body.text() };
  }

  async create(path: string, body: unknown): Promise<void> {
    const r = await this.send('POST', path, body);
    if (r.status !== 201) throw new Error(`POST ${this.origin}${path}: ${r.status} ${r.text}`);
  }

  /** A watch stream's lines, until `signal` aborts it. */
  async watch(path: string, signal: AbortSignal, onReady: () => void, onLine: (line: string) => void): Promise<void> {
    const res = await this.watchPool.request({ method: 'GET', path, signal, headers: { accept: 'application/json' } });
    if (res.statusCode !== 200) throw new Error(`watch ${path}: ${res.statusCode} ${await res.body.text()}`);
    onReady();
    let buf = '';
    try {
      for await (const chunk of res.body) {
        buf += (chunk as Buffer).toString('utf8');
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      }
    } catch {
      // aborted
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.pool.destroy(), this.watchPool.destroy()]);
  }
}

interface Running {
  config: Config;
  server: ApiServer;
  store: Store;
  scratch: string;
  /** The measured client: system:unsecured on plain, bench-user (edit in the namespace) on secure. */
  user: Transport;
  admin: Transport;
}

/** The server `skiff server` builds (secure) or `skiff server --insecure-http` (plain), minus the in-process components. */
async function start(config: Config, concurrency: number): Promise<Running> {
  const scratch = mkdtempSync(join(tmpdir(), `skiff-bench-api-${config}-`));
  const store = await openStore({ backend: 'sqlite', dataDir: scratch });
  const common: ServerOptions = {
    store, compactIntervalMs: 0,
    encryption: loadOrCreateDefaultEncryptionConfig(scratch).config,
    limits: { maxRequestsInflight: 400, maxMutatingRequestsInflight: 200, requestTimeoutMs: 60_000 },
  };
  if (config === 'plain') {
    const server = await buildServer({ ...common, authentication: authenticationChain({ fallback: UNSECURED_USER }) });
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const port = portOf(server);
    await bootstrap(server.engine, { host: '127.0.0.1', port });
    const t = new Transport(`http://127.0.0.1:${port}`, undefined, concurrency);
    await t.create('/api/v1/namespaces', { metadata: { name: NS } });
    return { config, server, store, scratch, user: t, admin: t };
  }
  const ca = loadOrCreateClusterCA(scratch);
  const certs = await loadOrIssueServerCertificates(scratch, ca, { listenHosts: ['127.0.0.1'], serviceIP: new ClusterIPAllocator().first }, []);
  const bootstrapTokens = new BootstrapTokenAuthenticator();
  const server = await buildServer({
    ...common,
    authentication: authenticationChain({ clientCA: ca.certPem, tokens: [bootstrapTokens] }),
    serviceAccounts: { key: loadOrCreateSigningKey(scratch), issuers: [DEFAULT_SERVICE_ACCOUNT_ISSUER], admission: true },
    https: { key: certs.serving.keyPem, cert: certs.serving.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: false },
    authorization: { modes: ['Node', 'RBAC'], anonymousPaths: PUBLIC_INFO_PATHS },
  });
  bootstrapTokens.attach(engineBootstrapSecretLookup(server.engine));
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const port = portOf(server);
  await bootstrap(server.engine, { host: '127.0.0.1', port });
  const origin = `https://127.0.0.1:${port}`;
  const admin = new Transport(origin, { ca: ca.certPem, cert: certs.admin.certPem, key: certs.admin.keyPem }, 4);
  const userCert = issueCertificate(ca, { commonName: BENCH_USER, organizations: ['bench-team'], usages: ['client'] });
  const user = new Transport(origin, { ca: ca.certPem, cert: userCert.certPem, key: userCert.keyPem }, concurrency);
  await admin.create('/api/v1/namespaces', { metadata: { name: NS } });
  await admin.create(`/api/v1/namespaces/${NS}/serviceaccounts`, { metadata: { name: 'default' } });
  await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
    metadata: { name: 'bench-edit' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: BENCH_USER }],
  });
  // The binding reaches the authoriser through its watch cache; the user is refused until it has.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await user.send('GET', `/api/v1/namespaces/${NS}/pods?limit=1`);
    if (r.status === 200) break;
    if (Date.now() > deadline) throw new Error(`${BENCH_USER} still refused after its RoleBinding: ${r.status} ${r.text}`);
    await new Promise((res) => setTimeout(res, 20));
  }
  // Sanity: the user is bound to edit and nothing more (a cluster-scoped read is refused), so RBAC really decides.
  const nodes = await user.send('GET', '/api/v1/nodes');
  if (nodes.status !== 403) throw new Error(`${BENCH_USER} should not list nodes, got ${nodes.status}`);
  return { config, server, store, scratch, user, admin };
}

function portOf(server: ApiServer): number {
  const addr = server.app.server.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}

async function stop(r: Running): Promise<void> {
  await r.user.close();
  await r.admin.close();
  await r.server.close();
  await r.store.close();
  rmSync(r.scratch, { recursive: true, force: true });
}

const podJson = (name: string, i: number) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS, labels: { app: `app-${i % 20}`, tier: i % 2 ? 'fe' : 'be' } },
  spec: { containers: [{ name: 'c', image: 'registry.example/app:1.0', ports: [{ containerPort: 8080 }] }] },
});

async function creates(r: Running, prefix: string, seconds: number, concurrency: number) {
  return measureOps((i) => r.user.create(`/api/v1/namespaces/${NS}/pods`, podJson(`${prefix}-${i}`, i)), {
    seconds, concurrency, label: `${r.config} creates`,
  });
}

/** Each write's event timed at every one of `watchers` streams (the measured user's), `events` writes one at a time. */
async function watchFanOut(r: Running, prefix: string, watchers: number, events: number): Promise<Latency> {
  const list = JSON.parse((await r.user.send('GET', `/api/v1/namespaces/${NS}/configmaps?limit=1`)).text) as { metadata: { resourceVersion: string } };
  const sent = new Map<string, number>();
  const samples: number[] = [];
  const ac = new AbortController();
  // Every stream listens on the one signal.
  setMaxListeners(watchers + 10, ac.signal);
  let ready = 0;
  const re = new RegExp(`"name":"(${prefix}-\\d+)"`);
  const streams = Array.from({ length: watchers }, () =>
    r.user.watch(`/api/v1/namespaces/${NS}/configmaps?watch=1&resourceVersion=${list.metadata.resourceVersion}`, ac.signal, () => ready++, (line) => {
      const m = re.exec(line);
      const t0 = m ? sent.get(m[1]!) : undefined;
      if (t0 !== undefined) samples.push(nowMs() - t0);
    }));
  const openBy = Date.now() + 30_000;
  while (ready < watchers) {
    if (Date.now() > openBy) throw new Error(`${r.config}: only ${ready}/${watchers} watches opened`);
    await new Promise((res) => setTimeout(res, 10));
  }
  for (let i = 0; i < events; i++) {
    const name = `${prefix}-${i}`;
    const target = (i + 1) * watchers;
    sent.set(name, nowMs());
    await r.user.create(`/api/v1/namespaces/${NS}/configmaps`, { metadata: { name }, data: { i: String(i) } });
    const deadline = Date.now() + 5000;
    while (samples.length < target && Date.now() < deadline) await new Promise((res) => setImmediate(res));
  }
  ac.abort();
  await Promise.allSettled(streams);
  return percentiles(samples);
}

export const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Plain then secure in odd rounds, secure then plain in even ones: neither always runs first (or warmer). */
export const roundOrder = (round: number): Config[] => (round % 2 === 0 ? ['plain', 'secure'] : ['secure', 'plain']);

export async function compareSecurity(o: SecurityOptions): Promise<SecurityFigures> {
  const loadBefore = loadavg();
  const running = {} as Record<Config, Running>;
  try {
    for (const c of CONFIGS) running[c] = await start(c, o.concurrency);
    for (const c of CONFIGS) if (o.warmupSeconds > 0) await creates(running[c], 'warm', o.warmupSeconds, o.concurrency);
    const rounds: RoundFigures[] = [];
    for (let round = 0; round < o.rounds; round++) {
      const order = roundOrder(round);
      const f = { createPerSec: {}, createP50Ms: {}, createP99Ms: {}, watchEventMs: {} } as Omit<RoundFigures, 'round' | 'order' | 'ratio'>;
      for (const c of order) {
        const t = await creates(running[c], `r${round}`, o.seconds, o.concurrency);
        f.createPerSec[c] = t.opsPerSec;
        f.createP50Ms[c] = t.latency.p50;
        f.createP99Ms[c] = t.latency.p99;
      }
      for (const c of order) f.watchEventMs[c] = o.watchers > 0 ? await watchFanOut(running[c], `w${round}`, o.watchers, o.events) : percentiles([]);
      rounds.push({ round: round + 1, order, ...f, ratio: f.createPerSec.secure / f.createPerSec.plain });
    }
    const medianRatio = median(rounds.map((r) => r.ratio));
    const byConfig = (pick: (r: RoundFigures, c: Config) => number) =>
      Object.fromEntries(CONFIGS.map((c) => [c, median(rounds.map((r) => pick(r, c)))])) as Record<Config, number>;
    return {
      options: o,
      user: `${BENCH_USER} (ClusterRole edit bound in namespace ${NS}) over TLS with a client certificate`,
      rounds,
      medianCreatePerSec: byConfig((r, c) => r.createPerSec[c]),
      medianRatio,
      overhead: 1 - medianRatio,
      medianWatchP50Ms: byConfig((r, c) => r.watchEventMs[c].p50),
      medianWatchP99Ms: byConfig((r, c) => r.watchEventMs[c].p99),
      loadBefore,
      loadAfter: loadavg(),
    };
  } finally {
    for (const c of CONFIGS) if (running[c]) await stop(running[c]);
  }
}
