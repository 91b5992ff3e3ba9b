/**
 * One real pod's worker: the kubelet's syncPod for one pod uid, as a serialised loop of passes over what the
 * runtime reports. Each pass observes exits, then makes the next move:
 *
 *   sandbox network → volumes → init containers in order (a sidecar, an init container with restartPolicy Always,
 *   starts and must be `started` before the next) → regular containers → restarts by restartPolicy with the
 *   crash-loop back-off (10 s doubling to 5 min, reset after 10 min) → once every regular container is done for
 *   good, sidecars stop and the sandbox goes (the pod is Succeeded/Failed).
 *   Deletion: preStop hooks, SIGTERM, the grace period, SIGKILL (regular containers first, then sidecars in
 *   reverse order), then containers, rootfs, volumes and the network namespace are removed: `removed` is set.
 *
 * Starting one container: image (pull policy, ErrImagePull → ImagePullBackOff with its own back-off,
 * ErrImageNeverPull), env (CreateContainerConfigError), rootfs, OCI spec, run, postStart hook. Probes run on their
 * own timers (probe.ts decides, probe-net.ts carries httpGet/tcpSocket) and only flag a kill; the pass does it.
 * Whatever a pass changes, `onChange` tells the driver, which asks the agent to sync the pod again.
 *
 * State that must outlive the agent (restart counts, last runs, back-offs) is written to pods/<uid>/state.json, so
 * an agent restart adopts running containers instead of killing them.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TimerHandle } from '../../../../client/clock.js';
import { ImageError, type PullPolicy, type Rootfs, type StoredImage } from '../../images/types.js';
import type { PodSandboxNetwork } from '../../network/types.js';
import { terminationReason, type RuntimeContainer, type TerminatedRun } from '../../pod/container-status.js';
import { containersOf, initContainersOf, isHostNetwork, isRestartableInit, podSpec, restartPolicyOf, type RestartPolicy } from '../../pod/podspec.js';
import type { Pod } from '../../types.js';
import { VolumeError, type PreparedVolume } from '../../volumes/types.js';
import { goDuration } from '../simulated/timeline.js';
import { Backoff } from './backoff.js';
import { sharedLauncher } from './launcher.js';
import { wantsHostPorts } from './host-ports.js';
import { OciSpecError } from './oci-spec.js';
import { parseAction, probeSpec, ProbeState, type ProbeAction, type ProbeKind } from './probe.js';
import { pullCredentials, type ContainerConfig, type ContainerJSON, type SharedNamespaces, type WorkerEnv } from './pod-worker-deps.js';
import type { ContainerInfo } from './types.js';
import { hostPort } from '../../../../net/host-port.js';

/** The kubelet never gives a container less than this to stop (minimumGracePeriodInSeconds). */
export const MIN_GRACE_SECONDS = 2;
/** The termination message file is read up to this many bytes; the log fallback takes at most 80 lines / 2 KiB. */
const MAX_MESSAGE_BYTES = 4096;
const FALLBACK_LOG_LINES = 80;
const FALLBACK_LOG_BYTES = 2048;
/** containerd's exit code for a container whose exit status was lost. */
const UNKNOWN_EXIT_CODE = 255;
/** The kubelet keeps this much of an exec probe's output (maxProbeOutputLength). */
export const MAX_PROBE_OUTPUT_BYTES = 10 * 1024;
/** How often a running pod's API-data volumes (configMap, secret, projected, downwardAPI) are written again. */
export const VOLUME_REFRESH_MS = 60_000;

type Kind = 'init' | 'sidecar' | 'regular';

interface Instance {
  id: string;
  attempt: number;
  bundleDir: string;
  logPath: string;
  termPath: string;
  rootfs?: Rootfs;
}

interface ContainerRec {
  name: string;
  kind: Kind;
  spec: ContainerJSON;
  /** restartCount of the latest instance; -1 before the first. */
  attempt: number;
  cur?: Instance;
  /** Earlier instances, removed with the pod. */
  old: Instance[];
  state: 'none' | 'waiting' | 'running' | 'exited';
  waitingReason?: string;
  waitingMessage?: string;
  image: string;
  imageID: string;
  pid?: number;
  startedAt: number;
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  message?: string;
  last: TerminatedRun | null;
  started: boolean;
  ready: boolean;
  probes: Partial<Record<ProbeKind, ProbeState>>;
  probeTimers: TimerHandle[];
  /** A probe or hook asked for this container to be killed (the pass does it). */
  kill?: { why: string; graceSeconds: number };
  /** The earliest moment a retry of a failed step is due. */
  retryAt?: number;
  /** spec.image the running instance was started from; a different one now means a restart. */
  specImage?: string;
  /** Stopped for a new definition: starts again at once, whatever the restart policy. */
  specChanged?: boolean;
  /** The runtime's wait() on the current instance (exit detection without polling); aborted when it is done with. */
  watch?: AbortController;
}

/** What the driver turns into a pod status. */
export interface WorkerSnapshot {
  runtime: Map<string, RuntimeContainer>;
  sandboxReady: boolean;
  podIP?: string;
  /** Containers stopped for good by deletion (or the pod finished): no restarts any more. */
  podIsTerminal: boolean;
  /** Deletion finished: everything removed. */
  removed: boolean;
  /** Nothing more will run: resources go back to the node. */
  finished: boolean;
  /** spec.activeDeadlineSeconds passed: the pod is Failed with reason DeadlineExceeded. */
  deadlineExceeded: boolean;
}

interface SavedContainer {
  attempt: number;
  state: ContainerRec['state'];
  id?: string;
  image: string;
  imageID: string;
  startedAt: number;
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  message?: string;
  waitingReason?: string;
  waitingMessage?: string;
  last: TerminatedRun | null;
  old: string[];
  specImage?: string;
  /** Probe verdicts, so an adopted container keeps them (no readiness flap after an agent restart). */
  started?: boolean;
  ready?: boolean;
}

export interface SavedPod {
  version: 1;
  uid: string;
  namespace: string;
  name: string;
  startTime: number;
  podIP?: string;
  netnsPath?: string;
  finished: boolean;
  deadlineExceeded?: boolean;
  containers: Record<string, SavedContainer>;
  backoff: ReturnType<Backoff['dump']>;
}

/** `<prefix><uid>_<container>_<restartCount>`: what list() finds again after an agent restart. */
export function containerId(prefix: string, uid: string, name: string, attempt: number): string {
  return `${prefix}${uid}_${name}_${attempt}`;
}

export function parseContainerId(prefix: string, id: string): { uid: string; name: string; attempt: number } | null {
  if (!id.startsWith(prefix)) return null;
  // Pod uids are UUIDs: a shorter prefix never claims the ids of a longer one (skiff- vs skiff-t-…).
  const m = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([a-z0-9-]+)_(\d+)$/i.exec(id.slice(prefix.length));
  return m ? { uid: m[1]!, name: m[2]!, attempt: Number(m[3]) } : null;
}

