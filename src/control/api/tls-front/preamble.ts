/**
 * What the TLS front (worker.ts) tells the API server's thread about each connection it hands over, before any of
 * the connection's bytes: the client's address and the certificate it presented. The thread then serves the
 * connection's plain HTTP as it would a TLS socket's. The front sends nothing more until the thread acknowledges
 * (one byte), so the preamble is read exactly, with none of the HTTP stream behind it.
 */
import type { Socket } from 'node:net';

export interface ConnectionFacts {
  remoteAddress?: string;
  remotePort?: number;
  remoteFamily?: string;
  /** The client certificate (DER) the TLS handshake received, unverified: authentication verifies it. */
  clientCertificate?: Buffer;
}

const MAGIC = Buffer.from('SKF1');
/** A leaf certificate is a few KB; anything near this is not a preamble. */
const MAX_BODY_BYTES = 64 * 1024;
export const ACK = Buffer.from([1]);

export function encodePreamble(f: ConnectionFacts): Buffer {
  const body = Buffer.from(JSON.stringify({
    a: f.remoteAddress, p: f.remotePort, f: f.remoteFamily,
    c: f.clientCertificate?.length ? f.clientCertificate.toString('base64') : undefined,
  }));
  const head = Buffer.alloc(8);
  MAGIC.copy(head);
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

/** The preamble's facts from its bytes; throws on anything else. */
export function decodePreamble(b: Buffer): ConnectionFacts {
  if (b.length < 8 || !b.subarray(0, 4).equals(MAGIC)) throw new Error('not a TLS front preamble');
  const n = b.readUInt32BE(4);
  if (b.length !== 8 + n) throw new Error(`preamble of ${b.length - 8} bytes, ${n} announced`);
  const j = JSON.parse(b.subarray(8).toString()) as { a?: unknown; p?: unknown; f?: unknown; c?: unknown };
  const facts: ConnectionFacts = {};
  if (typeof j.a === 'string') facts.remoteAddress = j.a;
  if (typeof j.p === 'number') facts.remotePort = j.p;
  if (typeof j.f === 'string') facts.remoteFamily = j.f;
  if (typeof j.c === 'string') facts.clientCertificate = Buffer.from(j.c, 'base64');
  return facts;
}

/**
 * Reads one preamble from `socket` (its first bytes), then stops reading it: the caller hands the socket on within
 * the same tick (a flowing socket's data with no listener would be lost).
 */
export function readPreamble(socket: Socket, timeoutMs: number): Promise<ConnectionFacts> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const fail = (err: Error): void => {
      done();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`no preamble in ${timeoutMs} ms`)), timeoutMs);
    const onEnd = (): void => fail(new Error('connection ended before its preamble'));
    const onData = (b: Buffer): void => {
      chunks.push(b);
      got += b.length;
      if (got < 8) return;
      const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const need = 8 + head.readUInt32BE(4);
      if (!head.subarray(0, 4).equals(MAGIC) || need - 8 > MAX_BODY_BYTES) return fail(new Error('not a TLS front preamble'));
      if (got < need) return;
      if (got > need) return fail(new Error('bytes after the preamble before its acknowledgement'));
      done();
      try {
        resolve(decodePreamble(Buffer.concat(chunks)));
      } catch (err) {
        reject(err as Error);
      }
    };
    function done(): void {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', fail);
    }
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', fail);
  });
}
