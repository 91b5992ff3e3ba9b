/**
 * The cluster DNS server runs as its own least-privilege user, system:coredns, as in `skiff server --dns-listen`:
 * over real HTTPS with Node,RBAC authorisation, its client certificate lists and watches what it answers from
 * and answers queries, but may write nothing and read nothing else (no Secrets, no ConfigMaps).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { promises as dnsp } from 'node:dns';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { buildServer, type ApiServer } from '../../../src/control/api/server.js';
import { bootstrap } from '../../../src/control/bootstrap.js';
import { createClusterCA } from '../../../src/control/pki/ca.js';
import { loadOrIssueServerCertificates } from '../../../src/control/pki/cluster-certs.js';
import { authenticationChain } from '../../../src/control/api/auth/index.js';
import { PUBLIC_INFO_PATHS } from '../../../src/control/api/authz/index.js';
import { dnsClusterRole, ensureDnsRbac } from '../../../src/control/dns-rbac.js';
import { startDns, type RunningDns } from '../../../src/dataplane/dns/start.js';
import { ApiError, RestClient } from '../../../src/client/rest.js';
import { ConfigMaps, EndpointSlices, Namespaces, Pods, Secrets, Services } from '../../../src/client/resources.js';
import { servingWithClientCerts } from '../../../src/control/pki/serving-tls.js';

const ca = createClusterCA();
const dir = mkdtempSync(join(tmpdir(), 'skiff-dns-identity-'));
let server: ApiServer;
let store: MemoryStore;
let url = '';
let dns: RunningDns | undefined;
const clients: RestClient[] = [];
let certs: Awaited<ReturnType<typeof loadOrIssueServerCertificates>>;
const client = (which: 'admin' | 'dns'): RestClient => {
  const c = which === 'admin' ? certs.admin : certs.components.dns!;
  const r = new RestClient({ server: url, caData: ca.certPem, certData: c.certPem, keyData: c.keyPem });
  clients.push(r);
  return r;
};
const status = (p: Promise<unknown>): Promise<number> => p.then(() => 200, (e: unknown) => (e instanceof ApiError ? e.code : 0));

beforeAll(async () => {
  certs = await loadOrIssueServerCertificates(dir, ca, { listenHosts: ['127.0.0.1'], serviceIP: '10.96.0.1' }, ['dns']);
  store = new MemoryStore();
  server = await buildServer({
    store, compactIntervalMs: 0, metrics: false,
    https: servingWithClientCerts(certs.serving, ca.certPem),
    authentication: authenticationChain({ clientCA: ca.certPem }),
    authorization: { modes: ['Node', 'RBAC'], anonymousPaths: PUBLIC_INFO_PATHS },
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = server.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  url = `https://127.0.0.1:${port}`;
  await bootstrap(server.engine, { host: '127.0.0.1', port });
  await ensureDnsRbac(server.engine);
  await ensureDnsRbac(server.engine); // idempotent
});

afterAll(async () => {
  await dns?.stop();
  for (const c of clients) c.close();
  await server?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the DNS server as system:coredns', () => {
  it('its certificate is system:coredns, not an administrator', async () => {
    expect(certs.components.dns!.cert.subject).toBe('CN=system:coredns');
    const who = await client('dns').request<{ status: { userInfo: { username: string; groups?: string[] } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview',
    });
    expect(who.status.userInfo.username).toBe('system:coredns');
    expect(who.status.userInfo.groups).not.toContain('system:masters');
    expect(dnsClusterRole()).toMatchObject({ rules: [{ resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] }, { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] }] });
  });

  it('syncs its informers and answers with that identity', async () => {
    dns = await startDns({ client: client('dns'), listen: { host: '127.0.0.1', port: 0 } });
    expect(await dns.synced).toBe(true);
    const r = new dnsp.Resolver({ timeout: 2000, tries: 2 });
    r.setServers([`127.0.0.1:${dns.port}`]);
    expect(await r.resolve4('kubernetes.default.svc.cluster.local')).toEqual(['10.96.0.1']);
  });

  it('may list and watch what it answers from, and nothing more', async () => {
    const c = client('dns');
    for (const ref of [Services, EndpointSlices, Namespaces, Pods]) expect(await status(c.list(ref)), ref.plural).toBe(200);
    // No get (list and watch only, as CoreDNS's role), no other reads, no writes of any kind.
    expect(await status(c.get(Services, 'kubernetes', 'default'))).toBe(403);
    expect(await status(c.list(Secrets))).toBe(403);
    expect(await status(c.list(ConfigMaps))).toBe(403);
    expect(await status(c.create(Services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'evil', namespace: 'default' }, spec: { ports: [{ port: 53 }] } }))).toBe(403);
    expect(await status(c.patch(Services, 'default', 'kubernetes', { metadata: { labels: { owned: 'yes' } } }))).toBe(403);
    expect(await status(c.delete(Services, 'default', 'kubernetes'))).toBe(403);
    expect(await status(c.create(EndpointSlices, {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'kube-dns-x', namespace: 'kube-system' }, addressType: 'IPv4', endpoints: [],
    }))).toBe(403);
    // What it may do is exactly what the admin sees in the role: publishing a kube-dns endpoint needs another identity.
    await expect(startDns({ client: client('dns'), listen: { host: '127.0.0.1', port: 0 }, advertise: { address: '127.0.0.1' } })).rejects.toThrow(/403/);
  });
});
