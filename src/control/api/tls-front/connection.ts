/**
 * The facts of connections the TLS front handed over, kept on the socket the API server's thread serves: the
 * client certificate for authentication (request.ts asks here when the socket is not TLS itself), and the client's
 * address as the socket's own remoteAddress/remotePort, so audit's sourceIPs and logs read it unchanged.
 */
import type { Socket } from 'node:net';
import type { ConnectionFacts } from './preamble.js';

const certificates = new WeakMap<Socket, Buffer>();

export function adoptConnectionFacts(socket: Socket, f: ConnectionFacts): void {
  if (f.clientCertificate?.length) certificates.set(socket, f.clientCertificate);
  // Own properties over net.Socket's getters (a Unix socket's are undefined).
  if (f.remoteAddress !== undefined) Object.defineProperty(socket, 'remoteAddress', { value: f.remoteAddress });
  if (f.remotePort !== undefined) Object.defineProperty(socket, 'remotePort', { value: f.remotePort });
  if (f.remoteFamily !== undefined) Object.defineProperty(socket, 'remoteFamily', { value: f.remoteFamily });
}

/** The client certificate (DER) the front received on this socket's connection, if any. */
export const frontClientCertificate = (socket: Socket): Buffer | undefined => certificates.get(socket);
