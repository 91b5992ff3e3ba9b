/**
 * Image references, normalised as docker and containerd do (distribution/reference's grammar):
 *   busybox                → docker.io/library/busybox:latest
 *   user/app:1             → docker.io/user/app:1
 *   127.0.0.1:5000/app     → 127.0.0.1:5000/app:latest
 *   app@sha256:<64 hex>    → docker.io/library/app@sha256:… (a digest gets no default tag)
 * The first path component is a registry host when it has a '.' or ':', is "localhost", or has upper case.
 */

export interface ImageReference {
  /** Registry host as written (docker.io for Docker Hub), with its port. */
  domain: string;
  /** Repository path within the registry, e.g. library/busybox. */
  path: string;
  tag?: string;
  digest?: string;
}

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const DEFAULT_TAG = 'latest';
const NAME_TOTAL_LENGTH_MAX = 255;

const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const namePattern = `(?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*`;
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const referenceRe = new RegExp(`^(${namePattern})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`);
const domainAndPortRe = new RegExp(`^${domainAndPort}$`);
const anchoredIdentifierRe = /^[a-f0-9]{64}$/;
export const TAG_RE = new RegExp(`^${tagPattern}$`);

/** A reference that does not parse; the message is distribution/reference's. */
export class ReferenceFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReferenceFormatError';
  }
}

/** Validates a digest string (algorithm:hex); sha256 must be 64 lower-case hex digits. */
export function validateDigest(d: string): string {
  const i = d.indexOf(':');
  if (i <= 0) throw new ReferenceFormatError('invalid checksum digest format');
  const alg = d.slice(0, i);
  const hex = d.slice(i + 1);
  if (alg !== 'sha256') throw new ReferenceFormatError('unsupported digest algorithm');
  if (hex.length !== 64) throw new ReferenceFormatError('invalid checksum digest length');
  if (!/^[a-f0-9]{64}$/.test(hex)) throw new ReferenceFormatError('invalid checksum digest format');
  return d;
}

function splitDomain(name: string): { domain: string; remainder: string } {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i === -1 ? '' : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = `library/${remainder}`;
  return { domain, remainder };
}

/** ParseNormalizedNamed: a full reference with domain and path; no default tag yet. */
export function parseNormalizedNamed(s: string): ImageReference {
  if (anchoredIdentifierRe.test(s)) throw new ReferenceFormatError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  const { domain, remainder } = splitDomain(s);
  const colon = remainder.indexOf(':');
  const at = remainder.indexOf('@');
  const cut = [colon, at].filter((x) => x >= 0);
  const remote = cut.length ? remainder.slice(0, Math.min(...cut)) : remainder;
  if (remote.toLowerCase() !== remote) throw new ReferenceFormatError(`invalid reference format: repository name (${remote}) must be lowercase`);
  return parseReference(`${domain}/${remainder}`);
}

/** distribution/reference Parse: the strict grammar, no normalisation. */
export function parseReference(s: string): ImageReference {
  const m = referenceRe.exec(s);
  if (!m) {
    if (s === '') throw new ReferenceFormatError('repository name must have at least one component');
    if (referenceRe.test(s.toLowerCase())) throw new ReferenceFormatError('repository name must be lowercase');
    throw new ReferenceFormatError('invalid reference format');
  }
  const name = m[1]!;
  if (name.length > NAME_TOTAL_LENGTH_MAX) throw new ReferenceFormatError(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  const slash = name.indexOf('/');
  // The grammar's optional domain group is tried first: a first component that can be a host is one.
  const hasDomain = slash > 0 && domainAndPortRe.test(name.slice(0, slash));
  const ref: ImageReference = { domain: hasDomain ? name.slice(0, slash) : '', path: hasDomain ? name.slice(slash + 1) : name };
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) ref.digest = validateDigest(m[3]);
  return ref;
}

/** The kubelet's applyDefaultImageTag + containerd's normalisation: a tag (latest) unless a digest is given. */
export function normalizeImage(s: string): ImageReference {
  const ref = parseNormalizedNamed(s);
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = DEFAULT_TAG;
  return ref;
}

export const repository = (r: ImageReference): string => `${r.domain}/${r.path}`;

export function formatReference(r: ImageReference): string {
  return `${repository(r)}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** The host:port that serves the registry API for a domain (Docker Hub's API lives on registry-1). */
export function registryApiHost(domain: string): string {
  return domain === DEFAULT_DOMAIN ? 'registry-1.docker.io' : domain;
}

/** Plain HTTP only to the loopback registries (as containerd's and docker's defaults for localhost). */
export function registryScheme(domain: string): 'http' | 'https' {
  const hostOnly = domain.startsWith('[') ? domain.slice(0, domain.indexOf(']') + 1) : domain.replace(/:\d+$/, '');
  return hostOnly === 'localhost' || hostOnly === '127.0.0.1' || hostOnly === '[::1]' ? 'http' : 'https';
}
