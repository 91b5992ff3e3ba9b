/**
 * The scheduler's writes to the API server: the binding (POST pods/<name>/binding, a v1 Binding), the
 * PodScheduled condition (status subresource) and events. An interface, so loop tests can record calls instead.
 */
import type { KubeObject } from '../api/resource.js';
import { ApiError, bindPod, type RestClient } from '../../client/rest.js';
import { Events, Pods } from '../../client/resources.js';
import { withCondition, type PodCondition } from './events.js';

export interface SchedulerApi {
  bind(pod: KubeObject, nodeName: string): Promise<void>;
  /** Writes `cond` into the pod's status.conditions. */
  setPodCondition(pod: KubeObject, cond: PodCondition): Promise<void>;
  createEvent(ev: KubeObject): Promise<void>;
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
}
