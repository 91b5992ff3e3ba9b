/**
 * The kubelet API's streaming endpoints on the agent's HTTP server, as the API server reaches them:
 *   GET /containerLogs/{ns}/{pod}/{container}?follow&tailLines&sinceSeconds&sinceTime&timestamps&previous&limitBytes
 *   GET /exec/{ns}/{pod}/{container}?command=…&stdin&stdout&stderr&tty     (WebSocket v5/v4.channel.k8s.io)
 *   GET /attach/{ns}/{pod}/{container}?stdin&stdout&stderr&tty             (same)
 *   GET /portForward/{ns}/{pod}                                            (WebSocket-tunnelled SPDY, or SPDY)
 * The agent checks the pod is one of its nodes' and which container and run are meant; the node's driver does
 * the rest (optional methods of PodDriver). A driver without logs answers with an empty log (the simulated
 * runtime's containers print nothing); one without exec/attach/port-forward answers 400 saying so, as kwok
 * does when it has no exec configuration for a pod.
 * Errors are metav1.Status JSON, which the API server passes on to kubectl.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { WebSocketServer } from 'ws';
import type { Pod, PodDriver } from '../types.js';
import { negotiateProtocol } from './channels.js';
import { ContainerLogError, logRun } from './containers.js';
import { runExecSession } from './exec-session.js';
import { LogOptionsError, parsePodLogOptions, sinceNanos, type LogQuery } from './log-options.js';
import { servePortForwardSpdy, servePortForwardWebSocket, PORT_FORWARD_TUNNEL_PROTOCOL, PORT_FORWARD_PROTOCOL } from './portforward.js';
import { StreamingError, type ContainerProcess, type ProcessRequest } from './types.js';

/** What the endpoints need of the agent. */
export interface StreamingHost {
  /** A pod bound to one of this agent's nodes, with that node's driver. */
  lookupPod(namespace: string, name: string): { pod: Pod; driver: PodDriver; node: string } | undefined;
  now(): number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  code: number;
}

const REASONS: Record<number, string> = { 400: 'BadRequest', 404: 'NotFound', 422: 'Invalid', 500: 'InternalError' };

export function statusBody(code: number, message: string): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: REASONS[code] ?? '', code };
}

class HttpError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** A query's values as lists (the upgrade path has no fastify parsing). */
function queryOf(url: URL): LogQuery {
  const q: LogQuery = {};
  for (const k of new Set(url.searchParams.keys())) {
    const all = url.searchParams.getAll(k);
    q[k] = all.length === 1 ? all[0] : all;
  }
  return q;
}

/** A bool stream parameter (stdin=1, stdout=true, …): apimachinery's reading. */
const flag = (url: URL, k: string): boolean => {
  const v = url.searchParams.get(k);
  return v !== null && !(v === '0' || v.toLowerCase() === 'false');
};

function findPod(host: StreamingHost, ns: string, name: string): { pod: Pod; driver: PodDriver; node: string } {
  const found = host.lookupPod(ns, name);
  if (!found) throw new HttpError(404, `pod "${name}" does not exist`);
  return found;
}

function hasContainer(pod: Pod, container: string): boolean {
  const spec = (pod.spec ?? {}) as Record<string, unknown>;
  return ['containers', 'initContainers', 'ephemeralContainers'].some(
    (k) => Array.isArray(spec[k]) && (spec[k] as { name?: string }[]).some((c) => c?.name === container),
  );
}

