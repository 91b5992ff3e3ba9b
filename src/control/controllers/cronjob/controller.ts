/**
 * The CronJob controller (upstream's cronjob_controllerv2): creates a Job per owed activation, tracks
 * status.active / lastScheduleTime / lastSuccessfulTime, applies concurrencyPolicy and startingDeadlineSeconds,
 * prunes finished Jobs past the history limits, and requeues itself for the next activation on the injected
 * clock. Time arithmetic is in times.ts and schedule.ts.
 */
import type { CronJob as K8sCronJob } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import { rfc3339 } from '../../../client/time.js';
import type { SharedInformer } from '../../../client/informer.js';
import { ApiError, isNotFound } from '../../../client/rest.js';
import { CronJobs, Jobs } from '../../../client/resources.js';
import { splitKey, type KubeObject } from '../../../client/types.js';
import type { WorkQueue } from '../../../client/workqueue.js';
import type { ControllerContext } from '../context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from '../controller.js';
import type { Job } from '../job/types.js';
import { formatInZone, Schedule } from './schedule.js';
import { jobNameFor, nextScheduleDelayMs, nextScheduleTime, type CronTimes } from './times.js';

export type CronJob = K8sCronJob & KubeObject;

const COMPONENT = 'cronjob-controller';
const BY_CONTROLLER = 'cronjob-controller:byControllerUID';
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

const keyOf = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
const controllerOf = (o: KubeObject) => o.metadata?.ownerReferences?.find((r) => r.controller === true);

/** Complete or Failed (True), or null while the Job runs. */
export function finishedType(j: Job): 'Complete' | 'Failed' | null {
  for (const c of j.status?.conditions ?? []) if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  return null;
}

/** Finished Jobs to delete so at most `limit` of each kind stay: oldest start time first, name breaking ties. */
export function jobsToPrune(jobs: readonly Job[], successfulLimit: number | undefined, failedLimit: number | undefined): Job[] {
  const byStart = (a: Job, b: Job): number => {
    const sa = a.status?.startTime;
    const sb = b.status?.startTime;
    if (!sb) return sa ? -1 : 0;
    if (!sa) return 1;
    if (sa === sb) return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
    return Date.parse(sa) - Date.parse(sb);
  };
  const out: Job[] = [];
  for (const [type, limit] of [['Complete', successfulLimit], ['Failed', failedLimit]] as const) {
    if (limit === undefined || limit === null) continue;
    const list = jobs.filter((j) => finishedType(j) === type).sort(byStart);
    if (list.length > limit) out.push(...list.slice(0, list.length - limit));
  }
  return out;
}

/** The Job for the activation at `scheduled`: the template's metadata and spec, named for the minute. */
export function jobFromTemplate(cj: CronJob, scheduled: number, timeZone: string): Job {
  const tmpl = cj.spec?.jobTemplate ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cj.metadata?.name ?? '', scheduled),
      namespace: cj.metadata?.namespace,
      labels: { ...(tmpl.metadata?.labels ?? {}) },
      annotations: { ...(tmpl.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: formatInZone(scheduled, timeZone) },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata?.name ?? '', uid: cj.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(tmpl.spec ?? { template: {} }),
  } as Job;
}

