/** The READY, STATUS and RESTARTS cells of a pod, worked out the way kubectl's pod printer does. */
import type { KubeObject } from '../../resource.js';
import { records, rec, str, type Json } from '../strategies/json.js';
import { since } from './duration.js';

const isRestartableInit = (c: Json | undefined): boolean => c?.restartPolicy === 'Always';
const conditionTrue = (status: Json, type: string): boolean =>
  records(status.conditions).some((c) => c.type === type && c.status === 'True');

export interface PodSummary { ready: string; status: string; restarts: string }

function laterOf(a: string, b: unknown): string {
  const t = str(b);
  return t !== '' && (a === '' || Date.parse(t) > Date.parse(a)) ? t : a;
}

export function summarizePod(pod: KubeObject, now: Date): PodSummary {
  const spec = rec(pod.spec) ?? {};
  const status = rec(pod.status) ?? {};
  const initSpecs = new Map(records(spec.initContainers).map((c) => [str(c.name), c]));
  let total = records(spec.containers).length + [...initSpecs.values()].filter(isRestartableInit).length;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart = '';
  let lastSidecarRestart = '';
  let reason = str(status.reason) || str(status.phase);
  if (records(status.conditions).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';

  const initStatuses = records(status.initContainerStatuses);
  let initializing = false;
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i]!;
    const state = rec(c.state) ?? {};
    const terminated = rec(state.terminated);
    const waiting = rec(state.waiting);
    restarts += Number(c.restartCount ?? 0);
    lastRestart = laterOf(lastRestart, rec(rec(c.lastState)?.terminated)?.finishedAt);
    const sidecar = isRestartableInit(initSpecs.get(str(c.name)));
    if (sidecar) {
      sidecarRestarts += Number(c.restartCount ?? 0);
      lastSidecarRestart = laterOf(lastSidecarRestart, rec(rec(c.lastState)?.terminated)?.finishedAt);
    }
    if (terminated && Number(terminated.exitCode ?? 0) === 0) continue;
    if (sidecar && c.started === true) {
      if (c.ready === true) ready++;
      continue;
    }
    if (terminated) {
      reason = str(terminated.reason) !== '' ? `Init:${str(terminated.reason)}`
        : Number(terminated.signal ?? 0) !== 0 ? `Init:Signal:${Number(terminated.signal)}`
          : `Init:ExitCode:${Number(terminated.exitCode ?? 0)}`;
    } else if (waiting && str(waiting.reason) !== '' && waiting.reason !== 'PodInitializing') {
      reason = `Init:${str(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${initSpecs.size}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = records(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!;
      const state = rec(c.state) ?? {};
      const terminated = rec(state.terminated);
      const waiting = rec(state.waiting);
      restarts += Number(c.restartCount ?? 0);
      lastRestart = laterOf(lastRestart, rec(rec(c.lastState)?.terminated)?.finishedAt);
      if (waiting && str(waiting.reason) !== '') reason = str(waiting.reason);
      else if (terminated && str(terminated.reason) !== '') reason = str(terminated.reason);
      else if (terminated) {
        reason = Number(terminated.signal ?? 0) !== 0 ? `Signal:${Number(terminated.signal)}` : `ExitCode:${Number(terminated.exitCode ?? 0)}`;
      } else if (c.ready === true && rec(state.running)) {
        hasRunning = true;
        ready++;
      }
    }
    // A pod whose last container finished but another still runs is Running (or NotReady), not Completed.
    if (reason === 'Completed' && hasRunning) reason = conditionTrue(status, 'Ready') ? 'Running' : 'NotReady';
  }

  const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && !terminal) reason = 'Terminating';

  total = Math.max(total, 0);
  const restartText = restarts !== 0 && lastRestart !== '' ? `${restarts} (${since(lastRestart, now)} ago)` : String(restarts);
  return { ready: `${ready}/${total}`, status: reason, restarts: restartText };
}
