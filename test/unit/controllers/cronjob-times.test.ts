import { describe, expect, it } from 'vitest';
import { Schedule } from '../../../src/control/controllers/cronjob/schedule.js';
import { jobNameFor, mostRecentScheduleTime, nextScheduleDelayMs, nextScheduleTime } from '../../../src/control/controllers/cronjob/times.js';
import { jobFromTemplate, jobsToPrune, rfc1123z } from '../../../src/control/controllers/cronjob/controller.js';

const T = (s: string): number => Date.parse(s);
const everyMinute = Schedule.parse('* * * * *');
const hourly = Schedule.parse('0 * * * *');

describe('cronjob times', () => {
  it('owes nothing before the first activation', () => {
    expect(nextScheduleTime({ created: T('2024-01-01T10:00:30Z') }, T('2024-01-01T10:00:59Z'), everyMinute)).toEqual({ time: null, missed: 'none' });
  });
  it('owes the activation just passed', () => {
    expect(nextScheduleTime({ created: T('2024-01-01T10:00:30Z') }, T('2024-01-01T10:01:05Z'), everyMinute).time).toBe(T('2024-01-01T10:01:00Z'));
  });
  it('owes the most recent of several missed activations', () => {
    const r = mostRecentScheduleTime({ created: T('2024-01-01T00:00:00Z'), lastScheduled: T('2024-01-01T05:00:00Z') }, T('2024-01-01T09:30:00Z'), hourly, true);
    expect(r).toMatchObject({ mostRecent: T('2024-01-01T09:00:00Z'), missed: 'few' });
  });
  it('reports more than 100 missed starts as many', () => {
    const r = nextScheduleTime({ created: T('2024-01-01T00:00:00Z') }, T('2024-01-01T02:00:00Z'), everyMinute);
    expect(r).toEqual({ time: T('2024-01-01T02:00:00Z'), missed: 'many' });
  });
  it('startingDeadlineSeconds bounds how far back it looks', () => {
    const r = nextScheduleTime({ created: T('2024-01-01T00:00:00Z'), startingDeadlineSeconds: 600 }, T('2024-01-01T09:30:00Z'), hourly);
    expect(r.time).toBeNull();
    const r2 = nextScheduleTime({ created: T('2024-01-01T00:00:00Z'), startingDeadlineSeconds: 600 }, T('2024-01-01T09:05:00Z'), hourly);
    expect(r2.time).toBe(T('2024-01-01T09:00:00Z'));
  });
  it('requeues 100 ms after the next activation', () => {
    expect(nextScheduleDelayMs({ created: T('2024-01-01T10:00:30Z'), lastScheduled: T('2024-01-01T10:00:00Z') }, T('2024-01-01T10:00:40Z'), everyMinute)).toBe(20_100);
  });
  it('errors on a schedule that never fires twice', () => {
    const r = mostRecentScheduleTime({ created: T('2024-01-01T00:00:00Z') }, T('2030-01-01T00:00:00Z'), Schedule.parse('0 0 30 2 *'), true);
    expect(r.mostRecent).toBeNull();
  });
  it('names jobs by the scheduled minute and stamps the scheduled time in the zone', () => {
    expect(jobNameFor('hello', T('2024-01-01T10:01:00Z'))).toBe('hello-28401721');
    const cj = { metadata: { name: 'hello', namespace: 'ns', uid: 'u1' }, spec: { schedule: '* * * * *', jobTemplate: { metadata: { labels: { a: 'b' } }, spec: { template: {} } } } };
    const j = jobFromTemplate(cj, T('2024-07-01T10:01:00Z'), 'Europe/Berlin');
    expect(j.metadata).toMatchObject({
      name: 'hello-28663801',
      labels: { a: 'b' },
      annotations: { 'batch.kubernetes.io/cronjob-scheduled-timestamp': '2024-07-01T12:01:00+02:00' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: 'u1', controller: true, blockOwnerDeletion: true }],
    });
  });
  it('prunes the oldest finished jobs past the limits', () => {
    const job = (name: string, type: string, start: string) => ({ metadata: { name }, status: { startTime: start, conditions: [{ type, status: 'True' }] } });
    const jobs = [job('a', 'Complete', '2024-01-01T00:00:00Z'), job('b', 'Complete', '2024-01-01T00:01:00Z'), job('c', 'Failed', '2024-01-01T00:02:00Z'), job('d', 'Failed', '2024-01-01T00:03:00Z'), { metadata: { name: 'running' } }];
    expect(jobsToPrune(jobs, 1, 1).map((j) => j.metadata?.name)).toEqual(['a', 'c']);
    expect(jobsToPrune(jobs, 3, 0).map((j) => j.metadata?.name)).toEqual(['c', 'd']);
  });
  it('prints MissSchedule times as Go RFC1123Z', () => {
    expect(rfc1123z(T('2024-01-05T09:03:00Z'))).toBe('Fri, 05 Jan 2024 09:03:00 +0000');
  });
});
