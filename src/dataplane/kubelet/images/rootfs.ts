/**
 * A container's writable root filesystem from an image's unpacked layers: an overlay mount (lowerdirs = layers,
 * upper and work dirs beside the mount point) when we are root and every layer carries overlayfs whiteout
 * markers, else a copy that applies the layers in order, honouring whiteouts and opaque dirs itself.
 *
 *   dir/rootfs   the mount point (or the copy)  ← Rootfs.path
 *   dir/upper    the container's writes (overlay)
 *   dir/work     overlayfs scratch
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { chmod, copyFile, lchown, link, lstat, lutimes, mkdir, readFile, readdir, readlink, rm, rmdir, symlink, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Rootfs } from './types.js';
import type { LayerMeta } from './unpack.js';

const execFileP = promisify(execFile);

export interface StoreRootfs extends Rootfs {
  kind: 'overlay' | 'copy';
}

export interface RootfsOptions {
  /** false: always copy; undefined: overlay when possible. */
  overlay?: boolean;
}

/** A layer dir is <layers>/sha256/<hex>/fs with its metadata at <layers>/sha256/<hex>/meta.json. */
export async function layerMeta(layerFsDir: string): Promise<LayerMeta> {
  return JSON.parse(await readFile(join(dirname(layerFsDir), 'meta.json'), 'utf8')) as LayerMeta;
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** overlayfs takes lowerdirs top first; relative to a shared parent they keep the mount options short. */
export function overlayOptions(layers: string[], upper: string, work: string): { cwd: string; options: string } {
  const parents = new Set(layers.map((l) => dirname(dirname(l))));
  const shared = parents.size === 1 ? [...parents][0]! : undefined;
  const lower = [...layers].reverse().map((l) => (shared ? join(basename(dirname(l)), basename(l)) : l));
  return { cwd: shared ?? '/', options: `lowerdir=${lower.join(':')},upperdir=${upper},workdir=${work}` };
}

async function mountOverlay(layers: string[], target: string, upper: string, work: string): Promise<void> {
  const { cwd, options } = overlayOptions(layers, upper, work);
  await execFileP('mount', ['-t', 'overlay', 'overlay', '-o', options, target], { cwd });
}

export async function createRootfs(dir: string, layers: string[], opts: RootfsOptions = {}): Promise<StoreRootfs> {
  const path = join(dir, 'rootfs');
  const upper = join(dir, 'upper');
  const work = join(dir, 'work');
  await mkdir(path, { recursive: true });
  // Fresh means fresh: a leftover (an old mount, a half copy) is the caller's to release first.
  if ((await readdir(path)).length > 0) throw new Error(`rootfs ${path} is not empty (still mounted or left over); release it first`);
  const metas = await Promise.all(layers.map(layerMeta));
  let kind: StoreRootfs['kind'] = 'copy';
  if (opts.overlay !== false && isRoot() && layers.length > 0 && metas.every((m) => m.overlayReady)) {
    try {
      await mkdir(upper, { recursive: true });
      await mkdir(work, { recursive: true });
      await mountOverlay(layers, path, upper, work);
      kind = 'overlay';
    } catch {
      // The kernel or the place refused overlayfs (nested overlay, no CAP_SYS_ADMIN): copy instead.
      await rm(upper, { recursive: true, force: true });
      await rm(work, { recursive: true, force: true });
    }
  }
  if (kind === 'copy') {
    try {
      for (let i = 0; i < layers.length; i++) await applyLayerCopy(layers[i]!, metas[i]!, path);
    } catch (e) {
      await rm(path, { recursive: true, force: true });
      throw e;
    }
  }
  let released = false;
  return {
    path,
    kind,
    release: async () => {
      if (released) return;
      if (kind === 'overlay') await unmount(path);
      await rm(path, { recursive: true, force: true });
      await rm(upper, { recursive: true, force: true });
      await rm(work, { recursive: true, force: true });
      // The dir itself only when nothing else (a bundle's config.json, logs) lives there.
      await rmdir(dir).catch(() => undefined);
      released = true;
    },
  };
}

async function unmount(path: string): Promise<void> {
  try {
    await execFileP('umount', [path]);
  } catch (e) {
    const mounts = await readFile('/proc/self/mounts', 'utf8').catch(() => '');
    if (!mounts.split('\n').some((l) => l.split(' ')[1] === path)) return;
    // Still busy (a process holds it): detach lazily so the dir can go.
    await execFileP('umount', ['-l', path]).catch(() => {
      throw new Error(`unmount ${path}: ${(e as Error).message}`);
    });
  }
}

interface Pending {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
}

/**
 * Applies one unpacked layer onto `target` as overlayfs would show it: an opaque dir drops what lies below, a
 * whiteout removes its path, and an entry whose type differs replaces the lower one. Only real directories are
 * descended into, so the copy never follows a symlink.
 */
export async function applyLayerCopy(layerDir: string, meta: LayerMeta, target: string): Promise<void> {
  const chown = isRoot();
  const whiteoutsByDir = new Map<string, Set<string>>();
  for (const w of meta.whiteouts) {
    const i = w.lastIndexOf('/');
    const parent = i < 0 ? '' : w.slice(0, i);
    const set = whiteoutsByDir.get(parent) ?? new Set<string>();
    set.add(w.slice(i + 1));
    whiteoutsByDir.set(parent, set);
  }
  const opaques = new Set(meta.opaques);
  const inodes = new Map<number, string>();
  const dirs: Pending[] = [];

  const walk = async (rel: string, src: string, dst: string): Promise<void> => {
    if (opaques.has(rel)) {
      for (const e of await readdir(dst)) await rm(join(dst, e), { recursive: true, force: true });
    }
    const hidden = whiteoutsByDir.get(rel);
    for (const name of hidden ?? []) await rm(join(dst, name), { recursive: true, force: true });
    for (const e of await readdir(src, { withFileTypes: true })) {
      if (hidden?.has(e.name)) continue;
      const s = join(src, e.name);
      const d = join(dst, e.name);
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      const st = await lstat(s);
      const existing = await lstat(d).catch(() => undefined);
      if (st.isDirectory()) {
        if (existing && !existing.isDirectory()) await rm(d, { recursive: true, force: true });
        if (!existing || !existing.isDirectory()) await mkdir(d);
        await walk(childRel, s, d);
        dirs.push({ path: d, mode: st.mode, uid: st.uid, gid: st.gid, mtime: st.mtime });
        continue;
      }
      if (existing) await rm(d, { recursive: true, force: true });
      if (st.isSymbolicLink()) {
        await symlink(await readlink(s), d);
        if (chown) await lchown(d, st.uid, st.gid);
        await lutimes(d, st.atime, st.mtime);
      } else if (st.isFile()) {
        const first = st.nlink > 1 ? inodes.get(st.ino) : undefined;
        if (first) {
          await link(first, d);
          continue;
        }
        await copyFile(s, d, constants.COPYFILE_FICLONE);
        if (chown) await lchown(d, st.uid, st.gid);
        await chmod(d, st.mode & 0o7777);
        await utimes(d, st.atime, st.mtime);
        if (st.nlink > 1) inodes.set(st.ino, d);
      }
      // Device nodes and fifos: not reproduced, as in the unpacker.
    }
  };
  await walk('', layerDir, target);
  for (const d of dirs) {
    if (chown) await lchown(d.path, d.uid, d.gid);
    await chmod(d.path, d.mode & 0o7777);
    await utimes(d.path, d.mtime, d.mtime);
  }
}
