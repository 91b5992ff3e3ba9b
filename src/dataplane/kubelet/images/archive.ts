/**
 * Image archives on disk, read for `skiff image load`: an OCI image layout (a directory, or a tar of one) and a
 * `docker save` tarball (manifest.json with Config/RepoTags/Layers; from it an OCI manifest is made, as
 * containerd's import does). A tar is first unpacked into a scratch dir with the same safe unpacker as layers.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ImageFormatError, MediaType, parseIndex, sniffCompression, type Descriptor } from './media.js';
import { TAG_RE, formatReference, normalizeImage, validateDigest } from './reference.js';
import { fileHead, unpackLayer } from './unpack.js';

export interface ArchiveImage {
  /** Normalised reference the image will be known by. */
  name: string;
  /** The index or manifest the name points at. */
  target: Descriptor;
}

export interface ImageArchive {
  images: ArchiveImage[];
  /** Where a blob's bytes are: a file in the archive, or bytes made while reading it. */
  blob(digest: string): { path: string } | { bytes: Buffer } | undefined;
}

const exists = async (p: string): Promise<boolean> => access(p).then(
  () => true,
  () => false,
);

async function fileDigest(path: string): Promise<{ digest: string; size: number }> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return { digest: `sha256:${h.digest('hex')}`, size: (await stat(path)).size };
}

/** The name of a layout's index entry: a full reference, or a bare tag joined to `repo` (`--name`). */
export function layoutEntryName(annotations: Record<string, string> | undefined, repo: string | undefined, where: string): string {
  const full = annotations?.['io.containerd.image.name'];
  const refName = annotations?.['org.opencontainers.image.ref.name'];
  let s: string | undefined;
  if (full) s = full;
  else if (refName && !(TAG_RE.test(refName) && !refName.includes(':'))) s = refName;
  else if (refName) {
    if (!repo) throw new ImageFormatError(`${where}: names the image only by tag ${JSON.stringify(refName)}; give a repository with --name`);
    s = `${repo.replace(/:[\w][\w.-]*$/, '')}:${refName}`;
  } else if (repo) s = repo;
  else throw new ImageFormatError(`${where}: has no org.opencontainers.image.ref.name annotation; give a name with --name`);
  const ref = normalizeImage(s);
  if (ref.digest !== undefined) delete ref.tag;
  return formatReference(ref);
}

async function readOciLayout(dir: string, repo: string | undefined): Promise<ImageArchive> {
  const index = parseIndex(await readFile(join(dir, 'index.json')), 'index.json');
  const images = index.manifests.map((d, i) => ({ name: layoutEntryName(d.annotations, repo, `index.json manifests[${i}]`), target: { mediaType: d.mediaType, digest: d.digest, size: d.size } }));
  return {
    images,
    blob: (digest) => ({ path: join(dir, 'blobs', 'sha256', validateDigest(digest).slice('sha256:'.length)) }),
  };
}

interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

async function readDockerSave(dir: string, repo: string | undefined): Promise<ImageArchive> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  } catch (e) {
    throw new ImageFormatError(`manifest.json: ${(e as Error).message}`);
  }
  if (!Array.isArray(raw)) throw new ImageFormatError('manifest.json: not a JSON array');
  const files = new Map<string, string>();
  const made = new Map<string, Buffer>();
  const images: ArchiveImage[] = [];
  for (const [i, e] of (raw as DockerSaveEntry[]).entries()) {
    if (typeof e?.Config !== 'string') throw new ImageFormatError(`manifest.json[${i}].Config: required string`);
    if (!Array.isArray(e.Layers)) throw new ImageFormatError(`manifest.json[${i}].Layers: required array`);
    const config = await fileDigest(join(dir, e.Config));
    files.set(config.digest, join(dir, e.Config));
    const layers: Descriptor[] = [];
    for (const [j, l] of e.Layers.entries()) {
      if (typeof l !== 'string') throw new ImageFormatError(`manifest.json[${i}].Layers[${j}]: required string`);
      const p = join(dir, l);
      const d = await fileDigest(p);
      files.set(d.digest, p);
      const c = sniffCompression(await fileHead(p));
      layers.push({ mediaType: c === 'gzip' ? MediaType.ociLayerGzip : c === 'zstd' ? MediaType.ociLayerZstd : MediaType.ociLayer, digest: d.digest, size: d.size });
    }
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: MediaType.ociConfig, digest: config.digest, size: config.size }, layers }));
    const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    made.set(digest, manifest);
    const target = { mediaType: MediaType.ociManifest, digest, size: manifest.length };
    const tags = e.RepoTags ?? [];
    if (tags.length === 0) {
      if (!repo) throw new ImageFormatError(`manifest.json[${i}]: has no RepoTags; give a name with --name`);
      images.push({ name: layoutEntryName(undefined, repo, `manifest.json[${i}]`), target });
    }
    for (const t of tags) images.push({ name: layoutEntryName({ 'io.containerd.image.name': t }, undefined, `manifest.json[${i}]`), target });
  }
  return {
    images,
    blob: (digest) => {
      const b = made.get(digest);
      if (b) return { bytes: b };
      const p = files.get(digest);
      return p ? { path: p } : undefined;
    },
  };
}

/** Reads an archive directory: an OCI layout when index.json is there, else a docker save. */
export async function readImageArchiveDir(dir: string, repo?: string): Promise<ImageArchive> {
  if (await exists(join(dir, 'index.json'))) return readOciLayout(dir, repo);
  if (await exists(join(dir, 'manifest.json'))) return readDockerSave(dir, repo);
  throw new ImageFormatError(`${dir}: neither an OCI image layout (index.json) nor a docker save archive (manifest.json)`);
}

/** Unpacks a tar (optionally gzip/zstd) archive into scratch, then reads it. */
export async function unpackArchiveTar(file: string, scratch: string): Promise<void> {
  const c = sniffCompression(await fileHead(file));
  await unpackLayer(createReadStream(file), c, scratch, { chown: false, overlayMarkers: false });
}
