/**
 * kubectl port-forward's protocol, portforward.k8s.io over SPDY/3.1: kubectl 1.32 tunnels the SPDY session
 * through a WebSocket (subprotocol SPDY/3.1+portforward.k8s.io, each binary message a piece of the SPDY byte
 * stream) and falls back to a plain SPDY upgrade. Per forwarded connection kubectl opens two streams with the
 * headers streamType (error|data), port and requestID; the data stream is piped to the pod's port, a failure
 * is written on the error stream.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const PORT_FORWARD_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

export interface PortForwardOptions {
  ports: number[];
  pod: string;
  log: (level: 'debug' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
}

export type Dialer = (port: number) => Promise<Duplex>;

export function servePortForwardWebSocket(ws: WebSocket, _dial: Dialer, _o: PortForwardOptions): void {
  ws.close(1011, 'port-forward: not implemented yet');
}

export function servePortForwardSpdy(_req: IncomingMessage, socket: Duplex, _head: Buffer, _dial: Dialer, _o: PortForwardOptions): void {
  socket.destroy();
}
