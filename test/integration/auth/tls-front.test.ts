/**
 * `skiff server --tls-thread`: the TLS front (src/control/api/tls-front/) listens and does the TLS on a thread of
 * its own; the API server's HTTP server gets each connection's plain bytes with the client's certificate and
 * address. What an https server gave the API server must come through unchanged: who the client is (certificate,
 * token, anonymous, a foreign CA refused), where it connects from, watch streams, large bodies both ways, a
 * renewed serving certificate, and a clean stop.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { buildServer, type ApiServer } from '../../../src/control/api/server.js';
import { startTlsFront, type TlsFront } from '../../../src/control/api/tls-front/index.js';
import { createClusterCA } from '../../../src/control/pki/ca.js';
import { issueCertificate } from '../../../src/control/pki/issue.js';
import { ADMIN_SPEC, loadOrIssueClusterCertificates } from '../../../src/control/pki/cluster-certs.js';
import { useServingCertificate } from '../../../src/control/pki/rotation.js';
import { authenticationChain, parseTokenFile, TokenFileAuthenticator } from '../../../src/control/api/auth/index.js';
import { ApiError, RestClient } from '../../../src/client/rest.js';
import type { ClientConfig } from '../../../src/client/kubeconfig.js';
import type { KubeObject } from '../../../src/client/types.js';
import { whoami } from '../../support/whoami.js';
import { servingWithClientCerts } from '../../../src/control/pki/serving-tls.js';

const ca = createClusterCA();
const stranger = createClusterCA();
const dir = mkdtempSync(join(tmpdir(), 'skiff-t-tls-front-'));
const certs = loadOrIssueClusterCertificates(dir, ca, { listenHosts: ['127.0.0.1'], serviceIP: '10.96.0.1' });
const foreign = issueCertificate(stranger, ADMIN_SPEC);
const tokens = new TokenFileAuthenticator(parseTokenFile('tok-alice,alice,u-1,"dev,ops"\n', 'tokens.csv').tokens);
const serving = servingWithClientCerts(certs.serving, ca.certPem);

let server: ApiServer;
let store: MemoryStore;
let front: TlsFront;
/** The socket address the API server's handlers saw, per request path. */
const peers = new Map<string, string>();
const clients: RestClient[] = [];
const client = (c: Partial<ClientConfig>, host = '127.0.0.1'): RestClient => {
  const r = new RestClient({ server: `https://${host}:${front.address.port}`, ...c });
  clients.push(r);
  return r;
};
const admin = () => client({ caData: ca.certPem, certData: certs.admin.certPem, keyData: certs.admin.keyPem });
const Namespaces = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };
const ConfigMaps = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };

