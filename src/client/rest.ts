/**
 * A small typed REST client for the Kubernetes API: keep-alive HTTP(S), JSON bodies, `Status` errors as
 * `ApiError`, and watches as async iterables of `{type, object}` read line by line from the chunked response.
 */
import http from 'node:http';
import https from 'node:https';
import type { ClientConfig } from './kubeconfig.js';
import { resourcePath, apiVersionOf, type ResourceRef } from './resources.js';
import type { KubeList, KubeObject, Status, WatchEvent } from './types.js';

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
}

export interface WriteOptions {
  subresource?: string;
  fieldManager?: string;
  dryRun?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface RestClientOptions {
  /** Sockets per host (keep-alive pool). Default 32. */
  maxSockets?: number;
  userAgent?: string;
  /** A request (not a watch) with no response activity for this long fails. Default 60 s. */
  timeoutMs?: number;
}

interface RawResponse {
  statusCode: number;
  body: Buffer;
}

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
  private readonly agent: http.Agent;
  /** Watches get their own agent: a long-lived stream must not hold one of the request pool's sockets. */
  private readonly watchAgent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(
    readonly config: ClientConfig,
    options: RestClientOptions = {},
  ) {
    this.server = new URL(config.server);
    const tls = this.server.protocol === 'https:';
    this.transport = tls ? https : http;
    const agentOpts: https.AgentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets ?? 32,
      ...(tls
        ? { ca: config.caData, cert: config.certData, key: config.keyData, rejectUnauthorized: !config.insecureSkipTLSVerify }
        : {}),
    };
    this.agent = tls ? new https.Agent(agentOpts) : new http.Agent(agentOpts);
    this.watchAgent = tls ? new https.Agent({ ...agentOpts, maxSockets: Infinity }) : new http.Agent({ keepAlive: false });
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.headers = { accept: 'application/json', 'user-agent': options.userAgent ?? 'skiff-client' };
    if (config.token) this.headers.authorization = `Bearer ${config.token}`;
  }

  /** One request; resolves with the parsed JSON body on 2xx, rejects with ApiError otherwise. */
  async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json', query?: Record<string, QueryValue>): Promise<T> {
    const full = path + queryString(query);
    const res = await this.raw(method, full, body, contentType);
    if (res.statusCode < 200 || res.statusCode > 299) {
      const status = parseStatus(res.body);
      throw new ApiError(res.statusCode, status?.reason ?? '', status, method, full);
    }
    return (res.body.length ? JSON.parse(res.body.toString('utf8')) : {}) as T;
  }

  private raw(method: string, path: string, body: unknown, contentType: string): Promise<RawResponse> {
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const headers: Record<string, string | number> = { ...this.headers };
    if (payload) {
      headers['content-type'] = contentType;
      headers['content-length'] = payload.length;
    }
    return new Promise((resolve, reject) => {
      const req = this.transport.request(
        { protocol: this.server.protocol, hostname: this.server.hostname, port: this.server.port, path, method, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      // A server that stops answering must not hold a caller (e.g. a bind slot) forever.
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`${method} ${path}: no response within ${this.timeoutMs} ms`)));
      req.end(payload);
    });
  }

  get<T extends KubeObject = KubeObject>(ref: ResourceRef, name: string, namespace?: string, subresource?: string): Promise<T> {
    return this.request<T>('GET', resourcePath(ref, namespace, name, subresource));
  }

  list<T extends KubeObject = KubeObject>(ref: ResourceRef, opts: ListOptions = {}): Promise<KubeList<T>> {
    const { namespace, ...q } = opts;
    return this.request<KubeList<T>>('GET', resourcePath(ref, namespace), undefined, undefined, q);
  }

  /** Creates `obj` in its metadata.namespace (or `namespace`). With a subresource (e.g. `binding`), `name` is required. */
  create<T extends KubeObject = KubeObject>(ref: ResourceRef, obj: KubeObject, opts: WriteOptions & { namespace?: string; name?: string } = {}): Promise<T> {
    const ns = opts.namespace ?? obj.metadata?.namespace;
    const body = { apiVersion: apiVersionOf(ref), ...obj };
    const path = opts.subresource ? resourcePath(ref, ns, opts.name ?? obj.metadata?.name, opts.subresource) : resourcePath(ref, ns);
    return this.request<T>('POST', path, body, undefined, writeQuery(opts));
  }

  update<T extends KubeObject = KubeObject>(ref: ResourceRef, obj: T, opts: WriteOptions = {}): Promise<T> {
    const m = obj.metadata ?? {};
    if (!m.name) throw new Error(`update of ${ref.plural} needs metadata.name`);
    return this.request<T>('PUT', resourcePath(ref, m.namespace, m.name, opts.subresource), obj, undefined, writeQuery(opts));
  }

  patch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    type: PatchType = 'merge',
    opts: WriteOptions & { force?: boolean } = {},
  ): Promise<T> {
    return this.request<T>('PATCH', resourcePath(ref, namespace, name, opts.subresource), patch, patchContentType[type], {
      ...writeQuery(opts),
      force: opts.force,
    });
  }

  delete<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<T> {
    const body = Object.keys(opts).length ? { kind: 'DeleteOptions', apiVersion: 'v1', ...opts } : undefined;
    return this.request<T>('DELETE', resourcePath(ref, namespace, name), body);
  }

  /**
   * Watches a collection. Yields events in server order; ends when the server closes the stream (timeout) or the
   * signal aborts. An ERROR event's object is a Status (410 Expired means re-list). Breaking out of the loop
   * closes the connection.
   */
  async *watch<T extends KubeObject = KubeObject>(ref: ResourceRef, opts: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    const { namespace, signal, ...q } = opts;
    const path = resourcePath(ref, namespace) + queryString({ ...q, watch: true });
    const req = this.transport.request({
      protocol: this.server.protocol,
      hostname: this.server.hostname,
      port: this.server.port,
      path,
      method: 'GET',
      headers: this.headers,
      agent: this.watchAgent,
      signal,
    });
    try {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        req.once('response', resolve);
        req.once('error', reject);
        req.end();
      });
      if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) > 299) {
        const chunks: Buffer[] = [];
        for await (const c of res) chunks.push(c as Buffer);
        const status = parseStatus(Buffer.concat(chunks));
        throw new ApiError(res.statusCode ?? 0, status?.reason ?? '', status, 'GET', path);
      }
      let rest = '';
      res.setEncoding('utf8');
      for await (const chunk of res as AsyncIterable<string>) {
        rest += chunk;
        let nl: number;
        while ((nl = rest.indexOf('\n')) >= 0) {
          const line = rest.slice(0, nl);
          rest = rest.slice(nl + 1);
          if (line.trim() === '') continue;
          yield JSON.parse(line) as WatchEvent<T>;
        }
      }
      if (rest.trim() !== '') yield JSON.parse(rest) as WatchEvent<T>;
    } catch (e) {
      // An abort is how callers stop a watch: end quietly.
      if (signal?.aborted) return;
      throw e;
    } finally {
      req.destroy();
    }
  }

  /** Closes pooled sockets. */
  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
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
