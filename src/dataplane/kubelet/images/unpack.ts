/**
 * Unpacks one layer tar (plain, gzip or zstd) into its own directory, as overlayfs expects a lower layer:
 * OCI whiteouts (.wh.<name>) become 0/0 character devices and opaque markers (.wh..wh..opq) the
 * trusted.overlay.opaque xattr; both are also listed in the layer's metadata so a copy can honour them without
 * overlayfs. Nothing is ever written outside the layer dir: names with `..` are refused, and symlinks met on the
 * way to an entry resolve inside the layer root (as containerd's fs.RootPath does), never on the host.
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import tar from 'tar-stream';
import { HashingStream } from './content.js';
import type { Compression } from './media.js';

const execFileP = promisify(execFile);

export interface LayerMeta {
  diffID: string;
  /** Layer-relative paths hidden in the layers below (from .wh.<name>). */
  whiteouts: string[];
  /** Layer-relative dirs whose lower contents are hidden (from .wh..wh..opq); '' is the root. */
  opaques: string[];
  /** The overlayfs markers for every whiteout and opaque dir exist, so the dir can be an overlay lowerdir. */
  overlayReady: boolean;
  /** Bytes of regular files written. */
  sizeBytes: number;
  /** Entries not reproduced (device nodes, fifos), counted for the record. */
  skipped: number;
}

/** A layer that cannot be unpacked safely or faithfully; the message names the entry. */
export class LayerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayerError';
  }
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE = '.wh..wh..opq';
const MAX_SYMLINKS = 40;

/** An entry name as path components; `..` anywhere is an escape attempt, refused. */
export function entryComponents(name: string, what = 'entry'): string[] {
  const comps = name.split('/').filter((c) => c !== '' && c !== '.');
  if (comps.includes('..')) throw new LayerError(`layer ${what} ${JSON.stringify(name)}: path escapes the layer root (contains "..")`);
  return comps;
}

/**
 * The host path for `comps` under root, following symlinks met in the parent components within root (an
 * absolute target restarts at root, `..` stops at root). The last component is not followed.
 */
export async function resolveInRoot(root: string, comps: string[]): Promise<string> {
  let stack: string[] = [];
  let queue = comps.slice(0, -1);
  let links = 0;
  while (queue.length) {
    const c = queue.shift()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      stack.pop();
      continue;
    }
    const p = join(root, ...stack, c);
    let isLink = false;
    try {
      isLink = (await lstat(p)).isSymbolicLink();
    } catch {
      // Missing: it will be created as a directory.
    }
    if (!isLink) {
      stack.push(c);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw new LayerError(`layer entry ${JSON.stringify(comps.join('/'))}: too many levels of symbolic links`);
    const target = await readlink(p);
    if (target.startsWith('/')) stack = [];
    queue = [...target.split('/'), ...queue];
  }
  const last = comps[comps.length - 1];
  return last === undefined ? join(root, ...stack) : join(root, ...stack, last);
}

class ZstdDecompress extends Transform {
  private readonly d = new Decompress((chunk) => this.push(Buffer.from(chunk)));
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    try {
      this.d.push(chunk);
      cb();
    } catch (e) {
      cb(new LayerError(`zstd: ${(e as Error).message}`));
    }
  }
  override _flush(cb: (err?: Error | null) => void): void {
    try {
      this.d.push(new Uint8Array(0), true);
      cb();
    } catch (e) {
      cb(new LayerError(`zstd: ${(e as Error).message}`));
    }
  }
}

export function decompressor(c: Compression): Transform {
  if (c === 'gzip') return createGunzip();
  if (c === 'zstd') return new ZstdDecompress();
  return new PassThrough();
}

/** The first bytes of a file, for sniffing its compression. */
export async function fileHead(path: string, n = 4): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(n);
    const { bytesRead } = await fh.read(b, 0, n, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function removeIfPresent(p: string): Promise<void> {
  await rm(p, { recursive: true, force: true });
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await lstat(p)).isDirectory();
  } catch {
    return false;
  }
}

interface DirAttrs {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  mtime?: Date;
}

