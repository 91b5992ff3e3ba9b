/**
 * pods/proxy and services/proxy: the API server forwards the request to a pod, as kube-apiserver's
 * ResourceLocation for pods and services and its proxy handler do. The name in the path is
 * `[scheme:]name[:port]` (scheme http or https; a pod's port a number, a service's a port number or name).
 * - pod: the pod's IP and the given port, else its first declared container port; loopback and link-local
 *   addresses are refused (upstream's IsProxyableIP), so the proxy cannot reach the server's own host.
 * - service: the port resolves to the service port's name, then to a ready address of the Service's Endpoints
 *   with that port name (picked at random, as upstream spreads proxy requests).
 * The rest of the path after `proxy` and the query go to the target; https targets are not verified (as upstream's
 * proxy transport). An unreachable target is 503 `error trying to reach service: …`.
 * Unlike upstream, only addresses this host reaches without its default route are dialled (a directly attached
 * network, or a prefix the main routing table names, as a multi-host pod network routes other nodes' podCIDRs):
 * a simulated node's pod IPs exist nowhere, and a request to them would otherwise leave through the default route.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KubeObject, ResourceType } from '../resource.js';
import type { Registry } from '../registry.js';
import type { ObjectEngine } from './objects.js';
import { ApiError, badRequest } from '../status.js';
import { reachableWithoutDefaultRoute } from '../reachability.js';
import { bracketHost, hostPort } from '../../../net/host-port.js';

export interface ProxyDeps {
  registry: Registry;
  engine: ObjectEngine;
  /** Picks an index below n (random by default; tests fix it). */
  pick?: (n: number) => number;
  /** Whether the server may dial this address (default: reachableWithoutDefaultRoute). */
  reachable?: (ip: string) => boolean;
}

export interface ProxyTarget {
  scheme: 'http' | 'https';
  host: string;
  port?: number;
}

/** upstream's SplitSchemeNamePort: `name`, `name:port` or `scheme:name:port`; undefined when malformed. */
export function splitSchemeNamePort(id: string): { scheme: string; name: string; port: string } | undefined {
  const parts = id.split(':');
  let scheme = '';
  let name: string;
  let port = '';
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) [name, port] = parts as [string, string];
  else if (parts.length === 3) [scheme, name, port] = parts as [string, string, string];
  else return undefined;
  if (name === '' || (scheme !== '' && scheme !== 'http' && scheme !== 'https')) return undefined;
  return { scheme, name, port };
}

/** upstream's IsProxyableIP: an IP, and neither loopback nor link-local (unicast or multicast). */
export function isProxyableIP(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    return a !== 127 && !(a === 169 && b === 254) && !(a === 224 && b === 0 && ip.split('.')[2] === '0');
  }
  if (v === 6) {
    const l = ip.toLowerCase();
    return l !== '::1' && !/^fe[89ab]/.test(l) && !/^ff0[12]:/.test(l) && !/^ff[0-9a-f]1:/.test(l);
  }
  return false;
}

type Obj = Record<string, unknown>;
const rec = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(rec).filter((x): x is Obj => !!x) : []);

/** Where pods/proxy goes for `id` (upstream's pod ResourceLocation). */
export function podTarget(pod: KubeObject, id: string): ProxyTarget {
  const split = splitSchemeNamePort(id)!;
  let port = split.port;
  if (port === '') {
    for (const c of list(rec(pod['spec'])?.['containers'])) {
      const first = list(c['ports'])[0];
      if (first) {
        port = String(first['containerPort']);
        break;
      }
    }
  }
  const ip = String(rec(pod['status'])?.['podIP'] ?? '');
  if (!isProxyableIP(ip)) throw badRequest('address not allowed');
  return target(split.scheme, ip, port);
}

/** Where services/proxy goes for `id` (upstream's service ResourceLocation), or a 503 saying why nowhere. */
export function serviceTarget(svc: KubeObject, endpoints: KubeObject | undefined, id: string, pick: (n: number) => number): ProxyTarget {
  const split = splitSchemeNamePort(id)!;
  let portName = split.port;
  if (/^\d+$/.test(portName)) {
    const byNumber = list(rec(svc['spec'])?.['ports']).find((p) => String(p['port']) === portName);
    if (!byNumber) throw new ApiError(503, 'ServiceUnavailable', `no service port ${portName} found for service "${split.name}"`);
    portName = String(byNumber['name'] ?? '');
  }
  const subsets = list(endpoints?.['subsets']);
  if (subsets.length === 0) throw new ApiError(503, 'ServiceUnavailable', `no endpoints available for service "${split.name}"`);
  const first = pick(subsets.length);
  for (let i = 0; i < subsets.length; i++) {
    const ss = subsets[(first + i) % subsets.length]!;
    const addresses = list(ss['addresses']).filter((a) => isProxyableIP(String(a['ip'] ?? '')));
    if (addresses.length === 0) continue;
    const port = list(ss['ports']).find((p) => String(p['name'] ?? '') === portName);
    if (!port) continue;
    const addr = addresses[pick(addresses.length)]!;
    return target(split.scheme, String(addr['ip']), String(port['port']));
  }
  throw new ApiError(503, 'ServiceUnavailable', `no endpoints available for service "${id}"`);
}

