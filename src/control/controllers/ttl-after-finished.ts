/**
 * TTL-after-finished (upstream's pkg/controller/ttlafterfinished): deletes a finished Job (Complete or Failed)
 * ttlSecondsAfterFinished after it finished, with Foreground propagation so its pods go first. Before deleting
 * it re-reads the Job from the API server (the cache may be stale, the TTL may have changed) and deletes with a
 * resourceVersion precondition. The clock is injected; waiting Jobs are requeued for their expiry.
 */
import type { SharedInformer } from '../../client/informer.js';
import { isNotFound } from '../../client/rest.js';
import { Jobs } from '../../client/resources.js';
import { splitKey } from '../../client/types.js';
import type { ControllerContext } from './context.js';
import { enqueueOnChange, runWorkers, type Controller, type ControllerDescriptor } from './controller.js';
import type { Job } from './job/types.js';

/** When the Job finished (its Complete/Failed condition's transition), or null while it runs. */
export function finishTime(job: Job): number | null {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') {
      const t = Date.parse(c.lastTransitionTime ?? '');
      return Number.isNaN(t) ? null : t;
    }
  }
  return null;
}

/** ms until the Job may be deleted (≤ 0: now), or null when it is not subject to a TTL (yet). */
export function ttlRemainingMs(job: Job, now: number): number | null {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined || ttl === null || job.metadata?.deletionTimestamp) return null;
  const done = finishTime(job);
  if (done === null) return null;
  return done + ttl * 1000 - now;
}

export class TTLAfterFinishedController implements Controller {
  readonly name = 'ttl-after-finished';
  private readonly jobs: SharedInformer<Job>;
  private readonly queue;

  constructor(private readonly ctx: ControllerContext) {
    this.jobs = ctx.informers.forResource<Job>(Jobs);
    this.queue = ctx.queue('ttl_jobs_to_delete');
    const enqueue = enqueueOnChange<Job>(this.queue);
    // Only Jobs that have a TTL and finished matter.
    const wanted = (j: Job): boolean => j.spec?.ttlSecondsAfterFinished !== undefined && j.spec?.ttlSecondsAfterFinished !== null && finishTime(j) !== null && !j.metadata?.deletionTimestamp;
    this.jobs.addEventHandler({
      onAdd: (j) => wanted(j) && enqueue.onAdd(j),
      onUpdate: (o, j) => wanted(j) && enqueue.onUpdate(o, j),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    await runWorkers(this.ctx, this.name, this.queue, [this.jobs as unknown as SharedInformer], (k) => this.sync(k), signal);
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const cached = this.jobs.lister.get(namespace, name);
    if (!cached) return;
    const left = ttlRemainingMs(cached, this.ctx.clock.now());
    if (left === null) return;
    if (left > 0) {
      this.queue.addAfter(key, left);
      return;
    }
    let fresh: Job;
    try {
      fresh = await this.ctx.client.get<Job>(Jobs, name, namespace);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const freshLeft = ttlRemainingMs(fresh, this.ctx.clock.now());
    if (freshLeft === null) return;
    if (freshLeft > 0) {
      this.queue.addAfter(key, freshLeft);
      return;
    }
    try {
      await this.ctx.client.delete(Jobs, namespace, name, { propagationPolicy: 'Foreground', preconditions: { resourceVersion: fresh.metadata?.resourceVersion } });
    } catch (err) {
      // A 409 (changed since we read it) is retried by the queue, reading it again.
      if (isNotFound(err)) return;
      throw err;
    }
  }
}

export const ttlAfterFinishedController: ControllerDescriptor = {
  name: 'ttl-after-finished',
  enabledByDefault: true,
  create: (ctx) => new TTLAfterFinishedController(ctx),
};
