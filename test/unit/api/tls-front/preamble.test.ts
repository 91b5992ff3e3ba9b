import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePreamble, encodePreamble, readPreamble, type ConnectionFacts } from '../../../../src/control/api/tls-front/preamble.js';

const cert = Buffer.from(Array.from({ length: 1500 }, (_, i) => i % 251));
const facts: ConnectionFacts = { remoteAddress: '127.0.0.1', remotePort: 40123, remoteFamily: 'IPv4', clientCertificate: cert };

describe('TLS front preamble', () => {
  it('round-trips the client address and certificate; no certificate stays absent', () => {
    expect(decodePreamble(encodePreamble(facts))).toEqual(facts);
    expect(decodePreamble(encodePreamble({ remoteAddress: '::1', remotePort: 1, remoteFamily: 'IPv6' }))).toEqual({ remoteAddress: '::1', remotePort: 1, remoteFamily: 'IPv6' });
  });

  it('refuses bytes that are not a preamble, or a preamble cut short', () => {
    expect(() => decodePreamble(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toThrow('not a TLS front preamble');
    const b = encodePreamble(facts);
    expect(() => decodePreamble(b.subarray(0, b.length - 1))).toThrow(/announced/);
  });

  describe('read from a socket', () => {
    let dir = '';
    let server: Server;
    const accepted: Socket[] = [];
    const waiting: ((s: Socket) => void)[] = [];
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'skiff-t-preamble-'));
      server = createServer((s) => {
        const w = waiting.shift();
        if (w) w(s);
        else accepted.push(s);
      });
      await new Promise<void>((r) => server.listen(join(dir, 's'), r));
    });
    afterAll(async () => {
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    });
    const pair = async (): Promise<{ client: Socket; served: Socket }> => {
      const served = new Promise<Socket>((r) => waiting.push(r));
      const client = connect(join(dir, 's'));
      return { client, served: await served };
    };

    it('in pieces as small as a byte, then the socket is left to the next reader with nothing taken from it', async () => {
      const { client, served } = await pair();
      const bytes = encodePreamble(facts);
      const read = readPreamble(served, 5000);
      for (let i = 0; i < bytes.length; i += i < 16 ? 1 : 700) {
        client.write(bytes.subarray(i, i < 16 ? i + 1 : i + 700));
        await new Promise((r) => setImmediate(r));
      }
      expect(await read).toEqual(facts);
      const next = new Promise<string>((r) => served.once('data', (b: Buffer) => r(b.toString())));
      client.write('GET / HTTP/1.1\r\n\r\n');
      expect(await next).toBe('GET / HTTP/1.1\r\n\r\n');
      client.destroy();
    });

    it('refuses other bytes, bytes sent before the acknowledgement, an early end and silence', async () => {
      const other = await pair();
      const r1 = readPreamble(other.served, 5000);
      other.client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await expect(r1).rejects.toThrow('not a TLS front preamble');
      other.client.destroy();

      const eager = await pair();
      const r2 = readPreamble(eager.served, 5000);
      eager.client.write(Buffer.concat([encodePreamble(facts), Buffer.from('GET /')]));
      await expect(r2).rejects.toThrow('bytes after the preamble before its acknowledgement');
      eager.client.destroy();

      const short = await pair();
      const r3 = readPreamble(short.served, 5000);
      short.client.end(encodePreamble(facts).subarray(0, 20));
      await expect(r3).rejects.toThrow('connection ended before its preamble');

      const silent = await pair();
      await expect(readPreamble(silent.served, 50)).rejects.toThrow('no preamble in 50 ms');
      silent.client.destroy();
    });
  });
});
