/**
 * The pod's QoS class as the kubelet computes it (v1qos.GetPodQOS): the class already in status wins (it is
 * immutable once set); otherwise requests and limits of cpu and memory decide. Pod-level resources, when given,
 * replace the containers' (PodLevelResources, beta and on since 1.34).
 */
import type { Pod } from '../types.js';
import { containersOf, initContainersOf, podSpec, podStatusOf, type ResourceRequirements } from './podspec.js';
import { quantityScaled } from './quantity.js';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const QOS_RESOURCES = ['cpu', 'memory'];

export function podQOSClass(pod: Pod): QOSClass {
  const set = podStatusOf(pod).qosClass;
  if (set === 'Guaranteed' || set === 'Burstable' || set === 'BestEffort') return set;
  return computePodQOS(pod);
}

export function computePodQOS(pod: Pod): QOSClass {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  const add = (into: Map<string, number>, list: Record<string, unknown> | undefined, found?: Set<string>): void => {
    if (!list || typeof list !== 'object') return;
    for (const name of QOS_RESOURCES) {
      // milli units for both, so equality below is exact for any sane quantity
      const v = quantityScaled(list[name], 3);
      if (v === null || v <= 0) continue;
      into.set(name, (into.get(name) ?? 0) + v);
      found?.add(name);
    }
  };
  const addLimits = (r: ResourceRequirements | undefined): void => {
    const found = new Set<string>();
    add(limits, r?.limits, found);
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  };
  const podLevel = podSpec(pod).resources as ResourceRequirements | undefined;
  if (podLevel && typeof podLevel === 'object' && !Array.isArray(podLevel)) {
    if (podLevel.requests && Object.keys(podLevel.requests).length > 0) add(requests, podLevel.requests);
    if (podLevel.limits && Object.keys(podLevel.limits).length > 0) addLimits(podLevel);
  } else {
    for (const c of [...containersOf(pod), ...initContainersOf(pod)]) {
      add(requests, c.resources?.requests);
      addLimits(c.resources);
    }
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      if (limits.get(name) !== req) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
