/**
 * The scheduler's writes to the API server: the binding (POST pods/<name>/binding, a v1 Binding), the
 * PodScheduled condition (status subresource) and events. An interface, so loop tests can record calls instead.
 */
import type { KubeObject } from '../api/resource.js';
import { ApiError, bindPod, type RestClient } from '../../client/rest.js';
import { Events, Pods } from '../../client/resources.js';
import { withCondition, type PodCondition } from './events.js';
import { rfc3339 } from '../../client/time.js';

export interface SchedulerApi {
  bind(pod: KubeObject, nodeName: string): Promise<void>;
  /** Writes `cond` into the pod's status.conditions. */
  setPodCondition(pod: KubeObject, cond: PodCondition): Promise<void>;
  createEvent(ev: KubeObject): Promise<void>;
  /** Sets status.nominatedNodeName (preemption); absent: the loop does not preempt. */
  nominate?(pod: KubeObject, nodeName: string): Promise<void>;
  /** Evicts a preemption victim: DisruptionTarget condition, then a delete preconditioned on its uid. */
  preempt?(victim: KubeObject, message: string): Promise<void>;
}

/** Tells a bind failure that will never succeed on retry (pod gone or already bound) from one worth retrying. */
export function bindErrorIsFinal(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 404 || err.code === 409);
}

export class RestSchedulerApi implements SchedulerApi {
  /** Set once the server rejects strategic merge patches; then conditions go as a merge patch of the list. */
  private noStrategic = false;

  constructor(private readonly client: RestClient) {}

  async bind(pod: KubeObject, nodeName: string): Promise<void> {
    const m = pod.metadata ?? {};
    await bindPod(this.client, { namespace: m.namespace ?? 'default', name: m.name ?? '', uid: m.uid }, nodeName);
  }

  async setPodCondition(pod: KubeObject, cond: PodCondition): Promise<void> {
    const m = pod.metadata ?? {};
    if (!this.noStrategic) {
      try {
        await this.client.patch(Pods, m.namespace, m.name ?? '', { status: { conditions: [cond] } }, 'strategic', { subresource: 'status' });
        return;
      } catch (e) {
        if (!(e instanceof ApiError && (e.code === 415 || e.code === 400))) throw e;
        this.noStrategic = true;
      }
    }
    await this.client.patch(Pods, m.namespace, m.name ?? '', { status: { conditions: withCondition(pod, cond) } }, 'merge', { subresource: 'status' });
  }

  async createEvent(ev: KubeObject): Promise<void> {
    await this.client.create(Events, ev);
  }

  async nominate(pod: KubeObject, nodeName: string): Promise<void> {
    const m = pod.metadata ?? {};
    await this.client.patch(Pods, m.namespace, m.name ?? '', { status: { nominatedNodeName: nodeName } }, 'merge', { subresource: 'status' });
  }

  async preempt(victim: KubeObject, message: string): Promise<void> {
    const m = victim.metadata ?? {};
    const cond: PodCondition = { type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message, lastTransitionTime: rfc3339(Date.now()) };
    try {
      await this.setPodCondition(victim, cond);
      await this.client.delete(Pods, m.namespace, m.name ?? '', { preconditions: { uid: m.uid } });
    } catch (err) {
      if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err; // gone already
    }
  }
}
