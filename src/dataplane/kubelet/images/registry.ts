/**
 * A client of the OCI distribution API for one repository: manifests by tag or digest, blobs, and the auth dance
 * (401 + WWW-Authenticate → Basic, or a Bearer token from the realm, cached for the client's life). Errors read
 * like containerd's, since they end up in the kubelet's "Failed to pull image" message.
 */
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { basicHeader, parseWwwAuthenticate, tokenFromResponse, tokenRequest, type Challenge } from './auth.js';
import { DigestMismatchError, sha256Of } from './content.js';
import { MANIFEST_ACCEPT, documentMediaType } from './media.js';
import { formatReference, registryApiHost, registryScheme, type ImageReference } from './reference.js';
import type { RegistryCredential } from './types.js';

/** Manifests are small; containerd refuses bigger ones too. */
const MAX_MANIFEST_BYTES = 4 << 20;

export type FetchLike = (url: URL | string, init?: RequestInit) => Promise<Response>;

export class RegistryError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'RegistryError';
  }
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

export interface RegistryClientOptions {
  credential?: RegistryCredential;
  fetch?: FetchLike;
  /** Per request time limit for headers and small bodies (manifests, tokens). */
  timeoutMs?: number;
  /** A blob download that brings no byte for this long is cancelled (containerd's image_pull_progress_timeout, 5m). */
  progressTimeoutMs?: number;
}

async function serverMessage(res: Response): Promise<string> {
  try {
    const text = await res.text();
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const e = body.errors?.[0];
    if (e) return `${(e.code ?? '').toLowerCase()}: ${e.message ?? ''}`;
  } catch {
    // Not the registry's JSON error shape.
  }
  return '';
}

export class RegistryClient {
  private readonly base: string;
  private readonly fetch: FetchLike;
  private readonly timeoutMs: number;
  private readonly progressTimeoutMs: number;
  private authorization?: string;
  private readonly scope: string;

  constructor(readonly ref: ImageReference, private readonly opts: RegistryClientOptions = {}) {
    this.base = `${registryScheme(ref.domain)}://${registryApiHost(ref.domain)}/v2/${ref.path}`;
    this.fetch = opts.fetch ?? ((u, i) => fetch(u, i));
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.progressTimeoutMs = opts.progressTimeoutMs ?? 5 * 60_000;
    this.scope = `repository:${ref.path}:pull`;
    // A registry token is used as it is (docker config `registrytoken`).
    if (opts.credential?.registrytoken) this.authorization = `Bearer ${opts.credential.registrytoken}`;
  }

