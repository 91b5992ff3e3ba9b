/**
 * The TLS front's thread: it owns the API server's public port, does the TLS (handshakes, decryption,
 * encryption) and hands each connection's plain bytes to the API server's thread over a Unix socket, after a
 * preamble with the client's address and certificate (preamble.ts). Node serves HTTP on one event loop; TLS there
 * was ~36 µs of that loop a pod create at saturation (bench api --secure tls, 64 clients), work a thread of its
 * own does on the other core, as kube-apiserver's goroutines spread it.
 */
import { connect, type Socket } from 'node:net';
import { createServer, type SecureContextOptions, type TLSSocket, type TlsOptions } from 'node:tls';
import { parentPort, workerData } from 'node:worker_threads';
import { ACK, encodePreamble } from './preamble.js';

export interface FrontWorkerData {
  host: string;
  port: number;
  tls: TlsOptions;
  /** The API server thread's Unix socket. */
  innerPath: string;
}

export type FrontCommand = { type: 'context'; options: SecureContextOptions } | { type: 'close' };
export type FrontReport = { type: 'listening'; port: number; address: string; family: string } | { type: 'error'; message: string } | { type: 'closed' };

const data = workerData as FrontWorkerData;
const port = parentPort!;
const report = (r: FrontReport): void => port.postMessage(r);
const open = new Set<Socket>();

function relay(client: TLSSocket): void {
  const peer = client.getPeerCertificate();
  const inner = connect(data.innerPath);
  open.add(client);
  open.add(inner);
  inner.write(encodePreamble({
    ...(client.remoteAddress !== undefined ? { remoteAddress: client.remoteAddress } : {}),
    ...(client.remotePort !== undefined ? { remotePort: client.remotePort } : {}),
    ...(client.remoteFamily !== undefined ? { remoteFamily: client.remoteFamily } : {}),
    ...(peer?.raw ? { clientCertificate: peer.raw } : {}),
  }));
  // The client's bytes wait in its socket (nothing reads it) until the API thread has taken the preamble.
  inner.once('data', (b: Buffer) => {
    if (b.length !== 1 || b[0] !== ACK[0]) {
      inner.destroy();
      client.destroy();
      return;
    }
    client.pipe(inner);
    inner.pipe(client);
  });
  // An error on either side ends both at once; a clean end reaches the other side through pipe() (its end()).
  client.on('error', () => inner.destroy());
  inner.on('error', () => client.destroy());
  client.on('close', () => {
    open.delete(client);
    if (!inner.destroyed) inner.end();
  });
  inner.on('close', () => {
    open.delete(inner);
    if (!client.destroyed) client.end();
  });
}

const server = createServer(data.tls, relay);
// A failed handshake ends its connection; it is the client's error, not the server's.
server.on('tlsClientError', (_err, socket) => socket.destroy());
server.on('error', (err) => report({ type: 'error', message: err.message }));
server.listen({ host: data.host, port: data.port }, () => {
  const a = server.address();
  if (typeof a === 'object' && a) report({ type: 'listening', port: a.port, address: a.address, family: a.family });
});

port.on('message', (m: FrontCommand) => {
  if (m.type === 'context') server.setSecureContext(m.options);
  else if (m.type === 'close') {
    server.close(() => report({ type: 'closed' }));
    for (const s of open) s.destroy();
  }
});