export interface UnpackOptions {
  /** Set file owners from the tar (needs root); defaults to whether we are root. */
  chown?: boolean;
  /** Create overlayfs whiteout/opaque markers; defaults to whether we are root. */
  overlayMarkers?: boolean;
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Unpacks the tar stream `source` (compression given) into `dest` (created), returning the uncompressed
 * digest (the diffID) and the whiteout record. The caller checks the diffID against the image config.
 */
export async function unpackLayer(source: Readable, compression: Compression, dest: string, opts: UnpackOptions = {}): Promise<LayerMeta> {
  const doChown = opts.chown ?? isRoot();
  const markers = opts.overlayMarkers ?? isRoot();
  await mkdir(dest, { recursive: true });
  const whiteouts = new Set<string>();
  const opaques = new Set<string>();
  const dirs = new Map<string, DirAttrs>();
  let sizeBytes = 0;
  let skipped = 0;
  const rel = (hostPath: string): string => relative(dest, hostPath).split(sep).join('/');

  const owner = async (p: string, h: tar.Header): Promise<void> => {
    if (doChown) await lchown(p, h.uid ?? 0, h.gid ?? 0);
  };

  const handle = async (h: tar.Header, body: Readable): Promise<void> => {
    const comps = entryComponents(h.name);
    const type = h.type ?? 'file';
    if (comps.length === 0) {
      // The root itself ("./"): keep its mode for the end.
      if (type === 'directory') dirs.set(dest, { path: dest, mode: h.mode ?? 0o755, uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: h.mtime });
      body.resume();
      return;
    }
    const target = await resolveInRoot(dest, comps);
    const parent = target.slice(0, target.length - comps[comps.length - 1]!.length - 1);
    const base = comps[comps.length - 1]!;
    await mkdir(parent, { recursive: true });
    if (base === OPAQUE) {
      opaques.add(rel(parent));
      body.resume();
      return;
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const name = base.slice(WHITEOUT_PREFIX.length);
      if (name === '' || name === '.' || name === '..') throw new LayerError(`layer entry ${JSON.stringify(h.name)}: invalid whiteout name`);
      const hidden = join(parent, name);
      whiteouts.add(rel(hidden));
      body.resume();
      return;
    }
    switch (type) {
      case 'directory': {
        if (!(await isDir(target))) {
          await removeIfPresent(target);
          await mkdir(target);
        }
        dirs.set(target, { path: target, mode: h.mode ?? 0o755, uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: h.mtime });
        body.resume();
        return;
      }
      case 'file':
      case 'contiguous-file': {
        await removeIfPresent(target);
        // 'wx': never through a symlink someone slipped in at the last component.
        await pipeline(body, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
        await owner(target, h);
        await chmod(target, (h.mode ?? 0o644) & 0o7777);
        if (h.mtime) await utimes(target, h.mtime, h.mtime);
        sizeBytes += h.size ?? 0;
        return;
      }
      case 'symlink': {
        body.resume();
        await removeIfPresent(target);
        await symlink(h.linkname ?? '', target);
        await owner(target, h);
        if (h.mtime) await lutimes(target, h.mtime, h.mtime);
        return;
      }
      case 'link': {
        body.resume();
        const linkComps = entryComponents(h.linkname ?? '', `hard link target of ${JSON.stringify(h.name)}:`);
        if (linkComps.length === 0) throw new LayerError(`layer entry ${JSON.stringify(h.name)}: empty hard link target`);
        const source = await resolveInRoot(dest, linkComps);
        try {
          await lstat(source);
        } catch {
          throw new LayerError(`layer entry ${JSON.stringify(h.name)}: hard link target ${JSON.stringify(h.linkname)} is not in this layer`);
        }
        if (source === target) return;
        await removeIfPresent(target);
        await link(source, target);
        return;
      }
      default:
        // Device nodes and fifos are not reproduced (containers get /dev from the runtime).
        body.resume();
        skipped++;
    }
  };

  const extract = tar.extract();
  extract.on('entry', (h, body, next) => {
    // streamx streams interoperate with node's pipeline; the typings do not say so.
    handle(h, body as unknown as Readable).then(
      () => next(),
      (e: unknown) => {
        body.resume();
        next(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
  const hasher = new HashingStream();
  try {
    await pipeline(source, decompressor(compression), hasher, extract);
  } catch (e) {
    if (e instanceof LayerError) throw e;
    throw new LayerError(`layer tar: ${(e as Error).message}`);
  }

  // Directory modes last, deepest first, so a read-only dir did not block its own entries.
  for (const d of [...dirs.values()].sort((a, b) => b.path.length - a.path.length)) {
    if (doChown) await lchown(d.path, d.uid, d.gid);
    await chmod(d.path, d.mode & 0o7777);
    if (d.mtime) await utimes(d.path, d.mtime, d.mtime);
  }

  const overlayReady = markers ? await writeOverlayMarkers(dest, [...whiteouts], [...opaques]) : whiteouts.size === 0 && opaques.size === 0;
  return { diffID: hasher.digest(), whiteouts: [...whiteouts].sort(), opaques: [...opaques].sort(), overlayReady, sizeBytes, skipped };
}

/** overlayfs's own whiteout format; false when a marker could not be made (no root, no setfattr). */
async function writeOverlayMarkers(dest: string, whiteouts: string[], opaques: string[]): Promise<boolean> {
  try {
    for (const w of whiteouts) {
      const p = join(dest, w);
      await removeIfPresent(p);
      await execFileP('mknod', [p, 'c', '0', '0']);
    }
    if (opaques.length) await execFileP('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', ...opaques.map((o) => join(dest, o))]);
    return true;
  } catch {
    return false;
  }
}
