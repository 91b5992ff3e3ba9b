/**
 * The server side of a SPDY/3 session as Kubernetes' streaming clients speak it (moby/spdystream, which kubectl
 * uses): the peer opens streams with SYN_STREAM carrying plain headers (no :method/:path, which is why an
 * HTTP-minded SPDY library does not fit), the server answers each with a SYN_REPLY, then DATA frames flow with
 * FIN for a half-close; RST_STREAM aborts a stream, PING is echoed, GOAWAY ends the session. Header blocks are
 * zlib-compressed with SPDY/3's dictionary (taken from spdy-transport) in one context per direction. spdystream
 * does no flow control, so WINDOW_UPDATE and SETTINGS are read and ignored.
 * The byte transport is abstract: a TCP socket after an HTTP upgrade, or a WebSocket tunnelling the bytes.
 */
import { createRequire } from 'node:module';
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { EventEmitter } from 'node:events';

const require = createRequire(import.meta.url);
/** SPDY/3's header compression dictionary (the spec's constant). */
const DICTIONARY = (require('spdy-transport/lib/spdy-transport/protocol/spdy/dictionary.js') as Record<string, Buffer>)['3']!;

const VERSION = 3;
export const SYN_STREAM = 1;
export const SYN_REPLY = 2;
export const RST_STREAM = 3;
export const SETTINGS = 4;
export const PING = 6;
export const GOAWAY = 7;
export const HEADERS = 8;
export const WINDOW_UPDATE = 9;
export const FLAG_FIN = 0x01;
/** RST_STREAM status codes used here. */
export const RST_PROTOCOL_ERROR = 1;
export const RST_CANCEL = 5;

export type Headers = Record<string, string>;

/** A frame as parsed: control frames keep their type, flags and body; data frames their stream. */
export type Frame =
  | { control: true; type: number; flags: number; body: Buffer }
  | { control: false; streamId: number; flags: number; data: Buffer };

/** Splits a byte stream into frames; keeps an incomplete tail for the next call. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUIntBE(5, 3);
      if (this.buf.length < 8 + len) break;
      const flags = this.buf[4]!;
      const body = this.buf.subarray(8, 8 + len);
      if (this.buf[0]! & 0x80) out.push({ control: true, type: this.buf.readUInt16BE(2), flags, body });
      else out.push({ control: false, streamId: this.buf.readUInt32BE(0) & 0x7fffffff, flags, data: body });
      this.buf = this.buf.subarray(8 + len);
    }
    return out;
  }
}

export function controlFrame(type: number, flags: number, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | VERSION, 0);
  head.writeUInt16BE(type, 2);
  head[4] = flags;
  head.writeUIntBE(body.length, 5, 3);
  return Buffer.concat([head, body]);
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head[4] = flags;
  head.writeUIntBE(data.length, 5, 3);
  return Buffer.concat([head, data]);
}

/** SPDY/3 name/value block (before compression): names lower-case, several values joined by NUL. */
export function encodeHeaderBlock(h: Headers): Buffer {
  const parts: Buffer[] = [];
  const n = Buffer.alloc(4);
  n.writeUInt32BE(Object.keys(h).length);
  parts.push(n);
  for (const [k, v] of Object.entries(h)) {
    for (const s of [k.toLowerCase(), v]) {
      const b = Buffer.from(s);
      const l = Buffer.alloc(4);
      l.writeUInt32BE(b.length);
      parts.push(l, b);
    }
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(b: Buffer): Headers {
  const h: Headers = {};
  let off = 0;
  const need = (n: number): void => {
    if (off + n > b.length) throw new Error('SPDY header block: truncated');
  };
  need(4);
  const count = b.readUInt32BE(0);
  off = 4;
  for (let i = 0; i < count; i++) {
    need(4);
    const kl = b.readUInt32BE(off);
    off += 4;
    need(kl);
    const k = b.toString('utf8', off, off + kl).toLowerCase();
    off += kl;
    need(4);
    const vl = b.readUInt32BE(off);
    off += 4;
    need(vl);
    h[k] = b.toString('utf8', off, off + vl).split('\0')[0]!;
    off += vl;
  }
  return h;
}

/** One zlib context for a direction of a session: each block flushed (Z_SYNC_FLUSH) and read whole. */
class ZContext {
  private readonly z: Inflate | Deflate;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(kind: 'inflate' | 'deflate') {
    this.z = kind === 'inflate' ? createInflate({ dictionary: DICTIONARY }) : createDeflate({ dictionary: DICTIONARY });
    this.z.on('error', () => undefined);
  }

  /** Blocks are processed one at a time, in order (the context is shared). */
  run(input: Buffer): Promise<Buffer> {
    const next = this.queue.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          const chunks: Buffer[] = [];
          const onData = (c: Buffer): void => void chunks.push(c);
          const onError = (e: Error): void => {
            this.z.off('data', onData);
            reject(e);
          };
          this.z.on('data', onData);
          this.z.once('error', onError);
          this.z.write(input);
          this.z.flush(constants.Z_SYNC_FLUSH, () => {
            // Output of a flush is pushed before its callback; one more turn lets 'data' deliver it.
            setImmediate(() => {
              this.z.off('data', onData);
              this.z.off('error', onError);
              resolve(Buffer.concat(chunks));
            });
          });
        }),
    );
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.z.close();
  }
}

