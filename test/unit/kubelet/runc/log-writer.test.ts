import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { LogWriter, rotationSuffix } from '../../../../src/dataplane/kubelet/runtime/runc/log-writer.js';
import { CriLineSplitter } from '../../../../src/dataplane/kubelet/runtime/runc/cri-log.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-logw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('LogWriter', () => {
  it('names rotated files like the kubelet', () => {
    expect(rotationSuffix(Date.parse('2026-12-03T09:08:07.654Z'))).toBe('20261203-090807');
  });

  it('rotates at maxBytes, gzips all but the newest rotated file, keeps maxFiles in all', async () => {
    let t = Date.parse('2026-12-03T12:00:00Z');
    // A directory of its own: the listing below must hold this writer's files only, whichever test ran first.
    const own = mkdtempSync(join(dir, 'rotate-'));
    const path = join(own, 'c.log');
    const w = new LogWriter(path, { maxBytes: 10, maxFiles: 3 }, () => (t += 1000));
    await w.open();
    for (const line of ['aaaaaaaaaa\n', 'bbbbbbbbbb\n', 'cccccccccc\n', 'dddddddddd\n', 'e\n']) w.write(Buffer.from(line));
    await w.close();
    expect(readdirSync(own).sort()).toEqual(['c.log', 'c.log.20261203-120003.gz', 'c.log.20261203-120004']);
    expect(readFileSync(path, 'utf8')).toBe('e\n');
    expect(readFileSync(join(own, 'c.log.20261203-120004'), 'utf8')).toBe('dddddddddd\n');
    expect(gunzipSync(readFileSync(join(own, 'c.log.20261203-120003.gz'))).toString()).toBe('cccccccccc\n');
  });

  it('appends to an existing file and counts its size', async () => {
    const path = join(dir, 'd.log');
    const w1 = new LogWriter(path, { maxBytes: 0, maxFiles: 5 });
    await w1.open();
    w1.write(Buffer.from('one\n'));
    await w1.close();
    const w2 = new LogWriter(path, { maxBytes: 0, maxFiles: 5 });
    await w2.open();
    w2.write(Buffer.from('two\n'));
    await w2.close();
    expect(readFileSync(path, 'utf8')).toBe('one\ntwo\n');
  });
});

describe('CriLineSplitter.flushPartial', () => {
  it('an unfinished line at a reader stop is a P record', () => {
    const s = new CriLineSplitter('stdout', () => 0n);
    s.push(Buffer.from('half'));
    expect(s.flushPartial().map((b) => b.toString())).toEqual(['1970-01-01T00:00:00.000000000Z stdout P half\n']);
    expect(s.flushPartial()).toEqual([]);
  });
});
