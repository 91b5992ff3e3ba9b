/**
 * The pod status a kubelet posts, from the pod and what its runtime reports: generateAPIPodStatus plus the
 * status manager's touches (startTime set once, lastTransitionTime kept while a condition holds, a terminal
 * phase never left, reason and message kept while the phase stays). Pure: the same input gives the same status.
 */
import type { Pod, PodStatus } from '../types.js';
import {
  containersReadyCondition,
  initializedCondition,
  isKubeletCondition,
  podReadyCondition,
  readyToStartContainersCondition,
  stampConditions,
  type ConditionInput,
  type TransitionMemory,
} from './conditions.js';
import { containerStatusJSON, type ContainerStatusJSON, type RuntimeContainer } from './container-status.js';
import { getPhase, type PodPhase } from './phase.js';
import { containersOf, initContainersOf, podStatusOf, readinessGatesOf, restartPolicyOf } from './podspec.js';
import { podQOSClass } from './qos.js';
import { rfc3339 } from '../../../client/time.js';

export interface PodStatusInput {
  pod: Pod;
  now: number;
  /** The node's IP: set from admission on. */
  hostIP: string;
  /** The sandbox's IP once its network is up (undefined before). */
  podIP?: string;
  /** The sandbox exists with networking (PodReadyToStartContainers). */
  sandboxReady: boolean;
  /** When the kubelet first accepted the pod (status.startTime). */
  startTime: number;
  /** The runtime's containers by name (init and regular share a namespace of names). */
  runtime: Map<string, RuntimeContainer>;
  /** The kubelet will not restart anything any more (the pod is being deleted and its containers stopped). */
  podIsTerminal: boolean;
  transitions: TransitionMemory;
  /** A pod sync handler evicts the pod (activeDeadlineSeconds passed): phase Failed with this reason and message. */
  evicted?: { reason: string; message: string };
}

export interface GeneratedStatus {
  status: PodStatus;
  phase: PodPhase;
}

function isTerminalPhase(p: unknown): p is 'Succeeded' | 'Failed' {
  return p === 'Succeeded' || p === 'Failed';
}

export function generatePodStatus(input: PodStatusInput): GeneratedStatus {
  const { pod } = input;
  const containers = containersOf(pod);
  const initContainers = initContainersOf(pod);
  const hasInit = initContainers.length > 0;
  const initStatuses: ContainerStatusJSON[] = initContainers.map((c) => containerStatusJSON(c, input.runtime.get(c.name), hasInit));
  const statuses: ContainerStatusJSON[] = containers.map((c) => containerStatusJSON(c, input.runtime.get(c.name), hasInit));
  const byName = new Map<string, ContainerStatusJSON>();
  for (const s of statuses) byName.set(s.name, s);
  for (const s of initStatuses) byName.set(s.name, s);

  let podHasInitialized = false;
  for (const c of containers) if (input.runtime.get(c.name)?.state === 'running') podHasInitialized = true;
  let phase = getPhase({
    containers,
    initContainers,
    restartPolicy: restartPolicyOf(pod),
    statuses: byName,
    podIsTerminal: input.podIsTerminal,
    podHasInitialized,
  });
  const api = podStatusOf(pod);
  // A terminal phase is never left (the kubelet forces the API's terminal phase back).
  if (isTerminalPhase(api.phase)) phase = api.phase;
  else if (input.evicted) phase = 'Failed';

  const generation = typeof pod.metadata?.generation === 'number' ? pod.metadata.generation : undefined;
  const status: PodStatus = {};
  if (generation !== undefined) status.observedGeneration = generation;
  status.phase = phase;

  const apiConditions = Array.isArray(api.conditions) ? (api.conditions as { type?: unknown; status?: unknown; lastTransitionTime?: unknown }[]) : [];
  const kept = apiConditions.filter((c) => c && typeof c === 'object' && !isKubeletCondition(c.type));
  const ci: ConditionInput = { containers, initContainers, statuses: byName, phase };
  const values = [
    readyToStartContainersCondition(input.sandboxReady),
    initializedCondition(ci),
    podReadyCondition(ci, readinessGatesOf(pod), kept),
    containersReadyCondition(ci),
    { type: 'PodScheduled', status: 'True' as const },
  ];
  status.conditions = [...kept, ...stampConditions(values, input.transitions, apiConditions, input.now, generation)];

  // The reason and message that came with a phase stay while the phase does (e.g. an eviction's).
  if (api.phase === phase) {
    if (typeof api.reason === 'string' && api.reason) status.reason = api.reason;
    if (typeof api.message === 'string' && api.message) status.message = api.message;
  }
  if (input.evicted && !isTerminalPhase(api.phase)) {
    status.reason = input.evicted.reason;
    status.message = input.evicted.message;
  }
  status.hostIP = input.hostIP;
  status.hostIPs = [{ ip: input.hostIP }];
  if (input.podIP) {
    status.podIP = input.podIP;
    status.podIPs = [{ ip: input.podIP }];
  }
  status.startTime = rfc3339(input.startTime);
  if (hasInit) status.initContainerStatuses = initStatuses;
  status.containerStatuses = statuses;
  status.qosClass = podQOSClass(pod);
  return { status, phase };
}

/** The status of a pod the kubelet refused (lifecycle admission): Failed with the handler's reason and message. */
export function rejectedPodStatus(pod: Pod, reason: string, message: string, startTime: number): PodStatus {
  const api = podStatusOf(pod);
  const apiConditions = Array.isArray(api.conditions) ? (api.conditions as { type?: unknown }[]) : [];
  const status: PodStatus = {};
  if (typeof pod.metadata?.generation === 'number') status.observedGeneration = pod.metadata.generation;
  status.phase = 'Failed';
  const kept = apiConditions.filter((c) => c && typeof c === 'object' && !isKubeletCondition(c.type));
  if (kept.length > 0) status.conditions = kept;
  status.reason = reason;
  status.message = `Pod was rejected: ${message}`;
  status.startTime = rfc3339(startTime);
  status.qosClass = podQOSClass(pod);
  return status;
}
