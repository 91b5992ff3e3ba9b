/**
 * v1.ContainerStatus as JSON, built from what a runtime reports about one container (kubecontainer.Status plus
 * the prober's started/ready), the way the kubelet's convertToAPIContainerStatuses does: a container the runtime
 * does not know yet is waiting with ContainerCreating (PodInitializing when the pod has init containers), and a
 * restarted container carries its previous run in lastState.
 */
import type { Container } from './podspec.js';
import { rfc3339 } from '../../../client/time.js';

export interface TerminatedRun {
  containerID: string;
  exitCode: number;
  /** Completed for exit 0, Error otherwise, as container runtimes report. */
  reason: string;
  /** The termination message (terminationMessagePath, or the log's tail under FallbackToLogsOnError). */
  message?: string;
  startedAt: number;
  finishedAt: number;
}

/** What the runtime knows about a container (absent entirely until it is created). */
export interface RuntimeContainer {
  name: string;
  state: 'waiting' | 'running' | 'exited';
  /** For waiting: e.g. CrashLoopBackOff between restarts. */
  waitingReason?: string;
  waitingMessage?: string;
  containerID: string;
  /** The image as the runtime resolved it (docker.io/library/nginx:latest) and its digest reference. */
  image: string;
  imageID: string;
  startedAt: number;
  /** For exited. */
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  /** For exited: the termination message. */
  message?: string;
  restartCount: number;
  last: TerminatedRun | null;
  /** Running and past its startup probe. */
  started: boolean;
  /** Running and past its readiness probe; for a regular init container, exited with 0. */
  ready: boolean;
}

export interface ContainerStateJSON {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt: string };
  terminated?: { exitCode: number; reason?: string; message?: string; startedAt?: string; finishedAt?: string; containerID?: string };
}

export interface ContainerStatusJSON {
  name: string;
  state: ContainerStateJSON;
  lastState: ContainerStateJSON;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started: boolean;
}

export const ContainerCreating = 'ContainerCreating';
export const PodInitializing = 'PodInitializing';

/** Completed for exit code 0, Error otherwise (what containerd and CRI-O report). */
export function terminationReason(exitCode: number): string {
  return exitCode === 0 ? 'Completed' : 'Error';
}

function terminatedJSON(run: TerminatedRun): ContainerStateJSON {
  return {
    terminated: {
      exitCode: run.exitCode,
      reason: run.reason,
      ...(run.message ? { message: run.message } : {}),
      startedAt: rfc3339(run.startedAt),
      finishedAt: rfc3339(run.finishedAt),
      containerID: run.containerID,
    },
  };
}

/** The API status of one container from its spec and the runtime's view (undefined: not created yet). */
export function containerStatusJSON(spec: Container, rt: RuntimeContainer | undefined, podHasInitContainers: boolean): ContainerStatusJSON {
  if (!rt) {
    return {
      name: spec.name,
      state: { waiting: { reason: podHasInitContainers ? PodInitializing : ContainerCreating } },
      lastState: {},
      ready: false,
      restartCount: 0,
      image: spec.image ?? '',
      imageID: '',
      started: false,
    };
  }
  let state: ContainerStateJSON;
  if (rt.state === 'running') state = { running: { startedAt: rfc3339(rt.startedAt) } };
  else if (rt.state === 'exited') {
    const exitCode = rt.exitCode ?? 0;
    state = terminatedJSON({
      containerID: rt.containerID,
      exitCode,
      reason: rt.reason ?? terminationReason(exitCode),
      ...(rt.message ? { message: rt.message } : {}),
      startedAt: rt.startedAt,
      finishedAt: rt.finishedAt ?? rt.startedAt,
    });
  } else {
    const waiting: { reason?: string; message?: string } = {};
    if (rt.waitingReason) waiting.reason = rt.waitingReason;
    if (rt.waitingMessage) waiting.message = rt.waitingMessage;
    state = { waiting };
  }
  const out: ContainerStatusJSON = {
    name: spec.name,
    state,
    lastState: rt.last ? terminatedJSON(rt.last) : {},
    // The runtime decides: a completed init container is ready, an exited regular container is neither.
    ready: rt.ready,
    restartCount: rt.restartCount,
    image: rt.image,
    imageID: rt.imageID,
    started: rt.started,
  };
  // A container waiting to restart has no current container, as the kubelet shows it.
  if (rt.state !== 'waiting') out.containerID = rt.containerID;
  return out;
}