  /** Resolves a tag or digest to its manifest (or index) bytes, checking the digest. */
  async manifest(tagOrDigest: string): Promise<FetchedManifest> {
    const url = `${this.base}/manifests/${tagOrDigest}`;
    const res = await this.request(url, { accept: MANIFEST_ACCEPT });
    const name = tagOrDigest.startsWith('sha256:') ? formatReference({ ...this.ref, tag: undefined, digest: tagOrDigest }) : formatReference({ ...this.ref, tag: tagOrDigest, digest: undefined });
    if (res.status === 404) {
      await res.body?.cancel();
      throw new RegistryError(`${name}: not found`, 404);
    }
    await this.failUnlessOk(res, 'GET', url);
    if (Number(res.headers.get('content-length') ?? 0) > MAX_MANIFEST_BYTES) {
      await res.body?.cancel();
      throw new RegistryError(`manifest ${name} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > MAX_MANIFEST_BYTES) throw new RegistryError(`manifest ${name} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    const digest = sha256Of(bytes);
    const expected = tagOrDigest.startsWith('sha256:') ? tagOrDigest : res.headers.get('docker-content-digest') ?? undefined;
    if (expected && expected.startsWith('sha256:') && expected !== digest) throw new DigestMismatchError(expected, digest);
    const transport = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    return { bytes, mediaType: documentMediaType(bytes, transport), digest };
  }

  /** A blob's bytes as a stream; the caller verifies the digest while storing it. */
  async blob(digest: string): Promise<Readable> {
    const url = `${this.base}/blobs/${digest}`;
    // Aborted when the body stalls; headers get the ordinary request time limit.
    const stall = new AbortController();
    let timer = setTimeout(() => stall.abort(new Error(`no answer within ${this.timeoutMs / 1000}s`)), this.timeoutMs);
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => stall.abort(new Error(`cancelled: no progress for ${this.progressTimeoutMs / 1000}s`)), this.progressTimeoutMs);
    };
    let res: Response;
    try {
      res = await this.request(url, {}, stall.signal);
    } catch (e) {
      clearTimeout(timer);
      throw e;
    }
    if (res.status === 404) {
      clearTimeout(timer);
      await res.body?.cancel();
      throw new RegistryError(`${formatReference({ ...this.ref, tag: undefined, digest })}: not found`, 404);
    }
    try {
      await this.failUnlessOk(res, 'GET', url);
      if (!res.body) throw new RegistryError(`GET ${url}: empty body`);
    } catch (e) {
      clearTimeout(timer);
      throw e;
    }
    arm();
    const body = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
    // Re-armed on every chunk as the consumer reads (a 'data' listener here would start the flow too early).
    const watched = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        arm();
        cb(null, chunk);
      },
    });
    body.on('error', (e) => watched.destroy(e));
    watched.once('close', () => {
      clearTimeout(timer);
      body.destroy();
    });
    return body.pipe(watched);
  }

  private async failUnlessOk(res: Response, method: string, url: string): Promise<void> {
    if (res.ok) return;
    const msg = await serverMessage(res);
    if (res.status === 401 || res.status === 403) {
      throw new RegistryError(`pull access denied, repository does not exist or may require authorization${msg ? `: server message: ${msg}` : ''}`, res.status);
    }
    throw new RegistryError(`unexpected status from ${method} request to ${url}: ${res.status} ${res.statusText}${msg ? `: ${msg}` : ''}`, res.status);
  }

  private async send(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    const h = { ...headers };
    if (this.authorization) h.authorization = this.authorization;
    try {
      return await this.fetch(url, { method: 'GET', headers: h, redirect: 'follow', signal: signal ?? AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      const cause = (e as { cause?: { message?: string; code?: string } }).cause;
      throw new RegistryError(`failed to do request: Get "${url}": ${cause?.message ?? cause?.code ?? (e as Error).message}`);
    }
  }

  /** One request, with one retry after authorising against the challenge of a 401. */
  private async request(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    const res = await this.send(url, headers, signal);
    if (res.status !== 401) return res;
    const challenges = parseWwwAuthenticate(res.headers.get('www-authenticate') ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const cred = this.opts.credential;
    let auth: string | undefined;
    if (bearer) auth = `Bearer ${await this.fetchToken(bearer, cred)}`;
    else if (cred && challenges.some((c) => c.scheme === 'basic')) auth = basicHeader(cred);
    // Nothing to answer the challenge with: the 401 stands.
    if (!auth || auth === this.authorization) return res;
    await res.body?.cancel();
    this.authorization = auth;
    return this.send(url, headers, signal);
  }

  private async fetchToken(ch: Challenge, cred?: RegistryCredential): Promise<string> {
    let req: ReturnType<typeof tokenRequest>;
    try {
      req = tokenRequest(ch, ch.params.scope ?? this.scope, cred);
    } catch (e) {
      throw new RegistryError(`failed to authorize: ${(e as Error).message}`);
    }
    const what = cred ? 'failed to fetch oauth token' : 'failed to fetch anonymous token';
    let res: Response;
    try {
      res = await this.fetch(req.url, { ...req.init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause;
      throw new RegistryError(`failed to authorize: ${what}: ${cause?.message ?? (e as Error).message}`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new RegistryError(`failed to authorize: ${what}: unexpected status from ${req.init.method} request to ${req.url.origin}${req.url.pathname}: ${res.status} ${res.statusText}`, res.status);
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      body = undefined;
    }
    const token = tokenFromResponse(body);
    if (!token) throw new RegistryError(`failed to authorize: ${what}: the token endpoint answered without a token`);
    return token;
  }
}
