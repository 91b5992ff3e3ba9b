/**
 * Wiring: a Scheduler fed by shared informers over HTTP, with the WASM core (default) or the TypeScript
 * reference. `skiff scheduler` runs this alone; `skiff server` runs it in-process on its own thread (thread.ts), still
 * talking HTTP to its own API server through src/client as upstream components do.
 */
import { setMaxListeners } from 'node:events';
import type { KubeObject } from '../api/resource.js';
import { realClock, type Clock } from '../../client/clock.js';
import { SharedInformerFactory } from '../../client/informer.js';
import { slimCacheTransform } from '../../client/share-parts.js';
import { loadKubeconfig, type ClientConfig } from '../../client/kubeconfig.js';
import { RestClient } from '../../client/rest.js';
import { Nodes, PersistentVolumeClaims, PersistentVolumes, Pods, ReplicaSets, Services, StatefulSets, StorageClasses } from '../../client/resources.js';
import { RestSchedulerApi } from './binder.js';
import { boundPodView } from './bound-pod-view.js';
import type { SchedulerConfig, SchedulerCore } from './core.js';
import type { DefaultSpreadSources } from './default-spread.js';
import { Scheduler } from './scheduler.js';
import type { VolumeClusterEvent } from './cluster-events.js';
import { nodeLike, RestVolumeApi, VolumeBinder } from './volume-binder.js';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from './volume-binding.js';

const BY_NAMESPACE = 'namespace';
const BY_HOSTNAME = 'hostname';
const HOSTNAME_LABEL = 'kubernetes.io/hostname';

export type CoreKind = 'wasm' | 'reference';

export interface StartSchedulerOptions {
  /** One of: a kubeconfig path, a ClientConfig, or a ready RestClient (which stop() leaves open). */
  kubeconfig?: string;
  clientConfig?: ClientConfig;
  client?: RestClient;
  /** Default 'wasm'; or a core instance (tests). */
  core?: CoreKind | SchedulerCore;
  /** 0 = upstream's adaptive default; 1..100 fixed. Default 100: scoring every node is cheap enough here. */
  percentageOfNodesToScore?: number;
  scoringStrategy?: SchedulerConfig['scoringStrategy'];
  seed?: number;
  schedulerName?: string;
  bindConcurrency?: number;
  /** VolumeBinding's bindTimeoutSeconds (how long PreBind waits for claims to bind); default 600 as upstream. */
  bindTimeoutSeconds?: number;
  /** PreBind's re-check interval without informer events, ms (default 1000; tests shorten it). */
  volumeBindPollMs?: number;
  clock?: Clock;
  onBound?: (pod: KubeObject, nodeName: string) => void;
  onError?: (err: unknown, context: string) => void;
}

export interface RunningScheduler {
  scheduler: Scheduler;
  client: RestClient;
  /** Resolves once the node and pod caches synced and the loop runs; false if stopped first. */
  ready: Promise<boolean>;
  stop(): Promise<void>;
}

export async function createCore(kind: CoreKind, config: SchedulerConfig): Promise<SchedulerCore> {
  // Loaded on demand so the reference's code is not imported when the WASM core runs (and vice versa).
  if (kind === 'reference') {
    const m = await import('./reference/index.js');
    return m.createReferenceCore(config);
  }
  if (kind === 'wasm') {
    const m = await import('./wasm-core.js');
    return m.createWasmCore(config);
  }
  throw new Error(`unknown scheduler core "${String(kind)}" (want wasm or reference)`);
}

