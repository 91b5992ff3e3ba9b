import { describe, expect, it } from 'vitest';
import { Schedule, formatInZone, instantsOf } from '../../../src/control/controllers/cronjob/schedule.js';
import { cronScheduleError } from '../../../src/control/api/validation/cron.js';

const inNY = (s: string, from: string): string | null => {
  const n = Schedule.parse(s, 'America/New_York').next(Date.parse(from));
  return n === null ? null : formatInZone(n, 'America/New_York');
};
const utc = (s: string, from: string): string | null => {
  const n = Schedule.parse(s).next(Date.parse(from));
  return n === null ? null : new Date(n).toISOString();
};

describe('cron next time (robfig semantics)', () => {
  it('steps fields in UTC', () => {
    expect(utc('*/15 * * * *', '2024-01-01T10:07:30Z')).toBe('2024-01-01T10:15:00.000Z');
    expect(utc('* * * * *', '2024-01-01T10:07:00Z')).toBe('2024-01-01T10:08:00.000Z');
    expect(utc('0 0 1 1 *', '2024-06-01T00:00:00Z')).toBe('2025-01-01T00:00:00.000Z');
    expect(utc('5/20 * * * *', '2024-01-01T10:06:00Z')).toBe('2024-01-01T10:25:00.000Z');
    expect(utc('0 9 * jan-mar mon', '2024-04-01T00:00:00Z')).toBe('2025-01-06T09:00:00.000Z');
  });
  it('expands descriptors', () => {
    expect(utc('@weekly', '2024-01-03T10:07:30Z')).toBe('2024-01-07T00:00:00.000Z');
    expect(utc('@monthly', '2024-01-03T10:07:30Z')).toBe('2024-02-01T00:00:00.000Z');
    expect(utc('@hourly', '2024-01-03T10:07:30Z')).toBe('2024-01-03T11:00:00.000Z');
    expect(utc('@daily', '2024-01-03T10:07:30Z')).toBe('2024-01-04T00:00:00.000Z');
    expect(utc('@yearly', '2024-01-03T10:07:30Z')).toBe('2025-01-01T00:00:00.000Z');
    expect(utc('@every 1h30m', '2024-01-03T10:07:30.500Z')).toBe('2024-01-03T11:37:30.000Z');
  });
  it('ORs day-of-month and day-of-week unless one is a star', () => {
    expect(utc('0 0 13 * 5', '2024-01-01T00:00:00Z')).toBe('2024-01-05T00:00:00.000Z');
    expect(utc('0 0 13 * *', '2024-01-01T00:00:00Z')).toBe('2024-01-13T00:00:00.000Z');
    // "*/2" is not a star: day-of-week 1 OR every other day-of-month.
    expect(utc('0 0 */2 * 1', '2024-01-01T12:00:00Z')).toBe('2024-01-03T00:00:00.000Z');
  });
  it('gives up on impossible dates', () => {
    expect(utc('0 0 30 2 *', '2024-01-01T00:00:00Z')).toBeNull();
  });
  it('skips wall times a spring-forward removes', () => {
    expect(inNY('30 2 11 3 *', '2012-03-11T00:00:00-05:00')).toBe('2013-03-11T02:30:00-04:00');
    expect(inNY('0 * * * *', '2012-03-11T01:00:00-05:00')).toBe('2012-03-11T03:00:00-04:00');
    expect(inNY('0 2 * * *', '2012-03-11T00:00:00-05:00')).toBe('2012-03-12T02:00:00-04:00');
  });
  it('fires twice in an hour a fall-back repeats', () => {
    expect(inNY('30 1 4 11 *', '2012-11-04T01:45:00-04:00')).toBe('2012-11-04T01:30:00-05:00');
    expect(inNY('0 * * * *', '2012-11-04T01:00:00-04:00')).toBe('2012-11-04T01:00:00-05:00');
    expect(inNY('0 * * * *', '2012-11-04T01:00:00-05:00')).toBe('2012-11-04T02:00:00-05:00');
    expect(inNY('0 1 * * *', '2012-11-04T00:00:00-04:00')).toBe('2012-11-04T01:00:00-04:00');
    expect(inNY('0 1 * * *', '2012-11-04T01:00:00-04:00')).toBe('2012-11-04T01:00:00-05:00');
    expect(inNY('0 1 * * *', '2012-11-04T01:00:00-05:00')).toBe('2012-11-05T01:00:00-05:00');
  });
  it('honours a TZ= prefix and rejects unknown zones', () => {
    const s = Schedule.parse('TZ=Asia/Tokyo 0 9 * * *');
    expect(s.timeZone).toBe('Asia/Tokyo');
    expect(new Date(s.next(Date.parse('2024-01-01T00:30:00Z'))!).toISOString()).toBe('2024-01-02T00:00:00.000Z');
    expect(() => Schedule.parse('0 9 * * *', 'Mars/Olympus')).toThrow(/unknown time zone Mars\/Olympus/);
  });
  it('maps wall times to instants across transitions', () => {
    expect(instantsOf(Date.UTC(2012, 2, 11, 2, 30), 'America/New_York')).toEqual([]);
    expect(instantsOf(Date.UTC(2012, 10, 4, 1, 30), 'America/New_York')).toEqual([Date.parse('2012-11-04T05:30:00Z'), Date.parse('2012-11-04T06:30:00Z')]);
  });
  it('formats RFC 3339 in the zone as Go does', () => {
    expect(formatInZone(Date.parse('2024-07-01T12:00:00Z'), 'Europe/Berlin')).toBe('2024-07-01T14:00:00+02:00');
    expect(formatInZone(Date.parse('2024-01-01T12:00:00Z'), 'Europe/London')).toBe('2024-01-01T12:00:00Z');
    expect(formatInZone(Date.parse('2024-01-01T12:00:00Z'), 'Asia/Kolkata')).toBe('2024-01-01T17:30:00+05:30');
  });
  it('is fast enough per minute in a DST zone', () => {
    const s = Schedule.parse('* * * * *', 'Europe/Berlin');
    let t = Date.parse('2024-03-31T00:00:00Z');
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) t = s.next(t)!;
    expect(new Date(t).toISOString()).toBe('2024-03-31T16:40:00.000Z');
    expect(performance.now() - t0).toBeLessThan(2000);
  });
  it('leaves validation messages as they were', () => {
    expect(cronScheduleError('61 * * * *')).toBe('end of range (61) above maximum (59): 61');
    expect(cronScheduleError('* * *')).toBe('expected exactly 5 fields, found 3: * * *');
    expect(cronScheduleError('@every 5m')).toBeNull();
  });
});
