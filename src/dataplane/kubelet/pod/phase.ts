/**
 * The pod phase from its container statuses, as the kubelet's getPhase decides it (without the alpha
 * ContainerRestartRules gate): pending while a regular init container has not succeeded or anything waits,
 * running while a container runs, and terminal by restartPolicy once every container has stopped.
 */
import type { ContainerStatusJSON } from './container-status.js';
import { isRestartableInit, type Container, type RestartPolicy } from './podspec.js';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export interface PhaseInput {
  containers: Container[];
  initContainers: Container[];
  restartPolicy: RestartPolicy;
  /** Init and regular container statuses together, by name. */
  statuses: Map<string, ContainerStatusJSON>;
  /** The kubelet has decided the pod is done (it will not restart containers): terminal phase by exit codes. */
  podIsTerminal: boolean;
  /** A regular container has run (kubecontainer.HasAnyActiveRegularContainerStarted). */
  podHasInitialized: boolean;
}

export function getPhase(p: PhaseInput): PodPhase {
  let pendingRegularInit = 0;
  let pendingRestartableInit = 0;
  let failedInit = 0;
  for (const c of p.initContainers) {
    if (isRestartableInit(c)) continue;
    const s = p.statuses.get(c.name);
    if (!s || s.state.running) pendingRegularInit++;
    else if (s.state.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state.waiting) {
      const last = s.lastState.terminated;
      if (last) {
        if (last.exitCode !== 0) failedInit++;
      } else pendingRegularInit++;
    } else pendingRegularInit++;
  }

  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of p.initContainers) {
    if (!isRestartableInit(c)) continue;
    const s = p.statuses.get(c.name);
    if (!s) {
      unknown++;
      continue;
    }
    if (s.state.running) {
      if (!s.started) pendingRestartableInit++;
      running++;
    } else if (s.state.terminated) {
      // stopped sidecars do not count towards the phase
    } else if (s.state.waiting) {
      if (!s.lastState.terminated) {
        pendingRestartableInit++;
        waiting++;
      }
    } else {
      pendingRestartableInit++;
      unknown++;
    }
  }
  for (const c of p.containers) {
    const s = p.statuses.get(c.name);
    if (!s) {
      unknown++;
      continue;
    }
    if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state.waiting) {
      if (s.lastState.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }

  if (failedInit > 0 && p.restartPolicy === 'Never') return 'Failed';
  if (pendingRegularInit > 0 || (pendingRestartableInit > 0 && !p.podHasInitialized) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (p.podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (p.restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (p.restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}
