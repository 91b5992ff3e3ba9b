/**
 * Proxying one request to an aggregated API server, as kube-aggregator's proxy handler: the path and query as
 * they came, the body as read, the caller's identity as X-Remote-User / X-Remote-Group / X-Remote-Extra-*
 * headers (its own credentials and any impersonation headers are not passed on), over TLS verified with the
 * APIService's caBundle (or not verified with insecureSkipTLSVerify), presenting the front-proxy client
 * certificate when the server has one. The answer streams back unchanged, so watches work through it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { request, type RequestOptions } from 'node:https';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UserInfo } from '../auth/user.js';
import { ApiError } from '../status.js';

export interface ProxyTarget {
  /** https://host:port of a ready endpoint. */
  origin: string;
  /** The name the serving certificate must carry (<service>.<namespace>.svc). */
  serverName: string;
  caBundle?: string;
  insecureSkipTLSVerify: boolean;
}

export interface ProxyClientCertificate { certPem: string; keyPem: string }

/** The TLS side of a request to an aggregated server: its name and CA as the APIService says, our proxy identity. */
export function targetTls(t: ProxyTarget, client: ProxyClientCertificate | undefined): RequestOptions {
  return {
    servername: t.serverName,
    ...(t.caBundle ? { ca: Buffer.from(t.caBundle, 'base64') } : {}),
    rejectUnauthorized: !t.insecureSkipTLSVerify,
    ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
  };
}

/** Hop-by-hop and credential headers that never reach the aggregated server. */
const DROPPED = new Set(['authorization', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'host', 'content-length']);

export function proxiedHeaders(incoming: IncomingHttpHeaders, user: UserInfo | undefined, bodyLength: number): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(incoming)) {
    if (v === undefined || DROPPED.has(k) || k.startsWith('impersonate-') || k.startsWith('x-remote-')) continue;
    out[k] = v;
  }
  if (user) {
    out['x-remote-user'] = user.name;
    if (user.groups.length) out['x-remote-group'] = [...user.groups];
    for (const [key, values] of Object.entries(user.extra ?? {})) out[`x-remote-extra-${encodeURIComponent(key).toLowerCase()}`] = [...values];
  }
  if (bodyLength > 0) out['content-length'] = String(bodyLength);
  return out;
}

export async function proxyRequest(
  req: FastifyRequest, reply: FastifyReply, target: ProxyTarget, user: UserInfo | undefined, client: ProxyClientCertificate | undefined,
): Promise<void> {
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const url = new URL(req.url, target.origin);
  await new Promise<void>((resolve, reject) => {
    let started = false;
    const out = request(url, {
      method: req.method,
      headers: proxiedHeaders(req.headers, user, body.length),
      ...targetTls(target, client),
      timeout: 60_000,
    }, (res) => {
      started = true;
      reply.hijack();
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !DROPPED.has(k)) headers[k] = v;
      reply.raw.writeHead(res.statusCode ?? 502, headers);
      res.pipe(reply.raw);
      // A client that goes away (a watch ended) ends the upstream request too.
      reply.raw.on('close', () => res.destroy());
      res.on('end', resolve);
      res.on('error', resolve);
    });
    out.on('timeout', () => out.destroy(new Error('timeout awaiting response headers')));
    out.on('error', (err) => (started ? resolve() : reject(new ApiError(503, 'ServiceUnavailable', `error trying to reach service: ${err.message}`))));
    out.end(body);
  });
}
