/**
 * The node agent: many simulated kubelets in one process. Per node it registers the Node, keeps its Lease
 * renewed and posts NodeStatus on change (and every report period otherwise); for all nodes together it runs
 * ONE pod watch, routes each bound pod by spec.nodeName to its node's PodDriver, wakes drivers at the time they
 * ask for, and writes the statuses they return. Every deadline (registration retry, lease renewal, status
 * report, pod wake-up) lives in one TimerHeap, and every node/lease request passes one Limiter, so the cost of
 * a node is a few heap entries, not timers and sockets of its own.
 */
import { hostname, release } from 'node:os';
import { realClock, type Clock } from '../../client/clock.js';
import { dropManagedFields, SharedInformer } from '../../client/informer.js';
import { jsonEqual, slimCacheTransform } from '../../client/share-parts.js';
import { ApiError, type RestClient } from '../../client/rest.js';
import { Leases, Nodes, Pods } from '../../client/resources.js';
import { objectKey, type KubeObject } from '../../client/types.js';
import { firstRenewAt, NODE_LEASE_NAMESPACE, DEFAULT_LEASE_DURATION_SECONDS, nextRenewAt, renewDecision, retryRenewAt, RENEW_INTERVAL_FRACTION, type LeaseOwner } from './lease.js';
import { Limiter } from './limiter.js';
import { kubeletStartEvents, nodeConditionEvents } from './event-rules.js';
import { KubeletEvents } from './events.js';
import { addedExtendedResources, buildNode, divergedReportAt, nodeStatus, nodeStatusDue, readyStatus, nodeStatusPatch, randomBootID, registrationPatch, rfc3339Micro, withExtendedResources, type NodeHost, type NodeStatus } from './node-object.js';
import type { NodeConfig } from './spec.js';
import { decideFirstStatus, DEFAULT_FIRST_STATUS_HOLD_MS, type HeldStatus } from './first-status.js';
import { PodStatusWriter } from './status-writer.js';
import { TimerHeap } from './timer-heap.js';
import type { DriverEvent, NodeContext, NodeUsage, Pod, PodDriver, PodDriverFactory } from './types.js';

/** See NodeAgentOptions.statusConcurrency. */
export const DEFAULT_STATUS_CONCURRENCY = 32;

export type AgentLogger = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export interface NodeAgentOptions {
  client: RestClient;
  nodes: NodeConfig[];
  /** One driver per node (the simulated runtime by default, chosen by start.ts). */
  driverFactory: PodDriverFactory;
  clock?: Clock;
  /** Jitter source (seedable in tests). */
  random?: () => number;
  /** The agent's HTTP port, posted as daemonEndpoints.kubeletEndpoint.Port. Set before start(). */
  kubeletPort?: number;
  leaseDurationSeconds?: number;
  /** Default: a quarter of the lease duration (10 s), as the kubelet. */
  leaseRenewIntervalMs?: number;
  /** A status that did not change is still posted this often (nodeStatusReportFrequency, default 5 min). */
  nodeStatusReportFrequencyMs?: number;
  /** Node and lease requests in flight at once (default 32). */
  maxInFlight?: number;
  /**
   * Pod status writes in flight at once (default 32), one per node at a time as a kubelet's status manager.
   * Measured on 1,000 nodes / 10,000 pods: 16 (one FIFO) made a rollout's stops and starts wait on the writer;
   * 128 sent every intermediate status and doubled the API server's work; 32 per-node lanes sit between.
   */
  statusConcurrency?: number;
  kernelVersion?: string;
  /** Post the pods' container Events (Pulling … Started, Killing, BackOff); default off: ~4 writes per pod. Node events are always posted. */
  podEvents?: boolean;
  /**
   * A just-admitted pod's Pending status waits this long for the status showing its containers up, which then
   * goes alone (first-status.ts; default 1 s, 0 sends every status).
   */
  firstStatusHoldMs?: number;
  log?: AgentLogger;
}