function target(scheme: string, host: string, port: string): ProxyTarget {
  const t: ProxyTarget = { scheme: scheme === 'https' ? 'https' : 'http', host };
  if (port !== '') {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw badRequest(`invalid port ${JSON.stringify(port)}`);
    t.port = n;
  }
  return t;
}

/** Request headers not passed on: hop-by-hop ones and the caller's credentials for this server. */
const DROPPED = new Set([
  'authorization', 'proxy-authorization', 'cookie', 'host', 'connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding',
  'upgrade', 'impersonate-user', 'impersonate-group', 'impersonate-uid', 'content-length',
]);
const CONNECT_TIMEOUT_MS = 30_000;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate']);

/** Forwards one request to `t` with `path` and the query, copying the answer back. */
export function forward(req: FastifyRequest, reply: FastifyReply, t: ProxyTarget, path: string): Promise<void> {
  const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
  const headers: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) if (!DROPPED.has(k) && !k.startsWith('impersonate-extra-')) headers[k] = v;
  const body = Buffer.isBuffer(req.body) ? req.body : undefined;
  if (body) headers['content-length'] = String(body.length);
  const authority = t.port ? hostPort(t.host, t.port) : bracketHost(t.host);
  headers['host'] = authority;
  const send = t.scheme === 'https' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const out = send({
      host: t.host, port: t.port ?? (t.scheme === 'https' ? 443 : 80), method: req.method, path: `${path}${query}`, headers,
      ...(t.scheme === 'https' ? { rejectUnauthorized: false } : {}),
    }, (res) => {
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) reply.header(k, v);
      reply.code(res.statusCode ?? 502).send(res);
      res.on('end', resolve);
      res.on('error', () => resolve());
    });
    // A target that never answers the connection (upstream's proxy dialer gives up after 30 s).
    out.on('socket', (sock) => {
      if (!sock.connecting) return;
      const t = setTimeout(() => out.destroy(new Error(`dial tcp ${authority}: i/o timeout`)), CONNECT_TIMEOUT_MS);
      sock.once('connect', () => clearTimeout(t));
      sock.once('close', () => clearTimeout(t));
    });
    out.on('error', (err) => {
      // Before an answer: the server's error handler sends the Status; after, the copied answer just ends.
      if (!reply.sent) reject(new ApiError(503, 'ServiceUnavailable', `error trying to reach service: ${err.message}`));
      else resolve();
    });
    out.end(body);
  });
}

/**
 * GET|POST|PUT|PATCH|DELETE …/pods/<id>/proxy[/<path>] and …/services/<id>/proxy[/<path>]. `rest` is what follows
 * `proxy`; `/proxy` with nothing after it redirects to `/proxy/`, as upstream's proxy handler does.
 */
export async function serveProxy(
  d: ProxyDeps, req: FastifyRequest, reply: FastifyReply, r: ResourceType, ns: string, id: string, rest: string,
): Promise<void> {
  const urlPath = req.url.split('?')[0]!;
  if (rest === '' && !urlPath.endsWith('/')) {
    const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
    return void reply.code(301).header('location', `${urlPath}/${query}`).send();
  }
  const split = splitSchemeNamePort(id);
  const what = r.kind === 'Pod' ? 'pod' : 'service';
  if (!split) throw badRequest(`invalid ${what} request "${id}"`);
  const obj = await d.engine.get(r, ns, split.name);
  const pick = d.pick ?? ((n: number) => Math.floor(Math.random() * n));
  let t: ProxyTarget;
  if (r.kind === 'Pod') t = podTarget(obj, id);
  else {
    const eps = d.registry.lookup('', 'v1', 'endpoints');
    const endpoints = eps ? await d.engine.get(eps, ns, split.name).catch(() => undefined) : undefined;
    t = serviceTarget(obj, endpoints, id, pick);
  }
  // A trailing slash is part of the target's path (the split path lost it).
  if (!(d.reachable ?? reachableWithoutDefaultRoute)(t.host)) {
    throw new ApiError(503, 'ServiceUnavailable', `error trying to reach service: ${t.host} is not on a network the API server reaches without its default route`);
  }
  await forward(req, reply, t, `/${rest}${rest !== '' && urlPath.endsWith('/') ? '/' : ''}`);
}
