import { lstat, mkdtemp, readFile, readdir, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import tar from 'tar-stream';
import { sha256Of } from '../../../../src/dataplane/kubelet/images/content.js';
import { LayerError, unpackLayer } from '../../../../src/dataplane/kubelet/images/unpack.js';

type E = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo'; body?: string; linkname?: string; mode?: number; uid?: number; gid?: number };

async function tarOf(entries: E[]): Promise<Buffer> {
  const p = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p) chunks.push(Buffer.from(c as Uint8Array));
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const mode = e.mode ?? (type === 'directory' ? 0o755 : 0o644);
    if (type === 'file') p.entry({ name: e.name, type, mode, uid: e.uid ?? 0, gid: e.gid ?? 0 }, e.body ?? '');
    else p.entry({ name: e.name, type, mode, linkname: e.linkname, uid: e.uid ?? 0, gid: e.gid ?? 0 });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'skiff-unpack-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const opts = { chown: false, overlayMarkers: false };

describe('layer unpacking', () => {
  it('writes files, dirs, symlinks and hard links with their modes, and returns the diffID of the uncompressed tar', async () => {
    const t = await tarOf([
      { name: 'bin/', type: 'directory', mode: 0o750 },
      { name: 'bin/busybox', body: 'ELF', mode: 0o4755 },
      { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
      { name: 'bin/ls', type: 'link', linkname: 'bin/busybox' },
      { name: 'etc/motd', body: 'hi\n' },
      { name: 'dev/null', type: 'fifo' },
    ]);
    const dest = join(base, 'l1');
    const meta = await unpackLayer(Readable.from(gzipSync(t)), 'gzip', dest, opts);
    expect(meta.diffID).toBe(sha256Of(t));
    expect(meta.sizeBytes).toBe(6);
    expect(meta.skipped).toBe(1);
    expect(meta.whiteouts).toEqual([]);
    expect(meta.overlayReady).toBe(true);
    expect(await readFile(join(dest, 'bin/busybox'), 'utf8')).toBe('ELF');
    expect((await stat(join(dest, 'bin/busybox'))).mode & 0o7777).toBe(0o4755);
    expect((await stat(join(dest, 'bin'))).mode & 0o7777).toBe(0o750);
    expect(await readlink(join(dest, 'bin/sh'))).toBe('busybox');
    expect((await stat(join(dest, 'bin/ls'))).ino).toBe((await stat(join(dest, 'bin/busybox'))).ino);
    expect(await readFile(join(dest, 'etc/motd'), 'utf8')).toBe('hi\n');
  });

  it('records whiteouts and opaque dirs instead of writing them as files', async () => {
    const t = await tarOf([
      { name: 'etc/.wh.passwd' },
      { name: 'var/cache/.wh..wh..opq' },
      { name: 'var/cache/new', body: 'x' },
      { name: '.wh.tmp' },
    ]);
    const dest = join(base, 'l2');
    const meta = await unpackLayer(Readable.from(t), 'none', dest, opts);
    expect(meta.whiteouts).toEqual(['etc/passwd', 'tmp']);
    expect(meta.opaques).toEqual(['var/cache']);
    expect(meta.overlayReady).toBe(false);
    expect(await readdir(join(dest, 'etc'))).toEqual([]);
    expect(await readdir(join(dest, 'var/cache'))).toEqual(['new']);
  });

  it.skipIf(process.getuid?.() !== 0)('makes overlayfs whiteout devices when it can (root)', async () => {
    const dest = join(base, 'l3');
    const meta = await unpackLayer(Readable.from(await tarOf([{ name: 'etc/.wh.passwd' }])), 'none', dest, { chown: true, overlayMarkers: true });
    expect(meta.overlayReady).toBe(true);
    const st = await lstat(join(dest, 'etc/passwd'));
    expect(st.isCharacterDevice()).toBe(true);
    expect(st.rdev).toBe(0);
  });

  it('refuses names with ".." and leaves nothing outside the layer', async () => {
    const dest = join(base, 'l4');
    await expect(unpackLayer(Readable.from(await tarOf([{ name: '../evil', body: 'x' }])), 'none', dest, opts)).rejects.toThrow(/"\.\.\/evil": path escapes the layer root/);
    await expect(stat(join(base, 'evil'))).rejects.toThrow();
    await expect(unpackLayer(Readable.from(await tarOf([{ name: 'a/../../evil2', body: 'x' }])), 'none', join(base, 'l5'), opts)).rejects.toBeInstanceOf(LayerError);
    await expect(stat(join(base, 'evil2'))).rejects.toThrow();
  });

  it('refuses hard links that point out of the layer', async () => {
    const t = await tarOf([{ name: 'passwd', type: 'link', linkname: '../../../etc/passwd' }]);
    await expect(unpackLayer(Readable.from(t), 'none', join(base, 'l6'), opts)).rejects.toThrow(/hard link target.*path escapes the layer root/);
    const t2 = await tarOf([{ name: 'passwd', type: 'link', linkname: '/etc/passwd' }]);
    await expect(unpackLayer(Readable.from(t2), 'none', join(base, 'l7'), opts)).rejects.toThrow(/is not in this layer/);
  });

  it('resolves writes through symlinks inside the layer root, never on the host', async () => {
    const outside = join(base, 'outside');
    const t = await tarOf([
      { name: 'abs', type: 'symlink', linkname: outside },
      { name: 'abs/evil', body: 'x' },
      { name: 'rel', type: 'symlink', linkname: '../../../../..' + outside },
      { name: 'rel/evil2', body: 'y' },
      { name: 'hl', type: 'link', linkname: 'abs/evil' },
    ]);
    const dest = join(base, 'l8');
    await unpackLayer(Readable.from(t), 'none', dest, opts);
    await expect(stat(outside)).rejects.toThrow();
    // An absolute link target restarts at the layer root; `..` stops there.
    expect(await readFile(join(dest, outside, 'evil'), 'utf8')).toBe('x');
    expect(await readFile(join(dest, outside, 'evil2'), 'utf8')).toBe('y');
    expect(await readFile(join(dest, 'hl'), 'utf8')).toBe('x');
    expect(await readlink(join(dest, 'abs'))).toBe(outside);
  });

  it('reports a corrupt gzip stream as a layer error', async () => {
    const gz = gzipSync(await tarOf([{ name: 'a', body: 'x'.repeat(1000) }]));
    gz[gz.length - 6] ^= 0xff;
    await expect(unpackLayer(Readable.from(gz), 'gzip', join(base, 'l9'), opts)).rejects.toBeInstanceOf(LayerError);
  });
});
