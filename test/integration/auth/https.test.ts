/**
 * The API server over HTTPS with the authentication chain, reached through the REST client as every component
 * reaches it: the CA verifies the server, client certificates and bearer tokens say who asks, anonymous requests
 * still reach the server (no authorisation yet), a refused credential is 401 Unauthorized.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { buildServer, type ApiServer } from '../../../src/control/api/server.js';
import { createClusterCA } from '../../../src/control/pki/ca.js';
import { issueCertificate } from '../../../src/control/pki/issue.js';
import { ADMIN_SPEC, loadOrIssueClusterCertificates } from '../../../src/control/pki/cluster-certs.js';
import { authenticationChain, parseTokenFile, TokenFileAuthenticator } from '../../../src/control/api/auth/index.js';
import { ApiError, RestClient } from '../../../src/client/rest.js';
import type { ClientConfig } from '../../../src/client/kubeconfig.js';
import type { KubeObject } from '../../../src/client/types.js';
import { whoami } from '../../support/whoami.js';
import { servingWithClientCerts } from '../../../src/control/pki/serving-tls.js';

const ca = createClusterCA();
const stranger = createClusterCA();
const dir = mkdtempSync(join(tmpdir(), 'skiff-https-'));
const certs = loadOrIssueClusterCertificates(dir, ca, { listenHosts: ['127.0.0.1'], serviceIP: '10.96.0.1' });
const foreign = issueCertificate(stranger, ADMIN_SPEC);
const tokens = new TokenFileAuthenticator(parseTokenFile('tok-alice,alice,u-1,"dev,ops"\n', 'tokens.csv').tokens);

let server: ApiServer;
let store: MemoryStore;
let port = 0;
const clients: RestClient[] = [];
const client = (c: Partial<ClientConfig>, host = '127.0.0.1'): RestClient => {
  const r = new RestClient({ server: `https://${host}:${port}`, ...c });
  clients.push(r);
  return r;
};
const Namespaces = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };

beforeAll(async () => {
  store = new MemoryStore();
  server = await buildServer({
    store, compactIntervalMs: 0, metrics: false,
    https: servingWithClientCerts(certs.serving, ca.certPem),
    authentication: authenticationChain({ clientCA: ca.certPem, tokens: [tokens] }),
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = server.app.server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('HTTPS with the cluster CA', () => {
  const admin = () => client({ caData: ca.certPem, certData: certs.admin.certPem, keyData: certs.admin.keyPem });

  it('the admin certificate reads and writes, and is kubernetes-admin in system:masters', async () => {
    const c = admin();
    await c.create(Namespaces, { metadata: { name: 'tls-ns' } });
    expect((await c.get(Namespaces, 'tls-ns')).metadata?.name).toBe('tls-ns');
    expect(await whoami(c)).toEqual({ username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] });
  });

  it('the server is verified by the CA under each of its names; an unknown CA is refused by the client', async () => {
    expect(await whoami(client({ caData: ca.certPem }, 'localhost'))).toMatchObject({ username: 'system:anonymous' });
    await expect(client({ caData: stranger.certPem }).get(Namespaces, 'default')).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    await expect(client({}).get(Namespaces, 'default')).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    expect(await whoami(client({ insecureSkipTLSVerify: true }))).toMatchObject({ username: 'system:anonymous' });
  });

  it('anonymous requests still reach the server, as system:anonymous in system:unauthenticated', async () => {
    const c = client({ caData: ca.certPem });
    expect(await whoami(c)).toEqual({ username: 'system:anonymous', groups: ['system:unauthenticated'] });
    expect((await c.list(Namespaces)).items.length).toBeGreaterThan(0);
  });

  it('a token from the token file is its user', async () => {
    expect(await whoami(client({ caData: ca.certPem, token: 'tok-alice' }))).toEqual({ username: 'alice', uid: 'u-1', groups: ['dev', 'ops', 'system:authenticated'] });
  });

  it('an unknown token or a certificate from another CA is 401 with upstream\'s Status', async () => {
    for (const c of [client({ caData: ca.certPem, token: 'nope' }), client({ caData: ca.certPem, certData: foreign.certPem, keyData: foreign.keyPem })]) {
      const err = await c.get(Namespaces, 'default').then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    }
    // Non-resource paths too: authentication comes before routing.
    const version = await rawGet('/version', { cert: foreign.certPem, key: foreign.keyPem });
    expect(version.status).toBe(401);
    expect((await rawGet('/version', {})).status).toBe(200);
  });

  it('TokenReview says whose a token is, or why it is not valid', async () => {
    const c = admin();
    const review = (token: string) => c.request<KubeObject & { status: Record<string, unknown> }>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } });
    expect((await review('tok-alice')).status).toEqual({ authenticated: true, user: { username: 'alice', uid: 'u-1', groups: ['dev', 'ops', 'system:authenticated'] } });
    expect((await review('bogus')).status).toEqual({ user: {}, error: 'invalid bearer token' });
    const err = await review('').then(() => null, (e: unknown) => e);
    expect((err as ApiError).code).toBe(400);
    expect((err as ApiError).status?.message).toBe('token is required for TokenReview in authentication');
  });
});

describe('authentication.k8s.io/v1 in discovery', () => {
  it('lists the reviews as cluster-scoped, create-only; other verbs are 405', async () => {
    const c = client({ caData: ca.certPem });
    const list = await c.request<{ groupVersion: string; resources: Array<{ name: string; namespaced: boolean; kind: string; verbs: string[] }> }>('GET', '/apis/authentication.k8s.io/v1');
    expect(list.groupVersion).toBe('authentication.k8s.io/v1');
    expect(list.resources.map((r) => [r.name, r.kind, r.namespaced, r.verbs])).toEqual([
      ['selfsubjectreviews', 'SelfSubjectReview', false, ['create']],
      ['tokenreviews', 'TokenReview', false, ['create']],
    ]);
    const err = await c.request('GET', '/apis/authentication.k8s.io/v1/tokenreviews').then(() => null, (e: unknown) => e);
    expect((err as ApiError).code).toBe(405);
    const doc = await c.request<{ components: { schemas: Record<string, unknown> } }>('GET', '/openapi/v3/apis/authentication.k8s.io/v1');
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['io.k8s.api.authentication.v1.TokenReview', 'io.k8s.api.authentication.v1.UserInfo']));
  });
});

function rawGet(path: string, tls: { cert?: string; key?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, ca: ca.certPem, ...tls }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
