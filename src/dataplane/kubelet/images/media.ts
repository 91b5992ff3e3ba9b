/**
 * OCI and Docker v2 image documents: media types, descriptors, manifests, indexes and configs, parsed with errors
 * that name the field, and the platform choice for an index (linux/amd64, as the node runs).
 */
import { validateDigest } from './reference.js';
import type { ImageConfig } from './types.js';

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

/** What a registry is asked for when resolving a reference. */
export const MANIFEST_ACCEPT = [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest].join(', ');

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface Manifest {
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface Index {
  mediaType: string;
  manifests: Descriptor[];
}

export interface ParsedConfig {
  config: ImageConfig;
  diffIDs: string[];
  os: string;
  architecture: string;
}

export const NODE_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

export class ImageFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageFormatError';
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseJson(bytes: Buffer | string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString());
  } catch (e) {
    throw new ImageFormatError(`${what}: not JSON: ${(e as Error).message}`);
  }
  if (!isObj(v)) throw new ImageFormatError(`${what}: not a JSON object`);
  return v;
}

export function parseDescriptor(v: unknown, field: string): Descriptor {
  if (!isObj(v)) throw new ImageFormatError(`${field}: not a descriptor object`);
  if (typeof v.mediaType !== 'string') throw new ImageFormatError(`${field}.mediaType: required string`);
  if (typeof v.digest !== 'string') throw new ImageFormatError(`${field}.digest: required string`);
  try {
    validateDigest(v.digest);
  } catch (e) {
    throw new ImageFormatError(`${field}.digest: ${(e as Error).message}: ${JSON.stringify(v.digest)}`);
  }
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) throw new ImageFormatError(`${field}.size: required non-negative integer`);
  const d: Descriptor = { mediaType: v.mediaType, digest: v.digest, size: v.size };
  if (isObj(v.platform)) d.platform = { architecture: String(v.platform.architecture ?? ''), os: String(v.platform.os ?? ''), ...(typeof v.platform.variant === 'string' ? { variant: v.platform.variant } : {}) };
  if (isObj(v.annotations)) d.annotations = Object.fromEntries(Object.entries(v.annotations).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return d;
}

/** The media type of a manifest-ish document: its own field, else what the transport said. */
export function documentMediaType(bytes: Buffer, transportType?: string): string {
  const v = parseJson(bytes, 'manifest');
  if (typeof v.mediaType === 'string' && v.mediaType) return v.mediaType;
  if (Array.isArray(v.manifests)) return MediaType.ociIndex;
  if (v.config !== undefined) return MediaType.ociManifest;
  return transportType ?? '';
}

export const isIndexType = (t: string): boolean => t === MediaType.ociIndex || t === MediaType.dockerManifestList;
export const isManifestType = (t: string): boolean => t === MediaType.ociManifest || t === MediaType.dockerManifest;

export function parseManifest(bytes: Buffer, what = 'manifest'): Manifest {
  const v = parseJson(bytes, what);
  if (v.schemaVersion !== 2) throw new ImageFormatError(`${what}.schemaVersion: must be 2, got ${JSON.stringify(v.schemaVersion)}`);
  if (!Array.isArray(v.layers)) throw new ImageFormatError(`${what}.layers: required array`);
  return {
    mediaType: typeof v.mediaType === 'string' ? v.mediaType : MediaType.ociManifest,
    config: parseDescriptor(v.config, `${what}.config`),
    layers: v.layers.map((l, i) => parseDescriptor(l, `${what}.layers[${i}]`)),
  };
}

export function parseIndex(bytes: Buffer, what = 'index'): Index {
  const v = parseJson(bytes, what);
  if (v.schemaVersion !== 2) throw new ImageFormatError(`${what}.schemaVersion: must be 2, got ${JSON.stringify(v.schemaVersion)}`);
  if (!Array.isArray(v.manifests)) throw new ImageFormatError(`${what}.manifests: required array`);
  return { mediaType: typeof v.mediaType === 'string' ? v.mediaType : MediaType.ociIndex, manifests: v.manifests.map((m, i) => parseDescriptor(m, `${what}.manifests[${i}]`)) };
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function parseConfig(bytes: Buffer, what = 'config'): ParsedConfig {
  const v = parseJson(bytes, what);
  const c = isObj(v.config) ? v.config : {};
  const rootfs = isObj(v.rootfs) ? v.rootfs : undefined;
  if (!rootfs || !Array.isArray(rootfs.diff_ids)) throw new ImageFormatError(`${what}.rootfs.diff_ids: required array`);
  const diffIDs = rootfs.diff_ids.map((d, i) => {
    if (typeof d !== 'string') throw new ImageFormatError(`${what}.rootfs.diff_ids[${i}]: required string`);
    try {
      return validateDigest(d);
    } catch (e) {
      throw new ImageFormatError(`${what}.rootfs.diff_ids[${i}]: ${(e as Error).message}`);
    }
  });
  return {
    config: {
      entrypoint: strings(c.Entrypoint),
      cmd: strings(c.Cmd),
      env: strings(c.Env),
      workingDir: typeof c.WorkingDir === 'string' ? c.WorkingDir : '',
      user: typeof c.User === 'string' ? c.User : '',
    },
    diffIDs,
    os: typeof v.os === 'string' ? v.os : '',
    architecture: typeof v.architecture === 'string' ? v.architecture : '',
  };
}

/**
 * containerd's platform matcher for linux/amd64: an exact os/architecture match wins; a manifest without a
 * platform is taken only when it is the index's only entry. Attestation manifests (unknown/unknown) never match.
 */
export function selectPlatform(index: Index, want: Platform = NODE_PLATFORM): Descriptor | undefined {
  const candidates = index.manifests.filter((m) => isManifestType(m.mediaType) || isIndexType(m.mediaType));
  const exact = candidates.find((m) => m.platform?.os === want.os && m.platform.architecture === want.architecture && (want.variant === undefined || m.platform.variant === want.variant));
  if (exact) return exact;
  if (candidates.length === 1 && candidates[0]!.platform === undefined) return candidates[0];
  return undefined;
}

export type Compression = 'none' | 'gzip' | 'zstd';

/** Layer compression from the blob's first bytes (media types lie in docker save tarballs). */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}
