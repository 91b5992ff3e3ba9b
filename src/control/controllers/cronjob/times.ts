/**
 * Which scheduled time a CronJob owes a Job for, and when to look again (upstream's mostRecentScheduleTime,
 * nextScheduleTime and nextScheduleTimeDuration), as pure functions of the CronJob's times and `now`.
 */
import type { Schedule } from './schedule.js';

/** Upstream requeues 100 ms after the next activation so the sync lands past it. */
export const NEXT_SCHEDULE_DELTA_MS = 100;
export const TOO_MANY_MISSED = 100;

export type Missed = 'none' | 'few' | 'many';

export interface CronTimes {
  /** metadata.creationTimestamp (ms). */
  created: number;
  /** status.lastScheduleTime (ms), if any. */
  lastScheduled?: number;
  startingDeadlineSeconds?: number;
}

export interface MostRecent {
  earliest: number;
  /** The most recent activation at or before now that is owed, or null. */
  mostRecent: number | null;
  missed: Missed;
  error?: string;
}

export function mostRecentScheduleTime(c: CronTimes, now: number, schedule: Schedule, withDeadline: boolean): MostRecent {
  let earliest = c.lastScheduled ?? c.created;
  if (withDeadline && c.startingDeadlineSeconds !== undefined) {
    earliest = Math.max(earliest, now - c.startingDeadlineSeconds * 1000);
  }
  const t1 = schedule.next(earliest);
  const t2 = t1 === null ? null : schedule.next(t1);
  if (t1 === null || now < t1) return { earliest, mostRecent: null, missed: 'none' };
  if (t2 === null || now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) return { earliest, mostRecent: null, missed: 'none', error: 'time difference between two schedules is less than 1 second' };
  // Estimate how many activations fit since t1, then walk the last stretch exactly (irregular schedules).
  const elapsed = Math.floor((now - t1) / 1000);
  const missedCount = Math.floor(elapsed / between) + 1;
  const potentialEarliest = t1 + (missedCount - 2) * between * 1000;
  let mostRecent: number | null = null;
  for (let t = schedule.next(potentialEarliest); t !== null && t <= now; t = schedule.next(t)) mostRecent = t;
  const missed: Missed = missedCount > TOO_MANY_MISSED ? 'many' : missedCount > 0 ? 'few' : 'none';
  return { earliest, mostRecent, missed };
}

/** The scheduled time to start a Job for now, or null; `missed` says whether to warn TooManyMissedTimes. */
export function nextScheduleTime(c: CronTimes, now: number, schedule: Schedule): { time: number | null; missed: Missed; error?: string } {
  const r = mostRecentScheduleTime(c, now, schedule, true);
  if (r.mostRecent === null || r.mostRecent > now) return { time: null, missed: r.missed, error: r.error };
  return { time: r.mostRecent, missed: r.missed, error: r.error };
}

/** How long until the sync after the next activation. */
export function nextScheduleDelayMs(c: CronTimes, now: number, schedule: Schedule): number {
  const r = mostRecentScheduleTime(c, now, schedule, false);
  const from = r.error ? now : (r.mostRecent ?? r.earliest);
  const next = schedule.next(from);
  // A schedule that never fires again: look once a day in case the spec changes (updates requeue anyway).
  if (next === null) return 24 * 3600_000;
  return next + NEXT_SCHEDULE_DELTA_MS - now;
}

/** `<cronjob>-<scheduled time in minutes since the epoch>`: the same activation always gets the same name. */
export const jobNameFor = (cronJob: string, scheduled: number): string => `${cronJob}-${Math.floor(scheduled / 60_000)}`;
