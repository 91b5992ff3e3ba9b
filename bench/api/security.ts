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
 * both alike: each round measures pod creates/s for `seconds`; after all of them, each round's write-to-event
 * latency at `watchers` watch streams (each its own connection, over TLS on the secure server). The clients run in a process per server,
 * in a session of its own (load-worker.ts), so the client side's TLS and JSON work is charged neither to the
 * server's event loop nor to its process's share of a busy machine. The figure that matters is the median over rounds of secure/plain creates/s; the load average is read before and after.
 *
 * Both servers share this process's thread, so each measured phase starts settled (settle(): once the thread has
 * gone quiet), and the watch phases run after all the create rounds. Before, a round's first create phase
 * followed its own side's watch phase, and in the 1.5 s after the secure one (its 100 TLS watch connections
 * closed) the idle thread still spent 100-260 ms of CPU (10-40 ms after the plain one): inside the secure create
 * window of every round that started with secure.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/control/storage/index.js';
import type { Store } from '../../src/control/storage/store.js';
import { buildServer, type ApiServer, type ServerOptions } from '../../src/control/api/server.js';
import { listenApi, type TlsFront } from '../../src/control/api/tls-front/index.js';
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
import { median, percentiles, type Latency, type Throughput } from '../runner/index.js';
import { Transport, type ClientTls } from './transport.js';
import type { LoadJob, LoadReply, LoadWorkerData } from './load-worker.js';
import { servingWithClientCerts } from '../../src/control/pki/serving-tls.js';

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
  /**
   * Unmeasured creates on each server before the first round, the same number on both (default 0): a warm-up by
   * time gives the slower server fewer requests, so its code is less optimised when the rounds start.
   */
  warmupCreates?: number;
  /** Write a CPU profile of each config's create phase per round here (<config>-round<N>.cpuprofile). */
  profileDir?: string;
  /** The profiler's sampling interval in µs (V8's default 1000): finer for short runs, where a 1 ms sample is a few creates. */
  profileIntervalUs?: number;
  /**
   * What the secure server runs, to tell the layers' costs apart: `full` (default, as `skiff server`), `no-sa`
   * (without ServiceAccount admission, so pods get no token volume), `tls` (HTTPS only: every request
   * system:unsecured, no authorisation, as the plain server behind TLS).
   */
  secure?: SecureLayers;
  /**
   * The plain server runs ServiceAccount admission too (`default` ServiceAccount made the same way), so both sides
   * store the same pod with its token volume, as any cluster's API server would whatever its transport: the
   * comparison is then of TLS, authentication and authorisation alone. Default off: plain is `skiff server
   * --insecure-http`, which has no signing key and so no ServiceAccount admission.
   */
  plainServiceAccounts?: boolean;
  /**
   * The secure server does its TLS on the front thread (src/control/api/tls-front/), as `skiff server --tls-thread`;
   * default off: on the API server's own thread, as `skiff server`.
   */
  tlsThread?: boolean;
  /**
   * Append one JSON line per measured create phase here ({config, round, startNs, endNs, creates}, CLOCK_MONOTONIC
   * ns as process.hrtime): an on-CPU sampler run outside (`perf record -k mono`) splits its samples by them.
   */
  marksFile?: string;
}

export type SecureLayers = 'full' | 'no-sa' | 'tls';
export const SECURE_LAYERS: readonly SecureLayers[] = ['full', 'no-sa', 'tls'];

export interface RoundFigures {
  round: number;
  order: Config[];
  createPerSec: Record<Config, number>;
  createP50Ms: Record<Config, number>;
  createP99Ms: Record<Config, number>;
  /** CPU time of the servers' process (every thread: event loop, GC, libuv) per create, µs. */
  createCpuUs: Record<Config, number>;
  /** CPU time of the load process (the clients, load-worker.ts) per create, µs. */
  createClientCpuUs: Record<Config, number>;
  /** CPU time of the servers' thread per create, µs (Linux; NaN elsewhere). */
  createServerCpuUs: Record<Config, number>;
  watchEventMs: Record<Config, Latency>;
  /** Server-thread CPU spent settling before each side's create phase (what the phase before left running), ms. */
  settleCpuMs: Record<Config, number>;
  /** secure/plain creates/s this round. */
  ratio: number;
}

export interface SecurityFigures {
  options: SecurityOptions;
  user: string;
  rounds: RoundFigures[];
  medianCreatePerSec: Record<Config, number>;
  medianCreateCpuUs: Record<Config, number>;
  medianCreateClientCpuUs: Record<Config, number>;
  medianCreateServerCpuUs: Record<Config, number>;
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

/**
 * A load-generating process bound to one server, as one client identity (load-worker.ts): in a session of its
 * own (detached), so on a busy machine the scheduler gives it its own share of the CPU rather than a part of the
 * servers' (autogroups are per session).
 */
class LoadClient {
  private readonly child: ChildProcess;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly exited: Promise<void>;

