/**
 * ServiceAccount tokens end to end on a real HTTPS server: the admission plugin gives a new pod its projected
 * token volume; a TokenRequest bound to the pod gives a JWT that authenticates as the ServiceAccount until the pod
 * is deleted (then 401); `kubectl create token` prints one; the issuer's discovery documents verify it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPublicKey } from 'node:crypto';
import { compactVerify, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { buildServer, type ApiServer } from '../../../src/control/api/server.js';
import { bootstrap } from '../../../src/control/bootstrap.js';
import { createClusterCA } from '../../../src/control/pki/ca.js';
import { loadOrIssueClusterCertificates, nodeSpec } from '../../../src/control/pki/cluster-certs.js';
import { issueCertificate } from '../../../src/control/pki/issue.js';
import { authenticationChain } from '../../../src/control/api/auth/index.js';
import { newSigningKey } from '../../../src/control/api/serviceaccount/key.js';
import { DEFAULT_SERVICE_ACCOUNT_ISSUER } from '../../../src/control/api/serviceaccount/index.js';
import { ApiError, RestClient } from '../../../src/client/rest.js';
import type { ClientConfig } from '../../../src/client/kubeconfig.js';
import type { KubeObject } from '../../../src/client/types.js';
import { Pods, ServiceAccounts } from '../../../src/client/resources.js';
import { kubeconfigYaml } from '../../../src/cli/kubeconfig-yaml.js';
import { eventually } from '../../support/cluster.js';
import { servingWithClientCerts } from '../../../src/control/pki/serving-tls.js';

const execFileP = promisify(execFile);
const ca = createClusterCA();
const dir = mkdtempSync(join(tmpdir(), 'skiff-satok-'));
const certs = loadOrIssueClusterCertificates(dir, ca, { listenHosts: ['127.0.0.1'], serviceIP: '10.96.0.1' });
const key = newSigningKey('ec');

let server: ApiServer;
let store: MemoryStore;
let port = 0;
const clients: RestClient[] = [];
const client = (c: Partial<ClientConfig>): RestClient => {
  const r = new RestClient({ server: `https://127.0.0.1:${port}`, caData: ca.certPem, ...c });
  clients.push(r);
  return r;
};
const admin = () => client({ certData: certs.admin.certPem, keyData: certs.admin.keyPem });
const whoami = async (c: RestClient) =>
  (await c.request<{ status: { userInfo: { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> } } }>(
    'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })).status.userInfo;
const errorOf = (p: Promise<unknown>): Promise<ApiError> => p.then(() => { throw new Error('expected an error'); }, (e: unknown) => e as ApiError);

beforeAll(async () => {
  store = new MemoryStore();
  server = await buildServer({
    store, compactIntervalMs: 0, metrics: false,
    https: servingWithClientCerts(certs.serving, ca.certPem),
    authentication: authenticationChain({ clientCA: ca.certPem }),
    serviceAccounts: { key, admission: true },
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = server.app.server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  await bootstrap(server.engine, { host: '127.0.0.1', port });
  // No controllers here: the ServiceAccount the serviceaccount controller would make.
  await admin().create(ServiceAccounts, { metadata: { name: 'default', namespace: 'default' } }, 'default');
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ServiceAccount tokens over HTTPS', () => {
  it('a new pod runs as default with the projected kube-api-access volume mounted read-only', async () => {
    const pod = await admin().create(Pods, { metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, 'default');
    const spec = pod['spec'] as { serviceAccountName: string; volumes: Array<{ name: string; projected?: { sources: unknown[] } }>; containers: Array<{ volumeMounts: unknown[] }> };
    expect(spec.serviceAccountName).toBe('default');
    const vol = spec.volumes.find((v) => v.name.startsWith('kube-api-access-'))!;
    expect(vol.name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(vol.projected?.sources).toEqual([
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ]);
    expect(spec.containers[0]!.volumeMounts).toEqual([{ name: vol.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    // A pod naming a ServiceAccount that does not exist is refused, in upstream's words.
    const err = await errorOf(admin().create(Pods, { metadata: { name: 'lost', namespace: 'default' }, spec: { serviceAccountName: 'ghost', containers: [{ name: 'c', image: 'busybox' }] } }, 'default'));
    expect(err.code).toBe(403);
    expect(err.status?.message).toBe('pods "lost" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found');
  });

  it('a token bound to the pod authenticates as the ServiceAccount until the pod is deleted, then 401', async () => {
    const a = admin();
    const pod = await a.get(Pods, 'web', 'default');
    const tr = await a.request<KubeObject & { status: { token: string; expirationTimestamp: string }; spec: Record<string, unknown> }>(
      'POST', '/api/v1/namespaces/default/serviceaccounts/default/token', {
        apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
        spec: { expirationSeconds: 600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: pod.metadata?.uid } },
      });
    expect(tr.kind).toBe('TokenRequest');
    expect(tr.spec['audiences']).toEqual([DEFAULT_SERVICE_ACCOUNT_ISSUER]);
    const left = Date.parse(tr.status.expirationTimestamp) - Date.now();
    expect(left).toBeGreaterThan(590_000);
    expect(left).toBeLessThanOrEqual(600_000);
    const sa = client({ token: tr.status.token });
    const api = await sa.request<{ kind: string }>('GET', '/api');
    expect(api.kind).toBe('APIVersions');
    const saObj = await a.get(ServiceAccounts, 'default', 'default');
    const me = await whoami(sa);
    expect(me).toMatchObject({
      username: 'system:serviceaccount:default:default', uid: saObj.metadata?.uid,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
    });
    expect(me.extra?.['authentication.kubernetes.io/pod-name']).toEqual(['web']);
    expect(me.extra?.['authentication.kubernetes.io/pod-uid']).toEqual([pod.metadata?.uid]);
    expect(me.extra?.['authentication.kubernetes.io/credential-id']?.[0]).toMatch(/^JTI=[0-9a-f-]{36}$/);
    // TokenReview knows it too.
    const review = await a.request<{ status: { authenticated?: boolean; user: { username?: string } } }>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: tr.status.token },
    });
    expect(review.status).toMatchObject({ authenticated: true, user: { username: 'system:serviceaccount:default:default' } });

    await a.delete(Pods, 'default', 'web', { gracePeriodSeconds: 0 });
    const refused = await eventually('the token to be refused', async () => {
      const e = await sa.request('GET', '/api').then(() => null, (err: unknown) => err as ApiError);
      return e && e.code === 401 ? e : null;
    }, 5_000);
    expect(refused.status?.reason).toBe('Unauthorized');
  });

  it('TokenRequest goes through admission: a node gets tokens only for pods bound to it (NodeRestriction)', async () => {
    const a = admin();
    const node = issueCertificate(ca, nodeSpec('n1'));
    const asNode = client({ certData: node.certPem, keyData: node.keyPem });
    const mk = async (name: string, nodeName: string) =>
      a.create(Pods, { metadata: { name, namespace: 'default' }, spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] } }, 'default');
    const mine = await mk('on-n1', 'n1');
    const theirs = await mk('on-n2', 'n2');
    const ask = (p: KubeObject) => asNode.request<{ status: { token: string } }>('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', {
      spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: p.metadata?.name, uid: p.metadata?.uid } },
    });
    expect((await ask(mine)).status.token.split('.')).toHaveLength(3);
    const refused = await errorOf(ask(theirs));
    expect(refused.code).toBe(403);
    expect(refused.status?.message).toContain('node requested token bound to a pod scheduled on a different node');
    const unbound = await errorOf(asNode.request('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', { spec: {} }));
    expect(unbound.status?.message).toContain('node requested token not bound to a pod');
  });

  it('TokenReview with spec.audiences accepts a token for that audience, the API audience does not', async () => {
    const a = admin();
    const tr = await a.request<{ status: { token: string } }>('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', { spec: { audiences: ['vault'] } });
    const review = (audiences?: string[]) => a.request<{ status: Record<string, unknown> }>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: tr.status.token, ...(audiences ? { audiences } : {}) },
    });
    expect((await review(['vault'])).status).toMatchObject({ authenticated: true, audiences: ['vault'], user: { username: 'system:serviceaccount:default:default' } });
    expect((await review()).status).toEqual({ user: {}, error: `token audiences ["vault"] is invalid for the target audiences ["${DEFAULT_SERVICE_ACCOUNT_ISSUER}"]` });
    // Nor does the API take it as a credential.
    expect((await errorOf(client({ token: tr.status.token }).request('GET', '/api'))).code).toBe(401);
  });

  it('TokenRequest refusals: lifetime under ten minutes, unknown ServiceAccount', async () => {
    const a = admin();
    const short = await errorOf(a.request('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', { spec: { expirationSeconds: 60 } }));
    expect(short.code).toBe(422);
    const missing = await errorOf(a.request('POST', '/api/v1/namespaces/default/serviceaccounts/nobody/token', { spec: {} }));
    expect(missing.code).toBe(404);
  });

  it('kubectl create token prints a JWT that authenticates; discovery lists serviceaccounts/token', async () => {
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    writeFileSync(kubeconfig, kubeconfigYaml(`https://127.0.0.1:${port}`, { caPem: ca.certPem, certPem: certs.admin.certPem, keyPem: certs.admin.keyPem }));
    const { stdout } = await execFileP('kubectl', ['--kubeconfig', kubeconfig, 'create', 'token', 'default', '-n', 'default', '--duration', '20m']);
    const token = stdout.trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect((await whoami(client({ token }))).username).toBe('system:serviceaccount:default:default');
    const list = await admin().request<{ resources: Array<{ name: string; kind: string; group?: string; version?: string; verbs: string[] }> }>('GET', '/api/v1');
    expect(list.resources.find((r) => r.name === 'serviceaccounts/token')).toEqual({
      name: 'serviceaccounts/token', singularName: '', namespaced: true, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'],
    });
  });

  it('the issuer\'s discovery documents verify a token', async () => {
    const anonymous = client({});
    const config = await anonymous.request<{ issuer: string; jwks_uri: string }>('GET', '/.well-known/openid-configuration');
    expect(config.issuer).toBe(DEFAULT_SERVICE_ACCOUNT_ISSUER);
    expect(config.jwks_uri).toBe(`${DEFAULT_SERVICE_ACCOUNT_ISSUER}/openid/v1/jwks`);
    const set = await anonymous.request<{ keys: Array<Record<string, string>> }>('GET', '/openid/v1/jwks');
    expect(set.keys).toHaveLength(1);
    const tr = await admin().request<{ status: { token: string } }>('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', { spec: {} });
    const jwk = set.keys[0]!;
    const pub = await importJWK(jwk, jwk['alg']);
    const { protectedHeader } = await compactVerify(tr.status.token, pub as Parameters<typeof compactVerify>[1]);
    expect(protectedHeader.kid).toBe(jwk['kid']);
    expect(createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' })).toBe(key.publicKey.export({ type: 'spki', format: 'pem' }));
  });
});
