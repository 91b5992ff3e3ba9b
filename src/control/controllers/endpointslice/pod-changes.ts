/**
 * Which Services a pod event concerns (upstream's GetServicesToUpdateOnPodChange): on add/delete, those that
 * select the pod; on update, none unless something endpoints show changed (readiness, IPs, deletion, labels,
 * hostname/subdomain). When only labels changed, just the services it joined or left; when both, all of them.
 */
import type { SharedInformer } from '../../../client/informer.js';
import type { WorkQueue } from '../../../client/workqueue.js';
import { servicesSelecting } from './indexes.js';
import { isPodReady, podIPs } from './pod-endpoint.js';
import type { Pod, Service } from './types.js';

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => b?.[k] === a?.[k]);
}

/** [podChanged, labelsChanged] as upstream's podEndpointsChanged. */
export function podEndpointsChanged(oldPod: Pod, newPod: Pod): [boolean, boolean] {
  const labelsChanged =
    !sameLabels(oldPod.metadata.labels, newPod.metadata.labels) ||
    oldPod.spec?.hostname !== newPod.spec?.hostname ||
    oldPod.spec?.subdomain !== newPod.spec?.subdomain;
  if (oldPod.metadata.deletionTimestamp !== newPod.metadata.deletionTimestamp) return [true, labelsChanged];
  if (isPodReady(oldPod) !== isPodReady(newPod)) return [true, labelsChanged];
  const a = podIPs(oldPod);
  const b = podIPs(newPod);
  if (a.length !== b.length || a.some((ip, i) => ip !== b[i])) return [true, labelsChanged];
  // Terminal phases drop a pod from endpoints; upstream notices through the IPs/readiness that go with them,
  // but a phase change alone must not be missed here either.
  if (oldPod.status?.phase !== newPod.status?.phase) return [true, labelsChanged];
  return [false, labelsChanged];
}

/**
 * The service keys to sync for an update from `oldPod` to `newPod`, given `selecting(labels)` (the keys of the
 * services in the pod's namespace that select those labels).
 */
export function servicesToUpdateOnPodChange(oldPod: Pod, newPod: Pod, selecting: (labels: Record<string, string> | undefined) => Set<string>): Set<string> {
  if (oldPod.metadata.resourceVersion && oldPod.metadata.resourceVersion === newPod.metadata.resourceVersion) return new Set();
  const [podChanged, labelsChanged] = podEndpointsChanged(oldPod, newPod);
  if (!podChanged && !labelsChanged) return new Set();
  const now = selecting(newPod.metadata.labels);
  if (!labelsChanged) return now;
  const before = selecting(oldPod.metadata.labels);
  const out = new Set<string>();
  if (podChanged) {
    for (const k of now) out.add(k);
    for (const k of before) out.add(k);
  } else {
    for (const k of now) if (!before.has(k)) out.add(k);
    for (const k of before) if (!now.has(k)) out.add(k);
  }
  return out;
}

/** The pod handler of the endpoint controllers: queue the keys of the Services a pod event concerns. */
export function enqueueServicesOfPod(services: SharedInformer<Service>, queue: WorkQueue<string>) {
  const selecting = (p: Pod) => (labels: Record<string, string> | undefined) => servicesSelecting(services, p.metadata.namespace ?? '', labels);
  const add = (keys: Set<string>): void => keys.forEach((k) => queue.add(k));
  return {
    onAdd: (p: Pod) => add(selecting(p)(p.metadata.labels)),
    onUpdate: (o: Pod, n: Pod) => add(servicesToUpdateOnPodChange(o, n, selecting(n))),
    onDelete: (p: Pod) => add(selecting(p)(p.metadata.labels)),
  };
}
