/**
 * Which container a streaming request means, decided from the pod alone (pure):
 * - the API server's choice (LogLocation/streamLocation): the named container must be in the pod (containers,
 *   init or ephemeral containers), an unnamed one is the only container, else a BadRequest listing them;
 * - the kubelet's log access (validateContainerLogStatus): which run of the container to read (the current
 *   one or the previous, terminated one), or the reason there is nothing to read yet, in upstream's words.
 */
import type { Pod } from '../types.js';

interface NamedContainer { name?: string }
interface ContainerState {
  waiting?: { reason?: string };
  running?: Record<string, unknown>;
  terminated?: { containerID?: string; exitCode?: number };
}
interface ContainerStatus {
  name?: string;
  containerID?: string;
  state?: ContainerState;
  lastState?: ContainerState;
}

const names = (list: unknown): string[] => (Array.isArray(list) ? (list as NamedContainer[]).map((c) => c?.name ?? '').filter((n) => n) : []);

/** A BadRequest the API server answers before reaching a node. */
export class ContainerChoiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerChoiceError';
  }
}

/** The container a request for `name` (maybe empty) addresses in `pod`, or a ContainerChoiceError. */
export function chooseContainer(pod: Pod, requested: string | undefined): string {
  const spec = (pod.spec ?? {}) as { containers?: unknown; initContainers?: unknown; ephemeralContainers?: unknown };
  const podName = pod.metadata?.name ?? '';
  const main = names(spec.containers);
  if (!requested) {
    if (main.length === 1) return main[0]!;
    if (main.length === 0) throw new ContainerChoiceError(`a container name must be specified for pod ${podName}`);
    const init = names(spec.initContainers);
    let msg = `a container name must be specified for pod ${podName}, choose one of: [${main.join(' ')}]`;
    if (init.length > 0) msg += ` or one of the init containers: [${init.join(' ')}]`;
    throw new ContainerChoiceError(msg);
  }
  const all = [...main, ...names(spec.initContainers), ...names(spec.ephemeralContainers)];
  if (!all.includes(requested)) throw new ContainerChoiceError(`container ${requested} is not valid for pod ${podName}`);
  return requested;
}

/** The run of a container whose log to read. */
export type LogRun = 'current' | 'previous';

/** Why a container has no log to read (kubelet: 400 with this message; kubectl prints it as BadRequest). */
export class ContainerLogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerLogError';
  }
}

function statusOf(pod: Pod, container: string): ContainerStatus | undefined {
  const st = (pod.status ?? {}) as { containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[]; ephemeralContainerStatuses?: ContainerStatus[] };
  for (const list of [st.containerStatuses, st.initContainerStatuses, st.ephemeralContainerStatuses]) {
    const s = Array.isArray(list) ? list.find((c) => c?.name === container) : undefined;
    if (s) return s;
  }
  return undefined;
}

/**
 * The kubelet's validateContainerLogStatus: which run of `container` `kubectl logs` reads, from the pod's
 * status. A terminated run counts once the runtime knew it (a containerID), where the status says so.
 */
export function logRun(pod: Pod, container: string, previous: boolean): LogRun {
  const podName = pod.metadata?.name ?? '';
  const q = `"${container}" in pod "${podName}"`;
  const cs = statusOf(pod, container);
  if (!cs) throw new ContainerLogError(`container ${q} is not available`);
  const last = cs.lastState?.terminated;
  const { waiting, running, terminated } = cs.state ?? {};
  const known = (t: { containerID?: string } | undefined): boolean => t !== undefined && t.containerID !== '';
  if (previous) {
    if (!known(last)) throw new ContainerLogError(`previous terminated container ${q} not found`);
    return 'previous';
  }
  if (running) return 'current';
  if (terminated) {
    if (known(terminated)) return 'current';
    if (known(last)) return 'previous';
    throw new ContainerLogError(`container ${q} is terminated`);
  }
  if (last) {
    if (!known(last)) throw new ContainerLogError(`container ${q} is terminated`);
    return 'previous';
  }
  if (waiting) {
    const reason = waiting.reason ?? '';
    if (reason === 'ErrImagePull') throw new ContainerLogError(`container ${q} is waiting to start: image can't be pulled`);
    if (reason === 'ImagePullBackOff') throw new ContainerLogError(`container ${q} is waiting to start: trying and failing to pull image`);
    throw new ContainerLogError(`container ${q} is waiting to start: ${reason}`);
  }
  throw new ContainerLogError(`container ${q} is waiting to start - no logs yet`);
}
