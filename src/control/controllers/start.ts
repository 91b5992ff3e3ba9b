/**
 * The controller manager: selected controllers on one set of shared informers, under leader election on the
 * kube-system/kube-controller-manager Lease (upstream's name and timings) so that two copies never both act.
 * `skiff controller-manager` runs this alone; `skiff server` runs it on its own thread (thread.ts).
 */
import { setMaxListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { realClock, type Clock } from '../../client/clock.js';
import { EventRecorder } from '../../client/events.js';
import { SharedInformerFactory } from '../../client/informer.js';
import { slimCacheTransform } from '../../client/share-parts.js';
import { loadKubeconfig } from '../../client/kubeconfig.js';
import { LeaderElector } from '../../client/leader-election.js';
import { RestClient } from '../../client/rest.js';
import { Events } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import type { WorkQueue } from '../../client/workqueue.js';
import { createControllerContext, type ControllerOptions } from './context.js';
import type { ControllerDescriptor } from './controller.js';
import { CONTROLLERS } from './index.js';
import { workqueueMetricsText } from './metrics.js';
import { selectControllers } from './selection.js';

export interface StartControllerManagerOptions {
  kubeconfig?: string;
  /** A ready client (tests); stop() leaves it open. */
  client?: RestClient;
  /** --controllers; default ['*']. */
  controllers?: string[];
  /** The descriptors to choose from; default every controller (tests pass their own). */
  available?: ControllerDescriptor[];
  /** Default true. */
  leaderElect?: boolean;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  identity?: string;
  options?: Partial<ControllerOptions>;
  clock?: Clock;
  /** Serve /metrics and /healthz here (port 0 picks one). */
  metricsListen?: { host: string; port: number };
  onError?: (err: unknown, context: string) => void;
}

export interface RunningControllerManager {
  /** Resolves true once this copy leads and its controllers' caches synced; false if stopped first. */
  ready: Promise<boolean>;
  isLeader(): boolean;
  /** The names of the controllers this copy runs. */
  controllers: string[];
  metricsUrl?: string;
  stop(): Promise<void>;
}

export async function startControllerManager(opts: StartControllerManagerOptions): Promise<RunningControllerManager> {
  const selected = selectControllers(opts.available ?? CONTROLLERS, opts.controllers ?? ['*']);
  const ownClient = !opts.client;
  // 32 connections (the default) on purpose: with 256 a ReplicaSet's creates went out in whole slow-start batches and
  // took the API server's thread from binds and status writes (bench controllers create: 217 s, ~1,700 pods pending,
  // against 162-168 s at 32 under load 10-13; the revert f12c004 measured the same on a quiet machine).
  const client = opts.client ?? new RestClient(loadKubeconfig(opts.kubeconfig ?? missing()), { userAgent: 'skiff-controller-manager' });
  const clock = opts.clock ?? realClock;
  const onError = opts.onError ?? ((err: unknown, context: string) => console.error(`controller-manager: ${context}:`, err));
  const identity = opts.identity ?? `${hostname()}_${Math.random().toString(16).slice(2, 10)}`;
  const recorder = new EventRecorder((ev) => client.create(Events, ev), 8, 5000);
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  let queues: WorkQueue<string>[] = [];
  let settleReady!: (ok: boolean) => void;
  const ready = new Promise<boolean>((r) => (settleReady = r));

  const lead = async (signal: AbortSignal): Promise<void> => {
    // Every informer and worker pool listens for the stop: dozens of listeners on one signal are expected.
    setMaxListeners(0, signal);
    const informers = new SharedInformerFactory(client, { transform: slimCacheTransform(), omitManagedFields: true, onError: (err) => onError(err, 'informer') });
    const ctx = createControllerContext({ client, informers, clock, recorder, options: opts.options, instance: identity, onError });
    queues = ctx.queues;
    const running = selected.map((d) => d.create(ctx));
    informers.start(signal);
    const runs = running.map((c) => c.run(signal).catch((err: unknown) => onError(err, `controller ${c.name}`)));
    if (await informers.waitForCacheSync(signal)) settleReady(true);
    await Promise.all(runs);
  };

  let elector: LeaderElector | null = null;
  const done =
    opts.leaderElect === false
      ? lead(ac.signal)
      : (elector = new LeaderElector(client, {
          namespace: 'kube-system',
          name: 'kube-controller-manager',
          identity,
          leaseDurationMs: opts.leaseDurationMs,
          renewDeadlineMs: opts.renewDeadlineMs,
          retryPeriodMs: opts.retryPeriodMs,
          clock,
          onError: (err) => onError(err, 'leader election'),
        })).run(ac.signal, lead);
  void done.catch((err: unknown) => onError(err, 'controller manager')).finally(() => settleReady(false));

  let http: Server | null = null;
  let metricsUrl: string | undefined;
  if (opts.metricsListen) {
    http = createServer((req, res) => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(workqueueMetricsText(queues) + `# TYPE leader_election_master_status gauge\nleader_election_master_status{name="kube-controller-manager"} ${elector?.isLeader() || opts.leaderElect === false ? 1 : 0}\n`);
      } else if (req.url === '/healthz' || req.url === '/livez' || req.url === '/readyz') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    const { host, port } = opts.metricsListen;
    await new Promise<void>((r) => http!.listen(port, host, r));
    const addr = http.address();
    metricsUrl = `http://${host.includes(':') ? `[${host}]` : host}:${typeof addr === 'object' && addr ? addr.port : port}`;
  }

  return {
    ready,
    isLeader: () => (opts.leaderElect === false ? true : (elector?.isLeader() ?? false)),
    controllers: selected.map((d) => d.name),
    metricsUrl,
    async stop() {
      ac.abort();
      await done.catch(() => {});
      await recorder.flush();
      if (http) await new Promise<void>((r) => http!.close(() => r()));
      if (ownClient) client.close();
    },
  };
}

function missing(): never {
  throw new Error('the controller manager needs a kubeconfig');
}
