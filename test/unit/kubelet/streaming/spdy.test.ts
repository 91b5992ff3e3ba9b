import { constants, createDeflate, createInflate } from 'node:zlib';
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import {
  FLAG_FIN, FrameReader, PING, RST_STREAM, SYN_REPLY, SYN_STREAM, SpdySession, controlFrame, dataFrame, decodeHeaderBlock, encodeHeaderBlock, type SpdyStream,
} from '../../../../src/dataplane/kubelet/streaming/spdy.js';

const DICT = (createRequire(import.meta.url)('spdy-transport/lib/spdy-transport/protocol/spdy/dictionary.js') as Record<string, Buffer>)['3']!;

/** One zlib context as a client keeps it (shared by all its header blocks). */
function zctx(kind: 'deflate' | 'inflate') {
  const z = kind === 'deflate' ? createDeflate({ dictionary: DICT }) : createInflate({ dictionary: DICT });
  return (b: Buffer) =>
    new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      const on = (c: Buffer) => chunks.push(c);
      z.on('data', on);
      z.write(b);
      z.flush(constants.Z_SYNC_FLUSH, () => setImmediate(() => (z.off('data', on), resolve(Buffer.concat(chunks)))));
    });
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

describe('SPDY/3 server session', () => {
  it('header blocks round-trip', () => {
    const h = { streamtype: 'data', port: '80', requestid: '0' };
    expect(decodeHeaderBlock(encodeHeaderBlock(h))).toEqual(h);
    expect(() => decodeHeaderBlock(Buffer.from([0, 0, 0, 1, 0, 0, 0, 9]))).toThrow('truncated');
  });

  it('frames split across chunks are reassembled', () => {
    const r = new FrameReader();
    const f = Buffer.concat([dataFrame(3, 0, Buffer.from('abc')), controlFrame(PING, 0, u32(7))]);
    expect(r.push(f.subarray(0, 5))).toEqual([]);
    const got = r.push(f.subarray(5));
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({ control: false, streamId: 3, data: Buffer.from('abc') });
    expect(got[1]).toMatchObject({ control: true, type: PING });
  });

  it('answers streams with SYN_REPLY, carries data both ways with FIN, echoes PING, and reports RST_STREAM', async () => {
    const out: Buffer[] = [];
    const streams: SpdyStream[] = [];
    const received: string[] = [];
    let ended = false;
    const session = new SpdySession({ write: (b) => void out.push(b), close: () => undefined }, (s) => {
      streams.push(s);
      s.on('data', (b: Buffer) => received.push(`${s.id}:${b.toString()}`));
      s.on('end', () => s.id === 3 && (ended = true));
    });
    const deflate = zctx('deflate');
    const inflate = zctx('inflate');
    const syn = async (id: number, h: Record<string, string>, flags = 0) =>
      controlFrame(SYN_STREAM, flags, Buffer.concat([u32(id), u32(0), Buffer.from([0, 0]), await deflate(encodeHeaderBlock(h))]));
    session.receive(Buffer.concat([await syn(1, { streamtype: 'error', port: '80', requestid: '0' }, FLAG_FIN), await syn(3, { streamtype: 'data', port: '80', requestid: '0' })]));
    session.receive(Buffer.concat([dataFrame(3, 0, Buffer.from('GET /')), dataFrame(3, FLAG_FIN, Buffer.alloc(0)), controlFrame(PING, 0, u32(1))]));
    // Header blocks inflate asynchronously (zlib): wait for the session to have handled both frames, not a fixed time.
    await vi.waitFor(() => {
      expect(ended).toBe(true);
      expect(new FrameReader().push(Buffer.concat(out)).some((f) => f.control && f.type === PING)).toBe(true);
    }, { timeout: 10_000 });
    expect(streams.map((s) => [s.id, s.headers['streamtype']])).toEqual([[1, 'error'], [3, 'data']]);
    expect(streams[0]!.remoteClosed).toBe(true);
    expect(received).toEqual(['3:GET /']);
    const frames = new FrameReader().push(Buffer.concat(out));
    const replies = frames.filter((f) => f.control && f.type === SYN_REPLY);
    expect(replies).toHaveLength(2);
    for (const r of replies) if (r.control) expect(decodeHeaderBlock(await inflate(r.body.subarray(4)))).toEqual({});
    expect(frames.some((f) => f.control && f.type === PING && f.body.readUInt32BE(0) === 1)).toBe(true);

    out.length = 0;
    streams[1]!.write(Buffer.from('HTTP/1.1 200 OK'));
    streams[1]!.end();
    const sent = new FrameReader().push(Buffer.concat(out));
    expect(sent).toMatchObject([{ control: false, streamId: 3, data: Buffer.from('HTTP/1.1 200 OK') }, { control: false, streamId: 3, flags: FLAG_FIN }]);

    const s5: SpdyStream[] = [];
    const session2 = new SpdySession({ write: () => undefined, close: () => undefined }, (s) => void s5.push(s));
    const d2 = zctx('deflate');
    session2.receive(controlFrame(SYN_STREAM, 0, Buffer.concat([u32(5), u32(0), Buffer.from([0, 0]), await d2(encodeHeaderBlock({ streamtype: 'data', port: '1', requestid: '1' }))])));
    await vi.waitFor(() => expect(s5).toHaveLength(1), { timeout: 10_000 });
    let reset = false;
    s5[0]!.on('reset', () => (reset = true));
    session2.receive(controlFrame(RST_STREAM, 0, Buffer.concat([u32(5), u32(5)])));
    await vi.waitFor(() => expect(reset).toBe(true), { timeout: 10_000 });
    session.close();
    session2.close();
  });
});
