/**
 * What every controller is given: the API client, the shared informers (one list+watch per resource for all
 * controllers), the clock, event posting and queues that report to /metrics. Controllers know nothing else of
 * the process they run in (the server's thread or `skiff controller-manager`).
 */
import type { Clock } from '../../client/clock.js';
import { EventSpamFilter, objectSpamKey } from '../../client/event-spam-filter.js';
import { objectEvent, type EventRecorder, type EventType } from '../../client/events.js';
import type { SharedInformerFactory } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import type { KubeObject } from '../../client/types.js';
import { defaultControllerRateLimiter, WorkQueue } from '../../client/workqueue.js';
import type { EvictionRates } from './node-lifecycle/zones.js';

/** Settings shared by controllers, with upstream's flag defaults. */
export interface ControllerOptions {
  /** --cluster-cidr: pods' range, carved into per-node podCIDRs by node IPAM. */
  clusterCIDR: string;
  /** --node-cidr-mask-size. */
  nodeCIDRMaskSize: number;
  /** --node-monitor-grace-period: a node whose Lease has not moved for this long is Unknown. */
  nodeMonitorGracePeriodMs: number;
  /** --node-monitor-period: how often node health is checked. */
  nodeMonitorPeriodMs: number;
  /** --node-startup-grace-period: a node that never posted Ready gets this long. */
  nodeStartupGracePeriodMs: number;
  /** --node-eviction-rate and its kin: how fast unready nodes get NoExecute taints, per zone (zones.ts). */
  evictionRates?: EvictionRates;
  /** The cluster CA bundle (PEM) published as kube-root-ca.crt in every namespace. */
  rootCA?: string;
  /** --terminated-pod-gc-threshold. */
  terminatedPodGCThreshold: number;
  /** Workers per controller (upstream's --concurrent-*-syncs); one figure for all here. */
  workers: number;
  /** --max-endpoints-per-slice (default 100). */
  maxEndpointsPerSlice?: number;
  /** --mirroring-max-endpoints-per-subset (default 1000). */
  mirroringMaxEndpointsPerSubset?: number;
  /** --horizontal-pod-autoscaler-sync-period (15 s). */
  horizontalPodAutoscalerSyncPeriodMs?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (5 min). */
  horizontalPodAutoscalerDownscaleStabilizationMs?: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period (5 min). */
  horizontalPodAutoscalerCPUInitializationPeriodMs?: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay (30 s). */
  horizontalPodAutoscalerInitialReadinessDelayMs?: number;
  /** --horizontal-pod-autoscaler-tolerance (0.1). */
  horizontalPodAutoscalerTolerance?: number;
  /** Where the local-path provisioner makes volumes' directories (k3s's --default-local-storage-path). */
  localPathDir?: string;
  /** --cluster-signing-cert-file: PEM of the CA the csrsigning controller signs with (skiff server: <data-dir>/ca.crt). */
  clusterSigningCertFile?: string;
  /** --cluster-signing-key-file: that CA's private key (PEM). */
  clusterSigningKeyFile?: string;
  /** --cluster-signing-duration: the longest certificate signed (default one year). */
  clusterSigningDurationMs?: number;
}

export const defaultControllerOptions: ControllerOptions = {
  clusterCIDR: '10.244.0.0/16',
  nodeCIDRMaskSize: 24,
  nodeMonitorGracePeriodMs: 40_000,
  nodeMonitorPeriodMs: 5_000,
  nodeStartupGracePeriodMs: 60_000,
  terminatedPodGCThreshold: 12_500,
  workers: 5,
};

export interface ControllerContext {
  client: RestClient;
  informers: SharedInformerFactory;
  clock: Clock;
  options: ControllerOptions;
  /** Posts a core/v1 Event about `obj` from `component` in the background (never blocks, drops when backlogged). */
  event(component: string, obj: KubeObject, type: EventType, reason: string, message: string): void;
  /** A rate-limited queue (client-go's default controller limiter) that /metrics reports under `name`. */
  queue(name: string): WorkQueue<string>;
  /** Reports an error the controller recovers from (logged by the process). */
  onError(err: unknown, context: string): void;
}

export interface ControllerContextDeps {
  client: RestClient;
  informers: SharedInformerFactory;
  clock: Clock;
  recorder: EventRecorder;
  options?: Partial<ControllerOptions>;
  instance?: string;
  onError?: (err: unknown, context: string) => void;
}

/** Builds a context; the queues it made are listed in `queues` for /metrics. */
export function createControllerContext(deps: ControllerContextDeps): ControllerContext & { queues: WorkQueue<string>[] } {
  const queues: WorkQueue<string>[] = [];
  // As kube-controller-manager's recorder: at most 25 events per source and object, then one per 5 minutes.
  const spam = new EventSpamFilter(() => deps.clock.now());
  return {
    client: deps.client,
    informers: deps.informers,
    clock: deps.clock,
    options: { ...defaultControllerOptions, ...deps.options },
    queues,
    event(component, obj, type, reason, message) {
      // The filter first: a ReplicaSet creating 10,000 pods has all but 25 of its events dropped unmade.
      if (!spam.allowKey(objectSpamKey(obj, component))) return;
      deps.recorder.record(objectEvent(obj, type, reason, message, { component, instance: deps.instance }, new Date(deps.clock.now())));
    },
    queue(name) {
      const q = new WorkQueue<string>({ clock: deps.clock, rateLimiter: defaultControllerRateLimiter<string>(deps.clock), name });
      queues.push(q);
      return q;
    },
    onError: deps.onError ?? ((err, context) => console.error(`${context}:`, err)),
  };
}
