/**
 * The simulated runtime's PodDriver: one per node, holding that node's pods as small plain records (no
 * closures, no timers: the agent calls sync() again at wakeAt), so one process can hold 150,000 pods.
 *
 * What a bound pod goes through, as a kubelet would take it:
 *   admission: rejected with phase Failed, reason OutOfpods / OutOfcpu / OutOfmemory / OutOfephemeral-storage
 *     and "Pod was rejected: Node didn't have enough resource: cpu, requested: 500, used: 3800, capacity: 4000"
 *     when the node's active pods leave no room (allocatable of the NodeContext); reason NodePorts when an
 *     active pod holds one of its hostPorts (host-ports.ts);
 *   hostIP and startTime at once; the sandbox and a pod IP from the podCIDR (fallback 10.0.0.0/16; .0 and .1
 *     never used; hostNetwork pods take the host's IP) after SimulatedTiming.sandboxMs;
 *   init containers one at a time, then the regular containers → Running; `started` once running (after
 *     startupProbe.initialDelaySeconds), `ready` after readinessProbe.initialDelaySeconds;
 *   containers run until deleted, except as the annotations below say; Job pods (controlled by a Job) exit 0
 *     after SimulatedTiming.jobRunMs (1 s) and end Succeeded, or, when every container's command is a plain
 *     `sleep N` (`sh -c "sleep N"`, `sleep infinity`), after the N seconds it sleeps (sleep-command.ts);
 *   a container (init or regular) whose whole command only exits (`/bin/true`, `/bin/false`, `sh -c "exit 3"`,
 *     exit-command.ts) exits at once with that code; its restartPolicy decides what follows;
 *   spec.activeDeadlineSeconds after startTime (also when set later): Failed, reason DeadlineExceeded, the
 *     containers stopped at once (exit 137), as the kubelet's active deadline handler;
 *   a container whose image matches the node's `unpullableImages` (node spec) never starts: it waits with
 *     ErrImagePull / ImagePullBackOff, retried on the kubelet's image back-off (image-pull.ts);
 *   deletion: containers stop after min(grace period, SimulatedTiming.stopMs) with exit 137, the terminal status
 *     comes back with remove=true; a pod already Succeeded/Failed (or never started) is removed at once.
 *
 * Annotations a pod can carry to steer its simulation (all optional; bad values are ignored):
 *   sim.skiff.dev/run-seconds: "5"      each run of every regular container lasts this long (decimals allowed),
 *                                       then the container exits. Default: forever (Job pods: jobRunMs or their sleep).
 *   sim.skiff.dev/exit-code: "1"        the exit code of those exits (0-255, default 0). 0 ends the pod Succeeded
 *                                       under restartPolicy Never/OnFailure; non-zero ends it Failed under Never;
 *                                       Always (and OnFailure with non-zero) restarts: restartCount+1, lastState
 *                                       keeps the exited run, CrashLoopBackOff between runs (10 s doubling to 5 min).
 *   sim.skiff.dev/cpu-usage: "250m"     the pod's CPU use for metrics.k8s.io, split evenly over its containers.
 *                                       Default: half of each container's CPU request (1m without one).
 *   sim.skiff.dev/memory-usage: "64Mi"  likewise for memory. Default: half the memory request (16Mi without one).
 */
import { newTransitionMemory, type TransitionMemory } from '../../pod/conditions.js';
import { activeDeadlineAt, annotationsOf, containersOf, initContainersOf, isHostNetwork, isJobPod, podSpec, podStatusOf, restartPolicyOf } from '../../pod/podspec.js';
import { generatePodStatus, rejectedPodStatus } from '../../pod/status.js';
import { parseTime } from '../../../../client/time.js';
import type { Container } from '../../pod/podspec.js';
import type { ContainerUsage, NodeContext, NodeUsage, Pod, PodDriver, PodDriverFactory, PodStatus, PodUsage, SyncResult } from '../../types.js';
import { admit, parseAllocatable, podRequests, type ResourceAmounts } from './admission.js';
import { HostPortUse, NODE_PORTS_REJECTION, podHostPorts } from './host-ports.js';
import { ipToString, parseCIDR, parseIP, PodIPAllocator } from './ipam.js';
import { computeTimeline, type RunPlan } from './timeline.js';
import { resolveTiming, type SimulatedTiming } from './timing.js';
import { podSleepMs } from './sleep-command.js';
import { immediateExitCode } from './exit-command.js';
import { hasSubPathExpr, subPathExprErrors } from './subpath-expr.js';
import { podContainerUsage } from './usage.js';
import { jsonEqual, PartTable } from '../../../../client/share-parts.js';
import { fnv32aString } from '../../../../client/fnv.js';

