import { describe, expect, it } from 'vitest';
import { Limiter } from '../../../src/dataplane/kubelet/limiter.js';

describe('Limiter', () => {
  it('runs at most `limit` tasks at once, in FIFO order, and reports idle', async () => {
    const l = new Limiter(3);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const tasks = Array.from({ length: 10 }, (_, i) =>
      l.run(async () => {
        active++;
        peak = Math.max(peak, active);
        order.push(i);
        await new Promise((r) => setTimeout(r, 5));
        active--;
        if (i === 4) throw new Error('task 4');
        return i;
      }),
    );
    const results = await Promise.allSettled(tasks);
    await l.idle();
    expect(peak).toBe(3);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(results[4]).toMatchObject({ status: 'rejected' });
    expect(results[9]).toEqual({ status: 'fulfilled', value: 9 });
    expect(l.inFlight).toBe(0);
    expect(() => new Limiter(0)).toThrow(/positive integer/);
  });
});