beforeAll(async () => {
  store = new MemoryStore();
  server = await buildServer({ store, compactIntervalMs: 0, metrics: false, authentication: authenticationChain({ clientCA: ca.certPem, tokens: [tokens] }) });
  await server.app.ready();
  server.app.server.on('request', (req: IncomingMessage) => {
    peers.set(req.url ?? '', `${req.socket.remoteFamily} ${req.socket.remoteAddress}:${req.socket.remotePort}`);
  });
  front = await startTlsFront(server.app.server, { host: '127.0.0.1', port: 0, tls: serving });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await front?.close();
  await server?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the API server behind the TLS front thread', () => {
  it('knows each client by its certificate or token, anonymous without; a foreign CA\'s certificate is 401', async () => {
    expect(await whoami(admin())).toEqual({ username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] });
    expect(await whoami(client({ caData: ca.certPem }, 'localhost'))).toEqual({ username: 'system:anonymous', groups: ['system:unauthenticated'] });
    expect(await whoami(client({ caData: ca.certPem, token: 'tok-alice' }))).toEqual({ username: 'alice', uid: 'u-1', groups: ['dev', 'ops', 'system:authenticated'] });
    const err = await client({ caData: ca.certPem, certData: foreign.certPem, keyData: foreign.keyPem }).get(Namespaces, 'default').then(() => null, (e: unknown) => e);
    expect((err as ApiError).status).toMatchObject({ reason: 'Unauthorized', code: 401 });
    await expect(client({ caData: stranger.certPem }).get(Namespaces, 'default')).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });

  it('sees the client\'s own address and port, not the front\'s Unix socket', async () => {
    const sock = tlsConnect({ host: '127.0.0.1', port: front.address.port, ca: ca.certPem, cert: certs.admin.certPem, key: certs.admin.keyPem, servername: 'localhost' });
    await new Promise<void>((r, j) => sock.once('secureConnect', r).once('error', j));
    const localPort = sock.localPort;
    const answer = new Promise<string>((r) => {
      let text = '';
      sock.on('data', (b: Buffer) => (text += b.toString()));
      sock.on('end', () => r(text));
    });
    sock.write('GET /version?peer=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expect(await answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(peers.get('/version?peer=1')).toBe(`IPv4 127.0.0.1:${localPort}`);
  });

  it('carries a watch stream and megabyte bodies both ways', async () => {
    const c = admin();
    await c.create(Namespaces, { metadata: { name: 'front' } });
    const seen: string[] = [];
    const ac = new AbortController();
    const watching = (async () => {
      for await (const ev of c.watch(ConfigMaps, { namespace: 'front', signal: ac.signal })) {
        seen.push(`${ev.type} ${ev.object.metadata?.name} ${String((ev.object as KubeObject & { data?: { big?: string } }).data?.big?.length)}`);
        if (seen.length === 2) ac.abort();
      }
    })().catch((e: unknown) => (ac.signal.aborted ? undefined : Promise.reject(e)));
    const big = 'x'.repeat(900_000);
    await c.create(ConfigMaps, { metadata: { name: 'big', namespace: 'front' }, data: { big } });
    await c.create(ConfigMaps, { metadata: { name: 'small', namespace: 'front' }, data: { big: 'y' } });
    await watching;
    expect(seen).toEqual(['ADDED big 900000', 'ADDED small 1']);
    expect(((await c.get(ConfigMaps, 'big', 'front')) as KubeObject & { data: { big: string } }).data.big).toBe(big);
  });

  it('serves a renewed certificate to new connections', async () => {
    const serial = async (): Promise<string> => {
      const s = tlsConnect({ host: '127.0.0.1', port: front.address.port, ca: ca.certPem, servername: 'localhost' });
      await new Promise<void>((r, j) => s.once('secureConnect', r).once('error', j));
      const n = s.getPeerCertificate().serialNumber;
      s.destroy();
      return n;
    };
    const before = await serial();
    const renewed = issueCertificate(ca, { commonName: 'kube-apiserver', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usages: ['server'] });
    useServingCertificate(front, { ...certs.serving, keyPem: renewed.keyPem, certPem: renewed.certPem }, ca.certPem);
    const after = await (async () => {
      for (let i = 0; i < 50; i++) {
        const n = await serial();
        if (n !== before) return n;
        await new Promise((r) => setTimeout(r, 20));
      }
      return before;
    })();
    expect(after).not.toBe(before);
    expect(await whoami(admin())).toMatchObject({ username: 'kubernetes-admin' });
  });
});

describe('stopping the front', () => {
  it('closes its port and removes its socket, which only this user could reach', async () => {
    const f = await startTlsFront(server.app.server, { host: '127.0.0.1', port: 0, tls: serving });
    const c = new RestClient({ server: `https://127.0.0.1:${f.address.port}`, caData: ca.certPem, certData: certs.admin.certPem, keyData: certs.admin.keyPem });
    expect(await c.request<{ major: string }>('GET', '/version')).toMatchObject({ major: '1' });
    expect(statSync(dirname(f.socketPath)).mode & 0o777).toBe(0o700);
    await f.close();
    c.close();
    const refused = await new Promise<string>((r) => {
      const s = tlsConnect({ host: '127.0.0.1', port: f.address.port, ca: ca.certPem });
      s.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? 'error'));
      s.once('secureConnect', () => r('connected'));
    });
    expect(refused).toBe('ECONNREFUSED');
    expect(existsSync(dirname(f.socketPath))).toBe(false);
  });
});
