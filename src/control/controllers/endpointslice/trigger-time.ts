/**
 * The endpoints.kubernetes.io/last-change-trigger-time value (upstream's TriggerTimeTracker): the earliest
 * change, among the Service and its pods, that this sync is the first to see. A pod's change time is its Ready
 * condition's lastTransitionTime; the Service's is its creationTimestamp. Undefined when nothing is new.
 */
import type { Pod, Service } from './types.js';

interface ServiceState {
  podTimes: Map<string, number>;
  serviceTime: number;
}

const parse = (t: string | undefined): number => {
  if (!t) return 0;
  const n = Date.parse(t);
  return Number.isFinite(n) ? n : 0;
};

export class TriggerTimeTracker {
  private states = new Map<string, ServiceState>();

  /** Updates the state for the service and returns the trigger time (RFC 3339), if any. */
  compute(key: string, svc: Service, pods: readonly Pod[]): string | undefined {
    const prev = this.states.get(key);
    const next: ServiceState = { podTimes: new Map(), serviceTime: parse(svc.metadata.creationTimestamp) };
    let min = 0;
    const consider = (t: number): void => {
      if (min === 0 || t < min) min = t;
    };
    for (const pod of pods) {
      const t = parse(pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime);
      if (t === 0) continue;
      const name = pod.metadata.name ?? '';
      next.podTimes.set(name, t);
      if (t > (prev?.podTimes.get(name) ?? 0)) consider(t);
    }
    if (next.serviceTime > (prev?.serviceTime ?? 0)) consider(next.serviceTime);
    this.states.set(key, next);
    return min === 0 ? undefined : rfc3339Nano(min);
  }

  delete(key: string): void {
    this.states.delete(key);
  }
}

/** Go's time.RFC3339Nano in UTC: fractional seconds without trailing zeros (none when whole). */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}
