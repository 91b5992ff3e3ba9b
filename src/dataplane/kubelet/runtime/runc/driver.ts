/**
 * The real node's PodDriver: pods as OCI containers under runc. The agent's seam is synchronous (sync returns a
 * status at once); the work is not, so each pod uid gets a PodWorker whose passes run in the background and ask
 * the agent (hooks.resync) to sync again whenever something changed. sync() then builds the status with the
 * shared pure status code (pod/status.ts), from the worker's snapshot, as the simulated driver does from its
 * timeline.
 *
 * Start-up: the node's network is started once the podCIDR is known (node IPAM, or the podCIDR option), then the
 * runtime's and the network's leftovers are listed: pods still bound here adopt their running containers (an
 * agent restart kills nothing); what no pod claims is removed `orphanGraceMs` after the agent has listed its
 * pods (podsListed(): never on a guess, so an API server that is slow to answer kills nothing). Until then sync() answers
 * nothing and the pods are synced again when ready.
 * Admission is the simulated driver's (the kubelet's resource fit over the node's active pods).
 */
import { join } from 'node:path';
import { realClock, type Clock, type TimerHandle } from '../../../../client/clock.js';
import type { PodSandboxNetwork } from '../../network/types.js';
import { newTransitionMemory, type TransitionMemory } from '../../pod/conditions.js';
import { podStatusOf } from '../../pod/podspec.js';
import { generatePodStatus, rejectedPodStatus } from '../../pod/status.js';
import type { ContainerUsage, DriverHooks, NodeContext, NodeImage, NodeUsage, Pod, PodDriver, PodDriverFactory, PodUsage, SyncResult } from '../../types.js';
import { admit, parseAllocatable, podRequests, type ResourceAmounts } from '../simulated/admission.js';
import { nodeImages } from './node-images.js';
import { loadSavedPod, parseContainerId, PodWorker, removeTreeUnmounted } from './pod-worker.js';
import type { RuncDeps, WorkerEnv } from './pod-worker-deps.js';
import type { ContainerInfo } from './types.js';

export type DriverLogger = WorkerEnv['log'];

export interface RuncDriverOptions {
  /** The real parts (or fakes); called once per node. */
  deps: RuncDeps | ((ctx: NodeContext) => RuncDeps);
  /** Where pods' bundles, state and logs live (per node: <dataDir>). */
  dataDir: string;
  /** Every runtime container id starts with it; default `skiff-`. */
  idPrefix?: string;
  /** The node lives in the host's network namespace (else its own, made by the network). */
  hostNetwork?: boolean;
  /** podCIDR to use while the Node has none (no node IPAM in the cluster). */
  podCIDR?: string;
  clock?: Clock;
  /** Exit polling (ms) for a runtime without wait(); default 1 s. */
  pollMs?: number;
  retryMs?: number;
  /** How often running pods' configMap/secret/projected/downwardAPI volumes are refreshed (ms); default 60 s. */
  volumeRefreshMs?: number;
  /** How often usage (metrics.k8s.io) is sampled from the runtime (ms); default 10 s. */
  usageIntervalMs?: number;
  /** Leftover containers/sandboxes no pod claims are removed this long after podsListed() (default 10 s). */
  orphanGraceMs?: number;
  pidAlive?: (pid: number) => boolean;
  log?: DriverLogger;
}

interface Leftover {
  containers: Map<string, ContainerInfo>;
  sandbox?: PodSandboxNetwork;
}

interface PodEntry {
  worker: PodWorker;
  transitions: TransitionMemory;
  requests: ResourceAmounts | null;
  hash: string;
  forgotten: boolean;
}

function defaultPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const noLog: DriverLogger = () => {};

export class RuncPodDriver implements PodDriver {
  private ctx: NodeContext;
  private allocatable: ResourceAmounts;
  readonly deps: RuncDeps;
  private readonly env: WorkerEnv;
  private readonly pods = new Map<string, PodEntry>();
  private readonly rejected = new Set<string>();
  private activePods = 0;
  private readonly requested: ResourceAmounts = new Map();
  private ready = false;
  private starting = false;
  private closed = false;
  /** Pods synced before start-up finished: synced again when ready. */
  private readonly early = new Set<string>();
  /** Leftovers found at start-up, by pod uid. */
  private readonly leftovers = new Map<string, Leftover>();
  private orphanTimer: TimerHandle | null = null;
  private listed = false;
  private usageTimer: TimerHandle | null = null;
  private lastUsage: NodeUsage;
  private readonly cpuSamples = new Map<string, { at: number; nanos: number }>();
  private readonly readyWaiters: (() => void)[] = [];
  /** node.status.images as last read from the image store. */
  private imageList: NodeImage[] = [];
  private imageKey = '[]';

