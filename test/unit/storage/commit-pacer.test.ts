import { describe, expect, it } from 'vitest';
import { CommitPacer } from '../../../src/control/storage/commit-pacer.js';

describe('CommitPacer', () => {
  it('commits at once after a quiet spell, then spaces commits while writes keep coming', () => {
    const p = new CommitPacer({ spacingMs: 4 });
    expect(p.delay(100)).toBe(0);
    p.committed(100, 1, false);
    expect(p.delay(101)).toBe(3);
    p.committed(104, 3, true);
    expect(p.delay(110)).toBe(0);
  });

  it('pauses spacing for a lone sequential writer whose waits gather nothing, and resumes after the pause', () => {
    const p = new CommitPacer({ spacingMs: 4, maxMisses: 3, pauseMs: 100 });
    p.committed(0, 1, false);
    let t = 1;
    for (let i = 0; i < 3; i++) {
      expect(p.delay(t)).toBeGreaterThan(0);
      t += p.delay(t);
      p.committed(t, 1, true);
      t += 1;
    }
    expect(p.delay(t)).toBe(0);
    p.committed(t, 1, false);
    expect(p.delay(t + 1)).toBe(0);
    // The pause began at the third miss (t - 1) and lasts 100 ms.
    p.committed(t + 98, 1, false);
    expect(p.delay(t + 98.5)).toBe(0);
    p.committed(t + 99, 1, false);
    expect(p.delay(t + 100)).toBe(3);
  });

  it('a batch of several writes ends a pause; single immediate commits count no misses', () => {
    const p = new CommitPacer({ spacingMs: 4, maxMisses: 2, pauseMs: 100 });
    p.committed(0, 1, true);
    p.committed(4, 1, true);
    expect(p.delay(5)).toBe(0);
    p.committed(5, 2, false);
    expect(p.delay(6)).toBe(3);
    p.committed(9, 1, false);
    p.committed(10, 1, false);
    expect(p.delay(11)).toBe(3);
  });

  it('spacing 0 never waits', () => {
    const p = new CommitPacer({ spacingMs: 0 });
    p.committed(0, 5, false);
    expect(p.delay(0)).toBe(0);
  });
});
