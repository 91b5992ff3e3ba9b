/**
 * kubectl port-forward's protocol, portforward.k8s.io over SPDY/3: kubectl 1.32 tunnels the SPDY session
 * through a WebSocket (subprotocol SPDY/3.1+portforward.k8s.io, each binary message a piece of the SPDY byte
 * stream) and falls back to a plain SPDY upgrade (101 with X-Stream-Protocol-Version). Per forwarded
 * connection kubectl opens two streams with the headers streamType (error|data), port and requestID; once
 * both are there the data stream is piped to the pod's port, and a failure is written on the error stream in
 * the kubelet's words (`error forwarding port 80 to pod …`).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { SpdySession, type SpdyStream, type SpdyTransport } from './spdy.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const PORT_FORWARD_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

export interface PortForwardOptions {
  /** Ports the request named (informational: kubectl names each stream's port). */
  ports: number[];
  /** namespace/name, for messages. */
  pod: string;
  log: (level: 'debug' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
}

export type Dialer = (port: number) => Promise<Duplex>;

interface Pair { data?: Inbound; error?: SpdyStream; started: boolean }

/**
 * A data stream's bytes from the moment it opens: kubectl writes the forwarded connection's first bytes as soon
 * as its streams exist, while the pod's port is still being dialled (a relay started in the pod's network
 * namespace takes a while); a stream emits its data once, so bytes with no listener yet would be lost and the
 * pod's server would wait for a request that never comes.
 */
class Inbound {
  private queued: Buffer[] = [];
  private ended = false;
  private conn: Duplex | undefined;

  constructor(readonly stream: SpdyStream) {
    stream.on('data', (b: Buffer) => (this.conn ? this.conn.write(b) : this.queued.push(b)));
    stream.on('end', () => (this.conn ? this.conn.end() : (this.ended = true)));
    stream.on('reset', () => this.conn?.destroy());
  }

  /** Delivers what came so far, then the rest as it comes. */
  pipeTo(conn: Duplex): void {
    for (const b of this.queued) conn.write(b);
    this.queued = [];
    if (this.ended) conn.end();
    this.conn = conn;
  }
}

/** The kubelet's stream handling for one session: pairs by requestID, then forwards. */
function forwarder(dial: Dialer, o: PortForwardOptions): (s: SpdyStream) => void {
  const pairs = new Map<string, Pair>();
  return (s) => {
    const type = s.headers['streamtype'];
    const requestID = s.headers['requestid'] ?? s.headers['port'] ?? '';
    const port = Number(s.headers['port']);
    if ((type !== 'data' && type !== 'error') || !Number.isInteger(port) || port < 1 || port > 65535) {
      o.log('debug', 'port-forward: stream with bad headers reset', { headers: s.headers });
      s.abort();
      return;
    }
    const p: Pair = pairs.get(requestID) ?? { started: false };
    pairs.set(requestID, p);
    if (type === 'data') p.data = new Inbound(s);
    else p.error = s;
    s.on('reset', () => pairs.delete(requestID));
    if (!p.data || !p.error || p.started) return;
    p.started = true;
    pairs.delete(requestID);
    void forward(p.data, p.error, port, dial, o);
  };
}

async function forward(inbound: Inbound, error: SpdyStream, port: number, dial: Dialer, o: PortForwardOptions): Promise<void> {
  const data = inbound.stream;
  // kubectl half-closes the error stream at once; it only reads it.
  error.on('data', () => undefined);
  let conn: Duplex;
  try {
    conn = await dial(port);
  } catch (err) {
    error.write(Buffer.from(`error forwarding port ${port} to pod ${o.pod}: ${(err as Error).message}`));
    error.end();
    data.end();
    return;
  }
  conn.on('error', (err) => {
    error.write(Buffer.from(`error forwarding port ${port} to pod ${o.pod}: ${err.message}`));
  });
  conn.on('data', (b: Buffer) => data.write(b));
  conn.on('end', () => data.end());
  conn.on('close', () => {
    data.end();
    error.end();
  });
  if (data.reset) conn.destroy();
  else inbound.pipeTo(conn);
}

/** Port-forward over the WebSocket tunnel (kubectl 1.32's default). */
export function servePortForwardWebSocket(ws: WebSocket, dial: Dialer, o: PortForwardOptions): void {
  const transport: SpdyTransport = {
    write: (b) => {
      if (ws.readyState === ws.OPEN) ws.send(b, { binary: true });
    },
    close: () => {
      if (ws.readyState === ws.OPEN) ws.close(1000);
    },
  };
  const session = new SpdySession(transport, forwarder(dial, o));
  session.on('protocolError', (err: Error) => o.log('warn', 'port-forward: SPDY protocol error', { pod: o.pod, err: err.message }));
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) session.receive(Buffer.isBuffer(data) ? data : Buffer.from(data as unknown as ArrayBuffer));
  });
  ws.on('close', () => session.close());
  ws.on('error', () => session.close());
}

/** Port-forward over a plain SPDY upgrade (kubectl's fallback). */
export function servePortForwardSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, dial: Dialer, o: PortForwardOptions): void {
  const offered = String(req.headers['x-stream-protocol-version'] ?? '').split(',').map((s) => s.trim());
  if (!offered.includes(PORT_FORWARD_PROTOCOL)) {
    const body = `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(offered)}, server supports ["${PORT_FORWARD_PROTOCOL}"]`;
    socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    return;
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`);
  const session = new SpdySession({ write: (b) => void socket.write(b), close: () => socket.destroy() }, forwarder(dial, o));
  session.on('protocolError', (err: Error) => o.log('warn', 'port-forward: SPDY protocol error', { pod: o.pod, err: err.message }));
  if (head.length) session.receive(head);
  socket.on('data', (b: Buffer) => session.receive(b));
  socket.on('close', () => session.close());
  socket.on('error', () => session.close());
}