/** The byte transport under a session. */
export interface SpdyTransport {
  write(b: Buffer): void;
  close(): void;
}

/** A stream the peer opened. Events: 'data' (Buffer), 'end' (peer's FIN), 'reset' (RST_STREAM or session end). */
export class SpdyStream extends EventEmitter {
  localClosed = false;
  remoteClosed = false;
  reset = false;

  constructor(private readonly session: SpdySession, readonly id: number, readonly headers: Headers) {
    super();
  }

  write(data: Buffer): void {
    if (this.localClosed || this.reset) return;
    for (let i = 0; i < data.length; i += 32 * 1024) this.session.send(dataFrame(this.id, 0, data.subarray(i, i + 32 * 1024)));
  }

  /** Half-close: FIN on an empty data frame. */
  end(): void {
    if (this.localClosed || this.reset) return;
    this.localClosed = true;
    this.session.send(dataFrame(this.id, FLAG_FIN, Buffer.alloc(0)));
    this.session.maybeForget(this);
  }

  /** Abort: RST_STREAM (CANCEL). */
  abort(): void {
    if (this.reset) return;
    this.reset = true;
    this.session.send(controlFrame(RST_STREAM, 0, Buffer.from([...u32(this.id), ...u32(RST_CANCEL)])));
    this.session.maybeForget(this);
    this.emit('reset');
  }
}

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/**
 * A server session. `onStream` is called once per SYN_STREAM (after its SYN_REPLY went out); 'close' is emitted
 * when the session ends (GOAWAY, transport closed, protocol error).
 */
export class SpdySession extends EventEmitter {
  private readonly reader = new FrameReader();
  private readonly inflate = new ZContext('inflate');
  private readonly deflate = new ZContext('deflate');
  private readonly streams = new Map<number, SpdyStream>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly transport: SpdyTransport, private readonly onStream: (s: SpdyStream) => void) {
    super();
  }

  /** Bytes from the transport. Frames are handled in order (header blocks decompress asynchronously). */
  receive(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      return this.fail(err as Error);
    }
    for (const f of frames) this.chain = this.chain.then(() => this.handle(f)).catch((err: Error) => this.fail(err));
  }

  send(b: Buffer): void {
    if (!this.closed) this.transport.write(b);
  }

  maybeForget(s: SpdyStream): void {
    if (s.reset || (s.localClosed && s.remoteClosed)) this.streams.delete(s.id);
  }

  /** Ends the session: every stream is reset, the transport closed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) {
      s.reset = true;
      s.emit('reset');
    }
    this.streams.clear();
    this.inflate.close();
    this.deflate.close();
    this.transport.close();
    this.emit('close');
  }

  private fail(err: Error): void {
    this.emit('protocolError', err);
    this.close();
  }

  private async handle(f: Frame): Promise<void> {
    if (this.closed) return;
    if (!f.control) {
      const s = this.streams.get(f.streamId);
      if (!s) return; // data for a stream already gone
      if (f.data.length) s.emit('data', f.data);
      if (f.flags & FLAG_FIN) {
        s.remoteClosed = true;
        s.emit('end');
        this.maybeForget(s);
      }
      return;
    }
    switch (f.type) {
      case SYN_STREAM: {
        if (f.body.length < 10) throw new Error('SYN_STREAM: short frame');
        const id = f.body.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.inflate.run(f.body.subarray(10)));
        const s = new SpdyStream(this, id, headers);
        this.streams.set(id, s);
        this.send(controlFrame(SYN_REPLY, 0, Buffer.concat([u32(id), await this.deflate.run(encodeHeaderBlock({}))])));
        if (f.flags & FLAG_FIN) s.remoteClosed = true;
        this.onStream(s);
        if (s.remoteClosed) s.emit('end');
        return;
      }
      case HEADERS: {
        // Must still go through the shared decompression context.
        if (f.body.length > 4) await this.inflate.run(f.body.subarray(4));
        return;
      }
      case RST_STREAM: {
        const s = this.streams.get(f.body.readUInt32BE(0) & 0x7fffffff);
        if (s && !s.reset) {
          s.reset = true;
          this.streams.delete(s.id);
          s.emit('reset');
        }
        return;
      }
      case PING:
        this.send(controlFrame(PING, 0, f.body));
        return;
      case GOAWAY:
        this.close();
        return;
      default:
        return; // SETTINGS, WINDOW_UPDATE, SYN_REPLY (never expected here): nothing to do
    }
  }
}
