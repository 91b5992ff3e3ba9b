/**
 * The node's image store (the ImageService of a real node), in one data dir:
 *
 *   blobs/sha256/<hex>              manifests, indexes, configs, compressed layers; verified on the way in
 *   layers/sha256/<diffID hex>/fs   one unpacked layer, shared by every image that has it (+ meta.json beside)
 *   index.json                      normalised reference → { target digest, platform manifest digest }
 *
 * An image is present when its reference is in the index and all its layers are unpacked. ensure() takes the
 * pull policy already resolved by the caller (the API server defaults `imagePullPolicy` to Always for `:latest`
 * or untagged images and IfNotPresent otherwise); errors carry the kubelet's reasons and messages. One process is
 * expected to write a data dir at a time; concurrent pulls of one reference or one layer within it are shared.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readImageArchiveDir, unpackArchiveTar, type ImageArchive } from './archive.js';
import { ContentStore } from './content.js';
import { ImageFormatError, isIndexType, isManifestType, parseConfig, parseIndex, parseManifest, selectPlatform, sniffCompression, type Descriptor, type Manifest, type ParsedConfig } from './media.js';
import { ReferenceFormatError, formatReference, normalizeImage, repository, type ImageReference } from './reference.js';
import { RegistryClient, type FetchLike } from './registry.js';
import { createRootfs, type RootfsOptions, type StoreRootfs } from './rootfs.js';
import { ImageError, type EnsureImageOptions, type ImageService, type RegistryCredential, type StoredImage } from './types.js';
import { fileHead, unpackLayer, type LayerMeta } from './unpack.js';

interface RefRecord {
  /** What the reference points at: an index or a manifest (the image's repo digest). */
  target: string;
  /** The linux/amd64 manifest (equal to target when target is a manifest). */
  manifest: string;
  /** The config digest: the image id. */
  config: string;
}

interface IndexFile {
  refs: Record<string, RefRecord>;
}

export interface ImageStoreOptions {
  /** The data dir (e.g. <server data dir>/images). */
  root: string;
  fetch?: FetchLike;
  /** Registry time limits (see RegistryClientOptions). */
  timeoutMs?: number;
  progressTimeoutMs?: number;
  rootfs?: RootfsOptions;
}

export interface LoadOptions {
  /** Repository for images the archive names only by tag (or not at all). */
  name?: string;
}

const q = (s: string): string => JSON.stringify(s);

/** utilerrors.NewAggregate's text: one error as itself, several in brackets. */
function aggregate(errs: Error[]): string {
  return errs.length === 1 ? errs[0]!.message : `[${errs.map((e) => e.message).join(', ')}]`;
}

/** The kubelet's parse step (applyDefaultImageTag) with its message for InvalidImageName. */
export function parseImageForPull(image: string): ImageReference {
  try {
    const ref = normalizeImage(image);
    // containerd's ParseDockerRef: a digest makes the tag moot.
    if (ref.digest !== undefined) delete ref.tag;
    return ref;
  } catch (e) {
    if (!(e instanceof ReferenceFormatError)) throw e;
    throw new ImageError('InvalidImageName', `Failed to apply default image tag ${q(image)}: couldn't parse image name ${q(image)}: ${e.message}`);
  }
}

export class ImageStore implements ImageService {
  readonly content: ContentStore;
  private readonly layersDir: string;
  private readonly indexPath: string;
  private indexWrite: Promise<void> = Promise.resolve();
  private readonly pulls = new Map<string, Promise<StoredImage>>();
  private readonly unpacks = new Map<string, Promise<LayerMeta>>();

  constructor(private readonly opts: ImageStoreOptions) {
    this.content = new ContentStore(opts.root);
    this.layersDir = join(opts.root, 'layers');
    this.indexPath = join(opts.root, 'index.json');
  }