  constructor(data: LoadWorkerData) {
    this.child = fork(fileURLToPath(new URL('./load-worker.js', import.meta.url)), [], { detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.send(data);
  }

  /** One job at a time: the process answers in order. */
  run(job: LoadJob): Promise<LoadReply & { ok: true }> {
    const next = this.queue.then(() => new Promise<LoadReply & { ok: true }>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`load process exited (${code}) during ${job.op}`));
      this.child.once('exit', onExit);
      this.child.once('message', (reply: LoadReply) => {
        this.child.off('exit', onExit);
        if (reply.ok) resolve(reply);
        else reject(new Error(reply.error));
      });
      this.child.send(job);
    }));
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.run({ op: 'close' }).catch(() => undefined);
    // Closing the channel ends the process (load-worker.ts); the kill is for one that hangs.
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill(), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

interface Running {
  config: Config;
  server: ApiServer;
  /** The secure server's TLS front thread (tlsThread only). */
  front?: TlsFront;
  store: Store;
  scratch: string;
  /** The measured client on its own thread: system:unsecured on plain, bench-user (edit in the namespace) on secure. */
  load: LoadClient;
  admin: Transport;
}

/** The server `skiff server` builds (secure) or `skiff server --insecure-http` (plain), minus the in-process components. */
async function start(config: Config, concurrency: number, layers: SecureLayers = 'full', plainServiceAccounts = false, tlsThread = false): Promise<Running> {
  const scratch = mkdtempSync(join(tmpdir(), `skiff-bench-api-${config}-`));
  const store = await openStore({ backend: 'sqlite', dataDir: scratch });
  const common: ServerOptions = {
    store, compactIntervalMs: 0,
    encryption: loadOrCreateDefaultEncryptionConfig(scratch).config,
    limits: { maxRequestsInflight: 400, maxMutatingRequestsInflight: 200, requestTimeoutMs: 60_000 },
  };
  if (config === 'plain') {
    const server = await buildServer({
      ...common, authentication: authenticationChain({ fallback: UNSECURED_USER }),
      ...(plainServiceAccounts ? { serviceAccounts: { key: loadOrCreateSigningKey(scratch), issuers: [DEFAULT_SERVICE_ACCOUNT_ISSUER], admission: true } } : {}),
    });
    const { port } = await listenApi(server.app, '127.0.0.1', 0);
    await bootstrap(server.engine, { host: '127.0.0.1', port });
    await startPodCache(server);
    const origin = `http://127.0.0.1:${port}`;
    const admin = new Transport(origin, undefined, 4);
    await admin.create('/api/v1/namespaces', { metadata: { name: NS } });
    if (plainServiceAccounts) await admin.create(`/api/v1/namespaces/${NS}/serviceaccounts`, { metadata: { name: 'default' } });
    return { config, server, store, scratch, admin, load: new LoadClient({ origin, concurrency, namespace: NS }) };
  }
  const ca = loadOrCreateClusterCA(scratch);
  const certs = await loadOrIssueServerCertificates(scratch, ca, { listenHosts: ['127.0.0.1'], serviceIP: new ClusterIPAllocator().first }, []);
  const bootstrapTokens = new BootstrapTokenAuthenticator();
  const tlsOnly = layers === 'tls';
  const serving = servingWithClientCerts(certs.serving, ca.certPem);
  const server = await buildServer({
    ...common,
    authentication: tlsOnly ? authenticationChain({ fallback: UNSECURED_USER }) : authenticationChain({ clientCA: ca.certPem, tokens: [bootstrapTokens] }),
    ...(tlsOnly ? {} : { serviceAccounts: { key: loadOrCreateSigningKey(scratch), issuers: [DEFAULT_SERVICE_ACCOUNT_ISSUER], admission: layers === 'full' } }),
    ...(tlsThread ? {} : { https: serving }),
    ...(tlsOnly ? {} : { authorization: { modes: ['Node', 'RBAC'] as ('Node' | 'RBAC')[], anonymousPaths: PUBLIC_INFO_PATHS } }),
  });
  bootstrapTokens.attach(engineBootstrapSecretLookup(server.engine));
  const { port, front } = await listenApi(server.app, '127.0.0.1', 0, tlsThread ? serving : undefined);
  await bootstrap(server.engine, { host: '127.0.0.1', port });
  await startPodCache(server);
  const origin = `https://127.0.0.1:${port}`;
  const admin = new Transport(origin, { ca: ca.certPem, cert: certs.admin.certPem, key: certs.admin.keyPem }, 4);
  const userCert = issueCertificate(ca, { commonName: BENCH_USER, organizations: ['bench-team'], usages: ['client'] });
  const userTls: ClientTls = { ca: ca.certPem, cert: userCert.certPem, key: userCert.keyPem };
  const user = new Transport(origin, userTls, 2);
  await admin.create('/api/v1/namespaces', { metadata: { name: NS } });
  await admin.create(`/api/v1/namespaces/${NS}/serviceaccounts`, { metadata: { name: 'default' } });
  await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
    metadata: { name: 'bench-edit' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: BENCH_USER }],
  });
  if (!tlsOnly) await waitForBinding(user);
  await user.close();
  return { config, server, ...(front ? { front } : {}), store, scratch, admin, load: new LoadClient({ origin, tls: userTls, concurrency, namespace: NS }) };
}

