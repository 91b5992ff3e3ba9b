import { describe, expect, it } from 'vitest';
import { CriLineSplitter, parseCriLine, rfc3339Nano } from '../../../../src/dataplane/kubelet/runtime/runc/cri-log.js';

const T = 1_764_763_200_123_456_789n; // 2025-12-03T12:00:00.123456789Z
// Records as lines, however the splitter batches them into buffers.
const text = (bufs: Buffer[]): string[] => Buffer.concat(bufs).toString().split(/(?<=\n)/).filter(Boolean);

describe('CRI log format', () => {
  it('formats RFC3339 with nine fraction digits in UTC', () => {
    expect(rfc3339Nano(T)).toBe('2025-12-03T12:00:00.123456789Z');
    expect(rfc3339Nano(1_000_000_000n)).toBe('1970-01-01T00:00:01.000000000Z');
  });

  it('one full record per line, lines across chunks joined, empty lines kept', () => {
    const s = new CriLineSplitter('stdout', () => T);
    expect(text(s.push(Buffer.from('a\nb')))).toEqual(['2025-12-03T12:00:00.123456789Z stdout F a\n']);
    expect(text(s.push(Buffer.from('c\n\n')))).toEqual(['2025-12-03T12:00:00.123456789Z stdout F bc\n', '2025-12-03T12:00:00.123456789Z stdout F \n']);
    expect(s.end()).toEqual([]);
  });

  it('an unfinished line is a full record at end of stream', () => {
    const s = new CriLineSplitter('stderr', () => T);
    expect(s.push(Buffer.from('tail'))).toEqual([]);
    expect(text(s.end())).toEqual(['2025-12-03T12:00:00.123456789Z stderr F tail\n']);
  });

  it('long lines split into P records at the cap, then F', () => {
    const s = new CriLineSplitter('stdout', () => T, 4);
    const recs = text(s.push(Buffer.from('abcdefghij\n')));
    expect(recs.map((r) => r.slice(31))).toEqual(['stdout P abcd\n', 'stdout P efgh\n', 'stdout F ij\n']);
    // exactly the cap, then newline in the next chunk: one F record, no empty one
    expect(s.push(Buffer.from('wxyz'))).toEqual([]);
    expect(text(s.push(Buffer.from('\n'))).map((r) => r.slice(31))).toEqual(['stdout F wxyz\n']);
  });

  it('parses records back', () => {
    expect(parseCriLine('2025-12-03T12:00:00.123456789Z stderr P hi there')).toEqual({ time: '2025-12-03T12:00:00.123456789Z', stream: 'stderr', partial: true, content: 'hi there' });
    expect(parseCriLine('2025-12-03T12:00:00.1Z stdout F ')).toMatchObject({ content: '' });
    expect(parseCriLine('garbage')).toBeUndefined();
  });
});
