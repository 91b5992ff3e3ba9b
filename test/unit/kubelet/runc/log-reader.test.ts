import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTimeNanos, readCriLog, tailStart, type ReadLogOptions } from '../../../../src/dataplane/kubelet/runtime/runc/log-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-logr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LOG = [
  '2026-12-03T12:00:01.000000000Z stdout F one',
  '2026-12-03T12:00:02.5Z stderr F two',
  'not a record',
  '2026-12-03T12:00:03.000000001Z stdout P thr',
  '2026-12-03T12:00:03.000000002Z stdout F ee',
  '2026-12-03T12:00:04.000000000Z stdout F four',
].join('\n') + '\n';

async function read(opts: ReadLogOptions, file = 'a.log', content = LOG): Promise<string> {
  const path = join(dir, file);
  writeFileSync(path, content);
  const out: Buffer[] = [];
  await readCriLog(path, opts, (b) => out.push(b));
  return Buffer.concat(out).toString();
}

describe('readCriLog (kubectl logs)', () => {
  it('all records, partial ones joined, malformed skipped', async () => {
    expect(await read({})).toBe('one\ntwo\nthree\nfour\n');
  });

  it('tail counts records from the end', async () => {
    expect(await read({ tail: 2 })).toBe('ee\nfour\n');
    expect(await read({ tail: 0 })).toBe('');
    expect(await read({ tail: 100 })).toBe('one\ntwo\nthree\nfour\n');
    expect(tailStart(Buffer.from('a\nb\nc'), 1)).toBe(4);
  });

  it('since, streams, timestamps, limitBytes', async () => {
    expect(await read({ sinceNanos: parseTimeNanos('2026-12-03T12:00:02.5Z') })).toBe('two\nthree\nfour\n');
    expect(await read({ streams: ['stderr'] })).toBe('two\n');
    expect(await read({ timestamps: true, tail: 1 })).toBe('2026-12-03T12:00:04.000000000Z four\n');
    expect(await read({ timestamps: true, streams: ['stderr'] })).toBe('2026-12-03T12:00:02.500000000Z two\n');
    expect(await read({ limitBytes: 6 })).toBe('one\ntw');
  });

  it('a missing file is an error naming it', async () => {
    await expect(readCriLog(join(dir, 'nope.log'), {}, () => undefined)).rejects.toThrow(/nope\.log/);
  });

  it('follow: new records, then across a rotation, until the container stops', async () => {
    const path = join(dir, 'f.log');
    writeFileSync(path, '2026-12-03T12:00:01Z stdout F a\n2026-12-03T12:00:01Z stdout F half-');
    const out: string[] = [];
    let running = true;
    const done = readCriLog(path, { follow: true, pollMs: 10, isRunning: () => running }, (b) => out.push(b.toString()));
    const until = async (text: string): Promise<void> => {
      for (let i = 0; i < 200 && !out.join('').includes(text); i++) await new Promise((r) => setTimeout(r, 10));
    };
    await until('a\n');
    appendFileSync(path, 'written\n');
    await until('half-written\n');
    renameSync(path, `${path}.20261203-120000`);
    writeFileSync(path, '2026-12-03T12:00:02Z stdout F after rotation\n');
    await until('after rotation\n');
    running = false;
    await done;
    expect(out.join('')).toBe('a\nhalf-written\nafter rotation\n');
  });

  it('follow stops on abort', async () => {
    const path = join(dir, 'g.log');
    writeFileSync(path, '');
    const ac = new AbortController();
    const done = readCriLog(path, { follow: true, pollMs: 10, signal: ac.signal }, () => undefined);
    setTimeout(() => ac.abort(), 30);
    await done;
  });
});
