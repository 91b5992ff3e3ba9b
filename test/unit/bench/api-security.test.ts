/** bench/api's security comparison: its pure pieces (round order, medians, the server thread's CPU time). */
import { describe, expect, it } from 'vitest';
import { roundOrder, serverThreadCpuUs, settle, warmupPlan } from '../../../bench/api/security.js';
import { median } from '../../../bench/runner/index.js';

describe('bench/api security comparison', () => {
  it('alternates which side runs first, round by round', () => {
    expect([0, 1, 2, 3].map(roundOrder)).toEqual([['plain', 'secure'], ['secure', 'plain'], ['plain', 'secure'], ['secure', 'plain']]);
  });

  it('warms both sides with the same number of creates, each side once first and once last', () => {
    expect(warmupPlan(4000)).toEqual([
      { config: 'plain', creates: 2000 }, { config: 'secure', creates: 2000 }, { config: 'secure', creates: 2000 }, { config: 'plain', creates: 2000 },
    ]);
    expect(warmupPlan(0)).toEqual([]);
  });

  it('takes the middle of odd counts and the mean of the middle two of even ones', () => {
    expect(median([0.9, 0.7, 0.8])).toBe(0.8);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('reads utime + stime (ticks of 10 ms) from a task stat line whose command holds spaces and parentheses', () => {
    const stat = '4242 (node (main) x) S 1 4242 4242 0 -1 4194560 5000 0 0 0 123 45 0 0 20 0 11 0 100 0 0';
    expect(serverThreadCpuUs(stat)).toBe((123 + 45) * 10_000);
    expect(serverThreadCpuUs('garbage')).toBeUndefined();
  });

  it('reads this thread on Linux', () => {
    if (process.platform !== 'linux') return;
    expect(serverThreadCpuUs()).toBeGreaterThan(0);
  });

  it('settles until a window with at most one tick of the thread\'s CPU, and returns the CPU spent meanwhile', async () => {
    // A thread still busy for three windows (the last phase's connections closing), then quiet.
    const readings = [0, 0, 50_000, 50_000, 100_000, 100_000, 130_000, 130_000, 135_000];
    let i = 0;
    const spent = await settle(() => readings[Math.min(i++, readings.length - 1)], 1);
    expect(spent).toBe(135_000);
    expect(i).toBe(readings.length);
  });

  it('does not wait where the thread cannot be read', async () => {
    expect(await settle(() => undefined, 1)).toBeNaN();
  });
});