  constructor(
    ctx: NodeContext,
    private readonly hooks: DriverHooks,
    private readonly o: RuncDriverOptions,
  ) {
    this.ctx = ctx;
    this.allocatable = parseAllocatable(ctx.allocatable);
    this.deps = typeof o.deps === 'function' ? o.deps(ctx) : o.deps;
    const clock = o.clock ?? realClock;
    this.env = {
      deps: this.deps,
      clock,
      dataDir: o.dataDir,
      idPrefix: o.idPrefix ?? 'skiff-',
      nodeName: ctx.nodeName,
      hostIP: ctx.hostIP,
      pollMs: o.pollMs ?? 1000,
      ...(o.volumeRefreshMs !== undefined ? { volumeRefreshMs: o.volumeRefreshMs } : {}),
      retryMs: o.retryMs ?? 2000,
      pidAlive: o.pidAlive ?? defaultPidAlive,
      log: o.log ?? noLog,
      ...(hooks.event ? { event: (uid, ev) => hooks.event!(uid, ev) } : {}),
    };
    if (this.env.idPrefix.includes('_')) throw new Error(`idPrefix ${JSON.stringify(this.env.idPrefix)}: must not contain "_"`);
    this.lastUsage = { nodeName: ctx.nodeName, timestamp: clock.now(), windowSeconds: 0, cpuNanoCores: 0, memoryBytes: 0, pods: [] };
    this.maybeStart();
  }

  /** Resolves once the network is up and leftovers are adopted (tests). */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  setContext(ctx: NodeContext): void {
    this.ctx = ctx;
    this.env.hostIP = ctx.hostIP;
    this.allocatable = parseAllocatable(ctx.allocatable);
    this.maybeStart();
  }

  private maybeStart(): void {
    const podCIDR = this.ctx.podCIDR ?? this.o.podCIDR;
    if (this.starting || this.closed || !podCIDR) return;
    this.starting = true;
    void this.startUp(podCIDR);
  }

