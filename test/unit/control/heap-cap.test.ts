import { describe, expect, test } from 'vitest';
import { heapCapDue, startHeapCap } from '../../../src/control/heap-cap.js';

const MB = 2 ** 20;

describe('heap cap of a component thread', () => {
  test('collects once the old generation outgrows (1 + percent/100) times what survived, never below the floor', () => {
    // 30% of a 300 MB live heap is 90 MB of room.
    expect(heapCapDue(300 * MB + 89 * MB, 300 * MB, 30)).toBe(false);
    expect(heapCapDue(300 * MB + 91 * MB, 300 * MB, 30)).toBe(true);
    // A 20 MB heap: 30% would be 6 MB; the 16 MB floor holds instead.
    expect(heapCapDue(20 * MB + 15 * MB, 20 * MB, 30)).toBe(false);
    expect(heapCapDue(20 * MB + 17 * MB, 20 * MB, 30)).toBe(true);
    expect(heapCapDue(10 * MB, 300 * MB, 30)).toBe(false);
  });

  test('a thread whose heap grows past the cap collects it; 0 leaves V8 alone', async () => {
    const off = startHeapCap(0, 5);
    const on = startHeapCap(10, 5);
    // Retained long enough to be promoted into the old generation: ~48 MB of small objects.
    const held: { i: number; s: string }[][] = [];
    for (let i = 0; i < 48; i++) held.push(Array.from({ length: 16_384 }, (_, j) => ({ i: j, s: `v${i}-${j}` })));
    const deadline = Date.now() + 5000;
    while (on.collections() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(held.length).toBe(48);
    expect(on.collections()).toBeGreaterThan(0);
    expect(off.collections()).toBe(0);
    on.stop();
    off.stop();
  });
});