async function serveLogs(host: StreamingHost, reply: FastifyReply, ns: string, podName: string, container: string, query: LogQuery): Promise<void> {
  let opts;
  try {
    opts = parsePodLogOptions(query);
  } catch (err) {
    if (err instanceof LogOptionsError) throw new HttpError(err.code, err.message);
    throw err;
  }
  const { pod, driver } = findPod(host, ns, podName);
  if (!hasContainer(pod, container)) throw new HttpError(404, `container "${container}" not found in pod "${podName}"`);
  let run;
  try {
    run = logRun(pod, container, opts.previous);
  } catch (err) {
    if (err instanceof ContainerLogError) throw new HttpError(400, err.message);
    throw err;
  }
  const raw = reply.raw;
  const abort = new AbortController();
  raw.on('close', () => abort.abort());
  reply.hijack();
  let started = false;
  const head = (): void => {
    if (started) return;
    started = true;
    raw.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-cache' });
    raw.flushHeaders();
  };
  // Followers see the headers at once (kubectl waits for them); a plain read answers errors as a status.
  if (opts.follow) head();
  try {
    if (driver.logs) {
      const since = sinceNanos(opts, host.now());
      await driver.logs(pod, container, {
        previous: run === 'previous',
        follow: opts.follow,
        timestamps: opts.timestamps,
        ...(opts.tailLines !== undefined ? { tailLines: opts.tailLines } : {}),
        ...(opts.limitBytes !== undefined ? { limitBytes: opts.limitBytes } : {}),
        ...(since !== undefined ? { sinceNanos: since } : {}),
        signal: abort.signal,
      }, (chunk) => {
        head();
        if (!raw.destroyed) raw.write(chunk);
      });
    }
    head();
    raw.end();
  } catch (err) {
    if (!started) {
      const code = err instanceof StreamingError ? err.code : 500;
      raw.writeHead(code, { 'content-type': 'application/json' });
      raw.end(JSON.stringify(statusBody(code, (err as Error).message)));
    } else raw.destroy();
  }
}