  private async startUp(podCIDR: string): Promise<void> {
    const { deps, clock, log } = this.env;
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        await deps.network.start({ nodeName: this.ctx.nodeName, podCIDR, hostNetwork: this.o.hostNetwork === true });
        const [containers, sandboxes] = await Promise.all([deps.runtime.list(this.env.idPrefix), deps.network.list()]);
        for (const info of containers) {
          const p = parseContainerId(this.env.idPrefix, info.id);
          if (!p) continue;
          const l: Leftover = this.leftovers.get(p.uid) ?? { containers: new Map() };
          l.containers.set(info.id, info);
          this.leftovers.set(p.uid, l);
        }
        for (const [uid, sandbox] of sandboxes) {
          const l: Leftover = this.leftovers.get(uid) ?? { containers: new Map() };
          l.sandbox = sandbox;
          this.leftovers.set(uid, l);
        }
        break;
      } catch (err) {
        log('error', 'node network/runtime start-up failed, retrying', { node: this.ctx.nodeName, attempt, err: String(err) });
        await new Promise<void>((r) => clock.setTimeout(r, Math.min(30_000, 1000 * attempt)));
      }
    }
    if (this.closed) return;
    this.ready = true;
    if (this.leftovers.size > 0) log('info', 'found containers and sandboxes from before', { node: this.ctx.nodeName, pods: this.leftovers.size });
    this.maybeScheduleOrphans();
    await this.refreshImages();
    this.scheduleUsage();
    for (const w of this.readyWaiters.splice(0)) w();
    for (const uid of this.early) this.hooks.resync(uid);
    this.early.clear();
  }

  /**
   * The agent's pod watch has listed (every pod bound here has been synced once): leftovers that no pod claims
   * by `orphanGraceMs` from now belonged to pods deleted while the agent was away.
   */
  podsListed(): void {
    this.listed = true;
    this.maybeScheduleOrphans();
  }

  private maybeScheduleOrphans(): void {
    if (!this.listed || !this.ready || this.orphanTimer || this.closed || this.leftovers.size === 0) return;
    this.orphanTimer = this.env.clock.setTimeout(() => void this.removeOrphans(), this.o.orphanGraceMs ?? 10_000);
  }

  /** Leftovers no pod bound here claimed: remove them (their pods were deleted while the agent was away). */
  private async removeOrphans(): Promise<void> {
    this.orphanTimer = null;
    for (const [uid, l] of [...this.leftovers]) {
      if (this.closed) return;
      this.leftovers.delete(uid);
      this.env.log('info', 'removing containers of a pod no longer bound here', { uid });
      try {
        for (const id of l.containers.keys()) await this.deps.runtime.remove(id);
        await this.deps.hostPorts?.remove(uid);
        await this.deps.network.tearDown(uid);
        await this.deps.volumes.cleanup(join(this.o.dataDir, 'pods', uid));
        await removeTreeUnmounted(join(this.o.dataDir, 'pods', uid));
      } catch (err) {
        this.env.log('warn', 'orphan removal failed', { uid, err: String(err) });
      }
    }
  }

  sync(pod: Pod, now: number): SyncResult {
    const uid = pod.metadata?.uid;
    if (typeof uid !== 'string' || uid === '' || this.closed) return { status: null, wakeAt: null, remove: false };
    const deleting = typeof pod.metadata?.deletionTimestamp === 'string';
    if (!this.ready) {
      this.early.add(uid);
      return { status: null, wakeAt: null, remove: false };
    }
    let e = this.pods.get(uid);
    if (!e) {
      if (this.rejected.has(uid)) return { status: null, wakeAt: null, remove: deleting };
      const leftover = this.leftovers.get(uid);
      this.leftovers.delete(uid);
      const saved = loadSavedPod(this.o.dataDir, uid);
      const apiPhase = podStatusOf(pod).phase;
      const known = saved !== undefined || leftover !== undefined;
      // Finished, or deleted before it ever ran here: nothing to run, nothing to stop.
      if (!known && (apiPhase === 'Succeeded' || apiPhase === 'Failed' || deleting)) return { status: null, wakeAt: null, remove: deleting };
      const requests = podRequests(pod);
      if (!known) {
        const rejection = admit(requests, { pods: this.activePods, requested: this.requested }, this.allocatable);
        if (rejection) {
          this.rejected.add(uid);
          return { status: rejectedPodStatus(pod, rejection.reason, rejection.message, now), wakeAt: null, remove: false };
        }
      }
      const worker = new PodWorker(pod, this.env, () => this.workerChanged(uid), saved, leftover ?? (saved ? { containers: new Map<string, ContainerInfo>() } : undefined));
      e = { worker, transitions: newTransitionMemory(), requests, hash: '', forgotten: false };
      this.activePods++;
      for (const [k, v] of requests) this.requested.set(k, (this.requested.get(k) ?? 0) + v);
      this.pods.set(uid, e);
    }
    e.worker.update(pod);
    return this.result(e, pod, now);
  }

  private result(e: PodEntry, pod: Pod, now: number): SyncResult {
    const snap = e.worker.snapshot();
    if (snap.finished) this.release(e);
    const { status } = generatePodStatus({
      pod,
      now,
      hostIP: this.ctx.hostIP,
      podIP: snap.podIP,
      sandboxReady: snap.sandboxReady,
      startTime: e.worker.startTime,
      runtime: snap.runtime,
      podIsTerminal: snap.podIsTerminal,
      transitions: e.transitions,
    });
    if (snap.deadlineExceeded) {
      status.phase = 'Failed';
      status.reason = 'DeadlineExceeded';
      status.message = 'Pod was active on the node longer than the specified deadline';
    }
    const text = JSON.stringify(status);
    const changed = text !== e.hash;
    e.hash = text;
    return { status: changed ? status : null, wakeAt: null, remove: snap.removed };
  }

  private workerChanged(uid: string): void {
    const e = this.pods.get(uid);
    if (!e) return;
    if (e.forgotten) {
      if (e.worker.snapshot().removed) this.pods.delete(uid);
      return;
    }
    this.hooks.resync(uid);
  }

  forget(uid: string): void {
    this.early.delete(uid);
    this.rejected.delete(uid);
    const e = this.pods.get(uid);
    if (!e) return;
    this.release(e);
    if (e.worker.snapshot().removed) {
      this.pods.delete(uid);
      return;
    }
    // Gone from the API before its containers stopped (a forced delete): stop and remove them without grace.
    e.forgotten = true;
    e.worker.forget();
  }

  private release(e: PodEntry): void {
    if (!e.requests) return;
    this.activePods--;
    for (const [k, v] of e.requests) this.requested.set(k, (this.requested.get(k) ?? 0) - v);
    e.requests = null;
  }

  /** Workers by uid (tests). */
  worker(uid: string): PodWorker | undefined {
    return this.pods.get(uid)?.worker;
  }

  // ------------------------------------------------------------------ usage

  usage(now: number): NodeUsage {
    return { ...this.lastUsage, timestamp: this.lastUsage.timestamp || now };
  }

  private scheduleUsage(): void {
    if (this.closed) return;
    this.usageTimer = this.env.clock.setTimeout(() => {
      // Images are read on the same cadence (pulls show up in node.status.images within one interval).
      void Promise.all([this.sampleUsage(), this.refreshImages()]).finally(() => this.scheduleUsage());
    }, this.o.usageIntervalMs ?? 10_000);
  }

  images(): NodeImage[] {
    return this.imageList;
  }

  /** Reads the image store; a change asks the agent to post the node's status. */
  async refreshImages(): Promise<void> {
    let list: NodeImage[];
    try {
      list = nodeImages(await this.deps.images.list());
    } catch (err) {
      this.env.log('warn', 'image list failed', { node: this.ctx.nodeName, err: String(err) });
      return;
    }
    const key = JSON.stringify(list);
    if (key === this.imageKey) return;
    this.imageKey = key;
    this.imageList = list;
    this.hooks.nodeChanged?.();
  }

  /** One sample of every running container's stats; CPU as the rate since the previous sample. */
  async sampleUsage(): Promise<NodeUsage> {
    const now = this.env.clock.now();
    const pods: PodUsage[] = [];
    let cpu = 0;
    let mem = 0;
    let window = 0;
    const seen = new Set<string>();
    for (const [uid, e] of this.pods) {
      const running = e.worker.runningContainers();
      if (running.length === 0) continue;
      const containers: ContainerUsage[] = [];
      for (const c of running) {
        let stats;
        try {
          stats = await this.deps.runtime.stats(c.id);
        } catch {
          stats = undefined;
        }
        if (!stats) continue;
        seen.add(c.id);
        const prev = this.cpuSamples.get(c.id);
        this.cpuSamples.set(c.id, { at: now, nanos: stats.cpuUsageNanos });
        const dt = prev ? now - prev.at : 0;
        const cpuNanoCores = prev && dt > 0 ? Math.max(0, Math.round(((stats.cpuUsageNanos - prev.nanos) * 1000) / dt)) : 0;
        if (dt > 0) window = Math.max(window, dt / 1000);
        containers.push({ name: c.name, cpuNanoCores, memoryBytes: stats.memoryWorkingSetBytes });
        cpu += cpuNanoCores;
        mem += stats.memoryWorkingSetBytes;
      }
      if (containers.length) pods.push({ namespace: e.worker.namespace, name: e.worker.name, uid, containers });
    }
    for (const id of [...this.cpuSamples.keys()]) if (!seen.has(id)) this.cpuSamples.delete(id);
    this.lastUsage = { nodeName: this.ctx.nodeName, timestamp: now, windowSeconds: Math.round(window) || 10, cpuNanoCores: cpu, memoryBytes: mem, pods };
    return this.lastUsage;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.orphanTimer) this.env.clock.clearTimeout(this.orphanTimer);
    if (this.usageTimer) this.env.clock.clearTimeout(this.usageTimer);
    for (const e of this.pods.values()) e.worker.close();
    // Passes in flight finish (a start, a clean-up) before the runtime's watchers go; a stuck one is not waited for.
    let timer: TimerHandle | undefined;
    await Promise.race([
      Promise.all([...this.pods.values()].map((e) => e.worker.idle())),
      new Promise<void>((r) => {
        timer = realClock.setTimeout(r, 5000);
      }),
    ]);
    if (timer) realClock.clearTimeout(timer);
    this.deps.checker.close();
    // The runtime's own watchers (log pumps, waits); its containers keep running.
    this.deps.runtime.close?.();
    for (const w of this.readyWaiters.splice(0)) w();
  }
}

/** The `runc` runtime's factory for the agent (start.ts's driverFactory). */
export function runcPodDriverFactory(o: RuncDriverOptions): PodDriverFactory {
  return (ctx, hooks) => new RuncPodDriver(ctx, hooks, o);
}