  async ensure(image: string, opts: EnsureImageOptions): Promise<StoredImage> {
    const ref = parseImageForPull(image);
    const name = formatReference(ref);
    if (opts.policy !== 'Always') {
      const local = await this.lookup(ref);
      if (local) return local;
      if (opts.policy === 'Never') throw new ImageError('ErrImageNeverPull', `Container image ${q(image)} is not present with pull policy of Never`);
    }
    const inflight = this.pulls.get(name);
    if (inflight) return inflight;
    const p = this.pullWithCredentials(ref, opts.credentials?.(ref.domain, ref.path) ?? []).catch((e: unknown) => {
      throw new ImageError('ErrImagePull', `Failed to pull image ${q(image)}: ${e instanceof Error ? e.message : String(e)}`);
    });
    this.pulls.set(name, p);
    try {
      return await p;
    } finally {
      this.pulls.delete(name);
    }
  }

  async createRootfs(dir: string, image: StoredImage): Promise<StoreRootfs> {
    return createRootfs(dir, image.layers, this.opts.rootfs);
  }

  async list(): Promise<StoredImage[]> {
    const index = await this.readIndex();
    const seen = new Set<string>();
    const out: StoredImage[] = [];
    for (const [name, rec] of Object.entries(index.refs)) {
      if (seen.has(rec.config)) continue;
      seen.add(rec.config);
      const img = await this.stored(name, rec, index).catch(() => undefined);
      if (img) out.push(img);
    }
    return out;
  }

  /** The stored image a reference names, if present (by name, or for a digest by any name of that repository). */
  async lookup(ref: ImageReference): Promise<StoredImage | undefined> {
    const index = await this.readIndex();
    const name = formatReference(ref);
    let hit: [string, RefRecord] | undefined = index.refs[name] ? [name, index.refs[name]!] : undefined;
    if (!hit && ref.digest) {
      const repo = repository(ref);
      hit = Object.entries(index.refs).find(([n, r]) => repository(normalizeImage(n)) === repo && (r.target === ref.digest || r.manifest === ref.digest));
    }
    if (!hit) return undefined;
    return this.stored(hit[0], hit[1], index).catch(() => undefined);
  }

  /** Loads every image of an OCI layout (dir or tar) or a docker save tarball; returns the names stored. */
  async load(path: string, opts: LoadOptions = {}): Promise<string[]> {
    const st = await stat(path).catch(() => {
      throw new Error(`${path}: no such file or directory`);
    });
    let scratch: string | undefined;
    try {
      let dir = path;
      if (!st.isDirectory()) {
        await mkdir(join(this.opts.root, 'tmp'), { recursive: true });
        scratch = await mkdtemp(join(this.opts.root, 'tmp', 'load-'));
        await unpackArchiveTar(path, scratch);
        dir = scratch;
      }
      const archive = await readImageArchiveDir(dir, opts.name);
      const names: string[] = [];
      for (const img of archive.images) {
        const rec = await this.importFromArchive(archive, img.target);
        await this.putRef(img.name, rec);
        names.push(img.name);
      }
      return names;
    } finally {
      if (scratch) await rm(scratch, { recursive: true, force: true });
    }
  }

  // ---- pulling ----

  private async pullWithCredentials(ref: ImageReference, creds: RegistryCredential[]): Promise<StoredImage> {
    const name = formatReference(ref);
    const errs: Error[] = [];
    for (const cred of creds.length ? creds : [undefined]) {
      try {
        const rec = await this.pull(ref, cred);
        await this.putRef(name, rec);
        const index = await this.readIndex();
        return await this.stored(name, rec, index);
      } catch (e) {
        errs.push(e instanceof Error ? e : new Error(String(e)));
      }
    }
    throw new Error(aggregate(errs));
  }

