import { describe, expect, it } from 'vitest';
import { computeTimeline, goDuration, type TimelineInput } from '../../../../../src/dataplane/kubelet/runtime/simulated/timeline.js';
import { INSTANT_TIMING } from '../../../../../src/dataplane/kubelet/runtime/simulated/timing.js';

const T0 = Date.parse('2026-12-03T09:30:00Z');

function input(now: number, runSeconds: number | null, extra: Partial<TimelineInput> = {}): TimelineInput {
  return {
    uid: 'u',
    podDesc: 'p_default(u)',
    sandboxAt: T0,
    now,
    stopAt: null,
    timing: { ...INSTANT_TIMING, backOffBaseMs: 10_000, backOffMaxMs: 300_000 },
    initContainers: [],
    containers: [{ name: 'c', image: 'nginx' }],
    restartPolicy: 'Always',
    plan: { runMs: runSeconds === null ? null : runSeconds * 1000, exitCode: 1 },
    ...extra,
  };
}

/** Start times of each run of container c, found by following `next`. */
function runStarts(runSeconds: number, horizonMs: number): number[] {
  const starts: number[] = [];
  let now = T0;
  for (let i = 0; i < 200 && now <= T0 + horizonMs; i++) {
    const t = computeTimeline(input(now, runSeconds));
    const c = t.runtime.get('c')!;
    if (c.state === 'running' && starts.at(-1) !== c.startedAt) starts.push(c.startedAt);
    if (t.next === null) break;
    now = t.next;
  }
  return starts.map((s) => (s - T0) / 1000);
}

describe('computeTimeline', () => {
  it('restarts immediately once, then after 10s, 20s, 40s ... as the kubelet back-off', () => {
    // runs of 1 s: exits at 1, 3 (restart +0 after first exit: 1 → start 1; exit 2 → wait 10 → 12; exit 13 → wait 20 → 33 ...)
    expect(runStarts(1, 200_000)).toEqual([0, 1, 12, 33, 74, 155]);
  });

  it('caps the back-off at 5 minutes', () => {
    const starts = runStarts(1, 3_000_000);
    const gaps = starts.slice(1).map((s, i) => s - starts[i]! - 1);
    expect(Math.max(...gaps)).toBe(300);
  });

  it('resets the back-off when runs last longer than twice the cap', () => {
    const starts = runStarts(700, 3_000_000);
    // each exit is more than 10 minutes after the previous one: no back-off at all
    expect(starts.slice(0, 4)).toEqual([0, 700, 1400, 2100]);
  });

  it('jumps over whole cycles far in the future and agrees with stepping', () => {
    const far = T0 + 30 * 86_400_000;
    const t = computeTimeline(input(far, 1));
    const c = t.runtime.get('c')!;
    // steady cycle: 1 s run + 300 s back-off
    expect(c.restartCount).toBeGreaterThan(8000);
    expect(t.next).not.toBeNull();
    expect(t.next! - far).toBeLessThanOrEqual(301_000);
  });

  it('waits for the sandbox, and a deletion stops running containers with 137', () => {
    expect(computeTimeline(input(T0 - 5, null)).next).toBe(T0);
    const t = computeTimeline(input(T0 + 10_000, null, { stopAt: T0 + 2000 }));
    expect(t.killed).toBe(true);
    expect(t.runtime.get('c')).toMatchObject({ state: 'exited', exitCode: 137, reason: 'Error', finishedAt: T0 + 2000 });
    expect(t.next).toBeNull();
    expect(t.sandboxReady).toBe(false);
  });

  it('prints back-off durations as Go does', () => {
    expect(goDuration(10_000)).toBe('10s');
    expect(goDuration(80_000)).toBe('1m20s');
    expect(goDuration(300_000)).toBe('5m0s');
  });
});