/** An HTTP error answer on a socket that asked for an upgrade. */
function refuse(socket: Duplex, code: number, message: string): void {
  const body = JSON.stringify(statusBody(code, message));
  const text = code === 404 ? 'Not Found' : code === 400 ? 'Bad Request' : code === 403 ? 'Forbidden' : 'Internal Server Error';
  socket.end(`HTTP/1.1 ${code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** The kubelet's ports parameter ("80,443" or repeated): 1…65535 each. */
export function parsePorts(url: URL): number[] {
  const out: number[] = [];
  for (const v of url.searchParams.getAll('port')) {
    for (const part of v.split(',')) {
      const p = Number(part.trim());
      if (!Number.isInteger(p) || p < 1 || p > 65535) throw new HttpError(400, `invalid port: ${JSON.stringify(part)}`);
      out.push(p);
    }
  }
  return out;
}

export interface StreamingOptions {
  log?: (level: 'debug' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
}

export function registerStreamingRoutes(app: FastifyInstance, host: StreamingHost, o: StreamingOptions = {}): void {
  const log = o.log ?? (() => {});
  app.get<{ Params: { ns: string; pod: string; container: string }; Querystring: LogQuery }>('/containerLogs/:ns/:pod/:container', async (req, reply) => {
    track(req.raw.socket);
    try {
      await serveLogs(host, reply, req.params.ns, req.params.pod, req.params.container, req.query);
    } catch (err) {
      const code = err instanceof HttpError ? err.code : 500;
      return reply.code(code).type('application/json').send(JSON.stringify(statusBody(code, (err as Error).message)));
    }
  });
  // Plain requests to the upgrade-only paths: as the kubelet's, they need an upgrade.
  for (const path of ['/exec/*', '/attach/*', '/portForward/*']) {
    app.route({ method: ['GET', 'POST'], url: path, handler: async (_req, reply) => reply.code(400).type('application/json').send(JSON.stringify(statusBody(400, 'Upgrade request required'))) });
  }

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => negotiateProtocol(offered) ?? pickTunnel(offered) ?? false });
  // Upgraded and streaming connections are not the HTTP server's to close: tracked, ended when the app closes.
  const live = new Set<Duplex>();
  const track = (s: Duplex): void => {
    live.add(s);
    s.once('close', () => live.delete(s));
  };
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    track(socket);
    try {
      upgrade(req, socket, head);
    } catch (err) {
      refuse(socket, err instanceof HttpError ? err.code : 500, (err as Error).message);
    }
  });
  app.addHook('preClose', async () => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    for (const s of live) s.destroy();
  });

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://agent');
    const segs = url.pathname.split('/').slice(1).map(decodeURIComponent);
    const kind = segs[0];
    const isWebSocket = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    if (kind === 'portForward' && segs.length === 3) {
      const { pod, driver } = findPod(host, segs[1]!, segs[2]!);
      if (!driver.portForward) throw new HttpError(400, `port-forward is not supported by the runtime of node ${String((pod.spec as { nodeName?: string })?.nodeName)} (simulated pods have no network)`);
      const ports = parsePorts(url);
      const dial = (port: number): Promise<Duplex> => driver.portForward!(pod, port);
      const podLabel = `${segs[1]}/${segs[2]}`;
      if (isWebSocket) {
        const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
        if (!offered.includes(PORT_FORWARD_TUNNEL_PROTOCOL)) throw new HttpError(400, `port-forward over WebSocket needs the subprotocol ${PORT_FORWARD_TUNNEL_PROTOCOL}`);
        wss.handleUpgrade(req, socket, head, (ws) => servePortForwardWebSocket(ws, dial, { ports, pod: podLabel, log }));
        return;
      }
      if ((req.headers.upgrade ?? '').toLowerCase().startsWith('spdy/3.1')) {
        servePortForwardSpdy(req, socket, head, dial, { ports, pod: podLabel, log });
        return;
      }
      throw new HttpError(400, 'unable to upgrade: missing upgrade headers in request');
    }
    if ((kind === 'exec' || kind === 'attach') && segs.length === 4) {
      const [, ns, podName, container] = segs as [string, string, string, string];
      const { pod, driver } = findPod(host, ns, podName);
      if (!hasContainer(pod, container)) throw new HttpError(404, `container "${container}" not found in pod "${podName}"`);
      const command = url.searchParams.getAll('command');
      if (kind === 'exec' && command.length === 0) throw new HttpError(400, 'you must specify at least 1 command');
      const r: ProcessRequest = { stdin: flag(url, 'stdin'), stdout: flag(url, 'stdout'), stderr: flag(url, 'stderr'), tty: flag(url, 'tty') };
      if (r.tty) r.stderr = false; // a terminal merges stderr into stdout
      if (!r.stdin && !r.stdout && !r.stderr) throw new HttpError(400, 'you must specify at least 1 of stdin, stdout, stderr');
      const node = String((pod.spec as { nodeName?: string })?.nodeName);
      const start = kind === 'exec'
        ? (driver.exec ? () => driver.exec!(pod, container, command, r) : undefined)
        : (driver.attach ? () => driver.attach!(pod, container, r) : undefined);
      if (!start) throw new HttpError(400, `${kind} is not supported by the runtime of node ${node} (simulated containers run no processes)`);
      if (!isWebSocket) throw new HttpError(400, `${kind} needs a WebSocket upgrade (v5.channel.k8s.io or v4.channel.k8s.io); SPDY is not served`);
      const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',');
      const protocol = negotiateProtocol(offered);
      if (!protocol) throw new HttpError(400, `none of the offered subprotocols ${JSON.stringify(offered.map((s) => s.trim()))} is served; use v5.channel.k8s.io or v4.channel.k8s.io`);
      wss.handleUpgrade(req, socket, head, (ws) => {
        void runExecSession(ws, start as () => Promise<ContainerProcess>, { command, protocol, log: (m) => log('debug', m) }).catch((err) => {
          log('warn', `${kind} session failed`, { pod: `${ns}/${podName}`, err: String(err) });
          ws.terminate();
        });
      });
      return;
    }
    throw new HttpError(404, `no streaming endpoint at ${url.pathname}`);
  }
}

function pickTunnel(offered: Set<string>): string | undefined {
  return offered.has(PORT_FORWARD_TUNNEL_PROTOCOL) ? PORT_FORWARD_TUNNEL_PROTOCOL : undefined;
}

export { PORT_FORWARD_PROTOCOL };