export async function startScheduler(opts: StartSchedulerOptions = {}): Promise<RunningScheduler> {
  const ownClient = !opts.client;
  const client =
    opts.client ??
    new RestClient(opts.clientConfig ?? (opts.kubeconfig ? loadKubeconfig(opts.kubeconfig) : missing()), { userAgent: 'skiff-scheduler' });
  const pct = opts.percentageOfNodesToScore ?? 100;
  if (!Number.isInteger(pct) || pct < 0 || pct > 100) throw new Error(`percentageOfNodesToScore must be an integer in 0..100, got ${pct}`);
  const bindTimeout = opts.bindTimeoutSeconds ?? 600;
  if (!(bindTimeout > 0)) throw new Error(`bindTimeoutSeconds must be positive, got ${bindTimeout}`);
  const config: SchedulerConfig = {
    percentageOfNodesToScore: pct,
    scoringStrategy: opts.scoringStrategy ?? 'LeastAllocated',
    seed: opts.seed ?? (Math.random() * 2 ** 31) >>> 0,
  };
  const core = typeof opts.core === 'object' ? opts.core : await createCore(opts.core ?? 'wasm', config);
  const clock = opts.clock ?? realClock;
  const slim = slimCacheTransform();
  const factory = new SharedInformerFactory(client, { clock, transform: slim, omitManagedFields: true, onError: (e) => opts.onError?.(e, 'informer') });
  // Bound pods are most of the cache at scale: keep only what scheduling reads of them.
  const pods = factory.forResource(Pods, { transform: (o, previous) => slim(boundPodView(o), previous) });
  // What PodTopologySpread's system default selector reads (upstream's Service/ReplicaSet/StatefulSet listers).
  const services = factory.forResource(Services);
  services.indexer.addIndexer(BY_NAMESPACE, (o) => [o.metadata?.namespace ?? '']);
  const replicaSets = factory.forResource(ReplicaSets).lister;
  const statefulSets = factory.forResource(StatefulSets).lister;
  const spreadSources: DefaultSpreadSources = {
    services: (ns) => services.indexer.byIndex(BY_NAMESPACE, ns),
    replicaSet: (ns, name) => replicaSets.get(ns, name),
    statefulSet: (ns, name) => statefulSets.get(ns, name),
  };
  // VolumeBinding's inputs (upstream's PVC, PV and StorageClass informers) and the nodes' labels.
  const nodes = factory.forResource(Nodes);
  nodes.indexer.ensureIndexer(BY_HOSTNAME, (n) => { const h = n.metadata?.labels?.[HOSTNAME_LABEL]; return h === undefined ? [] : [h]; });
  const claims = factory.forResource<PersistentVolumeClaim>(PersistentVolumeClaims);
  const pvs = factory.forResource<PersistentVolume>(PersistentVolumes);
  const classes = factory.forResource<StorageClass>(StorageClasses);
  const volumes = new VolumeBinder({
    claims, volumes: pvs, classes,
    nodes: {
      get: (name) => { const n = nodes.lister.get(undefined, name); return n ? nodeLike(n) : undefined; },
      list: () => nodes.lister.list().map(nodeLike),
      withHostname: (h) => nodes.indexer.byIndex(BY_HOSTNAME, h).map(nodeLike),
      count: () => nodes.indexer.list().length,
    },
    api: new RestVolumeApi(client),
    clock,
    bindTimeoutMs: bindTimeout * 1000,
    pollMs: opts.volumeBindPollMs,
  });
  const scheduler = new Scheduler({
    core,
    volumes,
    api: new RestSchedulerApi(client),
    clock,
    schedulerName: opts.schedulerName,
    bindConcurrency: opts.bindConcurrency,
    onBound: opts.onBound,
    onError: opts.onError,
    spreadSources,
  });
  // Nodes first: a pod handed to the queue before its nodes are known would fail needlessly.
  factory.forResource(Nodes).addEventHandler(scheduler.nodeHandler);
  pods.addEventHandler(scheduler.podHandler);
  const storage = (add: VolumeClusterEvent, update: VolumeClusterEvent) => ({
    onAdd: (o: KubeObject, initial?: boolean) => { if (!initial) scheduler.storageEvent(add, o); },
    onUpdate: (old: KubeObject, o: KubeObject) => scheduler.storageEvent(update, o, old),
  });
  claims.addEventHandler(storage('PersistentVolumeClaimAdd', 'PersistentVolumeClaimUpdate'));
  pvs.addEventHandler(storage('PersistentVolumeAdd', 'PersistentVolumeUpdate'));
  classes.addEventHandler(storage('StorageClassAdd', 'StorageClassUpdate'));
  const ac = new AbortController();
  // Eight informers (each reflector and its watch) and the loop all listen on this one signal.
  setMaxListeners(64, ac.signal);
  factory.start(ac.signal);
  let loop: Promise<void> = Promise.resolve();
  const ready = factory.waitForCacheSync(ac.signal).then((ok) => {
    if (ok && !ac.signal.aborted) loop = scheduler.run(ac.signal);
    return ok && !ac.signal.aborted;
  });
  return {
    scheduler,
    client,
    ready,
    async stop() {
      ac.abort();
      await ready;
      await loop;
      await scheduler.idle();
      if (ownClient) client.close();
    },
  };
}

function missing(): never {
  throw new Error('startScheduler needs kubeconfig, clientConfig or client');
}