/** imagePullPolicy, defaulted as the API server does: Always for :latest or no tag, else IfNotPresent. */
export function pullPolicyOf(c: ContainerJSON): PullPolicy {
  const p = c.imagePullPolicy;
  if (p === 'Always' || p === 'IfNotPresent' || p === 'Never') return p;
  const image = typeof c.image === 'string' ? c.image : '';
  if (image.includes('@')) return 'IfNotPresent';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** Whether a container that exited with `exitCode` runs again under the pod's restartPolicy. */
export function shouldRestart(kind: Kind, policy: RestartPolicy, exitCode: number): boolean {
  if (kind === 'sidecar') return true;
  if (kind === 'init') return policy !== 'Never' && exitCode !== 0;
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
}

/** Seconds the pod's containers get to stop: the deletion's grace period, else the spec's, else 30. */
export function podGraceSeconds(pod: Pod): number {
  const g = pod.metadata?.deletionGracePeriodSeconds;
  if (typeof g === 'number' && g >= 0) return g;
  const s = podSpec(pod).terminationGracePeriodSeconds;
  return typeof s === 'number' && s >= 0 ? s : 30;
}

/** The CRI log format's lines (`<time> <stream> <P|F> <text>`) back to text, for FallbackToLogsOnError. */
export function logTail(text: string, maxLines = FALLBACK_LOG_LINES, maxBytes = FALLBACK_LOG_BYTES): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let out = '';
  for (const line of lines) {
    const m = /^\S+ (?:stdout|stderr) ([PF]) ?(.*)$/.exec(line);
    out += m ? (m[1] === 'F' ? `${m[2]}\n` : m[2]) : `${line}\n`;
  }
  const kept = out.split('\n');
  if (kept[kept.length - 1] === '') kept.pop();
  let tail = kept.slice(-maxLines).join('\n');
  if (tail && out.endsWith('\n')) tail += '\n';
  const buf = Buffer.from(tail);
  return buf.length > maxBytes ? buf.subarray(buf.length - maxBytes).toString('utf8') : tail;
}

