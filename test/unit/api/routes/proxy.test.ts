/**
 * pods/proxy and services/proxy: where a request goes (upstream's SplitSchemeNamePort, IsProxyableIP and the pod
 * and service ResourceLocation), and the forwarding itself against a local HTTP server on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { forward, isProxyableIP, podTarget, serviceTarget, splitSchemeNamePort } from '../../../../src/control/api/routes/proxy.js';
import { inPrefixes, onLink, routedPrefixes } from '../../../../src/control/api/reachability.js';
import { ApiError } from '../../../../src/control/api/status.js';

const pod = (ip: string, ports: number[] = []) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' },
  spec: { containers: [{ name: 'a' }, { name: 'b', ports: ports.map((containerPort) => ({ containerPort })) }] },
  status: { podIP: ip },
});
const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ name: 'http', port: 80 }, { name: 'tls', port: 443 }] } };
const eps = (subsets: unknown[]) => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 's' }, subsets });
const status = (f: () => unknown): [number, string] => {
  try {
    f();
  } catch (e) {
    if (e instanceof ApiError) return [e.code, e.message];
    throw e;
  }
  throw new Error('expected an ApiError');
};

describe('where the proxy goes', () => {
  test('splitSchemeNamePort: name, name:port, scheme:name:port; other schemes and shapes are refused', () => {
    expect(splitSchemeNamePort('p')).toEqual({ scheme: '', name: 'p', port: '' });
    expect(splitSchemeNamePort('p:80')).toEqual({ scheme: '', name: 'p', port: '80' });
    expect(splitSchemeNamePort('https:proxy-service-zbzm6-lmdpp:462')).toEqual({ scheme: 'https', name: 'proxy-service-zbzm6-lmdpp', port: '462' });
    expect(splitSchemeNamePort('ftp:p:1')).toBeUndefined();
    expect(splitSchemeNamePort('a:b:c:d')).toBeUndefined();
    expect(splitSchemeNamePort(':80')).toBeUndefined();
  });

  test('isProxyableIP refuses loopback and link-local addresses, and non-IPs', () => {
    expect(isProxyableIP('10.244.0.5')).toBe(true);
    expect(isProxyableIP('fd00::5')).toBe(true);
    for (const ip of ['127.0.0.1', '127.3.2.1', '169.254.1.1', '::1', 'fe80::1', '', 'host']) expect(isProxyableIP(ip)).toBe(false);
  });

  test('onLink: only addresses inside a subnet of this host\'s interfaces (no gateway needed)', () => {
    const ifaces = {
      lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4' as const, mac: '', internal: true, cidr: '127.0.0.1/8' }],
      cni0: [{ address: '10.244.0.1', netmask: '255.255.255.0', family: 'IPv4' as const, mac: '', internal: false, cidr: '10.244.0.1/24' }],
      eth0: [{ address: 'fd00::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6' as const, mac: '', internal: false, cidr: 'fd00::1/64', scopeid: 0 }],
    };
    expect(onLink('10.244.0.7', ifaces)).toBe(true);
    expect(onLink('10.244.1.7', ifaces)).toBe(false);
    expect(onLink('203.0.113.5', ifaces)).toBe(false);
    expect(onLink('fd00::abcd', ifaces)).toBe(true);
    expect(onLink('fd00:0:0:1::5', ifaces)).toBe(false);
    expect(onLink('not-an-ip', ifaces)).toBe(false);
  });

  test('routed prefixes: the main table\'s routes but the default ones, IPv4 and IPv6', () => {
    const files: Record<string, string> = {
      '/proc/net/route': [
        'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
        'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0', // default via 192.0.2.1
        'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0', // 192.0.2.0/24
        'eth0\t0001F40A\t030200C0\t0003\t0\t0\t0\t00FFFFFF\t0\t0\t0', // 10.244.1.0/24 via 192.0.2.3
      ].join('\n'),
      '/proc/net/ipv6_route': [
        '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth0',
        'fd000000000000020000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth0',
      ].join('\n'),
    };
    const prefixes = routedPrefixes((p) => files[p] ?? '');
    expect(prefixes).toHaveLength(3);
    expect(inPrefixes('10.244.1.9', prefixes)).toBe(true);
    expect(inPrefixes('10.244.2.9', prefixes)).toBe(false);
    expect(inPrefixes('192.0.2.77', prefixes)).toBe(true);
    expect(inPrefixes('203.0.113.5', prefixes)).toBe(false); // only the default route would carry it
    expect(inPrefixes('fd00:0:0:2::8', prefixes)).toBe(true);
    expect(inPrefixes('fd00:0:0:3::8', prefixes)).toBe(false);
    expect(routedPrefixes(() => { throw new Error('no /proc'); })).toEqual([]);
  });

  test('a pod: its IP, the given port or its first declared container port, the scheme', () => {
    expect(podTarget(pod('10.244.0.5', [8080, 9090]), 'p')).toEqual({ scheme: 'http', host: '10.244.0.5', port: 8080 });
    expect(podTarget(pod('10.244.0.5'), 'https:p:462')).toEqual({ scheme: 'https', host: '10.244.0.5', port: 462 });
    expect(podTarget(pod('10.244.0.5'), 'p')).toEqual({ scheme: 'http', host: '10.244.0.5' });
    expect(status(() => podTarget(pod('127.0.0.1', [80]), 'p'))).toEqual([400, 'address not allowed']);
    expect(status(() => podTarget(pod(''), 'p'))).toEqual([400, 'address not allowed']);
    expect(status(() => podTarget(pod('10.244.0.5'), 'p:99999'))[0]).toBe(400);
  });

  test('a service: port number or name, to an address of the Endpoints subset with that port name', () => {
    const e = eps([
      { addresses: [{ ip: '10.244.0.7' }], ports: [{ name: 'tls', port: 8443 }] },
      { addresses: [{ ip: '10.244.0.8' }, { ip: '10.244.0.9' }], ports: [{ name: 'http', port: 8080 }, { name: 'tls', port: 8443 }] },
    ]);
    const first = () => 0;
    expect(serviceTarget(svc, e, 's:http', first)).toEqual({ scheme: 'http', host: '10.244.0.8', port: 8080 });
    expect(serviceTarget(svc, e, 'https:s:443', first)).toEqual({ scheme: 'https', host: '10.244.0.7', port: 8443 });
    expect(serviceTarget(svc, e, 'https:s:443', (n) => n - 1)).toEqual({ scheme: 'https', host: '10.244.0.9', port: 8443 });
    expect(status(() => serviceTarget(svc, e, 's:81', first))).toEqual([503, 'no service port 81 found for service "s"']);
    expect(status(() => serviceTarget(svc, eps([]), 's:http', first))).toEqual([503, 'no endpoints available for service "s"']);
    expect(status(() => serviceTarget(svc, undefined, 's:http', first))[0]).toBe(503);
    // An unnamed lookup matches only an unnamed endpoint port.
    expect(status(() => serviceTarget(svc, e, 's', first))).toEqual([503, 'no endpoints available for service "s"']);
  });
});

describe('forwarding', () => {
  let backend: Server;
  let port = 0;
  const app = Fastify();
  let base = '';
  beforeAll(async () => {
    backend = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.setHeader('x-backend', 'yes');
        res.statusCode = req.url?.startsWith('/missing') ? 404 : 200;
        res.end(JSON.stringify({ method: req.method, url: req.url, auth: req.headers['authorization'] ?? null, body: Buffer.concat(chunks).toString() }));
      });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const a = backend.address();
    port = typeof a === 'object' && a ? a.port : 0;
    app.setErrorHandler((err, _req, reply) => { void reply.code(err instanceof ApiError ? err.code : 500).send({ message: err.message }); });
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    app.all('/to/*', async (req, reply) => forward(req, reply, { scheme: 'http', host: '127.0.0.1', port }, `/${(req.params as { '*': string })['*']}`));
    app.all('/closed/*', async (req, reply) => forward(req, reply, { scheme: 'http', host: '127.0.0.1', port: 1 }, '/'));
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await new Promise((r) => backend.close(r));
  });

  test('method, path, query and body reach the target; its status and headers come back; credentials do not leave', async () => {
    const res = await fetch(`${base}/to/a/b?x=1`, { method: 'POST', headers: { authorization: 'Bearer secret', 'content-type': 'text/plain' }, body: 'hello' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-backend')).toBe('yes');
    expect(await res.json()).toEqual({ method: 'POST', url: '/a/b?x=1', auth: null, body: 'hello' });
    expect((await fetch(`${base}/to/missing`)).status).toBe(404);
  });

  test('an unreachable target is 503 error trying to reach service', async () => {
    const res = await fetch(`${base}/closed/x`);
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/error trying to reach service: connect ECONNREFUSED 127\.0\.0\.1:1/);
  });
});
