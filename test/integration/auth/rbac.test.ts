/**
 * RBAC enforced on a real HTTPS server, through the REST client and the real kubectl: no credentials is 401
 * outside the public paths, a user bound to `view` reads but cannot create (upstream's 403 message), `kubectl auth
 * can-i [--list]` as that user (own token and `--as`), impersonation refused without the `impersonate` verb,
 * and escalation prevention on roles and bindings.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { buildServer, type ApiServer } from '../../../src/control/api/server.js';
import { bootstrap } from '../../../src/control/bootstrap.js';
import { createClusterCA } from '../../../src/control/pki/ca.js';
import { loadOrIssueClusterCertificates } from '../../../src/control/pki/cluster-certs.js';
import { authenticationChain, parseTokenFile, TokenFileAuthenticator } from '../../../src/control/api/auth/index.js';
import { PUBLIC_INFO_PATHS } from '../../../src/control/api/authz/index.js';
import { ApiError, RestClient } from '../../../src/client/rest.js';
import type { KubeObject } from '../../../src/client/types.js';
import { servingWithClientCerts } from '../../../src/control/pki/serving-tls.js';

const run = promisify(execFile);
const KUBECTL = '/usr/bin/kubectl';
const ca = createClusterCA();
const dir = mkdtempSync(join(tmpdir(), 'skiff-rbac-'));
const certs = loadOrIssueClusterCertificates(dir, ca, { listenHosts: ['127.0.0.1'], serviceIP: '10.96.0.1' });
const tokens = new TokenFileAuthenticator(parseTokenFile('tok-alice,alice,u-1\ntok-bob,bob,u-2,devs\n', 'tokens.csv').tokens);

const Pods = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const Nodes = { group: '', version: 'v1', plural: 'nodes', namespaced: false };
const Roles = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', namespaced: true };
const RoleBindings = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', namespaced: true };
const ClusterRoles = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', namespaced: false };

let server: ApiServer;
let store: MemoryStore;
let url = '';
const clients: RestClient[] = [];
const client = (c: { token?: string; admin?: boolean } = {}): RestClient => {
  const r = new RestClient({
    server: url, caData: ca.certPem,
    ...(c.admin ? { certData: certs.admin.certPem, keyData: certs.admin.keyPem } : {}),
    ...(c.token ? { token: c.token } : {}),
  });
  clients.push(r);
  return r;
};
const failure = async (p: Promise<unknown>): Promise<ApiError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('the request succeeded');
};
const pod = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
const binding = (name: string, user: string, kind: 'Role' | 'ClusterRole', role: string): KubeObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: role },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
});

beforeAll(async () => {
  store = new MemoryStore();
  server = await buildServer({
    store, compactIntervalMs: 0, metrics: false,
    https: servingWithClientCerts(certs.serving, ca.certPem),
    authentication: authenticationChain({ clientCA: ca.certPem, tokens: [tokens] }),
    authorization: { modes: ['RBAC'], anonymousPaths: PUBLIC_INFO_PATHS },
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = server.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  url = `https://127.0.0.1:${port}`;
  await bootstrap(server.engine, { host: '127.0.0.1', port });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  writeFileSync(join(dir, 'kubeconfig'), [
    'apiVersion: v1', 'kind: Config', 'current-context: admin',
    'clusters:', '- name: skiff', '  cluster:', `    server: ${url}`, `    certificate-authority-data: ${b64(ca.certPem)}`,
    'users:',
    '- name: admin', '  user:', `    client-certificate-data: ${b64(certs.admin.certPem)}`, `    client-key-data: ${b64(certs.admin.keyPem)}`,
    '- name: alice', '  user:', '    token: tok-alice',
    'contexts:',
    '- name: admin', '  context: {cluster: skiff, user: admin, namespace: default}',
    '- name: alice', '  context: {cluster: skiff, user: alice, namespace: default}',
    '',
  ].join('\n'));
  // alice may read in default (the bootstrap `view`); bob administers default (the bootstrap `admin`).
  const admin = client({ admin: true });
  await admin.create(RoleBindings, binding('alice-view', 'alice', 'ClusterRole', 'view'), { namespace: 'default' });
  await admin.create(RoleBindings, binding('bob-admin', 'bob', 'ClusterRole', 'admin'), { namespace: 'default' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('RBAC over HTTPS', () => {
  it('requests without credentials are 401 except on the public paths', async () => {
    const res = await fetchNoCreds('/api/v1/pods');
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    for (const p of ['/healthz', '/readyz', '/livez', '/version']) expect((await fetchNoCreds(p)).status, p).toBe(200);
  });

  it('the bootstrap policy is there: view aggregated from system:aggregate-to-view', async () => {
    const view = await client({ admin: true }).get(ClusterRoles, 'view');
    expect(view.metadata?.annotations?.['rbac.authorization.kubernetes.io/autoupdate']).toBe('true');
    expect(JSON.stringify(view['rules'])).toContain('"pods"');
    expect(JSON.stringify(view['rules'])).not.toContain('"create"');
  });

  it('a user bound to view reads, and cannot create: 403 in upstream words', async () => {
    const alice = client({ token: 'tok-alice' });
    expect((await alice.list(Pods, { namespace: 'default' })).items).toEqual([]);
    const err = await failure(alice.create(Pods, pod('p1'), { namespace: 'default' }));
    expect(err.code).toBe(403);
    expect(err.status).toMatchObject({
      reason: 'Forbidden',
      message: 'pods is forbidden: User "alice" cannot create resource "pods" in API group "" in the namespace "default"',
      details: { kind: 'pods' },
    });
    const cluster = await failure(alice.list(Nodes));
    expect(cluster.status?.message).toBe('nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope');
    const other = await failure(alice.get(Pods, 'x', 'kube-system'));
    expect(other.status).toMatchObject({ message: 'pods "x" is forbidden: User "alice" cannot get resource "pods" in API group "" in the namespace "kube-system"', details: { name: 'x', kind: 'pods' } });
    const sub = await failure(alice.request('POST', '/api/v1/namespaces/default/pods/p1/eviction', {}));
    expect(sub.status?.message).toBe('pods "p1" is forbidden: User "alice" cannot create resource "pods/eviction" in API group "" in the namespace "default"');
    const path = await failure(alice.request('GET', '/metrics'));
    expect(path.status).toMatchObject({ message: 'forbidden: User "alice" cannot get path "/metrics"', details: {} });
  });

  it('impersonation needs the impersonate verb', async () => {
    const res = await fetchWith('/api/v1/namespaces/default/pods', { authorization: 'Bearer tok-alice', 'impersonate-user': 'bob' });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).message).toBe('users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope');
    // The admin may: each Impersonate-Group line is one group, and the impersonated user is authenticated.
    const who = await fetchWithCert('/apis/authentication.k8s.io/v1/selfsubjectreviews', { 'impersonate-user': 'erin', 'impersonate-group': ['ops', 'a,b'] as unknown as string }, 'POST');
    expect(JSON.parse(who.body).status.userInfo).toEqual({ username: 'erin', groups: ['ops', 'a,b', 'system:authenticated'] });
  });

  it('self and subject access reviews answer from the policy', async () => {
    const alice = client({ token: 'tok-alice' });
    const ssar = (verb: string) => alice.request<{ status: { allowed: boolean; reason?: string } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: 'default', verb, resource: 'pods' } },
    });
    expect((await ssar('list')).status).toMatchObject({ allowed: true, reason: 'RBAC: allowed by RoleBinding "alice-view/default" of ClusterRole "view" to User "alice"' });
    expect((await ssar('create')).status).toEqual({ allowed: false });
    const sar = await client({ admin: true }).request<{ status: { allowed: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'bob', groups: ['devs'], resourceAttributes: { namespace: 'default', verb: 'create', resource: 'pods' } },
    });
    expect(sar.status.allowed).toBe(true);
    const bad = await failure(alice.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: {} }));
    expect(bad.code).toBe(422);
  });

  it('roles and bindings: no granting what you do not hold, unless escalate or bind', async () => {
    const bob = client({ token: 'tok-bob' });
    // bob (admin in default) may grant what admin holds...
    await bob.create(Roles, { metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] }, { namespace: 'default' });
    await bob.create(RoleBindings, binding('carol-reads', 'carol', 'Role', 'pod-reader'), { namespace: 'default' });
    // ...but not more.
    const role = await failure(bob.create(Roles, { metadata: { name: 'node-admin' }, rules: [{ apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['*'] }] }, { namespace: 'default' }));
    expect(role.code).toBe(403);
    expect(role.status?.message).toBe([
      'roles.rbac.authorization.k8s.io "node-admin" is forbidden: user "bob" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:',
      '{APIGroups:[""], Resources:["nodes"], Verbs:["*"]}',
      '{APIGroups:[""], Resources:["pods"], Verbs:["*"]}',
    ].join('\n'));
    const bind = await failure(bob.create(RoleBindings, binding('bob-root', 'bob', 'ClusterRole', 'cluster-admin'), { namespace: 'default' }));
    expect(bind.code).toBe(403);
    expect(bind.status?.message).toMatch(/^rolebindings\.rbac\.authorization\.k8s\.io "bob-root" is forbidden: user "bob" \(groups=\["devs" "system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\["\*"\], Resources:\["\*"\], Verbs:\["\*"\]\}/);
    // With `bind` on cluster-admin (and `escalate` on roles) the same writes pass.
    const admin = client({ admin: true });
    await admin.create(Roles, { metadata: { name: 'delegate' }, rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['cluster-admin'] }, { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['escalate'] }] }, { namespace: 'default' });
    await admin.create(RoleBindings, binding('bob-delegate', 'bob', 'Role', 'delegate'), { namespace: 'default' });
    await bob.create(RoleBindings, binding('bob-root', 'bob', 'ClusterRole', 'cluster-admin'), { namespace: 'default' });
    await bob.create(Roles, { metadata: { name: 'node-admin' }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['*'] }] }, { namespace: 'default' });
  });

  it('local subject access reviews within their namespace; an aggregationRule needs cluster-admin', async () => {
    const bob = client({ token: 'tok-bob' });
    const lsar = (ns: string) => bob.request<{ status: { allowed: boolean }; metadata: { namespace?: string } }>('POST', `/apis/authorization.k8s.io/v1/namespaces/${ns}/localsubjectaccessreviews`, {
      apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', spec: { user: 'alice', resourceAttributes: { namespace: 'default', verb: 'list', resource: 'pods' } },
    });
    // bob's groups do not carry alice's grant: the review asks about alice with no groups, as upstream.
    expect((await lsar('default')).status.allowed).toBe(true);
    // bob may not ask in kube-system; the admin may, but the spec's namespace must be the URL's.
    expect((await failure(lsar('kube-system'))).code).toBe(403);
    const admin = client({ admin: true });
    const mismatch = await failure(admin.request('POST', '/apis/authorization.k8s.io/v1/namespaces/kube-system/localsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', spec: { user: 'alice', resourceAttributes: { namespace: 'default', verb: 'list', resource: 'pods' } },
    }));
    expect(mismatch.status).toMatchObject({ code: 400, message: 'spec.resourceAttributes.namespace must match namespace: kube-system' });
    await admin.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { metadata: { name: 'bob-cr-writer' }, rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['create'] }] });
    await admin.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', { metadata: { name: 'bob-cr-writer' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'bob-cr-writer' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' }] });
    const agg = await failure(bob.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { metadata: { name: 'sneaky' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { x: 'y' } }] } }));
    expect(agg.status?.message).toBe('clusterroles.rbac.authorization.k8s.io "sneaky" is forbidden: must have cluster-admin privileges to use the aggregationRule');
  });

  it('a removed binding stops applying at once', async () => {
    const admin = client({ admin: true });
    await admin.create(RoleBindings, binding('dave-view', 'dave', 'ClusterRole', 'view'), { namespace: 'default' });
    const asDave = () => fetchWithCert('/api/v1/namespaces/default/configmaps', { 'impersonate-user': 'dave' });
    expect((await asDave()).status).toBe(200);
    await admin.delete(RoleBindings, 'default', 'dave-view');
    const res = await asDave();
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).message).toBe('configmaps is forbidden: User "dave" cannot list resource "configmaps" in API group "" in the namespace "default"');
  });

  describe.skipIf(!existsSync(KUBECTL))('kubectl auth can-i', () => {
    const kubectl = async (...args: string[]): Promise<{ code: number; out: string }> => {
      try {
        const r = await run(KUBECTL, ['--kubeconfig', join(dir, 'kubeconfig'), ...args], { timeout: 20_000 });
        return { code: 0, out: r.stdout };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
      }
    };

    it('as alice with her own token and with --as', async () => {
      expect(await kubectl('--context', 'alice', 'auth', 'can-i', 'create', 'pods')).toEqual({ code: 1, out: 'no\n' });
      expect(await kubectl('--context', 'alice', 'auth', 'can-i', 'list', 'pods')).toEqual({ code: 0, out: 'yes\n' });
      expect(await kubectl('auth', 'can-i', 'create', 'pods', '--as', 'alice')).toEqual({ code: 1, out: 'no\n' });
      expect(await kubectl('auth', 'can-i', 'get', 'pods', '--as', 'alice')).toEqual({ code: 0, out: 'yes\n' });
      expect((await kubectl('auth', 'can-i', 'create', 'pods')).out).toBe('yes\n');
    });

    it('--list shows what alice may do in the namespace', async () => {
      const r = await kubectl('auth', 'can-i', '--list', '--as', 'alice');
      expect(r.code).toBe(0);
      const lines = r.out.split('\n');
      expect(lines[0]).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs/);
      expect(lines.find((l) => /^pods\s/.test(l))).toMatch(/\[get list watch\]/);
      expect(lines.find((l) => /^selfsubjectaccessreviews\.authorization\.k8s\.io\s/.test(l))).toMatch(/\[create\]/);
      expect(lines.some((l) => /\[\/healthz\]/.test(l) || /\/healthz/.test(l))).toBe(true);
      expect(r.out).not.toMatch(/^nodes\s/m);
    });
  });
});

async function fetchWith(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { ca: ca.certPem, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}
const fetchNoCreds = (path: string) => fetchWith(path, {});
async function fetchWithCert(path: string, headers: Record<string, string>, method = 'GET'): Promise<{ status: number; body: string }> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, ca: ca.certPem, cert: certs.admin.certPem, key: certs.admin.keyPem, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}
