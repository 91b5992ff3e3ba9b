/**
 * pods/log, pods/exec, pods/attach and pods/portforward: the API server finds the pod's node and proxies to
 * that node's agent (the kubelet API at the node's InternalIP and daemonEndpoints.kubeletEndpoint.Port), as
 * kube-apiserver's LogLocation/streamLocation/PortForwardLocation and its upgrade-aware proxy do.
 * - log: an HTTP GET whose body (a follow stream too) is copied to the client; the agent's errors come back
 *   as their Status (e.g. 400 `container "c" in pod "p" is waiting to start: ContainerCreating`).
 * - exec/attach/portforward: upgrade requests (WebSocket, or SPDY) are passed through byte for byte once the
 *   agent agreed (101): the agent speaks the protocol, this side only picks the node and the URL.
 * Upgrades reach fastify's routing (so every onRequest hook, authentication included, runs first) through
 * `routeUpgrades`, which hands the socket to the route as @fastify/websocket does.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KubeObject, ResourceType } from '../resource.js';
import type { Registry } from '../registry.js';
import type { ObjectEngine } from './objects.js';
import { ApiError, badRequest } from '../status.js';
import { agentEndpoint } from '../metrics/scrape.js';
import { chooseContainer, ContainerChoiceError } from '../../../dataplane/kubelet/streaming/containers.js';
import { LogOptionsError, logOptionsQuery, parsePodLogOptions, type LogQuery } from '../../../dataplane/kubelet/streaming/log-options.js';

export const STREAM_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);

/** The upgrade socket of a request that came through routeUpgrades. */
const UPGRADE = Symbol('skiff.upgrade');
interface UpgradeInfo { socket: Duplex; head: Buffer }
type UpgradeRequest = IncomingMessage & { [UPGRADE]?: UpgradeInfo };

/** Sends upgrade requests through the app's routing, with their socket attached for the route to take over. */
export function routeUpgrades(app: FastifyInstance): void {
  app.server.on('upgrade', (req: UpgradeRequest, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    req[UPGRADE] = { socket, head };
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    // Once answered without an upgrade (an error), the connection is over.
    res.on('finish', () => socket.end());
    app.routing(req, res);
  });
}

export interface PodStreamDeps {
  registry: Registry;
  engine: ObjectEngine;
}

async function podAndNode(d: PodStreamDeps, r: ResourceType, ns: string, name: string): Promise<{ pod: KubeObject; endpoint?: string; nodeName?: string }> {
  const pod = await d.engine.get(r, ns, name);
  const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  if (!nodeName) return { pod };
  const nodes = d.registry.lookup('', 'v1', 'nodes');
  if (!nodes) throw new ApiError(503, 'ServiceUnavailable', 'nodes are not served');
  const node = await d.engine.get(nodes, undefined, nodeName);
  const endpoint = agentEndpoint(node);
  if (!endpoint) throw new ApiError(503, 'ServiceUnavailable', `node ${nodeName} has no kubelet endpoint (status.daemonEndpoints.kubeletEndpoint.Port and an InternalIP this server reaches without its default route)`);
  return { pod, endpoint, nodeName };
}

function choose(pod: KubeObject, container: string | undefined): string {
  try {
    return chooseContainer(pod, container);
  } catch (err) {
    if (err instanceof ContainerChoiceError) throw badRequest(err.message);
    throw err;
  }
}

const first = (q: LogQuery, k: string): string | undefined => {
  const v = q[k];
  return Array.isArray(v) ? v[0] : v;
};

/** An agent's error answer as the Status to pass on (its own, when it sent one). */
async function agentError(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const s = JSON.parse(text) as { kind?: string; code?: number; reason?: string; message?: string };
    if (s.kind === 'Status' && typeof s.message === 'string') return new ApiError(s.code ?? res.status, s.reason ?? 'BadRequest', s.message);
  } catch {
    /* not JSON */
  }
  return badRequest(text.trim() || `the node answered HTTP ${res.status}`);
}

