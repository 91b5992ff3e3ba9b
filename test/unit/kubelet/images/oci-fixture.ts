/**
 * Builds OCI image layouts (and docker save archives) on disk for image store tests: layer tars made with
 * tar-stream from in-memory entries, compressed as asked, a config with Entrypoint and diff_ids, a manifest, and
 * optionally an index with a second (arm64) platform.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

export interface FixtureEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  body?: string | Buffer;
  linkname?: string;
  mode?: number;
}

export type FixtureCompression = 'none' | 'gzip' | 'zstd';

export const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export async function tarOf(entries: FixtureEntry[]): Promise<Buffer> {
  const p = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p) chunks.push(Buffer.from(c as Uint8Array));
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const mode = e.mode ?? (type === 'directory' ? 0o755 : 0o644);
    if (type === 'file') p.entry({ name: e.name, type, mode, uid: 0, gid: 0, mtime: new Date(0) }, e.body ?? '');
    else p.entry({ name: e.name, type, mode, linkname: e.linkname, uid: 0, gid: 0, mtime: new Date(0) });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A tar of a directory tree (regular files and dirs), for layouts shipped as one file. */
export async function tarOfDir(dir: string): Promise<Buffer> {
  const entries: FixtureEntry[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const rel = relative(dir, p);
      if (e.isDirectory()) {
        entries.push({ name: `${rel}/`, type: 'directory' });
        await walk(p);
      } else entries.push({ name: rel, body: await readFile(p) });
    }
  };
  await walk(dir);
  return tarOf(entries);
}

export const hasZstd = (): boolean => spawnSync('zstd', ['--version']).status === 0;

function compress(t: Buffer, c: FixtureCompression): Buffer {
  if (c === 'gzip') return gzipSync(t);
  if (c === 'zstd') {
    const r = spawnSync('zstd', ['-q', '-c'], { input: t, maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`zstd: ${r.stderr.toString()}`);
    return r.stdout;
  }
  return t;
}

const LAYER_TYPE: Record<FixtureCompression, string> = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};

export interface BuiltImage {
  manifestDigest: string;
  configDigest: string;
  /** The digest index.json points at for this image (the index when `platforms` was asked, else the manifest). */
  targetDigest: string;
  diffIDs: string[];
  layerDigests: string[];
}

export interface ImageSpec {
  /** org.opencontainers.image.ref.name: a tag or a full reference. */
  refName?: string;
  layers: FixtureEntry[][];
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  compression?: FixtureCompression;
  /** Wrap the manifest in an index with a second, arm64 manifest. */
  multiPlatform?: boolean;
  /** Write a wrong diff_id for the first layer. */
  corruptDiffID?: boolean;
}

async function putBlob(dir: string, b: Buffer): Promise<string> {
  const d = sha(b);
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'blobs', 'sha256', d.slice(7)), b);
  return d;
}

async function buildManifest(dir: string, spec: ImageSpec, arch: string): Promise<{ manifest: Buffer; configDigest: string; diffIDs: string[]; layerDigests: string[] }> {
  const c = spec.compression ?? 'gzip';
  const diffIDs: string[] = [];
  const layers: { mediaType: string; digest: string; size: number }[] = [];
  for (const entries of spec.layers) {
    const t = await tarOf(entries);
    diffIDs.push(sha(t));
    const blob = compress(t, c);
    layers.push({ mediaType: LAYER_TYPE[c], digest: await putBlob(dir, blob), size: blob.length });
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: arch,
      os: 'linux',
      config: { Entrypoint: spec.entrypoint ?? null, Cmd: spec.cmd ?? null, Env: spec.env ?? ['PATH=/bin'], WorkingDir: '/' },
      rootfs: { type: 'layers', diff_ids: spec.corruptDiffID ? [sha('wrong'), ...diffIDs.slice(1)] : diffIDs },
    }),
  );
  const configDigest = await putBlob(dir, config);
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length }, layers }));
  return { manifest, configDigest, diffIDs, layerDigests: layers.map((l) => l.digest) };
}

/** Adds an image to the OCI layout at dir (creating it), returning its digests. */
export async function addImage(dir: string, spec: ImageSpec): Promise<BuiltImage> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const amd = await buildManifest(dir, spec, 'amd64');
  const manifestDigest = await putBlob(dir, amd.manifest);
  let target = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: amd.manifest.length };
  if (spec.multiPlatform) {
    const arm = await buildManifest(dir, { ...spec, layers: [[{ name: 'arm64', body: 'not for this node' }]] }, 'arm64');
    const armDigest = await putBlob(dir, arm.manifest);
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: armDigest, size: arm.manifest.length, platform: { os: 'linux', architecture: 'arm64' } },
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: amd.manifest.length, platform: { os: 'linux', architecture: 'amd64' } },
        ],
      }),
    );
    target = { mediaType: 'application/vnd.oci.image.index.v1+json', digest: await putBlob(dir, index), size: index.length };
  }
  const indexPath = join(dir, 'index.json');
  const existing = await stat(indexPath).then(
    async () => JSON.parse(await readFile(indexPath, 'utf8')) as { manifests: unknown[] },
    () => ({ manifests: [] as unknown[] }),
  );
  existing.manifests.push({ ...target, ...(spec.refName ? { annotations: { 'org.opencontainers.image.ref.name': spec.refName } } : {}) });
  await writeFile(indexPath, JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: existing.manifests }));
  return { manifestDigest, configDigest: amd.configDigest, targetDigest: target.digest, diffIDs: amd.diffIDs, layerDigests: amd.layerDigests };
}

/** The busybox image's layer: the static binary and a few applet links. */
export async function busyboxLayer(): Promise<FixtureEntry[]> {
  return [
    { name: 'bin/', type: 'directory' },
    { name: 'bin/busybox', body: await readFile('/bin/busybox'), mode: 0o755 },
    { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
    { name: 'bin/ls', type: 'symlink', linkname: 'busybox' },
    { name: 'bin/cat', type: 'symlink', linkname: '/bin/busybox' },
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
  ];
}