/** The binding reaches the authoriser through its watch cache; the user is refused until it has. */
async function waitForBinding(user: Transport): Promise<void> {
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
}

/**
 * The pod watch cache running, as on any cluster's API server (the scheduler, the controllers and every kubelet
 * watch pods; kube-apiserver starts its cacher for pods at boot): otherwise only the secure server keeps one (the
 * Node authoriser's graph follows pods) and the plain one would skip the cache's work on every create.
 */
async function startPodCache(server: ApiServer): Promise<void> {
  await server.engine.cache(server.registry.lookup('', 'v1', 'pods')!).start();
}

async function stop(r: Running): Promise<void> {
  await r.load.close();
  await r.admin.close();
  await r.front?.close();
  await r.server.close();
  await r.store.close();
  rmSync(r.scratch, { recursive: true, force: true });
}

/**
 * CPU time of this process's main thread (the API servers'; the load runs on workers) in µs, from Linux's
 * /proc/self/task/<tid>/stat (utime + stime, in USER_HZ = 100 ticks a second); undefined elsewhere.
 */
export function serverThreadCpuUs(stat?: string): number | undefined {
  try {
    const text = stat ?? readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is the 3rd field, utime the 14th, stime the 15th.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]);
    return Number.isFinite(ticks) ? ticks * 10_000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates for `seconds` from the load process; also CPU time per create of the server's thread alone, of the
 * servers' whole process and of the load process, figures the other tenants of a busy machine disturb less than
 * throughput.
 */
async function creates(r: Running, prefix: string, seconds: number, maxOps?: number): Promise<Throughput & { cpuUsPerOp: number; serverCpuUsPerOp: number; clientCpuUsPerOp: number }> {
  const cpu0 = process.cpuUsage();
  const thread0 = serverThreadCpuUs();
  const t = (await r.load.run({ op: 'creates', prefix, seconds, ...(maxOps !== undefined ? { ops: maxOps } : {}) })).creates!;
  const cpu = process.cpuUsage(cpu0);
  const thread1 = serverThreadCpuUs();
  const ops = Math.max(1, t.ops);
  const serverCpuUsPerOp = thread0 !== undefined && thread1 !== undefined ? (thread1 - thread0) / ops : NaN;
  return { ...t, cpuUsPerOp: (cpu.user + cpu.system) / ops, serverCpuUsPerOp, clientCpuUsPerOp: t.clientCpuUs / ops };
}

async function watchFanOut(r: Running, prefix: string, watchers: number, events: number): Promise<Latency> {
  return (await r.load.run({ op: 'watch', prefix, watchers, events })).watch!;
}

const QUIET_WINDOW_MS = 200;
/** At most one /proc tick (10 ms) of the thread's CPU in a window: 5%, timers and the watch caches' bookkeeping. */
const QUIET_CPU_US = 10_000;
const SETTLE_MAX_MS = 5000;

/**
 * Before a measured phase: wait for a window in which the servers' thread is quiet (the last phase's connections
 * closed and their work done), for at most SETTLE_MAX_MS. No forced collection: with a full GC before each phase,
 * both sides' server CPU a create came out 39-58% higher than without (two runs each, load 10-19), so it
 * measured something other than the steady state. Returns the server-thread CPU spent, µs (NaN off Linux, where it
 * cannot tell and does not wait).
 */
export async function settle(readCpuUs: () => number | undefined = serverThreadCpuUs, windowMs = QUIET_WINDOW_MS): Promise<number> {
  const start = readCpuUs();
  if (start === undefined) return NaN;
  const deadline = Date.now() + SETTLE_MAX_MS;
  for (;;) {
    const a = readCpuUs()!;
    await new Promise((res) => setTimeout(res, windowMs));
    const b = readCpuUs()!;
    if (b - a <= QUIET_CPU_US || Date.now() >= deadline) return b - start;
  }
}

/** The count warm-up: the same number of creates on each side, in two halves in both orders (plain, secure, secure, plain). */
export function warmupPlan(creates: number): { config: Config; creates: number }[] {
  const half = Math.ceil(creates / 2);
  return half > 0 ? [...CONFIGS, ...[...CONFIGS].reverse()].map((config) => ({ config, creates: half })) : [];
}