/** Go's time.RFC1123Z, as the MissSchedule event prints the time. */
export function rfc1123z(t: number): string {
  const d = new Date(t);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export class CronJobController implements Controller {
  readonly name = 'cronjob';
  private readonly cronJobs: SharedInformer<CronJob>;
  private readonly jobs: SharedInformer<Job>;
  private readonly queue: WorkQueue<string>;

  constructor(private readonly ctx: ControllerContext) {
    this.cronJobs = ctx.informers.forResource<CronJob>(CronJobs);
    this.jobs = ctx.informers.forResource<Job>(Jobs);
    this.queue = ctx.queue('cronjob');
    try {
      this.jobs.indexer.addIndexer(BY_CONTROLLER, (j) => {
        const ref = controllerOf(j);
        return ref?.kind === 'CronJob' ? [ref.uid] : [];
      });
    } catch {
      // Already registered on these shared informers.
    }
    this.cronJobs.addEventHandler({
      onAdd: (cj) => this.queue.add(keyOf(cj)),
      onUpdate: (old, cj) => {
        if (old.spec?.schedule !== cj.spec?.schedule || old.spec?.timeZone !== cj.spec?.timeZone) {
          // A new schedule: look again at its next activation (sync also requeues).
          try {
            const s = Schedule.parse(cj.spec?.schedule ?? '', cj.spec?.timeZone ?? 'UTC');
            this.queue.addAfter(keyOf(cj), nextScheduleDelayMs(this.times(cj), ctx.clock.now(), s));
          } catch {
            this.ctx.event(COMPONENT, cj, 'Warning', 'UnParseableCronJobSchedule', `unparseable schedule for cronjob: ${cj.spec?.schedule}`);
          }
          return;
        }
        this.queue.add(keyOf(cj));
      },
      onDelete: (cj) => this.queue.add(keyOf(cj)),
    });
    const onJob = (j: Job): void => {
      const ref = controllerOf(j);
      if (ref?.kind !== 'CronJob') return;
      const cj = this.cronJobs.lister.get(j.metadata?.namespace, ref.name);
      if (cj && cj.metadata?.uid === ref.uid) this.queue.add(keyOf(cj));
    };
    this.jobs.addEventHandler({ onAdd: onJob, onUpdate: (_o, j) => onJob(j), onDelete: onJob });
  }

  async run(signal: AbortSignal): Promise<void> {
    await runWorkers(this.ctx, this.name, this.queue, [this.cronJobs, this.jobs] as unknown as SharedInformer[], (k) => this.sync(k), signal);
  }

  private times(cj: CronJob): CronTimes {
    return {
      created: Date.parse(cj.metadata?.creationTimestamp ?? '') || 0,
      lastScheduled: cj.status?.lastScheduleTime ? Date.parse(cj.status.lastScheduleTime) : undefined,
      startingDeadlineSeconds: cj.spec?.startingDeadlineSeconds ?? undefined,
    };
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const shared = this.cronJobs.lister.get(namespace, name);
    if (!shared) return;
    const cj = structuredClone(shared) as CronJob;
    cj.status ??= {};
    const jobs = this.jobs.indexer.byIndex(BY_CONTROLLER, cj.metadata?.uid ?? '').filter((j) => j.metadata?.namespace === namespace);
    let requeue: number | null = null;
    let update = false;
    let syncErr: unknown = null;
    try {
      const r = await this.syncCronJob(cj, jobs);
      requeue = r.requeueAfter;
      update = r.update;
    } catch (err) {
      syncErr = err;
    }
    if (!cj.metadata?.deletionTimestamp && (await this.cleanupFinishedJobs(cj, jobs))) update = true;
    if (update) {
      if (!cj.status.active?.length) delete cj.status.active;
      await this.ctx.client.update(CronJobs, cj, { subresource: 'status' });
    }
    if (syncErr) throw syncErr;
    if (requeue !== null) this.queue.addAfter(key, Math.max(0, requeue));
  }

  private async syncCronJob(cj: CronJob, jobs: Job[]): Promise<{ requeueAfter: number | null; update: boolean }> {
    const now = this.ctx.clock.now();
    const status = cj.status!;
    let update = false;
    const active = (): ObjectReference[] => (status.active ??= []);
    const inActive = (uid: string | undefined): boolean => active().some((r) => r.uid === uid);
    const dropActive = (uid: string | undefined): void => {
      status.active = active().filter((r) => r.uid !== uid);
    };
    const children = new Set<string>();
    for (const j of jobs) {
      const uid = j.metadata?.uid ?? '';
      children.add(uid);
      const found = inActive(uid);
      const fin = finishedType(j);
      if (!found && !fin) {
        const fresh = await this.ctx.client.get<CronJob>(CronJobs, cj.metadata?.name ?? '', cj.metadata?.namespace);
        if (fresh.status?.active?.some((r) => r.uid === uid)) {
          status.active = fresh.status.active;
          continue;
        }
        this.ctx.event(COMPONENT, cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata?.name}`);
      } else if (found && fin) {
        dropActive(uid);
        this.ctx.event(COMPONENT, cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata?.name}, status: ${fin}`);
        update = true;
      } else if (fin === 'Complete') {
        const done = j.status?.completionTime;
        if (done && (!status.lastSuccessfulTime || Date.parse(done) > Date.parse(status.lastSuccessfulTime))) {
          status.lastSuccessfulTime = done;
          update = true;
        }
      }
    }
    for (const ref of [...active()]) {
      if (children.has(ref.uid ?? '')) continue;
      // The lister may lag: ask the API server before declaring the Job gone.
      try {
        await this.ctx.client.get(Jobs, ref.name ?? '', ref.namespace);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.ctx.event(COMPONENT, cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
        dropActive(ref.uid);
        update = true;
      }
    }
    if (cj.metadata?.deletionTimestamp) return { requeueAfter: null, update };

    const timeZone = cj.spec?.timeZone ?? 'UTC';
    if (cj.spec?.timeZone) {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone });
      } catch {
        this.ctx.event(COMPONENT, cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(timeZone)}: unknown time zone ${timeZone}`);
        return { requeueAfter: null, update };
      }
    }
    if (cj.spec?.suspend) return { requeueAfter: null, update };
    const spec = cj.spec?.schedule ?? '';
    if (/TZ/.test(spec)) {
      this.ctx.event(COMPONENT, cj, 'Warning', 'UnsupportedSchedule', `CRON_TZ or TZ used in schedule ${JSON.stringify(spec)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`);
    }
    let schedule: Schedule;
    try {
      schedule = Schedule.parse(spec, timeZone);
    } catch (err) {
      this.ctx.event(COMPONENT, cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(spec)} : ${(err as Error).message}`);
      return { requeueAfter: null, update };
    }
    const times = this.times(cj);
    const next = nextScheduleTime(times, now, schedule);
    if (next.missed === 'many') {
      this.ctx.event(COMPONENT, cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    }
    if (next.error) {
      this.ctx.event(COMPONENT, cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${spec} : ${next.error}`);
      return { requeueAfter: null, update };
    }
    const later = (): number => nextScheduleDelayMs(this.times(cj), now, schedule);
    const scheduled = next.time;
    if (scheduled === null) return { requeueAfter: later(), update };
    const deadline = cj.spec?.startingDeadlineSeconds;
    if (deadline !== undefined && deadline !== null && scheduled + deadline * 1000 < now) {
      this.ctx.event(COMPONENT, cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`);
      return { requeueAfter: later(), update };
    }
    const name = jobNameFor(cj.metadata?.name ?? '', scheduled);
    if (active().some((r) => r.name === name) || (status.lastScheduleTime && Date.parse(status.lastScheduleTime) === scheduled)) {
      return { requeueAfter: later(), update };
    }
    if (cj.spec?.concurrencyPolicy === 'Forbid' && active().length > 0) {
      this.ctx.event(COMPONENT, cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return { requeueAfter: later(), update };
    }
    if (cj.spec?.concurrencyPolicy === 'Replace') {
      for (const ref of [...active()]) {
        const j = jobs.find((x) => x.metadata?.uid === ref.uid) ?? ({ metadata: { name: ref.name, namespace: ref.namespace, uid: ref.uid } } as Job);
        if (!(await this.deleteJob(cj, j))) throw new Error(`could not replace job ${ref.namespace}/${ref.name}`);
        update = true;
      }
    }
    let created: Job;
    try {
      created = await this.ctx.client.create<Job>(Jobs, jobFromTemplate(cj, scheduled, timeZone));
      this.ctx.event(COMPONENT, cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata?.name}`);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists')) {
        this.ctx.event(COMPONENT, cj, 'Warning', 'FailedCreate', `Error creating job: ${(err as Error).message}`);
        throw err;
      }
      // Created on an earlier sync whose status write was lost: adopt it into the active list if it is ours.
      created = await this.ctx.client.get<Job>(Jobs, name, cj.metadata?.namespace);
      if (controllerOf(created)?.uid !== cj.metadata?.uid || inActive(created.metadata?.uid)) return { requeueAfter: null, update };
    }
    active().push({ kind: 'Job', namespace: created.metadata?.namespace, name: created.metadata?.name, uid: created.metadata?.uid, apiVersion: 'batch/v1', resourceVersion: created.metadata?.resourceVersion });
    status.lastScheduleTime = rfc3339(new Date(scheduled));
    return { requeueAfter: later(), update: true };
  }

  private async deleteJob(cj: CronJob, j: Job): Promise<boolean> {
    try {
      await this.ctx.client.delete(Jobs, j.metadata?.namespace, j.metadata?.name ?? '', { propagationPolicy: 'Background' });
    } catch (err) {
      if (!isNotFound(err)) {
        this.ctx.event(COMPONENT, cj, 'Warning', 'FailedDelete', `Deleted job: ${(err as Error).message}`);
        return false;
      }
    }
    cj.status!.active = (cj.status!.active ?? []).filter((r) => r.uid !== j.metadata?.uid);
    this.ctx.event(COMPONENT, cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata?.name}`);
    return true;
  }

  private async cleanupFinishedJobs(cj: CronJob, jobs: Job[]): Promise<boolean> {
    let update = false;
    for (const j of jobsToPrune(jobs, cj.spec?.successfulJobsHistoryLimit ?? undefined, cj.spec?.failedJobsHistoryLimit ?? undefined)) {
      if (await this.deleteJob(cj, j)) update = true;
    }
    return update;
  }
}

export const cronJobDescriptor: ControllerDescriptor = {
  name: 'cronjob',
  enabledByDefault: true,
  create: (ctx) => new CronJobController(ctx),
};
