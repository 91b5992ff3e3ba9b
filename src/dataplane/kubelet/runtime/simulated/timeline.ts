/**
 * Where a simulated pod's containers are at a given moment, computed from when its sandbox came up: no stepping,
 * no stored per-container state. The same input always gives the same containers (an agent that restarts and
 * reads status.startTime back lands on the same timestamps), and `next` says when anything visible changes.
 *
 * The life it computes, as a kubelet drives one:
 *   sandbox up → init containers one at a time (each exits 0 before the next starts; a sidecar, an init container
 *   with restartPolicy Always, starts and keeps running, and the next starts once it is started) → the regular
 *   containers start together → each runs for `runMs` (forever when null) and exits with `exitCode` → restart by
 *   restartPolicy with the kubelet's crash-loop back-off, or stay terminated → once every regular container is
 *   done for good, sidecars stop. A deletion stops everything still running at `stopAt` (exit 137).
 */
import { terminationReason, type RuntimeContainer, type TerminatedRun } from '../../pod/container-status.js';
import { isRestartableInit, probeDelaySeconds, type Container, type RestartPolicy } from '../../pod/podspec.js';
import { resolveImage, simulatedContainerID } from './image.js';
import { imageIsUnpullable, pullWaitAt } from './image-pull.js';
import type { SimulatedTiming } from './timing.js';

export interface RunPlan {
  /** How long each run of a regular container lasts; null = until stopped. */
  runMs: number | null;
  exitCode: number;
}

export interface TimelineInput {
  uid: string;
  /** `name_namespace(uid)` as the kubelet prints a pod in back-off messages. */
  podDesc: string;
  /** When the sandbox (with its IP) is up; null while it cannot be (no free IP). */
  sandboxAt: number | null;
  now: number;
  /** When a deletion stops the containers; null while not deleted. */
  stopAt: number | null;
  timing: SimulatedTiming;
  initContainers: Container[];
  containers: Container[];
  restartPolicy: RestartPolicy;
  plan: RunPlan;
  /** Regular containers that cannot be created (CreateContainerConfigError) and why: they wait, never start. */
  configErrors?: ReadonlyMap<string, string> | null;
  /** Regular containers that could not be created before: when that ended (they start from then on). */
  createdFrom?: Readonly<Record<string, number>> | null;
  /** The node's unpullable image patterns (image-pull.ts): a matching container never starts, it waits on pulls. */
  unpullableImages?: readonly string[];
  /**
   * Containers (init or regular) whose command only exits (exit-command.ts), by name, with its code: each run
   * lasts timing.initContainerRunMs and ends with that code, whatever `plan` says.
   */
  exitCodes?: ReadonlyMap<string, number> | null;
}

export interface Timeline {
  runtime: Map<string, RuntimeContainer>;
  sandboxReady: boolean;
  /** The deletion's stop has happened. */
  killed: boolean;
  /** The next moment the status changes (> now), or null. */
  next: number | null;
  /** When the regular containers first started (null before). */
  runningFrom: number | null;
  /** When the last regular container stopped for good (null while any runs or will restart). */
  doneAt: number | null;
}

