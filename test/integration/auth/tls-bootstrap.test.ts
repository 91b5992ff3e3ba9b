/**
 * Joining with a bootstrap token over real HTTPS: the token authenticates as system:bootstrap:<id>; the node's
 * CertificateSigningRequest is auto-approved (csrapproving) and signed (csrsigning) by the controller manager;
 * the certificate chains to the cluster CA and authenticates as system:node:<name>.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { buildServer, type ApiServer } from '../../../src/control/api/server.js';
import { bootstrap } from '../../../src/control/bootstrap.js';
import { createClusterCA } from '../../../src/control/pki/ca.js';
import { loadOrIssueClusterCertificates } from '../../../src/control/pki/cluster-certs.js';
import { authenticationChain } from '../../../src/control/api/auth/index.js';
import { BootstrapTokenAuthenticator, engineBootstrapSecretLookup } from '../../../src/control/api/auth/bootstrap-token.js';
import { bootstrapTokenSecret } from '../../../src/control/api/auth/bootstrap-token-secret.js';
import { startControllerManager, type RunningControllerManager } from '../../../src/control/controllers/start.js';
import { loadOrBootstrapNodeKubeconfig } from '../../../src/dataplane/kubelet/tls-bootstrap/bootstrap.js';
import { createCertificateRequest, newNodeKeyPem } from '../../../src/dataplane/kubelet/tls-bootstrap/certificate-request.js';
import { bootstrapKubeconfigYaml } from '../../../src/cli/kubeconfig-yaml.js';
import { ApiError, RestClient } from '../../../src/client/rest.js';
import { loadKubeconfig, type ClientConfig } from '../../../src/client/kubeconfig.js';
import { CertificateSigningRequests, Secrets } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { eventually } from '../../support/cluster.js';
import { realClock } from '../../../src/client/clock.js';
import { servingWithClientCerts } from '../../../src/control/pki/serving-tls.js';

const ca = createClusterCA();
const dir = mkdtempSync(join(tmpdir(), 'skiff-tlsboot-'));
writeFileSync(join(dir, 'ca.crt'), ca.certPem);
writeFileSync(join(dir, 'ca.key'), ca.keyPem);
const certs = loadOrIssueClusterCertificates(dir, ca, { listenHosts: ['127.0.0.1'], serviceIP: '10.96.0.1' });
const TOKEN = 'abcdef.0123456789abcdef';

let server: ApiServer;
let store: MemoryStore;
let url = '';
let cm: RunningControllerManager;
const clients: RestClient[] = [];
const client = (c: Partial<ClientConfig>): RestClient => {
  const r = new RestClient({ server: url, caData: ca.certPem, ...c });
  clients.push(r);
  return r;
};
const admin = () => client({ certData: certs.admin.certPem, keyData: certs.admin.keyPem });
const whoami = async (c: RestClient) =>
  (await c.request<{ status: { userInfo: { username: string; groups?: string[] } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview',
  })).status.userInfo;

interface CSR extends KubeObject {
  spec?: { username?: string; groups?: string[] };
  status?: { certificate?: string; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

beforeAll(async () => {
  store = new MemoryStore();
  const bootstrapTokens = new BootstrapTokenAuthenticator();
  server = await buildServer({
    store, compactIntervalMs: 0, metrics: false,
    https: servingWithClientCerts(certs.serving, ca.certPem),
    authentication: authenticationChain({ clientCA: ca.certPem, tokens: [bootstrapTokens] }),
  });
  bootstrapTokens.attach(engineBootstrapSecretLookup(server.engine));
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = server.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  url = `https://127.0.0.1:${port}`;
  await bootstrap(server.engine, { host: '127.0.0.1', port });
  await admin().create(Secrets, bootstrapTokenSecret(TOKEN, { now: new Date(), ttlMs: 3600_000 }));
  cm = await startControllerManager({
    client: admin(), controllers: ['csrsigning', 'csrapproving', 'tokencleaner'], leaderElect: false,
    options: { clusterSigningCertFile: join(dir, 'ca.crt'), clusterSigningKeyFile: join(dir, 'ca.key'), workers: 1 },
    onError: (err, context) => console.error(context, err),
  });
  expect(await cm.ready).toBe(true);
});

afterAll(async () => {
  await cm?.stop();
  for (const c of clients) c.close();
  await server?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bootstrap tokens', () => {
  it('authenticate as system:bootstrap:<id> in system:bootstrappers and the token\'s extra groups', async () => {
    expect(await whoami(client({ token: TOKEN }))).toEqual({
      username: 'system:bootstrap:abcdef',
      groups: ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:authenticated'],
    });
  });

  it('a wrong secret or an unknown id is 401, never anonymous', async () => {
    for (const token of ['abcdef.ffffffffffffffff', 'zzzzzz.0123456789abcdef']) {
      const err = await whoami(client({ token })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe(401);
    }
  });
});

describe('the token cleaner', () => {
  it('deletes expired bootstrap token Secrets and leaves live ones', async () => {
    const a = admin();
    await a.create(Secrets, bootstrapTokenSecret('old000.0123456789abcdef', { now: new Date(Date.now() - 2 * 3600_000), ttlMs: 3600_000 }));
    await eventually('expired token deleted', async () => !(await a.list(Secrets, { namespace: 'kube-system' })).items.some((s) => s.metadata?.name === 'bootstrap-token-old000'));
    expect((await a.get(Secrets, 'bootstrap-token-abcdef', 'kube-system')).metadata?.name).toBe('bootstrap-token-abcdef');
    const err = await whoami(client({ token: 'old000.0123456789abcdef' })).catch((e: unknown) => e);
    expect((err as ApiError).code).toBe(401);
  });
});

describe('a node joining', () => {
  it('gets its client certificate approved and signed, and then is system:node:<name>', async () => {
    const bootFile = join(dir, 'bootstrap.kubeconfig');
    writeFileSync(bootFile, bootstrapKubeconfigYaml(url, ca.certPem, TOKEN));
    const certDir = join(dir, 'pki');
    const r = await loadOrBootstrapNodeKubeconfig({ bootstrapKubeconfig: bootFile, certDir, kubeconfig: join(certDir, 'kubelet.conf'), nodeName: 'n1', pollMs: 50, timeoutMs: 20_000 });
    expect(r).toEqual({ kubeconfig: join(certDir, 'kubelet.conf'), bootstrapped: true });
    const cert = new X509Certificate(readFileSync(join(certDir, 'kubelet-client-current.crt')));
    expect(cert.checkIssued(ca.cert) && cert.verify(ca.cert.publicKey)).toBe(true);
    expect(cert.subject).toBe('O=system:nodes\nCN=system:node:n1');
    const node = new RestClient(loadKubeconfig(r.kubeconfig));
    clients.push(node);
    expect(await whoami(node)).toEqual({ username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] });
    // The request records who asked and why it was approved.
    const csrs = (await admin().list<CSR>(CertificateSigningRequests)).items;
    expect(csrs).toHaveLength(1);
    expect(csrs[0]!.spec?.username).toBe('system:bootstrap:abcdef');
    expect(csrs[0]!.status?.conditions?.[0]).toMatchObject({ type: 'Approved', status: 'True', reason: 'AutoApproved', message: 'Auto approving kubelet client certificate after SubjectAccessReview.' });
    // Started again, the node keeps the credentials it has.
    expect(await loadOrBootstrapNodeKubeconfig({ bootstrapKubeconfig: bootFile, certDir, kubeconfig: join(certDir, 'kubelet.conf'), nodeName: 'n1' })).toMatchObject({ bootstrapped: false });
  });

  it('past 80% of its certificate\'s life, a node renews it as itself (selfnodeclient)', async () => {
    const certDir = join(dir, 'pki');
    const old = new X509Certificate(readFileSync(join(certDir, 'kubelet-client-current.crt')));
    // A clock 0.85 of the certificate's life ahead: still valid, renewal due. Timers run in real time.
    const ahead = 0.85 * (Date.parse(old.validTo) - Date.parse(old.validFrom));
    const clock = { ...realClock, now: () => Date.now() + ahead };
    const bootFile = join(dir, 'no-such-bootstrap.kubeconfig');
    const r = await loadOrBootstrapNodeKubeconfig({ bootstrapKubeconfig: bootFile, certDir, kubeconfig: join(certDir, 'kubelet.conf'), nodeName: 'n1', pollMs: 50, timeoutMs: 20_000, clock });
    expect(r.bootstrapped).toBe(true);
    const renewed = new X509Certificate(readFileSync(join(certDir, 'kubelet-client-current.crt')));
    expect(renewed.serialNumber).not.toBe(old.serialNumber);
    expect(renewed.checkIssued(ca.cert)).toBe(true);
    const node = new RestClient(loadKubeconfig(r.kubeconfig));
    clients.push(node);
    expect((await whoami(node)).username).toBe('system:node:n1');
    const mine = (await admin().list<CSR>(CertificateSigningRequests)).items.filter((c) => c.spec?.username === 'system:node:n1');
    expect(mine).toHaveLength(1);
    expect(mine[0]!.status?.conditions?.[0]).toMatchObject({ reason: 'AutoApproved', message: 'Auto approving self kubelet client certificate after SubjectAccessReview.' });
  });

  it('a request breaking the signer rules is not auto-approved, and once approved by hand it Fails', async () => {
    const request = Buffer.from(createCertificateRequest(newNodeKeyPem(), { commonName: 'system:node:n2', organizations: ['system:nodes'], dnsNames: ['n2.example'] })).toString('base64');
    const boot = client({ token: TOKEN });
    await boot.create(CertificateSigningRequests, { metadata: { name: 'bad' }, spec: { request, signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] } });
    const a = admin();
    const csr = await a.get<CSR>(CertificateSigningRequests, 'bad');
    expect(csr.status?.conditions ?? []).toEqual([]);
    csr.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'ByHand', message: 'test' }] };
    await a.update(CertificateSigningRequests, csr, { subresource: 'approval' });
    const failed = await eventually('Failed condition', async () => (await a.get<CSR>(CertificateSigningRequests, 'bad')).status?.conditions?.find((c) => c.type === 'Failed'));
    expect(failed).toMatchObject({ status: 'True', reason: 'SignerValidationFailure', message: 'DNS subjectAltNames are not allowed' });
    expect((await a.get<CSR>(CertificateSigningRequests, 'bad')).status?.certificate).toBeUndefined();
  });
});
