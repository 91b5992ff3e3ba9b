/**
 * The seam between the node agent (registration, leases, one shared pod watch, the status writer) and a pod
 * driver (one per node: what that node's containers are doing). A driver is pure state: no I/O, no timers; the
 * agent calls sync() when a pod changes or its wakeAt comes, and posts whatever status comes back.
 */
import type { Duplex } from 'node:stream';
import type { KubeObject } from '../../client/types.js';
import type { ContainerLogRequest, ContainerProcess, ProcessRequest } from './streaming/types.js';
export type Pod = KubeObject;        // v1.Pod as JSON
export type PodStatus = Record<string, unknown>; // v1.PodStatus as JSON

/** What a node's pods need to know about their node. */
export interface NodeContext {
  nodeName: string;
  /** The node's InternalIP (status.hostIP / hostIPs). */
  hostIP: string;
  /** spec.podCIDR once known (node IPAM sets it); undefined → the driver uses its fallback range 10.0.0.0/16 as kwok does. */
  podCIDR?: string;
  /** status.allocatable of the node: cpu, memory, pods, ephemeral-storage (quantity strings). */
  allocatable: Record<string, string>;
  /** Image patterns this node cannot pull (node spec `unpullableImages`; simulated runtime only). */
  unpullableImages?: readonly string[];
}

export interface SyncResult {
  /** The full status to post for this pod (pods/status), or null when nothing changed since the last one returned. */
  status: PodStatus | null;
  /** Absolute time (ms, the injected clock) at which sync must be called again for this pod, or null. */
  wakeAt: number | null;
  /** True once a terminating pod's containers have stopped: the agent deletes it (grace 0, uid precondition) and calls forget(). */
  remove: boolean;
  /**
   * The status is unchanged since the last one returned but the API's copy disagrees with it (someone else wrote
   * it): post it again unless a write of this pod is still on its way (that write may be what the API lacks).
   */
  resend?: boolean;
}

/** Per node: holds that node's pods' simulated containers. Pure state, no I/O, no timers of its own. */
export interface PodDriver {
  /** The pod (latest seen) was added/updated, or its wakeAt came. Idempotent. */
  sync(pod: Pod, now: number): SyncResult;
  /** The pod is gone from the API: release its IP and resources. */
  forget(uid: string): void;
  /**
   * Only the pod's status changed in the API, and a sync would change nothing: what it reads back of the status
   * is what it last returned (its own write coming back). Optional: without it every update is synced.
   */
  statusAgrees?(pod: Pod): boolean;
  /** Context changed (e.g. podCIDR arrived). */
  setContext(ctx: NodeContext): void;
  /** Current usage of the node and its running pods (for metrics.k8s.io). */
  usage(now: number): NodeUsage;
  /** Release what the driver holds outside the process (a real runtime's watchers); containers keep running. */
  close?(): Promise<void>;
  /** Images on the node for node.status.images (biggest first, at most 50), as last read; optional, additive. */
  images?(): NodeImage[];
  // The kubelet API (streaming/): optional, additive. Errors of type StreamingError reach the user as they are.
  /** Writes a container's log (the run the agent chose from the pod's status) to `out`; resolves when done. */
  logs?(pod: Pod, container: string, req: ContainerLogRequest, out: (chunk: Buffer) => void): Promise<void>;
  /** Starts `command` in a running container (kubectl exec). */
  exec?(pod: Pod, container: string, command: string[], req: ProcessRequest): Promise<ContainerProcess>;
  /** Attaches to a running container's own stdio (kubectl attach). */
  attach?(pod: Pod, container: string, req: ProcessRequest): Promise<ContainerProcess>;
  /** A connection to `port` on the pod's loopback, inside its network namespace (kubectl port-forward). */
  portForward?(pod: Pod, port: number): Promise<Duplex>;
}

/** What a driver whose work is asynchronous (a real runtime) may ask of the agent. */
export interface DriverHooks {
  /** Call sync() for this pod soon: its containers changed on their own (started, exited, a probe answered). */
  resync(uid: string): void;
  /** Record a kubelet Event about this pod that its status cannot show (Unhealthy, Killing, FailedPostStartHook, FailedMount). */
  event?(uid: string, ev: DriverEvent): void;
  /** The node's own status changed (e.g. its images): post it soon. Optional, additive. */
  nodeChanged?(): void;
}

/** One entry of node.status.images (v1.ContainerImage). */
export interface NodeImage {
  names: string[];
  sizeBytes: number;
}

/** An Event a driver records; fieldPath names a container (`spec.containers{app}`). */
export interface DriverEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  fieldPath?: string;
}

export interface ContainerUsage { name: string; cpuNanoCores: number; memoryBytes: number }
export interface PodUsage { namespace: string; name: string; uid: string; containers: ContainerUsage[] }
export interface NodeUsage { nodeName: string; timestamp: number; windowSeconds: number; cpuNanoCores: number; memoryBytes: number; pods: PodUsage[] }

export type PodDriverFactory = (ctx: NodeContext, hooks: DriverHooks) => PodDriver;
