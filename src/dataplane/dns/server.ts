/**
 * The DNS listeners: one UDP socket and one TCP server on the same address and port, both handing each message
 * to `handleMessage`. TCP carries two-byte length-prefixed messages, several per connection, answered in order;
 * an idle connection is closed after `tcpIdleMs` (RFC 7766 suggests seconds, not minutes).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import { handleMessage, type Resolver } from './message.js';

export interface DnsListeners {
  udp: UdpSocket;
  tcp: Server;
}

export interface DnsServerOptions {
  resolve: Resolver;
  /** Idle TCP connections are closed after this long (default 10 s). */
  tcpIdleMs?: number;
  onError?: (err: Error, where: string) => void;
}

const MAX_TCP_CONNECTIONS = 256;

/** Binds UDP first (port 0 picks one), then TCP on the same port; retries when the TCP port is taken. */
export async function bindListeners(host: string, port: number): Promise<DnsListeners> {
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const bound = udp.address().port;
    const tcp = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host, port: bound }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return { udp, tcp };
    } catch (err) {
      udp.close();
      if (port !== 0 || attempt >= 20 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
}

export class DnsServer {
  private readonly conns = new Set<Socket>();

  constructor(
    private readonly listeners: DnsListeners,
    private readonly opts: DnsServerOptions,
  ) {
    const onError = opts.onError ?? (() => {});
    listeners.udp.on('message', (msg, rinfo) => {
      let out: Buffer | null = null;
      try {
        out = handleMessage(msg, opts.resolve, 'udp');
      } catch (err) {
        onError(err as Error, 'udp');
      }
      if (out) listeners.udp.send(out, rinfo.port, rinfo.address, (err) => err && onError(err, 'udp send'));
    });
    listeners.udp.on('error', (err) => onError(err, 'udp'));
    listeners.tcp.on('connection', (sock) => this.serveTcp(sock));
    listeners.tcp.on('error', (err) => onError(err, 'tcp'));
  }

  /** The port both listeners share. */
  get port(): number {
    return this.listeners.udp.address().port;
  }

  get address(): string {
    return this.listeners.udp.address().address;
  }

  private serveTcp(sock: Socket): void {
    if (this.conns.size >= MAX_TCP_CONNECTIONS) {
      sock.destroy();
      return;
    }
    this.conns.add(sock);
    sock.setTimeout(this.opts.tcpIdleMs ?? 10_000, () => sock.destroy());
    sock.on('close', () => this.conns.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        let out: Buffer | null = null;
        try {
          out = handleMessage(msg, this.opts.resolve, 'tcp');
        } catch (err) {
          this.opts.onError?.(err as Error, 'tcp');
        }
        if (!out) {
          sock.destroy();
          return;
        }
        const framed = Buffer.alloc(2 + out.length);
        framed.writeUInt16BE(out.length, 0);
        out.copy(framed, 2);
        sock.write(framed);
      }
    });
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await Promise.all([
      new Promise<void>((resolve) => this.listeners.udp.close(() => resolve())),
      new Promise<void>((resolve) => this.listeners.tcp.close(() => resolve())),
    ]);
  }
}
