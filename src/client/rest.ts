/**
 * A small typed REST client for the Kubernetes API: keep-alive HTTP(S), JSON bodies, `Status` errors as
 * `ApiError`, and watches as async iterables of `{type, object}` read line by line from the chunked response.
 * The transport is undici's connection pool: measured against node:http's Agent for the scheduler's small
 * requests it costs about a third less client CPU per request, which is the scheduler's hot path.
 * It speaks HTTP/1.1 although kube-apiserver and client-go speak HTTP/2: measured (bench/transport), undici's
 * HTTP/2 cost the server 2.2x the CPU per Lease PUT of this keep-alive pool and node:http2's 1.1x, and 5,000 nodes
 * on undici's HTTP/2 (2 connections, 100 streams each) renewed ~30 Leases a second where this pool renews ~490.
 */
import { StringDecoder } from 'node:string_decoder';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Pool } from 'undici';
import { loadKubeconfig, type ClientConfig } from './kubeconfig.js';
import { resourcePath, apiVersionOf, type ResourceRef } from './resources.js';
import type { KubeList, KubeObject, Status, WatchEvent } from './types.js';
import { withoutManagedFields } from './without-managed-fields.js';

export class ApiError extends Error {
  constructor(
    /** HTTP status code (409, 404, 410, …). */
    readonly code: number,
    /** The Status reason (`AlreadyExists`, `Conflict`, `NotFound`, `Expired`, …), '' when absent. */
    readonly reason: string,
    readonly status: Status | undefined,
    method: string,
    path: string,
  ) {
    super(`${method} ${path}: ${code} ${reason || 'error'}${status?.message ? `: ${status.message}` : ''}`);
    this.name = 'ApiError';
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof ApiError && e.code === 404;
export const isConflict = (e: unknown): boolean => e instanceof ApiError && e.code === 409;
/** A watch or list at a compacted resourceVersion. */
export const isExpired = (e: unknown): boolean => e instanceof ApiError && e.code === 410;

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

const patchContentType: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

type QueryValue = string | number | boolean | undefined;

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  signal?: AbortSignal;
  /**
   * Read each event without its object's metadata.managedFields (cut from the line before it is parsed; nothing
   * changes on the wire): for a cache that drops them anyway.
   */
  omitManagedFields?: boolean;
}

export interface WriteOptions {
  subresource?: string;
  fieldManager?: string;
  dryRun?: boolean;
}

export interface PatchOptions extends WriteOptions {
  force?: boolean;
  /** The caller does not read the patched object: it is not decoded (patch() resolves with nothing). */
  discardResult?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface RestClientOptions {
  /** Connections kept to the server (keep-alive pool). Default 32. */
  maxSockets?: number;
  userAgent?: string;
  /** A request (not a watch) with no response activity for this long fails. Default 60 s. */
  timeoutMs?: number;
  /**
   * How often a client made from a kubeconfig file (config.source) with a client certificate reads the file again
   * and switches to a renewed certificate (client-go's certificate rotation; the kubelet's kubelet.conf). Default
   * 60 s; 0: never.
   */
  certReloadMs?: number;
  /**
   * How many times a request answered 429 or 5xx with a Retry-After of whole seconds is sent again after waiting
   * that long (client-go's default: 10, for every verb, since the server did not process it). 0: never.
   */
  maxRetries?: number;
  /** Waits between retries (tests pass a fake); default a timer that keeps the process alive. */
  sleep?: (ms: number) => Promise<void>;
}

interface RawResponse {
  statusCode: number;
  body: Buffer;
  /** The first Retry-After header's value, when there is one. */
  retryAfter?: string;
}

const firstHeader = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * client-go's checkWait: the seconds a response asks the client to wait before trying again, or undefined when it
 * is no retry (only 429 and 5xx with a Retry-After that is an integer, as Go's strconv.Atoi reads it).
 */
export function retryAfterSeconds(statusCode: number, retryAfter: string | undefined): number | undefined {
  if (statusCode !== 429 && statusCode < 500) return undefined;
  if (retryAfter === undefined || !/^[+-]?\d+$/.test(retryAfter)) return undefined;
  return Math.max(0, Number(retryAfter));
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const toBuffer = (b: ArrayBuffer): Buffer => Buffer.from(b);

function queryString(q: Record<string, QueryValue> | undefined): string {
  if (!q) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') parts.push(`${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

function parseStatus(body: Buffer): Status | undefined {
  try {
    const s = JSON.parse(body.toString('utf8')) as Status;
    return s && typeof s === 'object' ? s : undefined;
  } catch {
    return undefined;
  }
}

export class RestClient {
  readonly server: URL;
  private pool: Pool;
  /** Watches get their own pool: a long-lived stream must not hold one of the request pool's connections. */
  private watchPool: Pool;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly maxSockets: number;
  private readonly maxRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** The client certificate and key in use (PEM), compared with the kubeconfig's on reload. */
  private cert: { certData?: string; keyData?: string };
  private reloadTimer: NodeJS.Timeout | null = null;
  /** Pools left by a reload, closing once their requests and watches end (destroyed by close()). */
  private readonly draining = new Set<Pool>();

  constructor(
    readonly config: ClientConfig,
    options: RestClientOptions = {},
  ) {
    this.server = new URL(config.server);
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.maxSockets = options.maxSockets ?? 32;
    this.maxRetries = options.maxRetries ?? 10;
    this.sleep = options.sleep ?? realSleep;
    this.cert = { certData: config.certData, keyData: config.keyData };
    const secureContext = this.server.protocol === 'https:' ? createSecureContext({ ca: config.caData, cert: config.certData, key: config.keyData }) : undefined;
    [this.pool, this.watchPool] = this.pools(secureContext);
    this.headers = { accept: 'application/json', 'user-agent': options.userAgent ?? 'skiff-client' };
    if (config.token) this.headers.authorization = `Bearer ${config.token}`;
    const reloadMs = options.certReloadMs ?? 60_000;
    if (config.source && config.certData && secureContext && reloadMs > 0) {
      this.reloadTimer = setInterval(() => this.reloadClientCertificate(), reloadMs);
      this.reloadTimer.unref();
    }
  }

  private pools(secureContext: SecureContext | undefined): [Pool, Pool] {
    // One TLS context for every connection of both pools: given the PEMs instead, each new connection parsed the
    // CA, certificate and key again (~1 ms each: the node agent's largest cost in bench/controllers while pods went).
    const connect = secureContext ? { secureContext, rejectUnauthorized: !this.config.insecureSkipTLSVerify } : undefined;
    // A server that stops answering must not hold a caller (e.g. a bind slot) forever.
    const pool = new Pool(this.server.origin, { connections: this.maxSockets, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs, connect });
    // Watches are open for minutes and quiet for long stretches: no body timeout, and no connection reuse.
    const watchPool = new Pool(this.server.origin, { pipelining: 0, headersTimeout: this.timeoutMs, bodyTimeout: 0, connect });
    return [pool, watchPool];
  }

  /**
   * Reads the kubeconfig file again (config.source) and, when it holds another client certificate and key that
   * belong together, sends new requests and watches over connections made with them; requests and watches in
   * flight finish on the old connections, which then close (a watch ends at its timeout and is made again).
   * Returns whether the certificate changed; an unreadable or half-written file keeps the current one.
   */
  reloadClientCertificate(): boolean {
    if (!this.config.source || this.server.protocol !== 'https:') return false;
    let next: ClientConfig;
    let secureContext: SecureContext;
    try {
      next = loadKubeconfig(this.config.source);
      if (!next.certData || !next.keyData) return false;
      if (next.certData === this.cert.certData && next.keyData === this.cert.keyData) return false;
      // Throws when the key does not match the certificate (a renewal caught between its two files).
      secureContext = createSecureContext({ ca: next.caData ?? this.config.caData, cert: next.certData, key: next.keyData });
    } catch {
      return false;
    }
    const old = [this.pool, this.watchPool];
    [this.pool, this.watchPool] = this.pools(secureContext);
    this.cert = { certData: next.certData, keyData: next.keyData };
    for (const p of old) {
      this.draining.add(p);
      void p.close().catch(() => {}).finally(() => this.draining.delete(p));
    }
    return true;
  }

  /**
   * One request; resolves with the parsed JSON body on 2xx, rejects with ApiError otherwise. A 429 (API Priority
   * and Fairness, max in-flight) or 5xx with Retry-After is sent again after that wait, up to maxRetries times.
   */
  async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json', query?: Record<string, QueryValue>, omitManagedFields = false): Promise<T> {
    const res = await this.succeeded(method, path + queryString(query), body, contentType);
    if (!res.length) return {} as T;
    const text = res.toString('utf8');
    return JSON.parse(omitManagedFields ? withoutManagedFields(text, 'object') : text) as T;
  }

  /** `request` for a caller that needs only the outcome: a 2xx body (e.g. a whole pod) is read but not decoded. */
  async send(method: string, path: string, body?: unknown, contentType = 'application/json', query?: Record<string, QueryValue>): Promise<void> {
    await this.succeeded(method, path + queryString(query), body, contentType);
  }

  /** The 2xx response's body; ApiError otherwise. */
  private async succeeded(method: string, full: string, body: unknown, contentType: string): Promise<Buffer> {
    const res = await this.retrying(() => this.raw(method, full, body, contentType));
    if (res.statusCode < 200 || res.statusCode > 299) {
      const status = parseStatus(res.body);
      throw new ApiError(res.statusCode, status?.reason ?? '', status, method, full);
    }
    return res.body;
  }

  /**
   * Sends until the answer is not a 429 or 5xx with Retry-After, waiting that long between, at most maxRetries
   * times more (client-go's retry on Retry-After, for requests and watches alike); stops waiting once `signal` aborts.
   */
  private async retrying<R extends { statusCode: number; retryAfter?: string }>(send: () => Promise<R>, signal?: AbortSignal): Promise<R> {
    let res = await send();
    for (let retries = 0; retries < this.maxRetries; retries++) {
      const wait = retryAfterSeconds(res.statusCode, res.retryAfter);
      if (wait === undefined) break;
      await this.sleep(wait * 1000);
      if (signal?.aborted) break;
      res = await send();
    }
    return res;
  }

  private async raw(method: string, path: string, body: unknown, contentType: string): Promise<RawResponse> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers = payload === undefined ? this.headers : { ...this.headers, 'content-type': contentType };
    try {
      // undici closes a connection after a DELETE that carries a body (DeleteOptions: grace period, preconditions)
      // unless told the server copes, as the API server does; under TLS each new connection cost ~1 ms of handshake.
      const res = await this.pool.request({ method: method as 'GET', path, headers, body: payload, ...(payload !== undefined ? { reset: false } : {}) });
      const retryAfter = firstHeader(res.headers['retry-after']);
      const body = toBuffer(await res.body.arrayBuffer());
      return retryAfter === undefined ? { statusCode: res.statusCode, body } : { statusCode: res.statusCode, body, retryAfter };
    } catch (e) {
      const code = (e as { code?: string }).code;
      const why = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' ? `no response within ${this.timeoutMs} ms` : (e as Error).message;
      throw new Error(`${method} ${path}: ${why}`, { cause: e });
    }
  }

  get<T extends KubeObject = KubeObject>(ref: ResourceRef, name: string, namespace?: string, subresource?: string): Promise<T> {
    return this.request<T>('GET', resourcePath(ref, namespace, name, subresource));
  }

  list<T extends KubeObject = KubeObject>(ref: ResourceRef, opts: ListOptions = {}): Promise<KubeList<T>> {
    const { namespace, ...q } = opts;
    return this.request<KubeList<T>>('GET', resourcePath(ref, namespace), undefined, undefined, q);
  }

  /**
   * Creates `obj` in its metadata.namespace (or `namespace`). With a subresource (e.g. `binding`), `name` is required.
   * With `omitManagedFields` the created object is read without metadata.managedFields (for a caller that only
   * reads its name or uid: not parsing them is a third of a created pod's decoding).
   */
  create<T extends KubeObject = KubeObject>(ref: ResourceRef, obj: KubeObject, opts: WriteOptions & { namespace?: string; name?: string; omitManagedFields?: boolean } = {}): Promise<T> {
    const ns = opts.namespace ?? obj.metadata?.namespace;
    const body = { apiVersion: apiVersionOf(ref), ...obj };
    const path = opts.subresource ? resourcePath(ref, ns, opts.name ?? obj.metadata?.name, opts.subresource) : resourcePath(ref, ns);
    return this.request<T>('POST', path, body, undefined, writeQuery(opts), opts.omitManagedFields);
  }

  update<T extends KubeObject = KubeObject>(ref: ResourceRef, obj: T, opts: WriteOptions = {}): Promise<T> {
    const m = obj.metadata ?? {};
    if (!m.name) throw new Error(`update of ${ref.plural} needs metadata.name`);
    return this.request<T>('PUT', resourcePath(ref, m.namespace, m.name, opts.subresource), obj, undefined, writeQuery(opts));
  }

  /** With `discardResult`, resolves with nothing once the server accepted the patch (the object is not decoded). */
  patch(ref: ResourceRef, namespace: string | undefined, name: string, patch: unknown, type: PatchType, opts: PatchOptions & { discardResult: true }): Promise<void>;
  patch<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, patch: unknown, type?: PatchType, opts?: PatchOptions): Promise<T>;
  patch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    type: PatchType = 'merge',
    opts: PatchOptions = {},
  ): Promise<T | void> {
    const path = resourcePath(ref, namespace, name, opts.subresource);
    const query = { ...writeQuery(opts), force: opts.force };
    if (opts.discardResult) return this.send('PATCH', path, patch, patchContentType[type], query);
    return this.request<T>('PATCH', path, patch, patchContentType[type], query);
  }