export interface NodeSummary {
  name: string;
  internalIP: string;
  registered: boolean;
  ready: boolean;
  lease: 'running' | 'stopped';
  leaseRenewals: number;
  lastLeaseRenew?: string;
  podCIDR?: string;
  pods: number;
}

/** A fault to apply to a node: stop/resume its lease renewals, flip its Ready condition. */
export interface FaultRequest {
  lease?: 'stop' | 'run';
  ready?: boolean;
}

export class UnknownNodeError extends Error {
  constructor(readonly node: string) {
    super(`node ${JSON.stringify(node)} is not run by this agent`);
    this.name = 'UnknownNodeError';
  }
}

interface SimNode {
  cfg: NodeConfig;
  driver: PodDriver;
  uid?: string;
  registered: boolean;
  everRegistered: boolean;
  registerFailures: number;
  podCIDR?: string;
  // lease
  leaseRunning: boolean;
  /** The Lease as last written or read, without managedFields (~1 KB a node; renewDecision drops them from the update). */
  lease?: KubeObject;
  leaseFailures: number;
  leaseRenewals: number;
  lastLeaseRenew?: number;
  // status
  ready: boolean;
  lastStatus?: NodeStatus;
  lastReportAt: number;
  /** The Ready condition's status in the API's copy of the Node (the node lifecycle controller may change it). */
  apiReady?: string;
  statusFailures: number;
  statusInFlight: boolean;
  pods: Set<string>;
  /** Extended resources a user added to the Node's capacity (node-object.ts addedExtendedResources). */
  extended?: Record<string, string>;
}

/**
 * Nodes are watched only for what the agent needs of them (uid, podCIDR, extended resources in capacity):
 * 15,000 full Nodes would cost MBs.
 */
