import { describe, expect, it } from 'vitest';
import { LogOptionsError, logOptionsQuery, parsePodLogOptions, sinceNanos } from '../../../../src/dataplane/kubelet/streaming/log-options.js';

const err = (q: Record<string, string>): LogOptionsError => {
  try {
    parsePodLogOptions(q);
  } catch (e) {
    return e as LogOptionsError;
  }
  throw new Error('expected an error');
};

describe('PodLogOptions from a query', () => {
  it('reads booleans as apimachinery does and integers as ParseInt', () => {
    expect(parsePodLogOptions({ follow: 'true', previous: '0', timestamps: 'FALSE', tailLines: '10', limitBytes: '+5', container: 'c' })).toEqual({
      follow: true, previous: false, timestamps: false, tailLines: 10, limitBytes: 5, container: 'c',
    });
    expect(parsePodLogOptions({ follow: '' }).follow).toBe(true);
    expect(parsePodLogOptions({})).toEqual({ follow: false, previous: false, timestamps: false });
  });

  it('a value that does not parse is a 400 naming the parser; invalid values are 422 with upstream words', () => {
    expect(err({ tailLines: 'x' })).toMatchObject({ code: 400, field: 'tailLines', message: 'strconv.ParseInt: parsing "x": invalid syntax' });
    expect(err({ tailLines: '-1' })).toMatchObject({ code: 422, message: 'tailLines: Invalid value: -1: must be greater than or equal to 0' });
    expect(err({ limitBytes: '0' })).toMatchObject({ code: 422, message: 'limitBytes: Invalid value: 0: must be greater than 0' });
    expect(err({ sinceSeconds: '0' })).toMatchObject({ code: 422, message: 'sinceSeconds: Invalid value: 0: must be greater than 0' });
    expect(err({ sinceSeconds: '5', sinceTime: '2026-01-01T00:00:00Z' })).toMatchObject({ code: 422, field: 'sinceSeconds' });
    expect(err({ sinceTime: 'yesterday' })).toMatchObject({ code: 400, field: 'sinceTime' });
  });

  it('sinceTime and sinceSeconds become the earliest record time; the agent query round-trips', () => {
    const t = parsePodLogOptions({ sinceTime: '2026-01-02T03:04:05.5Z' });
    expect(sinceNanos(t, 0)).toBe(BigInt(Date.parse('2026-01-02T03:04:05Z')) * 1_000_000n + 500_000_000n);
    expect(sinceNanos(parsePodLogOptions({ sinceSeconds: '10' }), 100_000)).toBe(90_000n * 1_000_000n);
    expect(sinceNanos(parsePodLogOptions({}), 5)).toBeUndefined();
    const o = parsePodLogOptions({ follow: '1', tailLines: '3', sinceSeconds: '7', timestamps: 'true' });
    const back = parsePodLogOptions(Object.fromEntries(logOptionsQuery(o)));
    expect(back).toEqual({ follow: true, previous: false, timestamps: true, tailLines: 3, sinceSeconds: 7 });
  });
});
