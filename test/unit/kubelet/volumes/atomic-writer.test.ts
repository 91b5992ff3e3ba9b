import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtomicWriter, cleanPath, timestampDirPrefix, validatePayloadPath, type Payload } from '../../../../src/dataplane/kubelet/volumes/atomic-writer.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-aw-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function payload(entries: Record<string, string | [string, number]>): Payload {
  const p: Payload = new Map();
  for (const [k, v] of Object.entries(entries)) {
    const [data, mode] = typeof v === 'string' ? [v, 0o644] : v;
    p.set(k, { data: Buffer.from(data), mode });
  }
  return p;
}

const FIXED = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));

describe('AtomicWriter layout', () => {
  it('writes a timestamped dir, a ..data symlink to it and one symlink per top-level name', async () => {
    const w = new AtomicWriter(dir, () => FIXED);
    const r = await w.write(payload({ 'app.conf': 'a=1', 'nested/deep/x.txt': ['x', 0o600], key: ['k', 0o400] }));
    expect(r.written).toBe(true);
    expect(r.dataDir).toMatch(/^\.\.2026_01_02_03_04_05\.\d+$/);
    const names = (await fs.readdir(dir)).sort();
    expect(names).toEqual(['..data', r.dataDir, 'app.conf', 'key', 'nested'].sort());
    expect(await fs.readlink(path.join(dir, '..data'))).toBe(r.dataDir);
    expect(await fs.readlink(path.join(dir, 'app.conf'))).toBe('..data/app.conf');
    expect(await fs.readlink(path.join(dir, 'nested'))).toBe('..data/nested');
    expect(await fs.readFile(path.join(dir, 'nested/deep/x.txt'), 'utf8')).toBe('x');
    expect((await fs.stat(path.join(dir, r.dataDir, 'nested/deep/x.txt'))).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.join(dir, r.dataDir, 'key'))).mode & 0o777).toBe(0o400);
    expect((await fs.stat(path.join(dir, r.dataDir))).mode & 0o777).toBe(0o755);
  });

  it('leaves an unchanged payload alone and swaps in a changed one, dropping removed names and the old dir', async () => {
    const w = new AtomicWriter(dir, () => FIXED);
    const first = await w.write(payload({ a: '1', b: '2' }));
    const again = await w.write(payload({ a: '1', b: '2' }));
    expect(again).toEqual({ written: false, dataDir: first.dataDir });

    const second = await w.write(payload({ a: '1!', c: '3' }));
    expect(second.written).toBe(true);
    expect(second.dataDir).not.toBe(first.dataDir);
    const names = (await fs.readdir(dir)).sort();
    expect(names).toEqual(['..data', second.dataDir, 'a', 'c'].sort());
    expect(await fs.readFile(path.join(dir, 'a'), 'utf8')).toBe('1!');
    expect(await fs.readFile(path.join(dir, 'c'), 'utf8')).toBe('3');

    // Only a removal is a change too.
    const third = await w.write(payload({ a: '1!' }));
    expect(third.written).toBe(true);
    expect((await fs.readdir(dir)).sort()).toEqual(['..data', third.dataDir, 'a'].sort());
  });

  it('an empty payload still makes ..data (an optional object that does not exist)', async () => {
    const r = await new AtomicWriter(dir).write(new Map());
    expect(await fs.readlink(path.join(dir, '..data'))).toBe(r.dataDir);
    expect(await fs.readdir(path.join(dir, r.dataDir))).toEqual([]);
  });

  it('refuses paths that could escape or collide with its own names', async () => {
    const w = new AtomicWriter(dir);
    await expect(w.write(payload({ '../x': 'no' }))).rejects.toThrow("invalid path: must not contain '..': ../x");
    await expect(w.write(payload({ '/etc/x': 'no' }))).rejects.toThrow('invalid path: must be relative path: /etc/x');
    await expect(w.write(payload({ '..data/x': 'no' }))).rejects.toThrow("invalid path: must not start with '..': ..data/x");
    await expect(w.write(payload({ ['a'.repeat(256)]: 'no' }))).rejects.toThrow('filenames must be less than or equal to 255 characters');
    expect(() => validatePayloadPath('')).toThrow('invalid path: must not be empty');
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('cleans paths as Go path.Clean and names dirs as Go formats the time', () => {
    expect(cleanPath('./a//b/./c/')).toBe('a/b/c');
    expect(cleanPath('a/../b')).toBe('b');
    expect(timestampDirPrefix(new Date(Date.UTC(2024, 10, 30, 23, 59, 9)))).toBe('..2024_11_30_23_59_09.');
  });
});