  private async pull(ref: ImageReference, credential?: RegistryCredential): Promise<RefRecord> {
    const name = formatReference(ref);
    const client = new RegistryClient(ref, { credential, fetch: this.opts.fetch, timeoutMs: this.opts.timeoutMs, progressTimeoutMs: this.opts.progressTimeoutMs });
    const failed = (e: unknown): Error => new Error(`failed to pull and unpack image ${q(name)}: ${e instanceof Error ? e.message : String(e)}`);
    let top;
    try {
      top = await client.manifest(ref.digest ?? ref.tag ?? 'latest');
    } catch (e) {
      throw failed(new Error(`failed to resolve reference ${q(name)}: ${(e as Error).message}`));
    }
    try {
      await this.content.putBytes(top.bytes, top.digest);
      let manifestDigest = top.digest;
      let manifestBytes = top.bytes;
      let mediaType = top.mediaType;
      // An index (possibly nested) down to the linux/amd64 manifest.
      for (let depth = 0; isIndexType(mediaType); depth++) {
        if (depth > 4) throw new ImageFormatError('image index nested too deeply');
        const chosen = selectPlatform(parseIndex(manifestBytes, `index ${manifestDigest}`));
        if (!chosen) throw new Error(`no match for platform in manifest ${manifestDigest}: not found`);
        const m = await client.manifest(chosen.digest);
        await this.content.putBytes(m.bytes, chosen.digest);
        manifestDigest = chosen.digest;
        manifestBytes = m.bytes;
        mediaType = m.mediaType || chosen.mediaType;
      }
      if (!isManifestType(mediaType)) throw new ImageFormatError(`unsupported manifest media type ${q(mediaType)}`);
      const manifest = parseManifest(manifestBytes, `manifest ${manifestDigest}`);
      const fetchBlob = async (d: Descriptor): Promise<void> => {
        if (await this.content.has(d.digest)) return;
        try {
          await this.content.ingest(await client.blob(d.digest), d.digest, d.size);
        } catch (e) {
          throw new Error(`failed to copy: ${(e as Error).message}`);
        }
      };
      await fetchBlob(manifest.config);
      const config = await this.readConfig(manifest);
      for (let i = 0; i < manifest.layers.length; i++) {
        const diffID = config.diffIDs[i]!;
        if (await this.hasLayer(diffID)) continue;
        await fetchBlob(manifest.layers[i]!);
        await this.unpackShared(diffID, manifest.layers[i]!);
      }
      return { target: top.digest, manifest: manifestDigest, config: manifest.config.digest };
    } catch (e) {
      throw failed(e);
    }
  }

  // ---- archives ----

  private async importFromArchive(archive: ImageArchive, target: Descriptor): Promise<RefRecord> {
    const copy = async (d: Descriptor, what: string): Promise<void> => {
      if (await this.content.has(d.digest)) return;
      const src = archive.blob(d.digest);
      if (!src) throw new ImageFormatError(`${what} ${d.digest}: not in the archive`);
      if ('bytes' in src) await this.content.putBytes(src.bytes, d.digest);
      else {
        const exists = await stat(src.path).then(() => true, () => false);
        if (!exists) throw new ImageFormatError(`${what} ${d.digest}: not in the archive`);
        await this.content.ingest(createReadStream(src.path), d.digest, d.size);
      }
    };
    await copy(target, 'manifest');
    let desc = target;
    for (let depth = 0; isIndexType(desc.mediaType); depth++) {
      if (depth > 4) throw new ImageFormatError('image index nested too deeply');
      const chosen = selectPlatform(parseIndex(await this.content.read(desc.digest), `index ${desc.digest}`));
      if (!chosen) throw new ImageFormatError(`index ${desc.digest}: no manifest for linux/amd64`);
      await copy(chosen, 'manifest');
      desc = chosen;
    }
    const manifest = parseManifest(await this.content.read(desc.digest), `manifest ${desc.digest}`);
    await copy(manifest.config, 'config');
    const config = await this.readConfig(manifest);
    for (let i = 0; i < manifest.layers.length; i++) {
      const diffID = config.diffIDs[i]!;
      if (await this.hasLayer(diffID)) continue;
      await copy(manifest.layers[i]!, 'layer');
      await this.unpackShared(diffID, manifest.layers[i]!);
    }
    return { target: target.digest, manifest: desc.digest, config: manifest.config.digest };
  }

  // ---- layers ----

  private layerDir(diffID: string): string {
    return join(this.layersDir, 'sha256', diffID.slice('sha256:'.length));
  }

  private async hasLayer(diffID: string): Promise<boolean> {
    return stat(join(this.layerDir(diffID), 'meta.json')).then(
      () => true,
      () => false,
    );
  }

