/**
 * `skiff server` secure by default, driven by the real kubectl and curl (skipped, saying so, without kubectl):
 * HTTPS with the cluster CA, the written kubeconfig's admin certificate, `kubectl auth whoami`, a token from
 * --token-auth-file, a client certificate from another CA refused with 401, anonymous /version, certificates
 * reused across a restart, --insecure-http's plain HTTP, and the in-process components' own identities.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { makeDataDir, startServer, type RunningServer } from './server.js';
import { commandPath } from '../setup/commands.js';
import { createClusterCA } from '../../src/control/pki/ca.js';
import { issueCertificate } from '../../src/control/pki/issue.js';
import { ADMIN_SPEC } from '../../src/control/pki/cluster-certs.js';
import { kubeconfigYaml } from '../../src/cli/kubeconfig-yaml.js';

const KUBECTL = commandPath('kubectl');
const CURL = commandPath('curl');
if (!KUBECTL) console.warn('kubectl not found on PATH: the TLS end-to-end suite is skipped');

let data: ReturnType<typeof makeDataDir>;
let server: RunningServer;

const run = (kubeconfig: string, ...args: string[]): string =>
  execFileSync(KUBECTL!, ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const k = (...args: string[]): string => run(server.kubeconfig, ...args);
const fails = (kubeconfig: string, ...args: string[]): string => {
  try {
    run(kubeconfig, ...args);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error(`kubectl ${args.join(' ')} unexpectedly succeeded`);
};

describe.skipIf(!KUBECTL)('skiff server over HTTPS', () => {
  beforeAll(async () => {
    data = makeDataDir();
    writeFileSync(join(data.dir, 'tokens.csv'), 'tok-alice,alice,u-1,"dev,ops"\n');
    // The server makes its own CA and certificates here (a first start), not the run's shared ones.
    server = await startServer(data.dir, ['--nodes', '0', '--no-scheduler', '--no-controllers', '--token-auth-file', join(data.dir, 'tokens.csv')], { freshPki: true });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    data?.remove();
  });

  test('serves https and writes a kubeconfig with the CA and the admin client certificate', () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const kc = parse(readFileSync(server.kubeconfig, 'utf8')) as { clusters: Array<{ cluster: Record<string, unknown> }>; users: Array<{ user: Record<string, unknown> }> };
    expect(kc.clusters[0]!.cluster).toEqual({ server: server.url, 'certificate-authority-data': Buffer.from(readFileSync(join(data.dir, 'ca.crt'))).toString('base64') });
    expect(Object.keys(kc.users[0]!.user).sort()).toEqual(['client-certificate-data', 'client-key-data']);
    expect(k('get', 'ns', '-o', 'name')).toContain('namespace/kube-system');
  });

  test('kubectl auth whoami: kubernetes-admin in system:masters', () => {
    const out = k('auth', 'whoami');
    expect(out).toMatch(/Username\s+kubernetes-admin/);
    expect(out).toMatch(/Groups\s+\[system:masters system:authenticated\]/);
  });

  test('a token from --token-auth-file is its user; an unknown token is Unauthorized', () => {
    // Beside a client certificate a token is not asked about (certificates come first): a kubeconfig without one.
    const tokenOnly = join(data.dir, 'token.kubeconfig');
    writeFileSync(tokenOnly, kubeconfigYaml(server.url).replace('insecure-skip-tls-verify: true', `certificate-authority: ${join(data.dir, 'ca.crt')}`).replace('  user: {}', '  user: {token: nope}'));
    expect(fails(tokenOnly, 'get', 'ns')).toContain('error: You must be logged in to the server (Unauthorized)');
    writeFileSync(tokenOnly, readFileSync(tokenOnly, 'utf8').replace('token: nope', 'token: tok-alice'));
    expect(run(tokenOnly, 'auth', 'whoami')).toMatch(/Username\s+alice[\s\S]*Groups\s+\[dev ops system:authenticated\]/);
  });

  test('kubectl create -f a TokenReview says whose the token is; api-resources lists the reviews', () => {
    const file = join(data.dir, 'review.yaml');
    writeFileSync(file, 'apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec:\n  token: tok-alice\n');
    // Mapped through discovery; validated by kubectl from OpenAPI v2 in protobuf (a create-only kind has no PATCH
    // operation to tell kubectl the server validates fields).
    const review = JSON.parse(k('create', '-f', file, '-o', 'json')) as { status: Record<string, unknown> };
    expect(review.status).toEqual({ authenticated: true, user: { username: 'alice', uid: 'u-1', groups: ['dev', 'ops', 'system:authenticated'] } });
    expect(k('api-resources', '--api-group', 'authentication.k8s.io', '--no-headers')).toMatch(/^selfsubjectreviews\s+authentication\.k8s\.io\/v1\s+false\s+SelfSubjectReview\ntokenreviews\s+authentication\.k8s\.io\/v1\s+false\s+TokenReview\n$/);
  });

  test('a client certificate from another CA is 401 Unauthorized', () => {
    const stranger = createClusterCA();
    const cert = issueCertificate(stranger, ADMIN_SPEC);
    const caPem = readFileSync(join(data.dir, 'ca.crt'), 'utf8');
    const bad = join(data.dir, 'bad.kubeconfig');
    writeFileSync(bad, kubeconfigYaml(server.url, { caPem, certPem: cert.certPem, keyPem: cert.keyPem }));
    // kubectl's words for a 401: "Unauthorized" from the Status when its discovery is cached (earlier tests here
    // cached it), its own when discovery itself is refused (this test alone).
    expect(fails(bad, 'get', 'ns')).toMatch(/error: You must be logged in to the server \((Unauthorized|the server has asked for the client to provide credentials)\)/);
  });

  test.skipIf(!CURL)('anonymous curl -k /version works; elsewhere anonymous is 401 (RBAC and anonymous only on the public paths)', () => {
    const version = JSON.parse(execFileSync(CURL!, ['-sk', `${server.url}/version`], { encoding: 'utf8' })) as { gitVersion: string };
    expect(version.gitVersion).toMatch(/^v1\.\d+/);
    const review = JSON.parse(execFileSync(CURL!, ['-sk', '-X', 'POST', '-H', 'content-type: application/json', '-d', '{}', `${server.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`], { encoding: 'utf8' })) as Record<string, unknown>;
    expect(review).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const refused = JSON.parse(execFileSync(CURL!, ['-sk', '-H', 'Authorization: Bearer nope', `${server.url}/api`], { encoding: 'utf8' })) as Record<string, unknown>;
    expect(refused).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  });

  test('a restart reuses the certificates; --insecure-http serves plain http as system:unsecured', async () => {
    const before = ['apiserver.crt', 'admin.crt', 'ca.crt'].map((f) => readFileSync(join(data.dir, f), 'utf8'));
    await server.stop();
    server = await startServer(data.dir, ['--nodes', '0', '--no-scheduler', '--no-controllers', '--insecure-http']);
    expect(server.url).toMatch(/^http:\/\//);
    expect(readFileSync(server.kubeconfig, 'utf8')).toContain('insecure-skip-tls-verify: true');
    expect(k('auth', 'whoami')).toMatch(/Username\s+system:unsecured/);
    await server.stop();
    // Now with the scheduler, the controller manager and the local node: each gets a certificate and a kubeconfig of its own.
    server = await startServer(data.dir, []);
    expect(['apiserver.crt', 'admin.crt', 'ca.crt'].map((f) => readFileSync(join(data.dir, f), 'utf8'))).toEqual(before);
    expect(k('get', 'ns', 'default', '-o', 'name')).toBe('namespace/default\n');
    expect(run(join(data.dir, 'scheduler.kubeconfig'), 'auth', 'whoami')).toMatch(/Username\s+system:kube-scheduler\n\s*Groups\s+\[system:authenticated\]/);
    expect(run(join(data.dir, 'controller-manager.kubeconfig'), 'auth', 'whoami')).toMatch(/Username\s+system:kube-controller-manager/);
    expect(run(join(data.dir, 'node.kubeconfig'), 'auth', 'whoami')).toMatch(/Username\s+system:node:\S+\n\s*Groups\s+\[system:nodes system:authenticated\]/);
  }, 60_000);
});