/** Plain then secure in odd rounds, secure then plain in even ones: neither always runs first (or warmer). */
export const roundOrder = (round: number): Config[] => (round % 2 === 0 ? ['plain', 'secure'] : ['secure', 'plain']);

/** Runs `fn` under the V8 CPU profiler (this process's main thread: both servers; the clients run on workers) and writes the profile to `file`. */
async function profiled<T>(session: Session | null, file: string, fn: () => Promise<T>): Promise<T> {
  if (!session) return fn();
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
  }
}

export async function compareSecurity(o: SecurityOptions): Promise<SecurityFigures> {
  const loadBefore = loadavg();
  const running = {} as Record<Config, Running>;
  let session: Session | null = null;
  if (o.profileDir) {
    mkdirSync(o.profileDir, { recursive: true });
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    if (o.profileIntervalUs) await session.post('Profiler.setSamplingInterval', { interval: o.profileIntervalUs });
  }
  try {
    for (const c of CONFIGS) running[c] = await start(c, o.concurrency, o.secure, o.plainServiceAccounts, o.tlsThread);
    for (const c of CONFIGS) if (o.warmupSeconds > 0) await creates(running[c], 'warm', o.warmupSeconds);
    for (const [i, w] of warmupPlan(o.warmupCreates ?? 0).entries()) await creates(running[w.config], `warm${i}`, 600, w.creates);
    const rounds: RoundFigures[] = [];
    for (let round = 0; round < o.rounds; round++) {
      const order = roundOrder(round);
      const f = { createPerSec: {}, createP50Ms: {}, createP99Ms: {}, createCpuUs: {}, createClientCpuUs: {}, createServerCpuUs: {}, watchEventMs: {}, settleCpuMs: {} } as Omit<RoundFigures, 'round' | 'order' | 'ratio'>;
      for (const c of order) {
        f.settleCpuMs[c] = (await settle()) / 1000;
        const t0 = process.hrtime.bigint();
        const t = await profiled(session, join(o.profileDir ?? '', `${c}-round${round + 1}.cpuprofile`), () => creates(running[c], `r${round}`, o.seconds));
        if (o.marksFile) appendFileSync(o.marksFile, `${JSON.stringify({ config: c, round: round + 1, startNs: String(t0), endNs: String(process.hrtime.bigint()), creates: t.ops })}\n`);
        f.createPerSec[c] = t.opsPerSec;
        f.createP50Ms[c] = t.latency.p50;
        f.createP99Ms[c] = t.latency.p99;
        f.createCpuUs[c] = t.cpuUsPerOp;
        f.createClientCpuUs[c] = t.clientCpuUsPerOp;
        f.createServerCpuUs[c] = t.serverCpuUsPerOp;
      }
      rounds.push({ round: round + 1, order, ...f, ratio: f.createPerSec.secure / f.createPerSec.plain });
    }
    // The watch fan-out after every create round, not between them: a round's first create phase followed its own
    // side's watch phase (100 watch connections opened, fed and closed, on the secure side over TLS).
    for (const r of rounds) {
      for (const c of r.order) {
        if (o.watchers > 0) await settle();
        r.watchEventMs[c] = o.watchers > 0 ? await watchFanOut(running[c], `w${r.round - 1}`, o.watchers, o.events) : percentiles([]);
      }
    }
    const medianRatio = median(rounds.map((r) => r.ratio));
    const byConfig = (pick: (r: RoundFigures, c: Config) => number) =>
      Object.fromEntries(CONFIGS.map((c) => [c, median(rounds.map((r) => pick(r, c)))])) as Record<Config, number>;
    return {
      options: o,
      user: (o.secure ?? 'full') === 'tls'
        ? `system:unsecured over TLS (--secure tls: no authentication, authorisation or ServiceAccount admission)`
        : `${BENCH_USER} (ClusterRole edit bound in namespace ${NS}) over TLS with a client certificate${o.secure === 'no-sa' ? ' (--secure no-sa: no ServiceAccount admission)' : ''}`,
      rounds,
      medianCreatePerSec: byConfig((r, c) => r.createPerSec[c]),
      medianCreateCpuUs: byConfig((r, c) => r.createCpuUs[c]),
      medianCreateClientCpuUs: byConfig((r, c) => r.createClientCpuUs[c]),
      medianCreateServerCpuUs: byConfig((r, c) => r.createServerCpuUs[c]),
      medianRatio,
      overhead: 1 - medianRatio,
      medianWatchP50Ms: byConfig((r, c) => r.watchEventMs[c].p50),
      medianWatchP99Ms: byConfig((r, c) => r.watchEventMs[c].p99),
      loadBefore,
      loadAfter: loadavg(),
    };
  } finally {
    session?.disconnect();
    for (const c of CONFIGS) if (running[c]) await stop(running[c]);
  }
}
