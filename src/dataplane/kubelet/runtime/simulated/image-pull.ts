/**
 * Images a simulated node cannot pull. Nothing is ever pulled, so by default every image "pulls"; a node spec's
 * `unpullableImages` patterns name the ones that fail instead, for tests of a stuck rollout (a new template whose
 * image does not exist). A container whose image matches waits as the kubelet leaves it: ErrImagePull with the
 * runtime's error right after each attempt, ImagePullBackOff (`Back-off pulling image "X"`) in between, attempts
 * spaced by the kubelet's image back-off (10 s doubling to 5 min, flowcontrol.Backoff keyed by pod and image).
 *
 * Patterns: `*` stands for any run of characters (`/` and `:` too); a pattern matches an image as the pod spec
 * writes it or as a runtime resolves it (`foo:bad` also matches `docker.io/library/foo:bad`).
 */
import { resolveImage } from './image.js';

/** The kubelet's image pull back-off: base and cap (pkg/kubelet/kubelet.go backOffPeriod, MaxContainerBackOff). */
export const IMAGE_BACKOFF_BASE_MS = 10_000;
export const IMAGE_BACKOFF_MAX_MS = 300_000;
/** How long ErrImagePull shows after a failed attempt before the next sync reports ImagePullBackOff. */
export const ERR_IMAGE_PULL_SHOWN_MS = 1_000;

export const ErrImagePull = 'ErrImagePull';
export const ImagePullBackOff = 'ImagePullBackOff';

/** Why a pattern is not usable, or undefined. */
export function imagePatternProblem(p: string): string | undefined {
  if (p.trim() !== p || p === '') return 'must be a non-empty image reference pattern without surrounding spaces';
  if (/\s/.test(p)) return 'must not contain whitespace';
  return undefined;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

const compiled = new Map<string, RegExp>();

/** Whether `image` (as the spec writes it) matches one of `patterns`. */
export function imageIsUnpullable(patterns: readonly string[] | undefined, image: string | undefined): boolean {
  if (!patterns || patterns.length === 0 || !image) return false;
  const resolved = resolveImage(image).image;
  for (const p of patterns) {
    let re = compiled.get(p);
    if (!re) {
      re = globToRegExp(p);
      if (compiled.size > 256) compiled.clear();
      compiled.set(p, re);
    }
    if (re.test(image) || re.test(resolved)) return true;
  }
  return false;
}

/** The pull error a containerd runtime returns for a reference that does not resolve (the ErrImagePull message). */
export function pullErrorMessage(image: string): string {
  const ref = resolveImage(image).image;
  return `rpc error: code = NotFound desc = failed to pull and unpack image ${JSON.stringify(ref)}: failed to resolve reference ${JSON.stringify(ref)}: ${ref}: not found`;
}

export const backOffPullMessage = (image: string): string => `Back-off pulling image ${JSON.stringify(image)}`;

export interface PullWait {
  reason: typeof ErrImagePull | typeof ImagePullBackOff;
  message: string;
  /** The next moment the reason changes (> h). */
  next: number;
}

/**
 * A container whose image fails to pull, first tried at `first`: what it shows at `h` (≥ first). Attempts at
 * first, first + 10 s, + 20 s, + 40 s, ... (each gap doubling up to 5 min).
 */
export function pullWaitAt(image: string, first: number, h: number): PullWait {
  let attempt = first;
  let backoff = IMAGE_BACKOFF_BASE_MS;
  // Whole steps until the attempt before h; at most ~40 steps before the cap, then constant gaps.
  while (attempt + backoff <= h) {
    if (backoff >= IMAGE_BACKOFF_MAX_MS) {
      attempt += Math.floor((h - attempt) / IMAGE_BACKOFF_MAX_MS) * IMAGE_BACKOFF_MAX_MS;
      break;
    }
    attempt += backoff;
    backoff = Math.min(2 * backoff, IMAGE_BACKOFF_MAX_MS);
  }
  const shownUntil = attempt + Math.min(ERR_IMAGE_PULL_SHOWN_MS, backoff);
  if (h < shownUntil) return { reason: ErrImagePull, message: pullErrorMessage(image), next: shownUntil };
  return { reason: ImagePullBackOff, message: backOffPullMessage(image), next: attempt + backoff };
}