/** Go's time.Duration String() for whole seconds: 10s, 1m20s, 5m0s. */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}h${m}m${rest}s` : `${m}m${rest}s`;
}

const MAX_STEPS = 10_000;

export function computeTimeline(input: TimelineInput): Timeline {
  const { now, stopAt, timing } = input;
  const h = stopAt !== null ? Math.min(now, stopAt) : now;
  const killed = stopAt !== null && now >= stopAt;
  let next: number | null = null;
  const consider = (t: number): void => {
    if (t > now && (stopAt === null || t <= stopAt) && (next === null || t < next)) next = t;
  };
  if (stopAt !== null) consider(stopAt);
  const runtime = new Map<string, RuntimeContainer>();
  const out: Timeline = { runtime, sandboxReady: false, killed, next: null, runningFrom: null, doneAt: null };
  if (input.sandboxAt === null || h < input.sandboxAt) {
    // The kubelet's syncPod makes the sandbox and starts the first container in one go; the status after the
    // one it posted at admission comes with that container (PLEG), so there is no wake-up for the sandbox alone.
    if (input.sandboxAt !== null) consider(input.sandboxAt + timing.containerStartMs);
    out.next = next;
    return out;
  }
  out.sandboxReady = true;

  const startMs = timing.containerStartMs;
  let cursor = input.sandboxAt;
  let blocked = false;
  const sidecars: RuntimeContainer[] = [];
  for (const c of input.initContainers) {
    const start = cursor + startMs;
    if (h < start) {
      consider(start);
      blocked = true;
      break;
    }
    if (imageIsUnpullable(input.unpullableImages, c.image)) {
      runtime.set(c.name, pullingContainer(c, start, h, consider));
      blocked = true;
      break;
    }
    const initExit = isRestartableInit(c) ? undefined : input.exitCodes?.get(c.name);
    if (initExit !== undefined && initExit !== 0) {
      // A failing init container: under Never it stays failed (and so does the pod); otherwise the kubelet
      // restarts it with the crash-loop back-off, as OnFailure would. Nothing after it starts.
      const policy: RestartPolicy = input.restartPolicy === 'Never' ? 'Never' : 'OnFailure';
      regularContainer(input, c, start, h, runtime, consider, { runMs: timing.initContainerRunMs, exitCode: initExit }, policy);
      // An init container is ready only once it has exited 0, never while one of its runs is going.
      runtime.get(c.name)!.ready = false;
      blocked = true;
      break;
    }
    const rt = newContainer(input.uid, c, start, 0, null);
    runtime.set(c.name, rt);
    if (isRestartableInit(c)) {
      const startedAt = start + probeDelaySeconds(c.startupProbe) * 1000;
      const readyAt = Math.max(startedAt, start + probeDelaySeconds(c.readinessProbe) * 1000);
      rt.started = h >= startedAt;
      rt.ready = h >= readyAt;
      consider(startedAt);
      consider(readyAt);
      sidecars.push(rt);
      if (h < startedAt) {
        blocked = true;
        break;
      }
      cursor = startedAt;
    } else {
      const end = start + timing.initContainerRunMs;
      if (h < end) {
        rt.started = true;
        consider(end);
        blocked = true;
        break;
      }
      exit(rt, end, 0);
      rt.ready = true; // a completed init container reports ready, as the kubelet shows it
      cursor = end;
    }
  }

  if (!blocked) {
    const first = cursor + startMs;
    if (h < first) consider(first);
    else {
      out.runningFrom = first;
      let doneAt: number | null = first;
      for (const c of input.containers) {
        const configError = input.configErrors?.get(c.name);
        if (configError !== undefined) {
          runtime.set(c.name, uncreatedContainer(c, configError));
          doneAt = null;
          continue;
        }
        const from = input.createdFrom?.[c.name];
        const start = from !== undefined && from >= 0 ? Math.max(first, from + startMs) : first;
        if (h < start) {
          consider(start);
          doneAt = null;
          continue;
        }
        if (imageIsUnpullable(input.unpullableImages, c.image)) {
          runtime.set(c.name, pullingContainer(c, start, h, consider));
          doneAt = null;
          continue;
        }
        const code = input.exitCodes?.get(c.name);
        const plan = code === undefined ? input.plan : { runMs: timing.initContainerRunMs, exitCode: code };
        const d = regularContainer(input, c, start, h, runtime, consider, plan, input.restartPolicy);
        doneAt = d === null || doneAt === null ? null : Math.max(doneAt, d);
      }
      if (input.containers.length === 0) doneAt = null;
      out.doneAt = doneAt;
      if (doneAt !== null) {
        // Every regular container is done: the kubelet stops the sidecars and tears the sandbox down.
        for (const rt of sidecars) if (rt.state === 'running') exit(rt, Math.max(doneAt, rt.startedAt), 0);
        out.sandboxReady = false;
      }
    }
  }

  if (killed) {
    for (const rt of runtime.values()) if (rt.state === 'running') exit(rt, stopAt!, 137);
    out.sandboxReady = false;
  }
  out.next = next;
  return out;
}

function newContainer(uid: string, c: Container, startedAt: number, restart: number, last: TerminatedRun | null): RuntimeContainer {
  const img = resolveImage(c.image ?? '');
  return {
    name: c.name,
    state: 'running',
    containerID: simulatedContainerID(uid, c.name, restart),
    image: img.image,
    imageID: img.imageID,
    startedAt,
    restartCount: restart,
    last,
    started: false,
    ready: false,
  };
}

/** A container that never started: waiting for `reason`, no container id, the spec's image. */
function waitingContainer(c: Container, reason: string, message: string): RuntimeContainer {
  return {
    name: c.name, state: 'waiting', waitingReason: reason, waitingMessage: message, containerID: '', image: c.image ?? '', imageID: '',
    startedAt: 0, restartCount: 0, last: null, started: false, ready: false,
  };
}

/** A container whose config the kubelet could not build. */
const uncreatedContainer = (c: Container, message: string): RuntimeContainer => waitingContainer(c, 'CreateContainerConfigError', message);

/** A container whose image fails to pull, first tried at `first`: waiting, ErrImagePull or ImagePullBackOff. */
function pullingContainer(c: Container, first: number, h: number, consider: (t: number) => void): RuntimeContainer {
  const wait = pullWaitAt(c.image ?? '', first, h);
  consider(wait.next);
  return waitingContainer(c, wait.reason, wait.message);
}

function exit(rt: RuntimeContainer, at: number, exitCode: number): void {
  rt.state = 'exited';
  rt.finishedAt = at;
  rt.exitCode = exitCode;
  rt.reason = terminationReason(exitCode);
  rt.started = false;
  rt.ready = false;
}

/**
 * One regular container at moment `h`: which run it is in, or between runs. Returns when it stopped for good, or
 * null. The back-off follows client-go's flowcontrol.Backoff as the kubelet uses it: the first restart is
 * immediate, later ones wait the current back-off (base, doubling, capped), reset after 2×cap without a crash.
 */
function regularContainer(
  input: TimelineInput,
  c: Container,
  first: number,
  h: number,
  runtime: Map<string, RuntimeContainer>,
  consider: (t: number) => void,
  plan: RunPlan,
  restartPolicy: RestartPolicy,
): number | null {
  const { runMs, exitCode } = plan;
  const { containerStartMs: startMs, backOffBaseMs: base, backOffMaxMs: max } = input.timing;
  const restarts = restartPolicy === 'Always' || (restartPolicy === 'OnFailure' && exitCode !== 0);
  const startupMs = probeDelaySeconds(c.startupProbe) * 1000;
  const readinessMs = probeDelaySeconds(c.readinessProbe) * 1000;
  let k = 0;
  let s = first;
  let last: TerminatedRun | null = null;
  let hasEntry = false;
  let backoff = 0;
  let lastFinish = 0;
  let prevDelay = -1;
  let prevBackoff = -1;
  for (let step = 0; ; step++) {
    if (runMs === null || h < s + runMs || step >= MAX_STEPS) {
      const rt = newContainer(input.uid, c, s, k, last);
      const startedAt = s + startupMs;
      const readyAt = Math.max(startedAt, s + readinessMs);
      rt.started = h >= startedAt;
      rt.ready = h >= readyAt;
      consider(startedAt);
      consider(readyAt);
      if (runMs !== null) consider(s + runMs);
      runtime.set(c.name, rt);
      return null;
    }
    const e = s + runMs;
    const run: TerminatedRun = {
      containerID: simulatedContainerID(input.uid, c.name, k),
      exitCode,
      reason: terminationReason(exitCode),
      startedAt: s,
      finishedAt: e,
    };
    if (!restarts) {
      const rt = newContainer(input.uid, c, s, k, last);
      exit(rt, e, exitCode);
      runtime.set(c.name, rt);
      return e;
    }
    const expired = !hasEntry || e - lastFinish > 2 * max;
    const delay = expired ? 0 : backoff;
    backoff = expired ? base : Math.min(2 * backoff, max);
    hasEntry = true;
    lastFinish = e;
    let nextStart = e + delay + startMs;
    if (nextStart <= s) nextStart = s + 1; // zero-length cycles (all delays 0) still advance
    if (h < nextStart) {
      const rt = newContainer(input.uid, c, s, k, last);
      if (delay > 0) {
        rt.state = 'waiting';
        rt.waitingReason = 'CrashLoopBackOff';
        rt.waitingMessage = `back-off ${goDuration(delay)} restarting failed container=${c.name} pod=${input.podDesc}`;
        rt.last = run;
      } else exit(rt, e, exitCode);
      consider(nextStart);
      runtime.set(c.name, rt);
      return null;
    }
    // Once the back-off no longer changes, every cycle is the same length: skip whole cycles at once.
    const period = nextStart - s;
    if (delay === prevDelay && backoff === prevBackoff) {
      const m = Math.floor((h - nextStart) / period);
      if (m > 0) {
        k += m;
        nextStart += m * period;
        lastFinish += m * period;
        run.containerID = simulatedContainerID(input.uid, c.name, k);
        run.startedAt += m * period;
        run.finishedAt += m * period;
      }
    }
    prevDelay = delay;
    prevBackoff = backoff;
    last = run;
    k++;
    s = nextStart;
  }
}