/** The kubelet's active deadline handler's reason and message (pkg/kubelet/active_deadline.go). */
const DEADLINE_EXCEEDED = { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' };

export const RUN_SECONDS_ANNOTATION = 'sim.skiff.dev/run-seconds';
export const EXIT_CODE_ANNOTATION = 'sim.skiff.dev/exit-code';
/** The status manager's reconcile period (syncPeriod): a disagreeing API status is sent again at most this often. */
export const RECONCILE_PERIOD_MS = 10_000;
/** kwok's fallback pod range when a node has no podCIDR yet. */
export const FALLBACK_POD_CIDR = '10.0.0.0/16';

export interface SimulatedDriverOptions {
  timing?: Partial<SimulatedTiming>;
  /** The usage window reported to metrics.k8s.io (seconds). */
  usageWindowSeconds?: number;
  /** What the node itself uses besides its pods (system daemons). */
  systemUsage?: { cpuNanoCores: number; memoryBytes: number };
}

const ACTIVE = 0;
const TERMINAL = 1;
const REJECTED = 2;

/** One pod on this node. Plain data only: 150,000 of these must fit in one process. */
interface PodRecord {
  uid: string;
  namespace: string;
  name: string;
  state: typeof ACTIVE | typeof TERMINAL | typeof REJECTED;
  /** Admission (status.startTime). */
  t0: number;
  /** Sandbox up; null while waiting for an IP. */
  sandboxAt: number | null;
  /** Pod IP as a number (0: none yet or host network); kept for status after the allocator has it back. */
  ip: number;
  /** The allocator holds `ip` for this pod (false once released). */
  ipHeld: boolean;
  /**
   * Requests counted against the node while active, flat as [name, amount, ...] (a Map per pod costs ~4× more);
   * null once released. Frozen, one array for every pod with the same requests (the driver's `parts`).
   */
  requests: readonly (string | number)[] | null;
  /** Host ports held while active (host-ports.ts keys); null without any or once released. */
  ports: string[] | null;
  stopAt: number | null;
  /**
   * Regular containers whose subPathExpr failed (CreateContainerConfigError) at some sync: -1 while it still
   * fails, else when it stopped failing. null for the (usual) pod that never had one.
   */
  configWait: Record<string, number> | null;
  /** spec.activeDeadlineSeconds ran out: the kubelet stopped the pod and failed it (DeadlineExceeded). */
  deadlineExceeded: boolean;
  transitions: TransitionMemory;
  /** Hash and length of the last status returned, so an unchanged status comes back as null. */
  hash: number;
  length: number;
  runningFrom: number | null;
  doneAt: number | null;
  /** Frozen and shared like `requests`. */
  usage: readonly ContainerUsage[];
  /** When a status was last sent again because the API's copy disagreed (resend). */
  resentAt: number;
  /** readParts of the last status returned (frozen, shared like `requests`); null before the first. */
  returned: ReadParts | null;
}

const NO_USAGE: readonly ContainerUsage[] = Object.freeze([]);

/**
 * The pod's status in the API is at this kubelet's phase but one of the conditions it owns has another status
 * (the node lifecycle controller marks a late node's pods not Ready). Another phase in the API is this kubelet's
 * own earlier status not yet replaced (its newer one is on its way), not someone else's change. Only these few
 * fields are compared: cheap on every sync of every pod.
 */
export function apiStatusDiverged(pod: Pod, status: PodStatus): boolean {
  const api = podStatusOf(pod);
  if (api.phase !== status.phase) return false;
  const ours = Array.isArray(status.conditions) ? (status.conditions as { type?: unknown; status?: unknown }[]) : [];
  const theirs = Array.isArray(api.conditions) ? (api.conditions as { type?: unknown; status?: unknown }[]) : [];
  for (const c of ours) {
    let found: { status?: unknown } | undefined;
    for (const t of theirs) if (t && t.type === c.type) found = t;
    if (found === undefined || found.status !== c.status) return true;
  }
  return false;
}

/** The parts of a pod's status that a sync reads back from the API's copy (generatePodStatus). */
interface ReadParts {
  phase: unknown;
  reason: unknown;
  message: unknown;
  conditions: unknown;
}

/**
 * A copy of what a sync reads back of a status it returned: a terminal phase, the reason and message, the
 * conditions and their times. The conditions are copied (they hold only scalars): sharing freezes what it keeps.
 */
function readParts(status: PodStatus): ReadParts {
  const c = status.conditions;
  return { phase: status.phase, reason: status.reason, message: status.message, conditions: Array.isArray(c) ? c.map((x: unknown) => (typeof x === 'object' && x !== null ? { ...x } : x)) : c };
}

function runPlan(pod: Pod, timing: SimulatedTiming): RunPlan {
  const ann = annotationsOf(pod);
  let runMs: number | null = null;
  if (isJobPod(pod)) {
    // A Job's pod ends after a short run, unless its containers only sleep: then as long as they sleep.
    const slept = podSleepMs(containersOf(pod));
    runMs = slept === undefined ? timing.jobRunMs : slept;
  }
  const rs = ann[RUN_SECONDS_ANNOTATION];
  if (typeof rs === 'string' && rs.trim() !== '') {
    const v = Number(rs);
    if (Number.isFinite(v) && v >= 0) runMs = Math.round(v * 1000);
  }
  let exitCode = 0;
  const ec = ann[EXIT_CODE_ANNOTATION];
  if (typeof ec === 'string' && /^\d{1,3}$/.test(ec.trim()) && Number(ec) <= 255) exitCode = Number(ec);
  return { runMs, exitCode };
}

/**
 * Containers whose command only exits (`/bin/true`, `/bin/false`, `sh -c "exit 3"`), with their codes; null when
 * none, or when the pod's annotations steer its runs (they win).
 */
export function commandExitCodes(pod: Pod, initContainers: Container[], containers: Container[]): Map<string, number> | null {
  const ann = annotationsOf(pod);
  if (ann[RUN_SECONDS_ANNOTATION] !== undefined || ann[EXIT_CODE_ANNOTATION] !== undefined) return null;
  let out: Map<string, number> | null = null;
  for (const c of [...initContainers, ...containers]) {
    const code = immediateExitCode(c);
    if (code !== undefined) (out ??= new Map()).set(c.name, code);
  }
  return out;
}

/** Seconds the pod may take to stop: the deletion's grace period, else the spec's, else 30 (the default). */
function gracePeriodSeconds(pod: Pod): number {
  const g = pod.metadata?.deletionGracePeriodSeconds;
  if (typeof g === 'number' && g >= 0) return g;
  const s = podSpec(pod).terminationGracePeriodSeconds;
  return typeof s === 'number' && s >= 0 ? s : 30;
}

export class SimulatedPodDriver implements PodDriver {
  private ctx!: NodeContext;
  private allocatable: ResourceAmounts = new Map();
  private ipam!: PodIPAllocator;
  private readonly pods = new Map<string, PodRecord>();
  /** Active pods and their summed requests (the kubelet's admission view). */
  private activePods = 0;
  private readonly requested: ResourceAmounts = new Map();
  private readonly hostPorts = new HostPortUse();
  readonly timing: SimulatedTiming;
  private readonly windowSeconds: number;
  private readonly systemUsage: { cpuNanoCores: number; memoryBytes: number };

  /**
   * `parts`: where equal requests and usage lists become one frozen array (~300 B a pod otherwise: the pods of
   * one workload all ask the same). A factory shares one between all its nodes.
   */
  constructor(ctx: NodeContext, opts: SimulatedDriverOptions = {}, private readonly parts = new PartTable()) {
    this.timing = resolveTiming(opts.timing);
    this.windowSeconds = opts.usageWindowSeconds ?? 10;
    this.systemUsage = opts.systemUsage ?? { cpuNanoCores: 50_000_000, memoryBytes: 256 * 1024 * 1024 };
    this.setContext(ctx);
  }

  setContext(ctx: NodeContext): void {
    const cidr = ctx.podCIDR ?? FALLBACK_POD_CIDR;
    let range;
    try {
      range = parseCIDR(cidr);
    } catch {
      range = parseCIDR(FALLBACK_POD_CIDR); // a bad podCIDR must not take the node down
    }
    if (!this.ipam || this.ipam.cidr.base !== range.base || this.ipam.cidr.prefix !== range.prefix) {
      this.ipam = new PodIPAllocator(range);
      for (const rec of this.pods.values()) if (rec.ipHeld) rec.ipHeld = this.ipam.reserve(rec.ip);
    }
    this.ctx = ctx;
    this.allocatable = parseAllocatable(ctx.allocatable);
  }

  /** How many pods this driver holds (any state). */
  get size(): number {
    return this.pods.size;
  }

  sync(pod: Pod, now: number): SyncResult {
    const uid = pod.metadata?.uid;
    if (typeof uid !== 'string' || uid === '') return { status: null, wakeAt: null, remove: false };
    const deleting = typeof pod.metadata?.deletionTimestamp === 'string';
    let rec = this.pods.get(uid);
    if (!rec) {
      const apiPhase = podStatusOf(pod).phase;
      // Finished or never started here: nothing to run, nothing to stop.
      if (apiPhase === 'Succeeded' || apiPhase === 'Failed' || deleting) return { status: null, wakeAt: null, remove: deleting };
      const created = this.accept(pod, uid, now);
      rec = created.rec;
      if (created.status) return this.result(rec, created.status, null, false);
    }
    if (rec.state === REJECTED || (rec.state === TERMINAL && deleting)) return { status: null, wakeAt: null, remove: deleting };

    if (deleting && rec.stopAt === null) rec.stopAt = now + Math.min(gracePeriodSeconds(pod) * 1000, this.timing.stopMs);
    let retryAt: number | null = null;
    // The kubelet's active deadline handler: once activeDeadlineSeconds has passed since startTime, the pod is
    // failed with DeadlineExceeded and its containers are stopped. A pod update can set or shorten the deadline.
    const deadlineAt = rec.state === ACTIVE && !deleting ? activeDeadlineAt(pod, rec.t0) : null;
    if (deadlineAt !== null && !rec.deadlineExceeded) {
      if (now >= deadlineAt) {
        rec.deadlineExceeded = true;
        if (rec.stopAt === null) rec.stopAt = now;
      } else retryAt = deadlineAt;
    }
    if (rec.sandboxAt === null && rec.state === ACTIVE && !deleting) {
      if (this.assignIP(rec, pod)) rec.sandboxAt = now + this.timing.sandboxMs;
      else retryAt = Math.min(retryAt ?? Infinity, now + Math.max(1, this.timing.ipRetryMs));
    }

    const containers = containersOf(pod);
    const podIP = rec.ip !== 0 && rec.sandboxAt !== null && now >= rec.sandboxAt ? ipToString(rec.ip) : undefined;
    const configErrors = rec.state === ACTIVE ? this.configErrors(rec, pod, containers, podIP, now) : null;
    const initContainers = initContainersOf(pod);
    const timeline = computeTimeline({
      uid,
      podDesc: `${rec.name}_${rec.namespace}(${uid})`,
      sandboxAt: rec.sandboxAt,
      now,
      stopAt: rec.stopAt,
      timing: this.timing,
      initContainers,
      containers,
      restartPolicy: restartPolicyOf(pod),
      plan: runPlan(pod, this.timing),
      configErrors,
      createdFrom: rec.configWait,
      unpullableImages: this.ctx.unpullableImages,
      exitCodes: commandExitCodes(pod, initContainers, containers),
    });
    const { status, phase } = generatePodStatus({
      pod,
      now,
      hostIP: this.ctx.hostIP,
      podIP: isHostNetwork(pod) && rec.sandboxAt !== null && now >= rec.sandboxAt ? this.ctx.hostIP : podIP,
      sandboxReady: timeline.sandboxReady,
      startTime: rec.t0,
      runtime: timeline.runtime,
      podIsTerminal: timeline.killed,
      transitions: rec.transitions,
      ...(rec.deadlineExceeded ? { evicted: DEADLINE_EXCEEDED } : {}),
    });
    rec.runningFrom = timeline.runningFrom;
    rec.doneAt = timeline.doneAt;
    if (rec.state === ACTIVE) rec.usage = this.parts.share(podContainerUsage(pod));
    if ((phase === 'Succeeded' || phase === 'Failed') && rec.state === ACTIVE) {
      rec.state = TERMINAL;
      this.release(rec); // its sandbox is gone: resources and IP go back to the node
    }
    const remove = deleting && timeline.killed;
    let wakeAt = remove || rec.state === TERMINAL ? null : timeline.next;
    if (retryAt !== null && (wakeAt === null || retryAt < wakeAt)) wakeAt = retryAt;
    return this.result(rec, status, wakeAt, remove, pod, now);
  }

  /**
   * A pod whose status alone changed in the API needs no sync when what a sync reads of that status is what the
   * last sync returned (this driver's own write coming back): the sync would find the status it already has and
   * nothing diverged, as the kubelet reconciles a status-only update without a pod sync.
   */
  statusAgrees(pod: Pod): boolean {
    const uid = pod.metadata?.uid;
    const rec = typeof uid === 'string' ? this.pods.get(uid) : undefined;
    const r = rec?.returned;
    if (!r) return false;
    const api = podStatusOf(pod);
    return api.phase === r.phase && api.reason === r.reason && api.message === r.message && jsonEqual(api.conditions, r.conditions);
  }

  forget(uid: string): void {
    const rec = this.pods.get(uid);
    if (!rec) return;
    this.release(rec);
    this.pods.delete(uid);
  }

  usage(now: number): NodeUsage {
    const pods: PodUsage[] = [];
    let cpu = this.systemUsage.cpuNanoCores;
    let mem = this.systemUsage.memoryBytes;
    for (const rec of this.pods.values()) {
      if (rec.state !== ACTIVE || rec.runningFrom === null || now < rec.runningFrom) continue;
      if (rec.doneAt !== null && now >= rec.doneAt) continue;
      if (rec.stopAt !== null && now >= rec.stopAt) continue;
      for (const c of rec.usage) {
        cpu += c.cpuNanoCores;
        mem += c.memoryBytes;
      }
      pods.push({ namespace: rec.namespace, name: rec.name, uid: rec.uid, containers: rec.usage.map((c) => ({ ...c })) });
    }
    return { nodeName: this.ctx.nodeName, timestamp: now, windowSeconds: this.windowSeconds, cpuNanoCores: cpu, memoryBytes: mem, pods };
  }

  /**
   * The kubelet retries a container whose mounts fail at every sync: the errors as of now, and in rec.configWait
   * when each failing container stopped failing (a pod update fixed it), so that it is created from then on.
   */
  private configErrors(rec: PodRecord, pod: Pod, containers: Container[], podIP: string | undefined, now: number): Map<string, string> | null {
    if (!hasSubPathExpr(containers)) return null;
    // Mounts are made when a container is created: only one not created yet can fail (a later pod update does
    // not touch a running container).
    const wait = rec.configWait;
    const uncreated = containers.filter((c) => (wait?.[c.name] !== undefined ? wait[c.name] === -1 : rec.runningFrom === null));
    if (uncreated.length === 0) return null;
    const facts = { podIPs: podIP ? [podIP] : [], hostIPs: [this.ctx.hostIP] };
    const errors = subPathExprErrors(pod, uncreated, facts, this.ctx.allocatable);
    if (errors) {
      rec.configWait ??= {};
      for (const name of errors.keys()) rec.configWait[name] = -1;
    }
    if (rec.configWait) for (const [name, at] of Object.entries(rec.configWait)) if (at < 0 && !errors?.has(name)) rec.configWait[name] = now;
    return errors;
  }

  /** A pod seen for the first time: admit it (or resume one this node already runs, after an agent restart). */
  private accept(pod: Pod, uid: string, now: number): { rec: PodRecord; status: PodStatus | null } {
    const api = podStatusOf(pod);
    const resumedAt = api.hostIP === this.ctx.hostIP ? parseTime(api.startTime) : null;
    const rec: PodRecord = {
      uid,
      namespace: pod.metadata?.namespace ?? '',
      name: pod.metadata?.name ?? '',
      state: ACTIVE,
      t0: resumedAt ?? now,
      sandboxAt: null,
      ip: 0,
      ipHeld: false,
      requests: null,
      ports: null,
      stopAt: null,
      deadlineExceeded: false,
      configWait: null,
      transitions: newTransitionMemory(),
      hash: 0,
      length: -1,
      runningFrom: null,
      doneAt: null,
      usage: NO_USAGE,
      resentAt: -Infinity,
      returned: null,
    };
    this.pods.set(uid, rec);
    const requests = podRequests(pod);
    const ports = podHostPorts(pod);
    if (resumedAt === null) {
      // Resources first, then host ports: the order of the kubelet's admission check.
      let rejection = admit(requests, { pods: this.activePods, requested: this.requested }, this.allocatable);
      if (!rejection && ports.length > 0 && this.hostPorts.conflicts(ports)) rejection = NODE_PORTS_REJECTION;
      if (rejection) {
        rec.state = REJECTED;
        return { rec, status: rejectedPodStatus(pod, rejection.reason, rejection.message, now) };
      }
    }
    const flat: (string | number)[] = [];
    for (const [k, v] of requests) flat.push(k, v);
    rec.requests = this.parts.share(flat);
    if (ports.length > 0) {
      rec.ports = ports;
      this.hostPorts.add(ports);
    }
    this.activePods++;
    for (const [k, v] of requests) this.requested.set(k, (this.requested.get(k) ?? 0) + v);
    if (resumedAt !== null) {
      // Keep the IP it had when it is still ours to give; the timeline picks up where it would be by now.
      const had = parseIP(api.podIP);
      if (isHostNetwork(pod) || (had !== null && had !== 0 && (this.ipam.reserve(had) || !this.ipam.contains(had)))) {
        if (!isHostNetwork(pod)) {
          rec.ip = had!;
          rec.ipHeld = this.ipam.contains(had!);
        }
        rec.sandboxAt = rec.t0 + this.timing.sandboxMs;
      }
    }
    return { rec, status: null };
  }

  private assignIP(rec: PodRecord, pod: Pod): boolean {
    if (isHostNetwork(pod)) return true;
    const ip = this.ipam.allocate();
    if (ip === null) return false;
    rec.ip = ip;
    rec.ipHeld = true;
    return true;
  }

  private release(rec: PodRecord): void {
    if (rec.requests) {
      this.activePods--;
      const r = rec.requests;
      for (let i = 0; i < r.length; i += 2) this.requested.set(r[i] as string, (this.requested.get(r[i] as string) ?? 0) - (r[i + 1] as number));
      rec.requests = null;
    }
    if (rec.ports) {
      this.hostPorts.remove(rec.ports);
      rec.ports = null;
    }
    if (rec.ipHeld) {
      this.ipam.release(rec.ip);
      rec.ipHeld = false;
    }
  }

  private result(rec: PodRecord, status: PodStatus, wakeAt: number | null, remove: boolean, pod?: Pod, now = 0): SyncResult {
    const text = JSON.stringify(status);
    // FNV-1a over the status JSON: 32 bits plus the length is plenty to tell "changed" from "same".
    const hash = fnv32aString(text);
    // Also sent again when someone else changed what this kubelet posted (the node lifecycle controller marks a
    // late node's pods not Ready): the status manager's reconcile, which compares with the API's copy.
    const changed = hash !== rec.hash || text.length !== rec.length;
    // At most once per reconcile period, so a server that keeps changing the status cannot start a write loop.
    if (!changed && pod !== undefined && apiStatusDiverged(pod, status)) {
      if (now - rec.resentAt >= RECONCILE_PERIOD_MS) {
        rec.resentAt = now;
        return { status, wakeAt, remove, resend: true };
      }
      // Marked again within the period (a node late twice in a row): look again when it ends, as the status
      // manager's periodic reconcile would, or the pod stays not Ready until something else touches it.
      const due = rec.resentAt + RECONCILE_PERIOD_MS;
      if (wakeAt === null || due < wakeAt) wakeAt = due;
    }
    if (changed || rec.returned === null) rec.returned = this.parts.share(readParts(status));
    rec.hash = hash;
    rec.length = text.length;
    return { status: changed ? status : null, wakeAt, remove };
  }
}

export function simulatedPodDriverFactory(opts: SimulatedDriverOptions = {}): PodDriverFactory {
  resolveTiming(opts.timing); // fail at start-up, not at the first node
  const parts = new PartTable();
  return (ctx) => new SimulatedPodDriver(ctx, opts, parts);
}
