/**
 * Client certificate rotation without restarts, over real HTTPS: a REST client made from a kubeconfig file reads
 * it again and moves to a renewed certificate (client-go's rotation), whether the kubeconfig holds the PEMs (the
 * server's component kubeconfigs, rewritten by its certificate renewal) or names files (a node's kubelet.conf,
 * rewritten by its own CSR-based renewal). Certificates with a few seconds left show that the renewed one is what
 * keeps the client working once the old one has expired.
 */
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { buildServer, type ApiServer } from '../../../src/control/api/server.js';
import { bootstrap } from '../../../src/control/bootstrap.js';
import { createClusterCA } from '../../../src/control/pki/ca.js';
import { loadOrIssueServerCertificates, nodeSpec } from '../../../src/control/pki/cluster-certs.js';
import { issueCertificate } from '../../../src/control/pki/issue.js';
import { startCertificateRotation } from '../../../src/control/pki/rotation.js';
import { authenticationChain } from '../../../src/control/api/auth/index.js';
import { startControllerManager, type RunningControllerManager } from '../../../src/control/controllers/start.js';
import { nodeKubeconfigYaml, CLIENT_CERT_FILE, CLIENT_KEY_FILE } from '../../../src/dataplane/kubelet/tls-bootstrap/bootstrap.js';
import { startNodeCertificateRotation } from '../../../src/dataplane/kubelet/tls-bootstrap/rotation.js';
import { kubeconfigYaml } from '../../../src/cli/kubeconfig-yaml.js';
import { ApiError, RestClient } from '../../../src/client/rest.js';
import { loadKubeconfig, type ClientConfig } from '../../../src/client/kubeconfig.js';
import { CertificateSigningRequests, Namespaces } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { eventually } from '../../support/cluster.js';
import { servingWithClientCerts } from '../../../src/control/pki/serving-tls.js';

const ca = createClusterCA();
const dir = mkdtempSync(join(tmpdir(), 'skiff-cert-rotation-'));
writeFileSync(join(dir, 'ca.crt'), ca.certPem);
writeFileSync(join(dir, 'ca.key'), ca.keyPem);
const names = { listenHosts: ['127.0.0.1'], serviceIP: '10.96.0.1' };
let certs: Awaited<ReturnType<typeof loadOrIssueServerCertificates>>;
let server: ApiServer;
let store: MemoryStore;
let url = '';
let cm: RunningControllerManager | undefined;
const clients: RestClient[] = [];
const track = (c: RestClient): RestClient => (clients.push(c), c);
const client = (c: Partial<ClientConfig>, reloadMs?: number): RestClient =>
  track(new RestClient({ server: url, caData: ca.certPem, ...c }, reloadMs !== undefined ? { certReloadMs: reloadMs } : {}));
const whoami = async (c: RestClient): Promise<string> =>
  (await c.request<{ status: { userInfo: { username: string } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview',
  })).status.userInfo.username;
const code = (p: Promise<unknown>): Promise<number> => p.then(() => 200, (e: unknown) => (e instanceof ApiError ? e.code : -1));
/** A certificate for `spec` that expires `ms` from now (issued a year back, less `ms`). */
const expiringIn = (ms: number, spec: Parameters<typeof issueCertificate>[1]) => issueCertificate(ca, spec, { now: new Date(Date.now() - 365 * 86_400_000 + ms) });