/** GET pods/log. */
export async function servePodLog(d: PodStreamDeps, req: FastifyRequest, reply: FastifyReply, r: ResourceType, ns: string, name: string): Promise<void> {
  const query = req.query as LogQuery;
  let opts;
  try {
    opts = parsePodLogOptions(query);
  } catch (err) {
    if (!(err instanceof LogOptionsError)) throw err;
    if (err.code === 400) throw badRequest(err.message);
    throw new ApiError(422, 'Invalid', `PodLogOptions "${name}" is invalid: ${err.message}`, {
      name, kind: 'PodLogOptions', causes: [{ reason: 'FieldValueInvalid', message: err.message.replace(/^[^:]*: /, ''), field: err.field }],
    } as never);
  }
  const { pod, endpoint } = await podAndNode(d, r, ns, name);
  const container = choose(pod, opts.container ?? first(query, 'container'));
  // Not bound to a node yet: nothing to read (upstream answers an empty log).
  if (!endpoint) {
    reply.code(200).type('text/plain').send('');
    return;
  }
  const abort = new AbortController();
  req.raw.on('close', () => abort.abort());
  const url = `${endpoint}/containerLogs/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}?${logOptionsQuery(opts).toString()}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: abort.signal });
  } catch (err) {
    throw new ApiError(500, 'InternalError', `Get "${url}": ${(err as Error).message}`);
  }
  if (res.status !== 200) throw await agentError(res);
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-cache' });
  raw.flushHeaders();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (raw.destroyed) break;
      raw.write(chunk);
    }
  } catch {
    /* the client or the agent went away */
  }
  abort.abort();
  raw.end();
}

/** pods/exec, pods/attach, pods/portforward: only as upgrades, proxied to the node's agent. */
export async function servePodStream(
  d: PodStreamDeps, req: FastifyRequest, reply: FastifyReply, r: ResourceType, ns: string, name: string, sub: string,
): Promise<void> {
  const up = (req.raw as UpgradeRequest)[UPGRADE];
  const query = req.query as LogQuery;
  const { pod, endpoint, nodeName } = await podAndNode(d, r, ns, name);
  let path: string;
  const params = new URLSearchParams();
  if (sub === 'portforward') {
    path = `/portForward/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;
    const ports = query['ports'];
    for (const p of Array.isArray(ports) ? ports : ports ? [ports] : []) params.append('port', p);
  } else {
    const container = choose(pod, first(query, 'container'));
    for (const k of ['stdin', 'stdout', 'stderr', 'tty']) {
      const v = first(query, k);
      if (v !== undefined && !(v === '0' || v.toLowerCase() === 'false')) params.set(k, '1');
    }
    if (sub === 'exec') {
      const cmd = query['command'];
      for (const c of Array.isArray(cmd) ? cmd : cmd !== undefined ? [cmd] : []) params.append('command', c);
    }
    path = `/${sub}/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}`;
  }
  if (!nodeName || !endpoint) throw badRequest(`pod ${name} does not have a host assigned`);
  if (!up) throw badRequest('Upgrade request required');
  const target = new URL(endpoint);
  reply.hijack();
  proxyUpgrade(req.raw, up, target, `${path}${params.size ? `?${params}` : ''}`);
}

/** Headers never passed to the node: the client's credentials, and hop-by-hop ones rewritten here. */
const DROPPED = new Set(['authorization', 'host', 'proxy-authorization', 'cookie', 'content-length', 'transfer-encoding', 'impersonate-user', 'impersonate-group']);

/** Writes the request to the agent and joins the two sockets; an agent that cannot be reached gets a 503 Status. */
function proxyUpgrade(req: IncomingMessage, up: UpgradeInfo, target: URL, pathAndQuery: string): void {
  const client = up.socket;
  const agent = connect({ host: target.hostname.replace(/^\[|\]$/g, ''), port: Number(target.port) });
  let connected = false;
  agent.on('connect', () => {
    connected = true;
    const lines = [`${req.method ?? 'GET'} ${pathAndQuery} HTTP/1.1`, `Host: ${target.host}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const k = req.rawHeaders[i]!;
      if (!DROPPED.has(k.toLowerCase())) lines.push(`${k}: ${req.rawHeaders[i + 1]}`);
    }
    agent.write(lines.join('\r\n') + '\r\n\r\n');
    if (up.head.length) agent.write(up.head);
    agent.pipe(client);
    client.pipe(agent);
  });
  agent.on('error', (err) => {
    if (!connected) {
      const body = JSON.stringify(new ApiError(503, 'ServiceUnavailable', `error dialing backend: ${err.message}`).toStatus());
      client.end(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    } else client.destroy();
  });
  agent.on('close', () => client.destroy());
  client.on('close', () => agent.destroy());
}