  delete<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<T> {
    const body = Object.keys(opts).length ? { kind: 'DeleteOptions', apiVersion: 'v1', ...opts } : undefined;
    return this.request<T>('DELETE', resourcePath(ref, namespace, name), body);
  }

  /**
   * Watches a collection. Yields events in server order; ends when the server closes the stream (timeout) or the
   * signal aborts. An ERROR event's object is a Status (410 Expired means re-list). Breaking out of the loop
   * closes the connection. A 429 or 5xx with Retry-After is retried as `request` does.
   */
  async *watch<T extends KubeObject = KubeObject>(ref: ResourceRef, opts: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    const { namespace, signal, omitManagedFields, ...q } = opts;
    const path = resourcePath(ref, namespace) + queryString({ ...q, watch: true });
    const parse = omitManagedFields ? (line: string) => JSON.parse(withoutManagedFields(line)) as WatchEvent<T> : (line: string) => JSON.parse(line) as WatchEvent<T>;
    let res: Awaited<ReturnType<Pool['request']>> | undefined;
    try {
      // A refusal's body (its Status) is read at once: the connection is then free for a retry.
      const opened = await this.retrying(async (): Promise<{ statusCode: number; response: NonNullable<typeof res>; refusal?: Buffer; retryAfter?: string }> => {
        const response = await this.watchPool.request({ method: 'GET', path, headers: this.headers, signal });
        if (response.statusCode >= 200 && response.statusCode <= 299) return { statusCode: response.statusCode, response };
        const refused = { statusCode: response.statusCode, response, refusal: toBuffer(await response.body.arrayBuffer()) };
        const retryAfter = firstHeader(response.headers['retry-after']);
        return retryAfter === undefined ? refused : { ...refused, retryAfter };
      }, signal);
      res = opened.response;
      if (opened.refusal !== undefined) {
        const status = parseStatus(opened.refusal);
        throw new ApiError(opened.statusCode, status?.reason ?? '', status, 'GET', path);
      }
      // A chunk may end inside a multi-byte character: decode across chunk boundaries.
      const utf8 = new StringDecoder('utf8');
      let rest = '';
      for await (const bytes of res.body as AsyncIterable<Buffer>) {
        const chunk = utf8.write(bytes);
        rest = rest === '' ? chunk : rest + chunk;
        let start = 0;
        let nl: number;
        while ((nl = rest.indexOf('\n', start)) >= 0) {
          const line = rest.slice(start, nl);
          start = nl + 1;
          if (line.trim() === '') continue;
          yield parse(line);
        }
        rest = start === rest.length ? '' : rest.slice(start);
      }
      if (rest.trim() !== '') yield parse(rest);
    } catch (e) {
      // An abort is how callers stop a watch: end quietly.
      if (signal?.aborted) return;
      throw e;
    } finally {
      res?.body.destroy();
    }
  }

  /** Closes pooled sockets. */
  close(): void {
    if (this.reloadTimer) clearInterval(this.reloadTimer);
    // Destroy (not close): in-flight watches would otherwise keep the pools open indefinitely.
    void this.pool.destroy().catch(() => {});
    void this.watchPool.destroy().catch(() => {});
    for (const p of this.draining) void p.destroy().catch(() => {});
  }
}

function writeQuery(opts: WriteOptions): Record<string, QueryValue> {
  return { fieldManager: opts.fieldManager, dryRun: opts.dryRun ? 'All' : undefined };
}

/** v1 Binding for `pods/<name>/binding`, the call kube-scheduler makes to place a pod. */
export function bindPod(client: RestClient, pod: { namespace: string; name: string; uid?: string }, nodeName: string): Promise<KubeObject> {
  const binding: KubeObject = {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: pod.name, namespace: pod.namespace, ...(pod.uid ? { uid: pod.uid } : {}) },
    target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
  };
  return client.request<KubeObject>('POST', resourcePath({ group: '', version: 'v1', plural: 'pods', namespaced: true }, pod.namespace, pod.name, 'binding'), binding);
}