  private async readConfig(manifest: Manifest): Promise<ParsedConfig> {
    const config = parseConfig(await this.content.read(manifest.config.digest), `config ${manifest.config.digest}`);
    if (config.diffIDs.length !== manifest.layers.length) {
      throw new ImageFormatError(`config ${manifest.config.digest}: ${config.diffIDs.length} rootfs.diff_ids for ${manifest.layers.length} manifest layers`);
    }
    return config;
  }

  /** Unpacks a stored layer blob once per diffID, even when two pulls want it at the same time. */
  private unpackShared(diffID: string, layer: Descriptor): Promise<LayerMeta> {
    const running = this.unpacks.get(diffID);
    if (running) return running;
    const p = this.unpack(diffID, layer).finally(() => this.unpacks.delete(diffID));
    this.unpacks.set(diffID, p);
    return p;
  }

  private async unpack(diffID: string, layer: Descriptor): Promise<LayerMeta> {
    const final = this.layerDir(diffID);
    if (await this.hasLayer(diffID)) return JSON.parse(await readFile(join(final, 'meta.json'), 'utf8')) as LayerMeta;
    const tmpRoot = join(this.layersDir, 'tmp');
    await mkdir(tmpRoot, { recursive: true });
    await mkdir(join(this.layersDir, 'sha256'), { recursive: true });
    const tmp = await mkdtemp(join(tmpRoot, 'unpack-'));
    try {
      const blob = this.content.path(layer.digest);
      const meta = await unpackLayer(createReadStream(blob), sniffCompression(await fileHead(blob)), join(tmp, 'fs'));
      if (meta.diffID !== diffID) throw new Error(`layer ${layer.digest}: uncompressed digest ${meta.diffID} does not match the config's diff_id ${diffID}`);
      await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta));
      // A leftover (a crash before meta.json) is replaced; the rename is what makes a layer exist.
      await rm(final, { recursive: true, force: true });
      await rename(tmp, final);
      return meta;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  // ---- the index ----

  private async readIndex(): Promise<IndexFile> {
    try {
      const v = JSON.parse(await readFile(this.indexPath, 'utf8')) as IndexFile;
      return { refs: typeof v.refs === 'object' && v.refs ? v.refs : {} };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { refs: {} };
      throw new Error(`${this.indexPath}: ${(e as Error).message}`);
    }
  }

  /** Read-modify-write of index.json, one at a time, made visible by a rename. */
  private putRef(name: string, rec: RefRecord): Promise<void> {
    const next = this.indexWrite.then(async () => {
      const index = await this.readIndex();
      index.refs[name] = rec;
      await mkdir(this.opts.root, { recursive: true });
      const tmp = `${this.indexPath}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(tmp, `${JSON.stringify(index, null, 2)}\n`);
      await rename(tmp, this.indexPath);
    });
    this.indexWrite = next.catch(() => undefined);
    return next;
  }

  /** The StoredImage for an index record; throws when a piece is missing (then the image is not present). */
  private async stored(name: string, rec: RefRecord, index: IndexFile): Promise<StoredImage> {
    const manifestBytes = await this.content.read(rec.manifest);
    const manifest = parseManifest(manifestBytes, `manifest ${rec.manifest}`);
    const config = await this.readConfig(manifest);
    const layers: string[] = [];
    for (const d of config.diffIDs) {
      if (!(await this.hasLayer(d))) throw new Error(`layer ${d} is not unpacked`);
      layers.push(join(this.layerDir(d), 'fs'));
    }
    // node.status.images names: repo digests first, then tags (the kubelet's order).
    const same = Object.entries(index.refs).filter(([, r]) => r.config === rec.config);
    const digests = new Set<string>();
    const tags = new Set<string>();
    for (const [n, r] of same) {
      const ref = normalizeImage(n);
      digests.add(`${repository(ref)}@${r.target}`);
      if (ref.digest === undefined) tags.add(n);
    }
    const ref = normalizeImage(name);
    return {
      ref: name,
      imageID: `${repository(ref)}@${rec.target}`,
      names: [...digests, ...tags],
      config: config.config,
      layers,
      sizeBytes: manifestBytes.length + manifest.config.size + manifest.layers.reduce((s, l) => s + l.size, 0),
    };
  }
}
