import { describe, expect, it } from 'vitest';
import { parseTime, rfc3339 } from '../../../src/client/time.js';

const T0 = Date.parse('2026-12-03T09:30:00Z');

describe('rfc3339 (metav1.Time)', () => {
  it('prints RFC 3339 at whole seconds, from ms or a Date alike', () => {
    expect(rfc3339(T0 + 999)).toBe('2026-12-03T09:30:00Z');
    expect(rfc3339(new Date(T0 + 1_500))).toBe('2026-12-03T09:30:01Z');
  });
  it("prints each call's own second, also after the same second came before (its text is kept)", () => {
    expect([T0, T0 + 500, T0 + 1000, new Date(T0 + 1999), T0 - 1, T0 + 60_000, new Date(T0)].map((t) => rfc3339(t))).toEqual([
      '2026-12-03T09:30:00Z', '2026-12-03T09:30:00Z', '2026-12-03T09:30:01Z', '2026-12-03T09:30:01Z',
      '2026-12-03T09:29:59Z', '2026-12-03T09:31:00Z', '2026-12-03T09:30:00Z',
    ]);
  });
  it('parses what it prints, and nothing that is not a time', () => {
    expect(parseTime(rfc3339(T0 + 42_000))).toBe(T0 + 42_000);
    expect(parseTime('yesterday')).toBeNull();
    expect(parseTime(undefined)).toBeNull();
  });
});