function readHead(path: string, max: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(max);
    const n = readSync(fd, buf, 0, max, 0);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function readTail(path: string, max: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const len = Math.min(size, max);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Mount points at or under `dir` (from /proc/self/mountinfo), deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  let text = '';
  try {
    text = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    // Field 5 is the mount point, with spaces and the like octal-escaped.
    const mp = (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mp === dir || mp.startsWith(`${dir}/`)) out.push(mp);
  }
  return out.sort((a, b) => b.length - a.length);
}

/**
 * Removes a directory tree (a pod's, a bundle), first unmounting what is mounted under it (a rootfs left by an agent that died);
 * refuses to delete through a mount that stays, so a leftover mount never takes files with it.
 */
export async function removeTreeUnmounted(dir: string): Promise<void> {
  await unmountAll(await mountsUnder(dir));
  const left = await mountsUnder(dir);
  if (left.length > 0) throw new Error(`cannot remove ${dir}: still mounted: ${left.join(', ')}`);
  await rm(dir, { recursive: true, force: true });
}

/** One `umount` for them all (deepest first, as given); what stays mounted the caller sees in mountinfo. */
async function unmountAll(points: string[]): Promise<void> {
  if (points.length > 0) await sharedLauncher().run(['umount', ...points]);
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** An exited container's code as the runtime reported it; none recorded reads as the unknown exit, never as success. */
function exitCodeOf(r: { exitCode?: number }): number {
  return r.exitCode ?? UNKNOWN_EXIT_CODE;
}

/** Volumes whose content comes from the API (or the pod) and is kept up to date while the pod runs. */
function hasRefreshedVolumes(pod: Pod): boolean {
  const vols = (podSpec(pod) as { volumes?: Record<string, unknown>[] }).volumes;
  return Array.isArray(vols) && vols.some((v) => v && (v.configMap || v.secret || v.projected || v.downwardAPI));
}

export class PodWorker {
  readonly uid: string;
  private pod: Pod;
  private readonly recs = new Map<string, ContainerRec>();
  private readonly backoff = new Backoff();
  private readonly pullBackoff = new Backoff();
  private sandbox: PodSandboxNetwork | null = null;
  private podIP?: string;
  private volumes: Map<string, PreparedVolume> | null = null;
  /** When the volumes were last prepared (the clock's ms). */
  private volumesAt = 0;
  private shared: SharedNamespaces | null = null;
  /** The pod's hostPort mappings are in place (set once per worker: after an agent restart too). */
  private hostPortsSet = false;
  private lastMountError?: { text: string; at: number };
  private finished = false;
  private deadlineExceeded = false;
  private terminal = false;
  private removed = false;
  private forgotten = false;
  private busy = false;
  private dirty = false;
  private wake: { at: number; handle: TimerHandle } | null = null;
  private readonly podDir: string;
  /** Each change bumps it; the driver compares. */
  version = 0;
  readonly startTime: number;
  /** Resolves when the loop has nothing left to do (tests). */
  private idleWaiters: (() => void)[] = [];

  constructor(
    pod: Pod,
    private readonly env: WorkerEnv,
    private readonly onChange: () => void,
    saved?: SavedPod,
    adopted?: { containers: Map<string, ContainerInfo>; sandbox?: PodSandboxNetwork },
  ) {
    this.pod = pod;
    this.uid = pod.metadata!.uid!;
    this.podDir = join(env.dataDir, 'pods', this.uid);
    this.startTime = saved?.startTime ?? env.clock.now();
    for (const c of initContainersOf(pod)) this.addRec(c as unknown as ContainerJSON, isRestartableInit(c) ? 'sidecar' : 'init');
    for (const c of containersOf(pod)) this.addRec(c as unknown as ContainerJSON, 'regular');
    if (saved) this.restore(saved, adopted?.containers ?? new Map(), adopted?.sandbox);
  }

  private addRec(spec: ContainerJSON, kind: Kind): void {
    if (this.recs.has(spec.name)) return;
    this.recs.set(spec.name, {
      name: spec.name,
      kind,
      spec,
      attempt: -1,
      old: [],
      state: 'none',
      image: typeof spec.image === 'string' ? spec.image : '',
      imageID: '',
      startedAt: 0,
      last: null,
      started: false,
      ready: false,
      probes: {},
      probeTimers: [],
    });
  }

  // ------------------------------------------------------------------ driver side

  get namespace(): string {
    return this.pod.metadata?.namespace ?? '';
  }

  get name(): string {
    return this.pod.metadata?.name ?? '';
  }

  /** The latest pod from the API (deletion arrives this way). */
  update(pod: Pod): void {
    this.pod = pod;
    // A container's image is the one field of it an update may change; the next pass restarts it on the new one.
    for (const c of [...initContainersOf(pod), ...containersOf(pod)]) {
      const r = this.recs.get(c.name);
      if (r && (c as unknown as ContainerJSON).image !== r.spec.image) r.spec = c as unknown as ContainerJSON;
    }
    this.kick();
  }

  /** The pod is gone from the API: stop and remove everything without waiting for grace. */
  forget(): void {
    this.forgotten = true;
    this.kick();
  }

  snapshot(): WorkerSnapshot {
    const runtime = new Map<string, RuntimeContainer>();
    for (const r of this.recs.values()) {
      const rt = this.runtimeContainer(r);
      if (rt) runtime.set(r.name, rt);
    }
    return {
      runtime,
      sandboxReady: this.sandbox !== null && !this.finished && !this.terminal,
      ...(this.podIP ? { podIP: this.podIP } : {}),
      podIsTerminal: this.terminal || this.deadlineExceeded,
      removed: this.removed,
      finished: this.finished || this.terminal || this.removed,
      deadlineExceeded: this.deadlineExceeded,
    };
  }

  /** Resolves once no pass is running or queued (tests use it to let the loop settle). */
  idle(): Promise<void> {
    if (!this.busy && (!this.dirty || this.closed)) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Timers off (agent stopping); containers keep running. */
  close(): void {
    if (this.wake) this.env.clock.clearTimeout(this.wake.handle);
    this.wake = null;
    for (const r of this.recs.values()) {
      this.stopProbes(r);
      this.unwatch(r);
    }
    this.closed = true;
  }

  private closed = false;

  /** Running containers' runtime ids (for usage). */
  runningContainers(): { name: string; id: string }[] {
    const out: { name: string; id: string }[] = [];
    for (const r of this.recs.values()) if (r.state === 'running' && r.cur) out.push({ name: r.name, id: r.cur.id });
    return out;
  }

  private runtimeContainer(r: ContainerRec): RuntimeContainer | undefined {
    if (r.state === 'none' && !r.waitingReason) return undefined;
    const base = {
      name: r.name,
      containerID: r.cur ? `runc://${r.cur.id}` : '',
      image: r.image,
      imageID: r.imageID,
      startedAt: r.startedAt,
      restartCount: Math.max(0, r.attempt),
      last: r.last,
    };
    if (r.state === 'running') return { ...base, state: 'running', started: r.started, ready: r.ready };
    if (r.state === 'exited') {
      return {
        ...base,
        state: 'exited',
        finishedAt: r.finishedAt,
        exitCode: r.exitCode,
        reason: r.reason,
        ...(r.message ? { message: r.message } : {}),
        started: false,
        // A completed init container reports ready, as the kubelet shows it.
        ready: r.kind === 'init' && r.exitCode === 0,
      };
    }
    return { ...base, state: 'waiting', waitingReason: r.waitingReason, waitingMessage: r.waitingMessage, started: false, ready: false };
  }

  // ------------------------------------------------------------------ the loop

  kick(): void {
    if (this.closed) return;
    this.dirty = true;
    if (this.busy) return;
    this.busy = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.dirty && !this.closed) {
        this.dirty = false;
        const before = this.version;
        try {
          await this.pass();
        } catch (err) {
          this.env.log('error', 'pod worker pass failed', { pod: this.podKey(), err: errText(err) });
          this.scheduleAt(this.env.clock.now() + this.env.retryMs);
        }
        if (this.version !== before) {
          this.save();
          this.onChange();
        }
      }
    } finally {
      this.busy = false;
      if (!this.dirty || this.closed) for (const w of this.idleWaiters.splice(0)) w();
      else this.kick();
    }
  }

  private changed(): void {
    this.version++;
  }

  private podKey(): string {
    return `${this.pod.metadata?.namespace ?? ''}/${this.pod.metadata?.name ?? ''}`;
  }

  /** `name_namespace(uid)`, as the kubelet prints a pod in back-off messages. */
  private podDesc(): string {
    return `${this.pod.metadata?.name ?? ''}_${this.pod.metadata?.namespace ?? ''}(${this.uid})`;
  }

  private scheduleAt(at: number): void {
    if (this.closed || this.removed) return;
    if (this.wake && this.wake.at <= at) return;
    if (this.wake) this.env.clock.clearTimeout(this.wake.handle);
    const handle = this.env.clock.setTimeout(() => {
      this.wake = null;
      this.kick();
    }, Math.max(0, at - this.env.clock.now()));
    this.wake = { at, handle };
  }

  private async pass(): Promise<void> {
    if (this.removed) return;
    await this.observe();
    const deleting = typeof this.pod.metadata?.deletionTimestamp === 'string';
    if (deleting || this.forgotten) return this.terminate(this.forgotten ? 0 : podGraceSeconds(this.pod));
    if (this.finished) return;
    const now = this.env.clock.now();
    // activeDeadlineSeconds counts from status.startTime; past it the kubelet kills the pod and fails it.
    const ads = podSpec(this.pod).activeDeadlineSeconds;
    if (typeof ads === 'number' && ads > 0) {
      const deadline = this.startTime + ads * 1000;
      if (now >= deadline) {
        this.deadlineExceeded = true;
        for (const r of this.recs.values()) this.stopProbes(r);
        await Promise.all([...this.recs.values()].filter((r) => r.kind !== 'sidecar').map((r) => this.stopContainer(r, podGraceSeconds(this.pod))));
        await this.finish();
        return;
      }
      this.scheduleAt(deadline);
    }

    if (!this.sandbox) {
      try {
        this.sandbox = await this.env.deps.network.setUp({
          namespace: this.pod.metadata?.namespace ?? '',
          name: this.pod.metadata?.name ?? '',
          uid: this.uid,
          hostNetwork: isHostNetwork(this.pod),
        });
        this.podIP = isHostNetwork(this.pod) ? this.env.hostIP : this.sandbox.ips[0];
        this.env.log('debug', 'pod sandbox up', { pod: this.podKey(), ms: this.env.clock.now() - now });
        this.changed();
      } catch (err) {
        this.env.log('warn', 'pod sandbox set-up failed', { pod: this.podKey(), err: errText(err) });
        this.event(null, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${errText(err)}`);
        this.scheduleAt(now + this.env.retryMs);
        return;
      }
    }
    if (!this.hostPortsSet && this.hasHostPorts()) {
      try {
        await this.env.deps.hostPorts!.set(this.uid, this.pod, this.sandbox.ips[0] ?? '');
        this.hostPortsSet = true;
      } catch (err) {
        // As a failing portmap plugin fails the sandbox: containers wait, the set-up is tried again.
        this.env.log('warn', 'hostPort mapping failed', { pod: this.podKey(), err: errText(err) });
        this.event(null, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${errText(err)}`);
        this.scheduleAt(now + this.env.retryMs);
        return;
      }
    }
    if (!this.shared) {
      try {
        this.shared = (await this.env.deps.namespaces?.setUp(this.podDir, this.pod)) ?? {};
      } catch (err) {
        this.env.log('warn', 'pod namespaces set-up failed', { pod: this.podKey(), err: errText(err) });
        this.event(null, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${errText(err)}`);
        this.scheduleAt(now + this.env.retryMs);
        return;
      }
    }
    if (!this.volumes) {
      try {
        this.volumes = await this.env.deps.volumes.prepare(this.pod, this.podDir);
        this.volumesAt = now;
      } catch (err) {
        // FailedMount: containers stay ContainerCreating (an Event says why), as the kubelet shows it.
        this.mountFailed(err, now);
        this.scheduleAt(now + this.env.retryMs);
        return;
      }
    } else if (hasRefreshedVolumes(this.pod) && now - this.volumesAt >= this.refreshMs()) {
      // The kubelet's volume manager mounts a running pod's volumes again on every sync (its sync period is 1 min);
      // the atomic writer rewrites what changed, so configMap/secret/downwardAPI updates reach the containers.
      // Periodic alone (no watch on the referenced objects): an update is seen within a minute, as upstream's
      // sync period plus cache TTL allows. A failure leaves the last good content and the containers running.
      this.volumesAt = now;
      try {
        this.volumes = await this.env.deps.volumes.prepare(this.pod, this.podDir);
      } catch (err) {
        this.mountFailed(err, now);
      }
    }
    if (hasRefreshedVolumes(this.pod)) this.scheduleAt(this.volumesAt + this.refreshMs());

    // Containers whose definition changed (a new image) restart on it, whatever the restart policy, without back-off.
    for (const r of this.recs.values()) {
      if (r.state === 'running' && r.specImage !== undefined && r.specImage !== r.spec.image && !r.kill) {
        this.event(r, 'Normal', 'Killing', `Container ${r.name} definition changed, will be restarted`);
        r.kill = { why: 'definition changed', graceSeconds: podGraceSeconds(this.pod) };
        r.specChanged = true;
      }
    }
    // Kills a probe or hook asked for.
    for (const r of this.recs.values()) {
      if (r.kill && r.state === 'running') {
        const k = r.kill;
        r.kill = undefined;
        await this.stopContainer(r, k.graceSeconds);
      } else r.kill = undefined;
    }

    const policy = restartPolicyOf(this.pod);
    // Once a regular container has run, the init phase is over: sidecars restart on their own, init containers stay done.
    let initialized = false;
    for (const r of this.recs.values()) if (r.kind === 'regular' && r.attempt >= 0) initialized = true;
    // Init containers, one at a time.
    for (const r of this.recs.values()) {
      if (r.kind === 'regular') continue;
      if (r.kind === 'sidecar') {
        if (r.state !== 'running') await this.startOrBackOff(r);
        if (!initialized && (r.state !== 'running' || !r.started)) return this.pollLater();
        continue;
      }
      if (initialized || (r.state === 'exited' && r.exitCode === 0)) continue;
      if (r.state === 'running') return this.pollLater();
      if (r.state === 'exited' || (r.state === 'waiting' && r.last)) {
        const code = r.state === 'exited' ? exitCodeOf(r) : r.last!.exitCode;
        if (!shouldRestart('init', policy, code)) {
          await this.finish();
          return;
        }
      }
      await this.startOrBackOff(r);
      return this.pollLater();
    }

    // Regular containers, together.
    let live = 0;
    for (const r of this.recs.values()) {
      if (r.kind !== 'regular') continue;
      if (r.state === 'running') {
        live++;
        continue;
      }
      if (r.state === 'exited' || (r.state === 'waiting' && r.last)) {
        const code = r.state === 'exited' ? exitCodeOf(r) : r.last!.exitCode;
        if (!r.specChanged && !shouldRestart('regular', policy, code)) continue;
      }
      live++;
      await this.startOrBackOff(r);
    }
    if (live === 0 && [...this.recs.values()].some((r) => r.kind === 'regular')) {
      await this.finish();
      return;
    }
    this.pollLater();
  }

  /** The pod maps hostPorts (and the node can map them). */
  private hasHostPorts(): boolean {
    return this.env.deps.hostPorts !== undefined && this.sandbox !== null && !isHostNetwork(this.pod) && wantsHostPorts(this.pod);
  }

  private async removeHostPorts(): Promise<void> {
    if (!this.env.deps.hostPorts || isHostNetwork(this.pod) || !wantsHostPorts(this.pod)) return;
    await this.env.deps.hostPorts.remove(this.uid);
    this.hostPortsSet = false;
  }

  private refreshMs(): number {
    return this.env.volumeRefreshMs ?? VOLUME_REFRESH_MS;
  }

  /** One FailedMount per failing volume, as the volume manager records them; a repeat waits a minute. */
  private mountFailed(err: unknown, now: number): void {
    this.env.log('warn', 'volumes not ready', { pod: this.podKey(), err: errText(err) });
    const failures = (err as { failures?: { message: string }[] }).failures ?? [{ message: errText(err) }];
    const text = failures.map((f) => f.message).join('\n');
    if (text !== this.lastMountError?.text || now - this.lastMountError.at >= 60_000) {
      this.lastMountError = { text, at: now };
      for (const f of failures) this.event(null, 'Warning', 'FailedMount', f.message);
    }
  }

  /** Come back to look for exits while anything runs that the runtime's wait() does not watch. */
  private pollLater(): void {
    if ([...this.recs.values()].some((r) => r.state === 'running' && !r.watch)) this.scheduleAt(this.env.clock.now() + this.env.pollMs);
  }

  /**
   * Exit detection through the runtime's wait() where it has one: the pass runs as soon as the container stops.
   * Without it (or when the wait fails or gives up) the pass polls every pollMs.
   */
  private watchExit(r: ContainerRec): void {
    const runtime = this.env.deps.runtime;
    this.unwatch(r);
    const inst = r.cur;
    if (!runtime.wait || !inst || this.closed) return;
    const ac = new AbortController();
    r.watch = ac;
    const fallBack = (): void => {
      if (r.watch === ac) r.watch = undefined;
      this.pollLater();
    };
    runtime.wait(inst.id, ac.signal).then(
      (info) => {
        if (ac.signal.aborted || r.cur !== inst || this.closed) return;
        if (info && info.state !== 'stopped') return fallBack(); // the runtime stopped watching: poll instead
        this.kick();
      },
      (err: unknown) => {
        if (ac.signal.aborted || this.closed) return;
        this.env.log('warn', 'container wait failed, polling instead', { pod: this.podKey(), container: r.name, err: errText(err) });
        fallBack();
      },
    );
  }

  private unwatch(r: ContainerRec): void {
    r.watch?.abort();
    r.watch = undefined;
  }

  /** Exits of running containers since the last look. */
  private async observe(): Promise<void> {
    for (const r of this.recs.values()) {
      if (r.state !== 'running' || !r.cur) continue;
      if (r.pid && this.env.pidAlive(r.pid)) continue;
      let info: ContainerInfo | undefined;
      try {
        info = await this.env.deps.runtime.state(r.cur.id);
      } catch (err) {
        this.env.log('warn', 'container state failed', { pod: this.podKey(), container: r.name, err: errText(err) });
        continue;
      }
      if (info && info.state !== 'stopped') {
        if (info.pid) r.pid = info.pid;
        continue;
      }
      this.recordExit(r, info);
    }
  }

  private recordExit(r: ContainerRec, info: ContainerInfo | undefined): void {
    this.stopProbes(r);
    this.unwatch(r);
    r.state = 'exited';
    r.pid = undefined;
    r.started = false;
    r.ready = false;
    r.finishedAt = info?.finishedAt ?? this.env.clock.now();
    if (!info) {
      // The runtime lost it: the kubelet's ContainerStatusUnknown with 137.
      r.exitCode = 137;
      r.reason = 'ContainerStatusUnknown';
      r.message = 'The container could not be located when the pod was terminated';
    } else if (info.exitCode === undefined || info.exitReason === 'Unknown') {
      // Stopped while nobody watched (the machine went down): containerd reports such a container as 255 Unknown.
      r.exitCode = info.exitCode ?? UNKNOWN_EXIT_CODE;
      r.reason = 'Unknown';
      r.message = undefined;
    } else {
      r.exitCode = info.exitCode;
      r.reason = info.oomKilled ? 'OOMKilled' : terminationReason(r.exitCode);
      r.message = this.terminationMessage(r) || undefined;
    }
    this.changed();
  }

  /** terminationMessagePath's file; under FallbackToLogsOnError, the log's tail when the file is empty and the exit an error. */
  private terminationMessage(r: ContainerRec): string {
    if (!r.cur) return '';
    const text = readHead(r.cur.termPath, MAX_MESSAGE_BYTES);
    if (text) return text;
    if (r.spec.terminationMessagePolicy === 'FallbackToLogsOnError' && r.exitCode !== 0) return logTail(readTail(r.cur.logPath, 64 * 1024));
    return '';
  }

  // ------------------------------------------------------------------ starting containers

  private exitedRun(r: ContainerRec): TerminatedRun | null {
    if (r.state !== 'exited' || !r.cur) return r.last;
    return {
      containerID: `runc://${r.cur.id}`,
      exitCode: exitCodeOf(r),
      reason: r.reason ?? terminationReason(exitCodeOf(r)),
      ...(r.message ? { message: r.message } : {}),
      startedAt: r.startedAt,
      finishedAt: r.finishedAt ?? r.startedAt,
    };
  }

  /** Waits out the crash-loop back-off, else starts the container's next instance. */
  private async startOrBackOff(r: ContainerRec): Promise<void> {
    const now = this.env.clock.now();
    if (r.retryAt !== undefined && now < r.retryAt) return this.scheduleAt(r.retryAt);
    r.retryAt = undefined;
    if (!r.specChanged && (r.state === 'exited' || (r.state === 'waiting' && r.last))) {
      const finishedAt = r.state === 'exited' ? r.finishedAt ?? now : r.last!.finishedAt;
      const until = this.backoff.inBackOffSince(r.name, finishedAt, now);
      if (until !== null) {
        const run = this.exitedRun(r);
        if (r.state !== 'waiting' || r.waitingReason !== 'CrashLoopBackOff') {
          r.last = run;
          r.state = 'waiting';
          r.waitingReason = 'CrashLoopBackOff';
          r.waitingMessage = `back-off ${goDuration(this.backoff.get(r.name))} restarting failed container=${r.name} pod=${this.podDesc()}`;
          this.changed();
        }
        return this.scheduleAt(until);
      }
      this.backoff.next(r.name, finishedAt);
    }
    await this.start(r);
  }

  /** Sets the container waiting with reason (keeping its last run) and retries at `retryAt`. */
  private waitWith(r: ContainerRec, reason: string, message: string | undefined, retryAt: number): void {
    const last = this.exitedRun(r);
    if (r.state !== 'waiting' || r.waitingReason !== reason || r.waitingMessage !== message || r.last !== last) {
      r.last = last;
      r.state = r.state === 'none' && !last ? 'none' : 'waiting';
      r.waitingReason = reason;
      r.waitingMessage = message;
      this.changed();
    }
    r.retryAt = retryAt;
    this.scheduleAt(retryAt);
  }

  private async start(r: ContainerRec): Promise<void> {
    const now = this.env.clock.now();
    const { deps } = this.env;
    const imageName = typeof r.spec.image === 'string' ? r.spec.image : '';
    const pullKey = `${this.uid}_${imageName}`;
    const until = this.pullBackoff.inBackOffSinceUpdate(pullKey, now);
    if (until !== null) return this.waitWith(r, 'ImagePullBackOff', `Back-off pulling image ${JSON.stringify(imageName)}`, until);
    if (r.state === 'none' && r.waitingReason !== 'ContainerCreating') {
      r.waitingReason = 'ContainerCreating';
      r.waitingMessage = undefined;
    }
    let image: StoredImage;
    try {
      image = await deps.images.ensure(imageName, { policy: pullPolicyOf(r.spec), credentials: await pullCredentials(this.pod, deps.objects) });
    } catch (err) {
      const reason = err instanceof ImageError ? err.reason : 'ErrImagePull';
      // A failed pull backs off (the next pass shows ImagePullBackOff); a refused one (Never, a bad name) is tried each pass.
      if (reason === 'ErrImagePull') this.pullBackoff.next(pullKey, now);
      return this.waitWith(r, reason, errText(err), now + this.env.retryMs);
    }
    r.image = image.ref;
    r.imageID = image.imageID;
    const attempt = r.attempt + 1;
    const last = this.exitedRun(r);
    const inst = this.instance(r.name, attempt);
    let cfg: ContainerConfig;
    try {
      cfg = await deps.volumes.containerConfig(this.pod, r.spec, this.volumes ?? new Map(), {
        podDir: this.podDir,
        podIP: this.podIP,
        hostIP: this.env.hostIP,
        nodeName: this.env.nodeName,
        instanceId: String(attempt),
        image,
      });
    } catch (err) {
      const reason = err instanceof VolumeError && err.reason !== 'FailedMount' ? err.reason : 'CreateContainerConfigError';
      return this.waitWith(r, reason, errText(err), now + this.env.retryMs);
    }
    if (cfg.terminationLogPath) inst.termPath = cfg.terminationLogPath;
    let info: ContainerInfo;
    try {
      mkdirSync(inst.bundleDir, { recursive: true });
      mkdirSync(join(inst.logPath, '..'), { recursive: true });
      inst.rootfs = await deps.images.createRootfs(join(inst.bundleDir, 'rootfs'), image);
      const spec = deps.buildSpec({
        pod: this.pod,
        container: r.spec,
        image,
        rootfs: inst.rootfs.path,
        // A hostNetwork pod's sandbox is the node's namespace (the host's only on a --host-network node).
        ...(this.sandbox?.netnsPath ? { netnsPath: this.sandbox.netnsPath } : {}),
        env: cfg.env,
        mounts: cfg.mounts,
        hostname: cfg.hostname,
        ...(cfg.terminationLogPath ? { terminationMessageHostPath: cfg.terminationLogPath } : {}),
        ...(this.shared ? { shared: this.shared } : {}),
        containerId: inst.id,
        podDir: this.podDir,
      });
      const t2 = this.env.clock.now();
      // container.stdin/stdinOnce wire the container's stdin (kubectl attach, run -i); a terminal comes from the spec.
      info = await deps.runtime.run(inst.id, inst.bundleDir, spec, inst.logPath, { stdin: r.spec.stdin === true, stdinOnce: r.spec.stdinOnce === true });
      this.env.log('debug', 'container started', { pod: this.podKey(), container: r.name, prepareMs: t2 - now, runMs: this.env.clock.now() - t2 });
    } catch (err) {
      if (err instanceof OciSpecError) {
        // The pod asks for what cannot be (runAsNonRoot with a root image, ...): nothing was created.
        await this.releaseRootfs(inst).catch(() => undefined);
        return this.waitWith(r, err.reason, err.message, now + this.env.retryMs);
      }
      // Created but not started (bad command, missing binary): containerd's StartError with 128, then back-off.
      this.retire(r);
      r.cur = inst;
      r.attempt = attempt;
      r.last = last;
      r.state = 'exited';
      r.startedAt = now;
      r.finishedAt = now;
      r.exitCode = 128;
      r.reason = 'StartError';
      r.specChanged = false; // from here the restart policy and back-off decide again
      r.message = errText(err);
      r.waitingReason = r.waitingMessage = undefined;
      this.changed();
      this.env.log('warn', 'container start failed', { pod: this.podKey(), container: r.name, err: errText(err) });
      this.kick();
      return;
    }
    this.retire(r);
    r.cur = inst;
    r.attempt = attempt;
    r.last = last;
    r.state = 'running';
    r.specImage = typeof r.spec.image === 'string' ? r.spec.image : '';
    r.specChanged = false;
    r.pid = info.pid;
    r.startedAt = info.startedAt ?? this.env.clock.now();
    r.finishedAt = r.exitCode = r.reason = r.message = undefined;
    r.waitingReason = r.waitingMessage = undefined;
    this.initProbes(r);
    this.watchExit(r);
    this.changed();
    const postStart = (r.spec.lifecycle as { postStart?: Record<string, unknown> } | undefined)?.postStart;
    const action = postStart ? parseAction(postStart) : undefined;
    if (action) {
      const res = await this.runAction(r, action, podGraceSeconds(this.pod) * 1000);
      if (!res.ok) {
        // FailedPostStartHook: the kubelet kills the container; restartPolicy decides what follows.
        this.env.log('warn', 'postStart hook failed', { pod: this.podKey(), container: r.name, detail: res.detail });
        this.event(r, 'Warning', 'FailedPostStartHook', this.hookFailure(r, action, res));
        r.kill = { why: 'FailedPostStartHook', graceSeconds: podGraceSeconds(this.pod) };
        this.kick();
      }
    }
  }

  private instance(name: string, attempt: number): Instance {
    const m = this.pod.metadata ?? {};
    return {
      id: containerId(this.env.idPrefix, this.uid, name, attempt),
      attempt,
      bundleDir: join(this.podDir, 'bundles', name, String(attempt)),
      // /var/log/pods/<ns>_<name>_<uid>/<container>/<restartCount>.log, as the kubelet lays logs out.
      logPath: join(this.env.dataDir, 'logs', `${m.namespace ?? ''}_${m.name ?? ''}_${this.uid}`, name, `${attempt}.log`),
      // pods/<uid>/containers/<container>/<instance>, the kubelet's termination log file, bound into the container.
      termPath: join(this.podDir, 'containers', name, String(attempt)),
    };
  }

  /** The instance being replaced: keep one previous (for `logs --previous`), remove older ones. */
  private retire(r: ContainerRec): void {
    if (!r.cur) return;
    r.old.push(r.cur);
    r.cur = undefined;
    while (r.old.length > 1) {
      const gone = r.old.shift()!;
      void this.removeInstance(gone, false);
    }
  }

  private async removeInstance(inst: Instance, withLog: boolean): Promise<void> {
    try {
      await this.env.deps.runtime.remove(inst.id);
      await this.releaseRootfs(inst);
      await removeTreeUnmounted(inst.bundleDir);
      if (withLog) rmSync(inst.logPath, { force: true });
    } catch (err) {
      this.env.log('warn', 'container removal failed', { pod: this.podKey(), id: inst.id, err: errText(err) });
    }
  }

  /**
   * The image store's release(); an instance adopted after an agent restart has no Rootfs object any more, so its
   * mount (if any) is taken down here before the bundle directory goes.
   */
  private async releaseRootfs(inst: Instance): Promise<void> {
    if (inst.rootfs) {
      await inst.rootfs.release();
      inst.rootfs = undefined;
      return;
    }
    const dir = join(inst.bundleDir, 'rootfs');
    await unmountAll(await mountsUnder(dir));
  }

  // ------------------------------------------------------------------ probes and hooks

  private initProbes(r: ContainerRec): void {
    this.stopProbes(r);
    r.probes = {};
    r.started = false;
    r.ready = false;
    for (const kind of ['startup', 'liveness', 'readiness'] as const) {
      const spec = probeSpec(r.spec[`${kind}Probe`], kind);
      if (!spec) continue;
      // A regular init container has no probes (validation forbids them); sidecars and regular containers do.
      if (r.kind === 'init') continue;
      const p = new ProbeState(kind, spec);
      r.probes[kind] = p;
      this.probeAt(r, p, p.firstAt(r.startedAt));
    }
    this.updateStartedReady(r);
  }

  private updateStartedReady(r: ContainerRec): boolean {
    if (r.state !== 'running') return false;
    const started = r.probes.startup ? r.probes.startup.result === 'success' : true;
    const ready = started && (r.probes.readiness ? r.probes.readiness.result === 'success' : true);
    const changed = started !== r.started || ready !== r.ready;
    r.started = started;
    r.ready = ready;
    return changed;
  }

  private stopProbes(r: ContainerRec): void {
    for (const t of r.probeTimers) this.env.clock.clearTimeout(t);
    r.probeTimers = [];
  }

  private probeAt(r: ContainerRec, p: ProbeState, at: number): void {
    const inst = r.cur;
    const handle = this.env.clock.setTimeout(() => {
      r.probeTimers = r.probeTimers.filter((t) => t !== handle);
      if (r.cur !== inst || r.state !== 'running' || this.closed) return;
      void this.probeOnce(r, p, inst);
    }, Math.max(0, at - this.env.clock.now()));
    r.probeTimers.push(handle);
  }

  private async probeOnce(r: ContainerRec, p: ProbeState, inst: Instance | undefined): Promise<void> {
    const startedAt = this.env.clock.now();
    if (!p.skip(r.started)) {
      const res = await this.runAction(r, p.spec.action, p.spec.timeoutSeconds * 1000);
      if (r.cur !== inst || r.state !== 'running') return;
      const changed = p.record(res.ok ? 'success' : 'failure');
      if (!res.ok) this.event(r, 'Warning', 'Unhealthy', `${p.kind[0]!.toUpperCase()}${p.kind.slice(1)} probe failed: ${res.detail}`);
      if ((p.kind === 'liveness' || p.kind === 'startup') && p.result === 'failure' && p.onHold) {
        // The kubelet restarts a container that fails liveness/startup, with the probe's grace if it sets one.
        this.env.log('info', `${p.kind} probe failed, container will be restarted`, { pod: this.podKey(), container: r.name, detail: res.detail });
        this.event(r, 'Normal', 'Killing', `Container ${r.name} failed ${p.kind} probe, will be restarted`);
        r.kill = { why: `${p.kind} probe failed`, graceSeconds: p.spec.terminationGracePeriodSeconds ?? podGraceSeconds(this.pod) };
        this.kick();
        return;
      }
      if (changed && this.updateStartedReady(r)) {
        this.changed();
        this.save();
        this.onChange();
        this.kick(); // a sidecar that started lets the next init container go
      }
    }
    if (p.onHold || (p.kind === 'startup' && p.result === 'success')) return;
    this.probeAt(r, p, Math.max(startedAt + p.spec.periodSeconds * 1000, this.env.clock.now()));
  }

  /** Runs a probe or hook action against the container (exec through the runtime, the rest through the checker). */
  private async runAction(r: ContainerRec, action: ProbeAction, timeoutMs: number): Promise<{ ok: boolean; detail: string; exitCode?: number }> {
    const { deps } = this.env;
    try {
      if (action.type === 'exec') {
        if (!r.cur) return { ok: false, detail: 'no container' };
        // The kubelet reads at most 10 KiB of a probe's (or hook's) output; the rest is drained, not kept.
        const res = await deps.runtime.exec(r.cur.id, action.command, { timeoutMs, maxOutputBytes: MAX_PROBE_OUTPUT_BYTES });
        if (res.timedOut) return { ok: false, detail: `command ${JSON.stringify(action.command.join(' '))} timed out` };
        return { ok: res.exitCode === 0, detail: `${res.stdout}${res.stderr}`.slice(0, 1024), ...(res.exitCode !== 0 ? { exitCode: res.exitCode } : {}) };
      }
      const port = this.resolvePort(r, action.port);
      if (port === null) return { ok: false, detail: `port ${JSON.stringify(action.port)} not found in container ${r.name}` };
      const host = (action.type === 'grpc' ? undefined : action.host) ?? this.podIP ?? this.env.hostIP;
      const addr = hostPort(host, port);
      // The prober's own words (Go's net/http and net errors), as Events show them.
      const dial = (code: string): string => (code === 'ECONNREFUSED' ? `dial tcp ${addr}: connect: connection refused` : code === 'timeout' ? `dial tcp ${addr}: i/o timeout` : `dial tcp ${addr}: ${code}`);
      if (action.type === 'grpc') {
        const res = await deps.checker.grpc({ host, port, service: action.service ?? '', timeoutMs });
        if (res.ok) return res;
        // The prober's grpc words: an answer that is not SERVING, or no answer in time.
        if (/^[A-Z_]+$|^\d+$/.test(res.detail)) return { ok: false, detail: `service unhealthy (responded with ${JSON.stringify(res.detail)})` };
        if (res.detail.startsWith('rpc error')) return { ok: false, detail: res.detail };
        return { ok: false, detail: `timeout: failed to connect service ${JSON.stringify(addr)} within ${timeoutMs / 1000}s: ${res.detail === 'timeout' ? 'context deadline exceeded' : dial(res.detail)}` };
      }
      if (action.type === 'tcpSocket') {
        const res = await deps.checker.tcp({ host, port, timeoutMs });
        return res.ok ? res : { ok: false, detail: dial(res.detail) };
      }
      const url = `${action.scheme.toLowerCase()}://${addr}${action.path.startsWith('/') ? '' : '/'}${action.path}`;
      const res = await deps.checker.http({ host, port, path: action.path, scheme: action.scheme, headers: action.headers, timeoutMs });
      if (res.ok) return res;
      if (/^\d+$/.test(res.detail)) return { ok: false, detail: `HTTP probe failed with statuscode: ${res.detail}` };
      if (res.detail === 'timeout') return { ok: false, detail: `Get ${JSON.stringify(url)}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)` };
      return { ok: false, detail: `Get ${JSON.stringify(url)}: ${dial(res.detail)}` };
    } catch (err) {
      return { ok: false, detail: errText(err) };
    }
  }

  /** The container an Event is about (`spec.containers{app}`, `spec.initContainers{init}`). */
  private fieldPath(r: ContainerRec): string {
    return `spec.${r.kind === 'regular' ? 'containers' : 'initContainers'}{${r.name}}`;
  }

  private event(r: ContainerRec | null, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.env.event?.(this.uid, { type, reason, message, ...(r ? { fieldPath: this.fieldPath(r) } : {}) });
  }

  /** A failed lifecycle hook as the kubelet's handler runner words it. */
  private hookFailure(r: ContainerRec, action: ProbeAction, res: { detail: string; exitCode?: number }): string {
    const where = `for Container ${JSON.stringify(r.name)} in Pod ${JSON.stringify(this.podDesc())}`;
    if (action.type === 'exec') {
      return `Exec lifecycle hook (${JSON.stringify(action.command)}) ${where} failed - error: command '${action.command.join(' ')}' exited with ${res.exitCode ?? 126}: ${res.detail}, message: ${JSON.stringify(res.detail)}`;
    }
    return `${action.type === 'httpGet' ? 'HTTP' : 'TCP'} lifecycle hook ${where} failed - error: ${res.detail}`;
  }

  /** A probe's port: a number, or a named containerPort. */
  private resolvePort(r: ContainerRec, port: number | string): number | null {
    if (typeof port === 'number') return port > 0 && port < 65536 ? port : null;
    if (/^\d+$/.test(port)) return Number(port);
    const ports = Array.isArray(r.spec.ports) ? (r.spec.ports as { name?: string; containerPort?: number }[]) : [];
    const p = ports.find((x) => x?.name === port);
    return typeof p?.containerPort === 'number' ? p.containerPort : null;
  }

  // ------------------------------------------------------------------ stopping

  /** preStop, SIGTERM, wait the grace period, SIGKILL; then record the exit. */
  private async stopContainer(r: ContainerRec, graceSeconds: number): Promise<void> {
    if (r.state !== 'running' || !r.cur) return;
    this.stopProbes(r);
    const clock = this.env.clock;
    const id = r.cur.id;
    const deadline = clock.now() + Math.max(graceSeconds, MIN_GRACE_SECONDS) * 1000;
    const preStop = (r.spec.lifecycle as { preStop?: Record<string, unknown> } | undefined)?.preStop;
    const action = preStop ? parseAction(preStop) : undefined;
    if (action && graceSeconds > 0) {
      const res = await this.runAction(r, action, Math.max(0, deadline - clock.now()));
      if (!res.ok) {
        this.env.log('info', 'preStop hook failed', { pod: this.podKey(), container: r.name, detail: res.detail });
        this.event(r, 'Warning', 'FailedPreStopHook', this.hookFailure(r, action, res));
      }
    }
    const runtime = this.env.deps.runtime;
    try {
      await runtime.kill(id, 'SIGTERM');
    } catch {
      /* already stopped */
    }
    // What the preStop hook used comes off the grace period, but never below the kubelet's minimum.
    const termAt = clock.now();
    const termDeadline = Math.max(deadline, termAt + MIN_GRACE_SECONDS * 1000);
    // A deletion that shortens the grace period (or a forced one: the pod is gone) cuts the wait short.
    const limit = (): number => {
      if (this.forgotten) return Math.min(termDeadline, termAt + MIN_GRACE_SECONDS * 1000);
      const g = this.pod.metadata?.deletionGracePeriodSeconds;
      return typeof g === 'number' && g < graceSeconds ? Math.min(termDeadline, termAt + Math.max(g, MIN_GRACE_SECONDS) * 1000) : termDeadline;
    };
    let info = await this.waitStopped(id, limit);
    if (!info || info.state !== 'stopped') {
      try {
        await runtime.kill(id, 'SIGKILL');
      } catch {
        /* already stopped */
      }
      const killDeadline = clock.now() + 10_000;
      info = await this.waitStopped(id, () => killDeadline);
    }
    if (r.state === 'running') this.recordExit(r, info && info.state === 'stopped' ? info : info ? { ...info, exitCode: info.exitCode ?? 137 } : undefined);
  }

  private async waitStopped(id: string, deadline: () => number): Promise<ContainerInfo | undefined> {
    const clock = this.env.clock;
    for (;;) {
      let info: ContainerInfo | undefined;
      try {
        info = await this.env.deps.runtime.state(id);
      } catch {
        info = undefined;
      }
      if (!info || info.state === 'stopped') return info;
      const left = deadline() - clock.now();
      if (left <= 0) return info;
      await new Promise<void>((resolve) => clock.setTimeout(resolve, Math.min(100, left)));
    }
  }

  /** Every regular container is done for good: sidecars stop (reverse order), the sandbox goes, nothing restarts. */
  private async finish(): Promise<void> {
    const grace = podGraceSeconds(this.pod);
    const sidecars = [...this.recs.values()].filter((r) => r.kind !== 'regular' && r.state === 'running').reverse();
    for (const r of sidecars) await this.stopContainer(r, grace);
    for (const r of this.recs.values()) if (r.state === 'waiting' && r.waitingReason === 'CrashLoopBackOff' && r.last) this.restoreExited(r);
    if (this.sandbox) {
      try {
        await this.removeHostPorts();
        await this.env.deps.network.tearDown(this.uid);
        this.sandbox = null;
      } catch (err) {
        this.env.log('warn', 'pod sandbox tear-down failed', { pod: this.podKey(), err: errText(err) });
      }
    }
    this.finished = true;
    this.changed();
  }

  /** A container waiting to restart that never will: show its last run as its state again. */
  private restoreExited(r: ContainerRec): void {
    const run = r.last!;
    r.state = 'exited';
    r.exitCode = run.exitCode;
    r.reason = run.reason;
    r.message = run.message;
    r.startedAt = run.startedAt;
    r.finishedAt = run.finishedAt;
    r.last = null;
    r.waitingReason = r.waitingMessage = undefined;
  }

  private async terminate(graceSeconds: number): Promise<void> {
    if (!this.terminal) {
      for (const r of this.recs.values()) this.stopProbes(r);
      const all = [...this.recs.values()];
      // Regular containers (and a running init container) together, then sidecars in reverse order.
      await Promise.all(all.filter((r) => r.kind !== 'sidecar').map((r) => this.stopContainer(r, graceSeconds)));
      for (const r of all.filter((x) => x.kind === 'sidecar').reverse()) await this.stopContainer(r, graceSeconds);
      this.terminal = true;
      this.changed();
    }
    // Remove everything; a failure comes back later (the pod object stays until this succeeds).
    try {
      const { deps } = this.env;
      for (const r of this.recs.values()) {
        for (const inst of [...r.old, ...(r.cur ? [r.cur] : [])]) {
          await deps.runtime.remove(inst.id);
          await this.releaseRootfs(inst);
        }
      }
      await deps.volumes.cleanup(this.podDir);
      await this.removeHostPorts();
      await deps.network.tearDown(this.uid);
      this.sandbox = null;
      await removeTreeUnmounted(this.podDir);
      const m = this.pod.metadata ?? {};
      rmSync(join(this.env.dataDir, 'logs', `${m.namespace ?? ''}_${m.name ?? ''}_${this.uid}`), { recursive: true, force: true });
      this.removed = true;
      if (this.wake) this.env.clock.clearTimeout(this.wake.handle);
      this.wake = null;
      this.changed();
    } catch (err) {
      this.env.log('warn', 'pod clean-up failed, retrying', { pod: this.podKey(), err: errText(err) });
      this.scheduleAt(this.env.clock.now() + this.env.retryMs);
    }
  }

  // ------------------------------------------------------------------ persistence

  private save(): void {
    if (this.removed) return;
    const containers: Record<string, SavedContainer> = {};
    for (const r of this.recs.values()) {
      if (r.attempt < 0 && r.state === 'none') continue;
      containers[r.name] = {
        attempt: r.attempt,
        state: r.state,
        ...(r.cur ? { id: r.cur.id } : {}),
        image: r.image,
        imageID: r.imageID,
        startedAt: r.startedAt,
        ...(r.finishedAt !== undefined ? { finishedAt: r.finishedAt } : {}),
        ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
        ...(r.reason ? { reason: r.reason } : {}),
        ...(r.message ? { message: r.message } : {}),
        ...(r.waitingReason ? { waitingReason: r.waitingReason } : {}),
        ...(r.waitingMessage ? { waitingMessage: r.waitingMessage } : {}),
        last: r.last,
        old: r.old.map((i) => i.id),
        ...(r.state === 'running' ? { started: r.started, ready: r.ready, ...(r.specImage !== undefined ? { specImage: r.specImage } : {}) } : {}),
      };
    }
    const saved: SavedPod = {
      version: 1,
      uid: this.uid,
      namespace: this.pod.metadata?.namespace ?? '',
      name: this.pod.metadata?.name ?? '',
      startTime: this.startTime,
      ...(this.podIP ? { podIP: this.podIP } : {}),
      ...(this.sandbox ? { netnsPath: this.sandbox.netnsPath } : {}),
      finished: this.finished,
      ...(this.deadlineExceeded ? { deadlineExceeded: true } : {}),
      containers,
      backoff: this.backoff.dump(),
    };
    try {
      mkdirSync(this.podDir, { recursive: true });
      const tmp = join(this.podDir, 'state.json.tmp');
      writeFileSync(tmp, JSON.stringify(saved));
      renameSync(tmp, join(this.podDir, 'state.json'));
    } catch (err) {
      this.env.log('warn', 'pod state not saved', { pod: this.podKey(), err: errText(err) });
    }
  }

  /** After an agent restart: the saved records, checked against what the runtime still has. */
  private restore(saved: SavedPod, adopted: Map<string, ContainerInfo>, sandbox: PodSandboxNetwork | undefined): void {
    this.finished = saved.finished;
    this.deadlineExceeded = saved.deadlineExceeded === true;
    this.podIP = saved.podIP;
    // A sandbox the network no longer has (a node reboot) is set up again by the next pass.
    if (sandbox) this.sandbox = sandbox;
    this.backoff.load(saved.backoff);
    for (const [name, s] of Object.entries(saved.containers)) {
      const r = this.recs.get(name);
      if (!r) continue;
      r.attempt = s.attempt;
      r.image = s.image;
      r.imageID = s.imageID;
      r.startedAt = s.startedAt;
      r.finishedAt = s.finishedAt;
      r.exitCode = s.exitCode;
      r.reason = s.reason;
      r.message = s.message;
      r.waitingReason = s.waitingReason;
      r.waitingMessage = s.waitingMessage;
      r.last = s.last;
      r.state = s.state;
      const instOf = (id: string): Instance => {
        const p = parseContainerId(this.env.idPrefix, id);
        return this.instance(name, p?.attempt ?? s.attempt);
      };
      r.old = s.old.map(instOf);
      if (s.id) r.cur = instOf(s.id);
      if (r.state === 'running') {
        const info = s.id ? adopted.get(s.id) : undefined;
        if (info && info.state !== 'stopped') {
          r.pid = info.pid;
          r.specImage = s.specImage;
          this.initProbes(r);
          // The verdicts it had stand until its probes say otherwise (upstream re-probes at once; this also avoids the flap).
          if (s.started && r.probes.startup) r.probes.startup.result = 'success';
          if (s.ready && r.probes.readiness) r.probes.readiness.result = 'success';
          this.updateStartedReady(r);
          this.watchExit(r);
        } else this.recordExit(r, info);
      }
    }
    // Rootfs of adopted containers is released by the image store's own bookkeeping when the bundle goes.
  }
}

/** Reads a pod's saved state (undefined when none or unreadable). */
export function loadSavedPod(dataDir: string, uid: string): SavedPod | undefined {
  try {
    const s = JSON.parse(readFileSync(join(dataDir, 'pods', uid, 'state.json'), 'utf8')) as SavedPod;
    return s && s.version === 1 && s.uid === uid ? s : undefined;
  } catch {
    return undefined;
  }
}
