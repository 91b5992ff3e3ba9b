import { describe, expect, test } from 'vitest';
import { cronScheduleError } from '../../../../src/control/api/validation/cron.js';

describe('cron schedules', () => {
  test('valid forms', () => {
    for (const s of ['*/5 * * * *', '0 0 1 jan-mar MON-FRI', '@hourly', '@every 1h30m', '15,45 9-17 * * 1-5', '0 0 ? * *']) {
      expect(cronScheduleError(s), s).toBeNull();
    }
  });
  test('invalid forms say why', () => {
    expect(cronScheduleError('* * * *')).toBe('expected exactly 5 fields, found 4: * * * *');
    expect(cronScheduleError('61 * * * *')).toBe('end of range (61) above maximum (59): 61');
    expect(cronScheduleError('0 0 0 * *')).toBe('beginning of range (0) below minimum (1): 0');
    expect(cronScheduleError('@fortnightly')).toBe('unrecognized descriptor: @fortnightly');
    expect(cronScheduleError('*/0 * * * *')).toMatch(/step of range/);
  });
});