beforeAll(async () => {
  certs = await loadOrIssueServerCertificates(dir, ca, names, []);
  store = new MemoryStore();
  server = await buildServer({
    store, compactIntervalMs: 0, metrics: false,
    https: servingWithClientCerts(certs.serving, ca.certPem),
    authentication: authenticationChain({ clientCA: ca.certPem }),
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = server.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  url = `https://127.0.0.1:${port}`;
  await bootstrap(server.engine, { host: '127.0.0.1', port });
});

afterAll(async () => {
  await cm?.stop();
  for (const c of clients) c.close();
  await server?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('RestClient.reloadClientCertificate', () => {
  it('moves to the certificate a rewritten kubeconfig holds; a watch in flight goes on', async () => {
    const file = join(dir, 'inline.kubeconfig');
    const a = issueCertificate(ca, { commonName: 'skiff-t-a', usages: ['client'] });
    const b = issueCertificate(ca, { commonName: 'skiff-t-b', usages: ['client'] });
    writeFileSync(file, kubeconfigYaml(url, { caPem: ca.certPem, certPem: a.certPem, keyPem: a.keyPem }));
    const c = track(new RestClient(loadKubeconfig(file), { certReloadMs: 30 }));
    expect(await whoami(c)).toBe('skiff-t-a');
    const events: string[] = [];
    const abort = new AbortController();
    const watching = (async () => {
      for await (const e of c.watch(Namespaces, { signal: abort.signal, resourceVersion: '0' })) events.push(`${e.type} ${(e.object as KubeObject).metadata?.name}`);
    })();
    await eventually('watch open', () => events.includes('ADDED default'));
    writeFileSync(file, kubeconfigYaml(url, { caPem: ca.certPem, certPem: b.certPem, keyPem: b.keyPem }));
    await eventually('requests as skiff-t-b', async () => (await whoami(c)) === 'skiff-t-b', 5_000, 20);
    // The watch opened before the switch still delivers.
    await client({ certData: certs.admin.certPem, keyData: certs.admin.keyPem }).create(Namespaces, { metadata: { name: 'after-reload' } });
    await eventually('watch event after the reload', () => events.includes('ADDED after-reload'));
    abort.abort();
    await watching;
    expect(c.reloadClientCertificate()).toBe(false); // nothing new
  });

  it('reads the files a kubeconfig names; a key without its certificate yet keeps the current pair', async () => {
    const pki = join(dir, 'files');
    mkdirSync(pki);
    const certFile = join(pki, 'client.crt');
    const keyFile = join(pki, 'client.key');
    const a = issueCertificate(ca, { commonName: 'skiff-t-files-a', usages: ['client'] });
    const b = issueCertificate(ca, { commonName: 'skiff-t-files-b', usages: ['client'] });
    writeFileSync(certFile, a.certPem);
    writeFileSync(keyFile, a.keyPem);
    writeFileSync(join(pki, 'kubelet.conf'), nodeKubeconfigYaml(url, ca.certPem, certFile, keyFile));
    const c = track(new RestClient(loadKubeconfig(join(pki, 'kubelet.conf')), { certReloadMs: 0 }));
    expect(await whoami(c)).toBe('skiff-t-files-a');
    writeFileSync(keyFile, b.keyPem); // caught half-way through a renewal
    expect(c.reloadClientCertificate()).toBe(false);
    expect(await whoami(c)).toBe('skiff-t-files-a');
    writeFileSync(certFile, b.certPem);
    expect(c.reloadClientCertificate()).toBe(true);
    expect(await whoami(c)).toBe('skiff-t-files-b');
    writeFileSync(join(pki, 'kubelet.conf'), 'not: [a kubeconfig');
    expect(c.reloadClientCertificate()).toBe(false);
    expect(await whoami(c)).toBe('skiff-t-files-b');
  });
});

describe('rotation before expiry, without restarts', () => {
  beforeAll(async () => {
    const admin = client({ certData: certs.admin.certPem, keyData: certs.admin.keyPem });
    // kubeadm's binding for nodes' own renewals, and the controllers that approve and sign.
    await admin.create({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', namespaced: false }, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'kubeadm:node-autoapprove-certificate-rotation' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:nodes' }],
    });
    cm = await startControllerManager({
      client: admin, controllers: ['csrsigning', 'csrapproving'], leaderElect: false,
      options: { clusterSigningCertFile: join(dir, 'ca.crt'), clusterSigningKeyFile: join(dir, 'ca.key'), workers: 1 },
      onError: (err, context) => console.error(context, err),
    });
    expect(await cm.ready).toBe(true);
  });

  it('an in-process component and a node keep working past their first certificate\'s expiry', async () => {
    const lifeMs = 6_000;
    // The in-process scheduler's identity, as `skiff server` keeps it: <data-dir>/scheduler.crt and scheduler.kubeconfig.
    const old = expiringIn(lifeMs, { commonName: 'system:kube-scheduler', usages: ['client'] });
    writeFileSync(join(dir, 'scheduler.crt'), old.certPem);
    writeFileSync(join(dir, 'scheduler.key'), old.keyPem);
    const kubeconfig = join(dir, 'scheduler.kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml(url, { caPem: ca.certPem, certPem: old.certPem, keyPem: old.keyPem }));
    const scheduler = track(new RestClient(loadKubeconfig(kubeconfig), { certReloadMs: 50 }));
    expect(await whoami(scheduler)).toBe('system:kube-scheduler');

    // A node whose certificate (kubelet.conf naming kubelet-client-current.*) has as little time left.
    const certDir = join(dir, 'node-pki');
    mkdirSync(certDir);
    const nodeOld = expiringIn(lifeMs, nodeSpec('n1'));
    writeFileSync(join(certDir, CLIENT_CERT_FILE), nodeOld.certPem);
    writeFileSync(join(certDir, CLIENT_KEY_FILE), nodeOld.keyPem);
    writeFileSync(join(certDir, 'kubelet.conf'), nodeKubeconfigYaml(url, ca.certPem, join(certDir, CLIENT_CERT_FILE), join(certDir, CLIENT_KEY_FILE)));
    const node = track(new RestClient(loadKubeconfig(join(certDir, 'kubelet.conf')), { certReloadMs: 50 }));
    expect(await whoami(node)).toBe('system:node:n1');

    // The server's renewal (as `skiff server` runs it) rewrites the component's kubeconfig ...
    const rotation = startCertificateRotation({
      everyMs: 3_600_000,
      check: () => loadOrIssueServerCertificates(dir, ca, names, ['scheduler']),
      apply: (next) => writeFileSync(kubeconfig, kubeconfigYaml(url, { caPem: ca.certPem, certPem: next.components.scheduler!.certPem, keyPem: next.components.scheduler!.keyPem })),
    });
    // ... and the node renews its own through the CSR API, as itself.
    const nodeRotation = startNodeCertificateRotation({ bootstrapKubeconfig: join(dir, 'unused'), certDir, kubeconfig: join(certDir, 'kubelet.conf'), nodeName: 'n1', checkEveryMs: 100, pollMs: 50, onError: (e) => console.error(e) });
    try {
      const renewed = await rotation.checkNow();
      expect(renewed.map((c) => c.issued)).toEqual([expect.stringMatching(/within 30 days/)]);
      await eventually('node certificate renewed', () => new X509Certificate(readFileSync(join(certDir, CLIENT_CERT_FILE))).serialNumber !== nodeOld.cert.serialNumber, 10_000, 50);
      const csrs = (await client({ certData: certs.admin.certPem, keyData: certs.admin.keyPem }).list<KubeObject & { spec?: { username?: string } }>(CertificateSigningRequests)).items;
      expect(csrs.map((c) => c.spec?.username)).toEqual(['system:node:n1']);

      // Past the first certificates' expiry: a client still holding them is refused, the rotated ones are not.
      // (validTo is whole seconds; the key generation between the two may have crossed one.)
      const expiresAt = Math.max(Date.parse(old.cert.validTo), Date.parse(nodeOld.cert.validTo)) + 1_000;
      await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now() + 100)));
      expect(await code(whoami(client({ certData: old.certPem, keyData: old.keyPem }, 0)))).toBe(401);
      expect(await code(whoami(client({ certData: nodeOld.certPem, keyData: nodeOld.keyPem }, 0)))).toBe(401);
      expect(await whoami(scheduler)).toBe('system:kube-scheduler');
      expect(await whoami(node)).toBe('system:node:n1');
      // One renewal each: the new certificates are far from due.
      expect(await nodeRotation.checkNow()).toBe(false);
      expect(await rotation.checkNow()).toEqual([]);
    } finally {
      rotation.stop();
      nodeRotation.stop();
    }
  }, 30_000);
});
