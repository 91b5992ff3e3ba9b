import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperNetChecker } from '../../../../src/dataplane/kubelet/runtime/runc/probe-net.js';

describe('HelperNetChecker (the probe helper process, here in this network namespace)', () => {
  let server: Server;
  let port = 0;
  let closedPort = 0;
  const seen: { path?: string; agent?: string; custom?: string }[] = [];
  const checker = new HelperNetChecker();

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ path: req.url, agent: req.headers['user-agent'], custom: req.headers['x-probe'] as string | undefined });
      if (req.url === '/hang') return; // never answers
      res.statusCode = req.url === '/fail' ? 503 : req.url === '/moved' ? 302 : 200;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    // A port nothing listens on: bind one, note it, close it.
    const tmp = createTcpServer();
    await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
    closedPort = (tmp.address() as AddressInfo).port;
    await new Promise((r) => tmp.close(r));
  });

  afterAll(() => {
    checker.close();
    server.closeAllConnections();
    server.close();
  });

  const http = (path: string, timeoutMs = 2000) => checker.http({ host: '127.0.0.1', port, path, scheme: 'HTTP', headers: [{ name: 'X-Probe', value: 'yes' }], timeoutMs });

  it('counts 200-399 as success, sends kube-probe and the probe headers', async () => {
    expect(await http('/healthz')).toEqual({ ok: true, detail: '200' });
    expect(await http('/moved')).toEqual({ ok: true, detail: '302' });
    expect(await http('/fail')).toEqual({ ok: false, detail: '503' });
    // Found by path, not position: the file's other tests use the same server and may run first.
    expect(seen.find((r) => r.path === '/healthz')).toEqual({ path: '/healthz', agent: 'kube-probe/1.32', custom: 'yes' });
  });

  it('fails on a timeout and on a refused connection; tcpSocket connects', async () => {
    expect(await http('/hang', 300)).toEqual({ ok: false, detail: 'timeout' });
    expect(await checker.tcp({ host: '127.0.0.1', port, timeoutMs: 1000 })).toEqual({ ok: true, detail: 'connected' });
    expect(await checker.tcp({ host: '127.0.0.1', port: closedPort, timeoutMs: 1000 })).toEqual({ ok: false, detail: 'ECONNREFUSED' });
    const [a, b] = await Promise.all([http('/a'), checker.tcp({ host: '127.0.0.1', port: closedPort, timeoutMs: 1000 })]);
    expect(a.ok).toBe(true);
    expect(b.ok).toBe(false);
  });

  it('after close every check fails without a helper', async () => {
    const c = new HelperNetChecker();
    c.close();
    expect(await c.tcp({ host: '127.0.0.1', port, timeoutMs: 500 })).toEqual({ ok: false, detail: 'node is shutting down' });
  });
});

describe('HelperNetChecker grpc (grpc.health.v1 over plaintext HTTP/2)', () => {
  it('asks Health/Check for the service and passes only SERVING', async () => {
    const { createServer: createH2 } = await import('node:http2');
    const asked: string[] = [];
    const server = createH2();
    server.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('end', () => {
        const body = Buffer.concat(chunks).subarray(5);
        const service = body.length ? body.subarray(2).toString() : '';
        asked.push(`${headers[':path']} ${headers['content-type']} ${JSON.stringify(service)}`);
        const status = service === 'down' ? 2 : 1;
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        const msg = Buffer.from([8, status]);
        const frame = Buffer.alloc(5 + msg.length);
        frame.writeUInt32BE(msg.length, 1);
        msg.copy(frame, 5);
        stream.end(frame);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const checker = new HelperNetChecker();
    try {
      expect(await checker.grpc({ host: '127.0.0.1', port, service: '', timeoutMs: 2000 })).toEqual({ ok: true, detail: 'SERVING' });
      expect(await checker.grpc({ host: '127.0.0.1', port, service: 'down', timeoutMs: 2000 })).toEqual({ ok: false, detail: 'NOT_SERVING' });
      expect(asked).toEqual(['/grpc.health.v1.Health/Check application/grpc ""', '/grpc.health.v1.Health/Check application/grpc "down"']);
      server.close();
      const refused = await checker.grpc({ host: '127.0.0.1', port, service: '', timeoutMs: 1000 });
      expect(refused.ok).toBe(false);
    } finally {
      checker.close();
      server.close();
    }
  });
});