const slimNode = (n: KubeObject): KubeObject => {
  const capacity = (n.status as { capacity?: Record<string, unknown> } | undefined)?.capacity;
  const extended = capacity ? addedExtendedResources(capacity, {}) : undefined;
  const ready = (n.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions?.find((c) => c.type === 'Ready');
  return {
    metadata: { name: n.metadata?.name, uid: n.metadata?.uid, resourceVersion: n.metadata?.resourceVersion },
    spec: { podCIDR: (n.spec as { podCIDR?: string } | undefined)?.podCIDR },
    status: { ...(extended ? { capacity: extended } : {}), ...(ready ? { conditions: [{ type: 'Ready', status: ready.status }] } : {}) },
  };
};

/** What a node's driver knows of its node. */
function nodeContext(cfg: NodeConfig, podCIDR?: string, extended?: Record<string, string>): NodeContext {
  return {
    nodeName: cfg.name,
    hostIP: cfg.internalIP,
    ...(podCIDR ? { podCIDR } : {}),
    allocatable: { ...cfg.allocatable, ...extended },
    ...(cfg.unpullableImages?.length ? { unpullableImages: cfg.unpullableImages } : {}),
  };
}

/**
 * Warnings and errors at most once per message per 5 s, with a count of the ones held back: 15,000 nodes facing
 * an unreachable API server must not print 15,000 lines per retry round.
 */
export function throttled(log: AgentLogger, clock: Clock, windowMs = 5000): AgentLogger {
  const last = new Map<string, { at: number; held: number }>();
  return (level, msg, fields) => {
    if (level === 'debug' || level === 'info') return log(level, msg, fields);
    const now = clock.now();
    const seen = last.get(msg);
    if (seen && now - seen.at < windowMs) {
      seen.held++;
      return;
    }
    last.set(msg, { at: now, held: 0 });
    log(level, msg, seen?.held ? { ...fields, alsoSince: `${seen.held} more like this in the last ${Math.round((now - seen.at) / 1000)} s` } : fields);
  };
}

const defaultLog: AgentLogger = (level, msg, fields) => {
  if (level === 'warn' || level === 'error') console.error(`skiff nodes: ${msg}`, fields ?? '');
};

export class NodeAgent {
  readonly clock: Clock;
  private readonly random: () => number;
  private readonly nodes = new Map<string, SimNode>();
  private readonly heap: TimerHeap;
  private readonly limiter: Limiter;
  readonly writer: PodStatusWriter;
  /** The kubelet's Events for every node of this agent (bounded: drops rather than stall). */
  readonly events: KubeletEvents;
  private readonly podInformer: SharedInformer<Pod>;
  private readonly nodeInformer: SharedInformer<KubeObject>;
  /** uid → the pod's node and cache key, for wake-ups and deletes. */
  private readonly pods = new Map<string, { node: string; key: string }>();
  /** Pods whose first (Pending) status waits for their next one (first-status.ts). */
  private readonly held = new Map<string, HeldStatus>();
  private readonly firstStatusHoldMs: number;
  private readonly host: NodeHost;
  private readonly leaseDurationSeconds: number;
  private readonly renewIntervalMs: number;
  private readonly reportFrequencyMs: number;
  private readonly log: AgentLogger;
  private abort: AbortController | null = null;
  private stopped = false;
  private registeredCount = 0;
  private registeredWaiters: (() => void)[] = [];

  constructor(private readonly o: NodeAgentOptions) {
    this.clock = o.clock ?? realClock;
    this.random = o.random ?? Math.random;
    this.log = throttled(o.log ?? defaultLog, this.clock);
    this.leaseDurationSeconds = o.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS;
    this.renewIntervalMs = o.leaseRenewIntervalMs ?? this.leaseDurationSeconds * 1000 * RENEW_INTERVAL_FRACTION;
    this.reportFrequencyMs = o.nodeStatusReportFrequencyMs ?? 5 * 60_000;
    this.firstStatusHoldMs = o.firstStatusHoldMs ?? DEFAULT_FIRST_STATUS_HOLD_MS;
    this.host = { kubeletPort: o.kubeletPort ?? 0, bootID: randomBootID(), kernelVersion: o.kernelVersion ?? release() };
    this.heap = new TimerHeap(this.clock, (key) => this.due(key), (err) => this.log('error', 'timer handler failed', { err: String(err) }));
    this.limiter = new Limiter(o.maxInFlight ?? 32);
    this.writer = new PodStatusWriter({
      client: o.client,
      concurrency: o.statusConcurrency ?? DEFAULT_STATUS_CONCURRENCY,
      clock: this.clock,
      onError: (err, ref, what) => {
        if (!this.stopped) this.log(err instanceof ApiError && err.code === 404 ? 'debug' : 'warn', `pod ${what} write failed`, { pod: `${ref.namespace}/${ref.name}`, err: String(err) });
      },
    });
    this.events = new KubeletEvents({ client: o.client, clock: this.clock, podEvents: o.podEvents ?? false });
    for (const cfg of o.nodes) {
      if (this.nodes.has(cfg.name)) throw new Error(`node ${cfg.name} is listed twice`);
      const n: SimNode = {
        cfg,
        driver: o.driverFactory(nodeContext(cfg), {
          resync: (uid) => this.heap.schedule(`p:${uid}`, this.clock.now()),
          event: (uid, ev) => this.driverEvent(cfg.name, uid, ev),
          nodeChanged: () => {
            if (this.nodes.get(cfg.name)?.registered && !this.stopped) this.heap.scheduleNoLater(`s:${cfg.name}`, this.clock.now());
          },
        }),
        registered: false,
        everRegistered: false,
        registerFailures: 0,
        leaseRunning: true,
        leaseFailures: 0,
        leaseRenewals: 0,
        ready: true,
        lastReportAt: 0,
        statusFailures: 0,
        statusInFlight: false,
        pods: new Set(),
      };
      this.nodes.set(cfg.name, n);
    }
    const onError = (err: unknown) => this.log('warn', 'watch failed', { err: String(err) });
    // One watch for every node's pods: bound pods only (unbound ones are the scheduler's business).
    this.podInformer = new SharedInformer<Pod>(o.client, Pods, { fieldSelector: 'spec.nodeName!=', transform: slimCacheTransform(), omitManagedFields: true, clock: this.clock, onError });
    this.nodeInformer = new SharedInformer<KubeObject>(o.client, Nodes, { transform: slimNode, omitManagedFields: true, clock: this.clock, onError });
  }

  /** Sets the port posted in daemonEndpoints (the HTTP server listens before nodes register). */
  setKubeletPort(port: number): void {
    this.host.kubeletPort = port;
  }

  get kubeletPort(): number {
    return this.host.kubeletPort;
  }

  /** Starts watches and registration; returns at once (see registered()). */
  start(): void {
    if (this.abort) return;
    this.abort = new AbortController();
    this.podInformer.addEventHandler({
      onAdd: (pod) => this.podChanged(pod),
      onUpdate: (old, pod) => this.podChanged(pod, old),
      onDelete: (pod) => this.podDeleted(pod),
    });
    this.nodeInformer.addEventHandler({
      onAdd: (node) => this.nodeChanged(node),
      onUpdate: (_old, node) => this.nodeChanged(node),
      onDelete: (node) => this.nodeDeleted(node),
    });
    void this.podInformer.run(this.abort.signal);
    void this.nodeInformer.run(this.abort.signal);
    const now = this.clock.now();
    for (const name of this.nodes.keys()) this.heap.schedule(`r:${name}`, now);
  }

  /** Resolves once every node has registered (retries go on in the background until then). */
  registered(): Promise<void> {
    if (this.registeredCount === this.nodes.size) return Promise.resolve();
    return new Promise((r) => this.registeredWaiters.push(r));
  }

  /** Resolves once the pod watch has listed. */
  podsSynced(): Promise<boolean> {
    return this.podInformer.waitForSync(this.abort?.signal);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort?.abort();
    this.heap.stop();
    this.writer.stop();
    for (const w of this.registeredWaiters.splice(0)) w();
    await Promise.all([...this.nodes.values()].map((n) => n.driver.close?.()));
  }

  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  summary(name: string): NodeSummary {
    const n = this.node(name);
    return {
      name,
      internalIP: n.cfg.internalIP,
      registered: n.registered,
      ready: n.ready,
      lease: n.leaseRunning ? 'running' : 'stopped',
      leaseRenewals: n.leaseRenewals,
      ...(n.lastLeaseRenew !== undefined ? { lastLeaseRenew: rfc3339Micro(n.lastLeaseRenew) } : {}),
      ...(n.podCIDR ? { podCIDR: n.podCIDR } : {}),
      pods: n.pods.size,
    };
  }

  summaries(): NodeSummary[] {
    return this.nodeNames().map((n) => this.summary(n));
  }

  /** Applies a fault (or its end) to a node; returns the node's state after it. */
  fault(name: string, req: FaultRequest): NodeSummary {
    const n = this.node(name);
    if (req.lease === 'stop') {
      n.leaseRunning = false;
      this.heap.cancel(`l:${name}`);
    } else if (req.lease === 'run') {
      // A node whose Node was deleted (see nodeDeleted) comes back by registering again.
      if (n.everRegistered && !n.registered && !this.heap.has(`r:${name}`)) this.heap.schedule(`r:${name}`, this.clock.now());
      if (!n.leaseRunning) {
        n.leaseRunning = true;
        if (n.registered) this.heap.schedule(`l:${name}`, this.clock.now());
      }
    }
    if (req.ready !== undefined && req.ready !== n.ready) {
      n.ready = req.ready;
      if (n.registered) this.heap.schedule(`s:${name}`, this.clock.now());
    }
    return this.summary(name);
  }

  stopLease(name: string): NodeSummary {
    return this.fault(name, { lease: 'stop' });
  }

  setReady(name: string, ready: boolean): NodeSummary {
    return this.fault(name, { ready });
  }

  /** Ends faults (a node whose Node object was deleted registers again). */
  recover(name: string): NodeSummary {
    return this.fault(name, { lease: 'run', ready: true });
  }

  /** The node's and its pods' usage from its driver (for metrics.k8s.io). */
  usage(name: string, now: number): NodeUsage {
    return this.node(name).driver.usage(now);
  }

  nodeUsage(name: string): NodeUsage {
    return this.usage(name, this.clock.now());
  }

  /** A pod bound to one of this agent's nodes, with that node's driver (the kubelet API's lookup, streaming/). */
  lookupPod(namespace: string, name: string): { pod: Pod; driver: PodDriver; node: string } | undefined {
    const pod = this.podInformer.indexer.get(`${namespace}/${name}`);
    const nodeName = (pod?.spec as { nodeName?: string } | undefined)?.nodeName;
    const n = nodeName ? this.nodes.get(nodeName) : undefined;
    return pod && n ? { pod, driver: n.driver, node: nodeName! } : undefined;
  }

  hasNode(name: string): boolean {
    return this.nodes.has(name);
  }

  private node(name: string): SimNode {
    const n = this.nodes.get(name);
    if (!n) throw new UnknownNodeError(name);
    return n;
  }

  private due(key: string): void {
    if (this.stopped) return;
    const kind = key[0];
    const rest = key.slice(2);
    if (kind === 'p') return this.wakePod(rest);
    const n = this.nodes.get(rest);
    if (!n) return;
    if (kind === 'r') void this.register(n);
    else if (kind === 'l') void this.renewLease(n);
    else if (kind === 's') void this.reportStatus(n);
  }

  // ------------------------------------------------------------------ registration

  private async register(n: SimNode): Promise<void> {
    const name = n.cfg.name;
    try {
      const body = buildNode(n.cfg, this.host, { ready: n.ready }, this.clock.now());
      const images = n.driver.images?.();
      if (images) (body.status as NodeStatus).images = images;
      let status: NodeStatus | undefined;
      await this.limiter.run(async () => {
        if (this.stopped) return;
        try {
          const created = await this.o.client.create(Nodes, body);
          this.adoptNode(n, created);
          // A server that kept the status on create (as upstream does) needs no first status write.
          status = (created.status as NodeStatus | undefined)?.conditions?.length ? (body.status as NodeStatus) : undefined;
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 409)) throw err;
          // Registered before (an agent restart): adopt it, bring our labels back, post a fresh status below.
          const existing = await this.o.client.get(Nodes, name);
          this.adoptNode(n, existing);
          const patch = registrationPatch(existing, body);
          if (patch) this.adoptNode(n, await this.o.client.patch(Nodes, undefined, name, patch, 'merge'));
        }
      });
      if (this.stopped) return;
      const firstTime = !n.everRegistered;
      if (firstTime) this.events.node(name, kubeletStartEvents());
      if (status) this.events.node(name, nodeConditionEvents(name, n.lastStatus?.conditions, status.conditions));
      n.registered = true;
      n.everRegistered = true;
      n.registerFailures = 0;
      const now = this.clock.now();
      if (status) {
        n.lastStatus = status;
        // A random phase within the report period, so thousands of nodes registered together report apart.
        n.lastReportAt = now - this.reportFrequencyMs * this.random();
        this.heap.schedule(`s:${name}`, n.lastReportAt + this.reportFrequencyMs);
      } else {
        this.heap.schedule(`s:${name}`, now);
      }
      if (n.leaseRunning) this.heap.schedule(`l:${name}`, now);
      this.log('debug', 'node registered', { node: name });
      if (firstTime && ++this.registeredCount === this.nodes.size) for (const w of this.registeredWaiters.splice(0)) w();
    } catch (err) {
      if (this.stopped) return;
      n.registerFailures++;
      this.log('warn', 'node registration failed, retrying', { node: name, err: String(err) });
      this.heap.schedule(`r:${name}`, retryRenewAt(this.clock.now(), n.registerFailures, 7_000));
    }
  }

  private adoptNode(n: SimNode, obj: KubeObject): void {
    if (obj.metadata?.uid) n.uid = obj.metadata.uid;
    this.setPodCIDR(n, (obj.spec as { podCIDR?: string } | undefined)?.podCIDR);
  }

  private setPodCIDR(n: SimNode, cidr: string | undefined): void {
    if (!cidr || cidr === n.podCIDR) return;
    n.podCIDR = cidr;
    n.driver.setContext(nodeContext(n.cfg, cidr, n.extended));
  }

  private nodeChanged(obj: KubeObject): void {
    const n = obj.metadata?.name ? this.nodes.get(obj.metadata.name) : undefined;
    if (!n) return;
    if (obj.metadata?.uid) n.uid = obj.metadata.uid;
    this.setPodCIDR(n, (obj.spec as { podCIDR?: string }).podCIDR);
    n.apiReady = readyStatus(obj.status as Parameters<typeof readyStatus>[0]);
    const at = divergedReportAt(this.divergence(n));
    if (at !== undefined && n.registered && !this.stopped) this.heap.scheduleNoLater(`s:${n.cfg.name}`, Math.max(this.clock.now(), at));
    // Extended resources patched into capacity: reported in allocatable at the next status (posted now).
    const extended = addedExtendedResources((obj.status as { capacity?: unknown } | undefined)?.capacity, n.cfg.capacity);
    if (JSON.stringify(extended) !== JSON.stringify(n.extended)) {
      n.extended = extended;
      n.driver.setContext(nodeContext(n.cfg, n.podCIDR, extended));
      if (n.registered && !this.stopped) this.heap.scheduleNoLater(`s:${n.cfg.name}`, this.clock.now());
    }
  }

  /**
   * Someone deleted one of our Nodes: as a kubelet, stop reporting for it (no resurrection behind a user's
   * back); `recover` registers it again.
   */
  private nodeDeleted(obj: KubeObject): void {
    const n = obj.metadata?.name ? this.nodes.get(obj.metadata.name) : undefined;
    if (!n || !n.registered || (n.uid && obj.metadata?.uid && obj.metadata.uid !== n.uid)) return;
    n.registered = false;
    n.lease = undefined;
    n.lastStatus = undefined;
    n.uid = undefined;
    this.heap.cancel(`l:${n.cfg.name}`);
    this.heap.cancel(`s:${n.cfg.name}`);
    this.log('info', 'node deleted from the API: no longer reporting for it (recover registers it again)', { node: n.cfg.name });
  }

  // ------------------------------------------------------------------ lease

  private async renewLease(n: SimNode): Promise<void> {
    const name = n.cfg.name;
    const owner: LeaseOwner = { nodeName: name, nodeUid: n.uid, durationSeconds: this.leaseDurationSeconds };
    let first = false;
    try {
      await this.limiter.run(async () => {
        // Decided when the slot comes: a fault may have stopped the lease while this waited.
        const d = renewDecision({ running: n.leaseRunning && n.registered && !this.stopped, lease: n.lease }, owner, this.clock.now());
        if (d.action === 'skip') return;
        try {
          if (d.action === 'create') {
            first = true;
            n.lease = dropManagedFields(await this.o.client.create(Leases, d.lease));
          } else {
            n.lease = dropManagedFields(await this.o.client.update(Leases, d.lease));
          }
        } catch (err) {
          // Someone else wrote it (or our copy is stale, or it was deleted): re-read before the next try.
          if (err instanceof ApiError && (err.code === 409 || err.code === 404)) n.lease = await this.getLease(name);
          throw err;
        }
        n.leaseRenewals++;
        n.lastLeaseRenew = this.clock.now();
      });
      n.leaseFailures = 0;
      if (!n.leaseRunning || !n.registered || this.stopped) return;
      const now = this.clock.now();
      this.heap.schedule(`l:${name}`, first ? firstRenewAt(now, this.renewIntervalMs, this.random) : nextRenewAt(now, this.renewIntervalMs, this.random));
    } catch (err) {
      if (this.stopped || !n.leaseRunning || !n.registered) return;
      n.leaseFailures++;
      const quiet = err instanceof ApiError && err.code === 409 && n.leaseFailures < 3;
      if (!quiet) this.log('warn', 'lease renewal failed', { node: name, err: String(err) });
      this.heap.schedule(`l:${name}`, retryRenewAt(this.clock.now(), n.leaseFailures, this.renewIntervalMs));
    }
  }

  private async getLease(name: string): Promise<KubeObject | undefined> {
    try {
      return dropManagedFields(await this.o.client.get(Leases, name, NODE_LEASE_NAMESPACE));
    } catch {
      return undefined;
    }
  }

  // ------------------------------------------------------------------ node status

  private divergence(n: SimNode): Parameters<typeof divergedReportAt>[0] {
    return { apiReady: n.apiReady, last: n.lastStatus, lastReportAt: n.lastReportAt, answering: n.leaseRunning };
  }

  private async reportStatus(n: SimNode): Promise<void> {
    const name = n.cfg.name;
    if (!n.registered) return;
    if (n.statusInFlight) {
      // One write per node at a time; look again shortly.
      this.heap.scheduleNoLater(`s:${name}`, this.clock.now() + 100);
      return;
    }
    n.statusInFlight = true;
    try {
      let posted = false;
      await this.limiter.run(async () => {
        if (this.stopped) return;
        const now = this.clock.now();
        // The API's copy differs from what we posted (someone else wrote our conditions): every condition is a
        // transition from what the API holds, so each gets a new lastTransitionTime, as the kubelet's setters give.
        const at = divergedReportAt(this.divergence(n));
        const diverged = at !== undefined && at <= now;
        const next = withExtendedResources(nodeStatus(n.cfg, this.host, { ready: n.ready }, now, diverged ? undefined : n.lastStatus?.conditions), n.extended);
        // A real runtime's images (node.status.images); the simulated driver has none to report.
        const images = n.driver.images?.();
        if (images) next.images = images;
        if (!diverged && !nodeStatusDue({ status: n.lastStatus, at: n.lastReportAt }, next, now, this.reportFrequencyMs)) return;
        await this.o.client.patch(Nodes, undefined, name, nodeStatusPatch(n.lastStatus, next), 'merge', { subresource: 'status' });
        this.events.node(name, nodeConditionEvents(name, n.lastStatus?.conditions, next.conditions));
        n.lastStatus = next;
        n.lastReportAt = now;
        posted = true;
      });
      n.statusFailures = 0;
      if (this.stopped || !n.registered) return;
      if (posted) this.log('debug', 'node status posted', { node: name, ready: n.ready });
      this.heap.scheduleNoLater(`s:${name}`, n.lastReportAt + this.reportFrequencyMs);
    } catch (err) {
      if (this.stopped || !n.registered) return;
      n.statusFailures++;
      this.log('warn', 'node status update failed', { node: name, err: String(err) });
      this.heap.schedule(`s:${name}`, retryRenewAt(this.clock.now(), n.statusFailures, 10_000));
    } finally {
      n.statusInFlight = false;
    }
  }

  // ------------------------------------------------------------------ pods

  private podChanged(pod: Pod, old?: Pod): void {
    const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    const uid = pod.metadata?.uid;
    if (!nodeName || !uid) return;
    const n = this.nodes.get(nodeName);
    if (!n) return;
    const first = !this.pods.has(uid);
    this.pods.set(uid, { node: nodeName, key: objectKey(pod) });
    n.pods.add(uid);
    // Most updates of a running pod are its own status write coming back: nothing to sync (see statusAgrees).
    // Pod events stay on the full path: their rules look at every sync.
    if (!first && old && !this.events.podEvents && onlyStatusChanged(old, pod) && n.driver.statusAgrees?.(pod)) return;
    this.syncPod(n, pod, first);
  }

  private podDeleted(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const at = this.pods.get(uid);
    if (!at) return;
    this.pods.delete(uid);
    this.heap.cancel(`p:${uid}`);
    this.held.delete(uid);
    this.writer.forget(uid);
    this.events.forget(uid);
    const n = this.nodes.get(at.node);
    if (!n) return;
    n.pods.delete(uid);
    try {
      n.driver.forget(uid);
    } catch (err) {
      this.log('error', 'driver forget failed', { pod: at.key, err: String(err) });
    }
  }

  /** An event a driver recorded about one of its pods (the pod as the watch last saw it). */
  private driverEvent(nodeName: string, uid: string, ev: DriverEvent): void {
    const at = this.pods.get(uid);
    const pod = at ? this.podInformer.indexer.get(at.key) : undefined;
    if (!pod || pod.metadata?.uid !== uid || this.stopped) return;
    this.events.podEvent(nodeName, pod, ev);
  }

  private wakePod(uid: string): void {
    const at = this.pods.get(uid);
    if (!at) return;
    const pod = this.podInformer.indexer.get(at.key);
    const n = this.nodes.get(at.node);
    if (!pod || !n || pod.metadata?.uid !== uid) return;
    this.syncPod(n, pod, false);
  }

  private syncPod(n: SimNode, pod: Pod, first: boolean): void {
    if (this.stopped) return;
    const m = pod.metadata!;
    const uid = m.uid!;
    const ref = { namespace: m.namespace ?? 'default', name: m.name!, uid, node: n.cfg.name };
    let res;
    const now = this.clock.now();
    try {
      res = n.driver.sync(pod, now);
    } catch (err) {
      this.log('error', 'pod sync failed', { pod: `${ref.namespace}/${ref.name}`, node: n.cfg.name, err: String(err) });
      return;
    }
    try {
      this.events.pod(n.cfg.name, pod, res.status, now);
    } catch (err) {
      this.log('error', 'pod events failed', { pod: `${ref.namespace}/${ref.name}`, node: n.cfg.name, err: String(err) });
    }
    if (res.resend) {
      // The API's copy disagrees with a status already decided on: nothing is held back from it.
      this.held.delete(uid);
      if (res.status && !this.writer.busy(uid)) this.writer.enqueue(ref, res.status);
    } else {
      const d = decideFirstStatus({ first, held: this.held.get(uid), status: res.status, wakeAt: res.wakeAt, remove: res.remove, now, holdMs: this.firstStatusHoldMs });
      if (d.action === 'hold') this.held.set(uid, d.held);
      else this.held.delete(uid);
      if (d.action === 'send') this.writer.enqueue(ref, d.status);
    }
    if (res.remove) {
      this.writer.remove(ref);
      this.heap.cancel(`p:${uid}`);
    } else if (res.wakeAt !== null) this.heap.schedule(`p:${uid}`, res.wakeAt);
    else this.heap.cancel(`p:${uid}`);
  }
}

/**
 * Nothing of the pod but its status changed: the kubelet's podsDifferSemantically (spec, labels, annotations,
 * deletionTimestamp, deletionGracePeriodSeconds), with uid. Cached pods share equal parts, so equal is mostly `===`.
 */
export function onlyStatusChanged(old: Pod, cur: Pod): boolean {
  const a = old.metadata;
  const b = cur.metadata;
  return !!a && !!b && a.uid === b.uid && a.deletionTimestamp === b.deletionTimestamp && a.deletionGracePeriodSeconds === b.deletionGracePeriodSeconds &&
    jsonEqual(a.labels, b.labels) && jsonEqual(a.annotations, b.annotations) && jsonEqual(old.spec, cur.spec);
}

/** The name `skiff server`'s one local node takes: this host's name, as the kubelet's default. */
export function localNodeName(): string {
  return hostname().toLowerCase();
}
