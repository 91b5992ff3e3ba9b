/**
 * The API server's HTTPS on a thread of its own: the front (worker.ts) listens on the public address and does the
 * TLS; the API server's HTTP server, on this thread, gets each connection as plain bytes over a Unix socket in a
 * private directory (0700: only this user can reach it, since whoever connects names their own client
 * certificate), with the client's address and certificate from the preamble set on the socket (connection.ts).
 * Requests, watches and upgrades (exec, port-forward) pass through unchanged: the front relays bytes.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { Worker } from 'node:worker_threads';
import type { FastifyInstance } from 'fastify';
import { servingTlsOptions } from '../../pki/serving-tls.js';
import { adoptConnectionFacts } from './connection.js';
import { ACK, readPreamble } from './preamble.js';
import type { FrontCommand, FrontReport, FrontWorkerData } from './worker.js';

export interface TlsFrontOptions {
  host: string;
  port: number;
  /** The serving TLS options (key, cert, ca, requestCert, ciphers, …), as an https server would take them. */
  tls: TlsOptions;
}

export interface TlsFront {
  /** The public address the front listens on. */
  readonly address: { address: string; family: string; port: number };
  /** The Unix socket the front hands connections to this thread on, in a directory only this user may enter. */
  readonly socketPath: string;
  /** A renewed serving certificate, for new connections. */
  setSecureContext(options: SecureContextOptions): void;
  close(): Promise<void>;
}

const PREAMBLE_TIMEOUT_MS = 10_000;

function workerEntry(): URL {
  const built = new URL('./worker.js', import.meta.url);
  // Run from src/ (vitest), the worker is the build's: node does not run TypeScript in a thread.
  return existsSync(built) ? built : new URL('../../../../dist/src/control/api/tls-front/worker.js', import.meta.url);
}

/** Starts the front on `o.host:o.port` for `http` (an HTTP server that is not listening itself). */
export async function startTlsFront(http: HttpServer, o: TlsFrontOptions): Promise<TlsFront> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-tls-front-'));
  const innerPath = join(dir, 'api.sock');
  const inner: Server = createServer((socket: Socket) => {
    readPreamble(socket, PREAMBLE_TIMEOUT_MS).then((facts) => {
      adoptConnectionFacts(socket, facts);
      socket.write(ACK);
      http.emit('connection', socket);
    }, () => socket.destroy());
  });
  const cleanup = (): void => {
    inner.close();
    rmSync(dir, { recursive: true, force: true });
  };
  await new Promise<void>((resolve, reject) => {
    inner.once('error', reject);
    inner.listen(innerPath, () => resolve());
  });
  // As an https server: the API server's cipher order, HTTP/1.1 offered by ALPN; the caller's options win.
  const tls: TlsOptions = { ...servingTlsOptions(), ALPNProtocols: ['http/1.1'], ...o.tls };
  const worker = new Worker(workerEntry(), { workerData: { host: o.host, port: o.port, tls, innerPath } satisfies FrontWorkerData });
  const post = (c: FrontCommand): void => worker.postMessage(c);
  // Errors after listening end nothing here; the server's own close ends the thread.
  worker.on('error', () => undefined);
  let address: TlsFront['address'];
  try {
    address = await new Promise((resolve, reject) => {
      const onExit = (code: number): void => reject(new Error(`TLS front thread exited (${code}) before listening`));
      worker.once('exit', onExit);
      worker.once('error', reject);
      worker.once('message', (m: FrontReport) => {
        worker.off('exit', onExit);
        worker.off('error', reject);
        if (m.type === 'listening') resolve({ address: m.address, family: m.family, port: m.port });
        else reject(new Error(m.type === 'error' ? m.message : `TLS front: unexpected ${m.type}`));
      });
    });
  } catch (err) {
    await worker.terminate();
    cleanup();
    throw err;
  }
  return {
    address,
    socketPath: innerPath,
    setSecureContext: (options) => post({ type: 'context', options }),
    async close() {
      const closed = new Promise<void>((resolve) => {
        worker.on('message', (m: FrontReport) => m.type === 'closed' && resolve());
        worker.once('exit', () => resolve());
      });
      post({ type: 'close' });
      await Promise.race([closed, new Promise((r) => setTimeout(r, 5000).unref())]);
      await worker.terminate();
      cleanup();
    },
  };
}

/**
 * Serves the API server's `app` on host:port: through the TLS front with `frontTls` (the app then built without
 * https), or by the app's own listen. `port` is the one bound (0 picks one).
 */
export async function listenApi(app: FastifyInstance, host: string, port: number, frontTls?: TlsOptions): Promise<{ port: number; front?: TlsFront }> {
  if (frontTls) {
    await app.ready();
    const front = await startTlsFront(app.server, { host, port, tls: frontTls });
    return { port: front.address.port, front };
  }
  await app.listen({ host, port });
  const bound = app.server.address();
  return { port: typeof bound === 'object' && bound ? bound.port : port };
}
