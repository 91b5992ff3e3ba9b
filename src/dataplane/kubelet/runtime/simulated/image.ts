/**
 * Identities a simulated container shows: the image as a runtime resolves it (docker.io/library/nginx:latest),
 * a stable digest reference for imageID (repo@sha256:<hex>, derived from the name since nothing is pulled) and a
 * container ID per pod, container and restart.
 */
import { createHash } from 'node:crypto';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface ResolvedImage {
  /** What status.image shows once the container runs. */
  image: string;
  /** repo@sha256:<64 hex>. */
  imageID: string;
}

// A node runs a few dozen distinct images; bound the cache all the same.
const cache = new Map<string, ResolvedImage>();

/** Docker-style reference normalisation: default registry docker.io, library/ for official images, tag latest. */
export function resolveImage(ref: string): ResolvedImage {
  const hit = cache.get(ref);
  if (hit) return hit;
  let name = ref.trim();
  let digest: string | undefined;
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
  }
  let tag: string | undefined;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  const first = name.split('/')[0]!;
  const hasDomain = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasDomain) name = `docker.io/${name.includes('/') ? name : `library/${name}`}`;
  const resolved: ResolvedImage = digest
    ? { image: tag ? `${name}:${tag}` : `${name}@${digest}`, imageID: `${name}@${digest}` }
    : { image: `${name}:${tag ?? 'latest'}`, imageID: `${name}@sha256:${sha256(`${name}:${tag ?? 'latest'}`)}` };
  if (cache.size > 1024) cache.clear();
  cache.set(ref, resolved);
  return resolved;
}

/** skiff-sim://<64 hex>, stable for one run of one container of one pod. */
export function simulatedContainerID(podUID: string, container: string, restart: number): string {
  return `skiff-sim://${sha256(`${podUID}/${container}/${restart}`)}`;
}
