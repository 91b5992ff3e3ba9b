/**
 * A node identity against a real HTTPS server with kube-apiserver's default authorisation, Node then RBAC:
 * client certificates issued by the test CA (CN system:node:n1, O system:nodes), the Node authoriser's graph fed
 * from the server's watch caches, and NodeRestriction in the admission chain. RBAC grants nodes nothing (the
 * bootstrap system:node binding has no subjects, as upstream), so what a node may do is the Node authoriser's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { buildServer, type ApiServer } from '../../../src/control/api/server.js';
import { createClusterCA } from '../../../src/control/pki/ca.js';
import { issueCertificate } from '../../../src/control/pki/issue.js';
import { loadOrIssueClusterCertificates, nodeSpec } from '../../../src/control/pki/cluster-certs.js';
import { authenticationChain } from '../../../src/control/api/auth/index.js';
import { ApiError, RestClient } from '../../../src/client/rest.js';
import { Leases, Namespaces, Nodes, PersistentVolumeClaims, PersistentVolumes, Pods, Secrets, ServiceAccounts } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { eventually } from '../../support/cluster.js';
import { newSigningKey } from '../../../src/control/api/serviceaccount/key.js';
import { bootstrap } from '../../../src/control/bootstrap.js';
import { startNodeAgent, type RunningNodeAgent } from '../../../src/dataplane/kubelet/start.js';
import { parseNodeSpec } from '../../../src/dataplane/kubelet/spec.js';
import { servingWithClientCerts } from '../../../src/control/pki/serving-tls.js';

const ca = createClusterCA();
const dir = mkdtempSync(join(tmpdir(), 'skiff-nodeauthz-'));
const certs = loadOrIssueClusterCertificates(dir, ca, { listenHosts: ['127.0.0.1'], serviceIP: '10.96.0.1' });
const n1Cert = issueCertificate(ca, nodeSpec('n1'));

let server: ApiServer;
let store: MemoryStore;
let port = 0;
const clients: RestClient[] = [];
const client = (cert: { certPem: string; keyPem: string }): RestClient => {
  const r = new RestClient({ server: `https://127.0.0.1:${port}`, caData: ca.certPem, certData: cert.certPem, keyData: cert.keyPem });
  clients.push(r);
  return r;
};

beforeAll(async () => {
  store = new MemoryStore();
  server = await buildServer({
    store, compactIntervalMs: 0, metrics: false, namespaceSweepMs: 200,
    https: servingWithClientCerts(certs.serving, ca.certPem),
    authentication: authenticationChain({ clientCA: ca.certPem }),
    authorization: { modes: ['Node', 'RBAC'] },
    serviceAccounts: { key: newSigningKey('ec') },
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = server.app.server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  await bootstrap(server.engine, { host: '127.0.0.1', port });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const podOn = (name: string, node: string, secret: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' },
  spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 's', secret: { secretName: secret } }] },
});

/** The refusal's code and its Status message. */
async function refusal(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return { code: err.code, message: err.status?.message ?? '' };
    throw err;
  }
  throw new Error('the request was allowed');
}

describe('a node identity (system:node:n1)', () => {
  const admin = () => client(certs.admin);

  it('reads a Secret of a pod bound to it, and gets 403 for a Secret of a pod on another node', async () => {
    const a = admin();
    await a.create(Namespaces, { metadata: { name: 'ns' } });
    for (const s of ['s1', 's2']) await a.create(Secrets, { metadata: { name: s, namespace: 'ns' }, stringData: { k: s } });
    for (const n of ['n1', 'n2']) await a.create(Nodes, { metadata: { name: n } });
    await a.create(Pods, podOn('p1', 'n1', 's1'));
    await a.create(Pods, podOn('p2', 'n2', 's2'));
    const n1 = client(n1Cert);
    const secret = await eventually('n1 reads s1', async () => n1.get(Secrets, 's1', 'ns').catch(() => undefined), 5000);
    expect(secret.metadata?.name).toBe('s1');
    const e = await refusal(n1.get(Secrets, 's2', 'ns'));
    expect(e.code).toBe(403);
    expect(e.message).toBe(`secrets "s2" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "ns": no relationship found between node 'n1' and this object`);
    // A Secret no pod names is as unreachable.
    await a.create(Secrets, { metadata: { name: 'loose', namespace: 'ns' }, stringData: { k: 'v' } });
    expect((await refusal(n1.get(Secrets, 'loose', 'ns'))).code).toBe(403);
    // Listing every secret is not a read of one related object.
    expect((await refusal(n1.list(Secrets, { namespace: 'ns' }))).code).toBe(403);
    // A list of one named object (fieldSelector metadata.name=) is a read of that object.
    expect((await n1.list(Secrets, { namespace: 'ns', fieldSelector: 'metadata.name=s1' })).items.map((i) => i.metadata?.name)).toEqual(['s1']);
    expect((await refusal(n1.list(Secrets, { namespace: 'ns', fieldSelector: 'metadata.name=s2' }))).code).toBe(403);
    // Claims its pods mount, and the volumes bound to them (pv.spec.claimRef), followed from the watch caches.
    await a.create(PersistentVolumeClaims, { metadata: { name: 'data', namespace: 'ns' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    await a.create(PersistentVolumes, { metadata: { name: 'pv-data' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/pv-data' }, claimRef: { namespace: 'ns', name: 'data' } } });
    expect((await refusal(n1.get(PersistentVolumes, 'pv-data'))).message).toContain("no relationship found between node 'n1' and this object");
    await a.create(Pods, { metadata: { name: 'p3', namespace: 'ns' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] } });
    await eventually('n1 reads pv-data', async () => n1.get(PersistentVolumes, 'pv-data').catch(() => undefined), 5000);
    expect((await n1.get(PersistentVolumeClaims, 'data', 'ns')).metadata?.name).toBe('data');
  });

  it('cannot patch node n2, can patch its own Node and renew its own Lease', async () => {
    const n1 = client(n1Cert);
    const e = await refusal(n1.patch(Nodes, undefined, 'n2', { metadata: { labels: { owned: 'by-n1' } } }, 'merge'));
    expect(e.code).toBe(403);
    expect(e.message).toBe('nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
    expect((await refusal(n1.patch(Nodes, undefined, 'n2', { status: { phase: 'Running' } }, 'merge', { subresource: 'status' }))).code).toBe(403);
    const own = await n1.patch(Nodes, undefined, 'n1', { metadata: { labels: { 'topology.kubernetes.io/zone': 'z1' } } }, 'merge');
    expect(own.metadata?.labels?.['topology.kubernetes.io/zone']).toBe('z1');
    const taint = await refusal(n1.patch(Nodes, undefined, 'n1', { spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } }, 'merge'));
    expect(taint.message).toBe('nodes "n1" is forbidden: node "n1" is not allowed to modify taints');
    await admin().create(Namespaces, { metadata: { name: 'kube-node-lease' } }).catch(() => undefined);
    await n1.create(Leases, { metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'n1' } });
    const other = await refusal(n1.create(Leases, { metadata: { name: 'n2', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'n2' } }));
    expect(other.message).toContain('can only access node lease with the same name as the requesting node');
  });

  it('cannot delete or update the status of a pod on n2; deletes its own, and then loses its Secret', async () => {
    const n1 = client(n1Cert);
    const e = await refusal(n1.delete(Pods, 'ns', 'p2', { gracePeriodSeconds: 0 }));
    expect(e.code).toBe(403);
    expect(e.message).toBe('pods "p2" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself');
    const evict = (pod: string) => n1.request('POST', `/api/v1/namespaces/ns/pods/${pod}/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: 'ns' } });
    expect((await refusal(evict('p2'))).message).toBe('pods "p2" is forbidden: node n1 can only evict pods with spec.nodeName set to itself');
    const status = await refusal(n1.patch(Pods, 'ns', 'p2', { status: { phase: 'Running' } }, 'merge', { subresource: 'status' }));
    expect(status.message).toContain('node "n1" can only update pod status for pods with spec.nodeName set to itself');
    await n1.patch(Pods, 'ns', 'p1', { status: { phase: 'Running' } }, 'merge', { subresource: 'status' });
    expect((await refusal(n1.create(Pods, podOn('rogue', 'n1', 's2')))).message).toContain('can only create mirror pods');
    await n1.delete(Pods, 'ns', 'p1', { gracePeriodSeconds: 0 });
    await eventually('s1 unreachable once p1 is gone', async () => (await n1.get(Secrets, 's1', 'ns').then(() => false, (err: unknown) => err instanceof ApiError && err.code === 403)), 5000);
    expect((await admin().get(Pods, 'p2', 'ns')).metadata?.name).toBe('p2');
  });
  it('requests tokens only for the service accounts of its pods, bound to a pod on itself', async () => {
    const a = admin();
    const n1 = client(n1Cert);
    await a.create(ServiceAccounts, { metadata: { name: 'robot', namespace: 'ns' } });
    const mk = async (name: string, node: string) => a.create(Pods, { metadata: { name, namespace: 'ns' }, spec: { nodeName: node, serviceAccountName: 'robot', containers: [{ name: 'c', image: 'busybox' }] } });
    const mine = await mk('p4', 'n1');
    const theirs = await mk('p5', 'n2');
    const token = (sa: string, pod: KubeObject) => n1.request<{ status?: { token?: string } }>('POST', `/api/v1/namespaces/ns/serviceaccounts/${sa}/token`, {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
      spec: { audiences: ['https://kubernetes.default.svc'], boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid } },
    });
    const issued = await eventually('a token for robot bound to p4', async () => token('robot', mine).catch(() => undefined), 5000);
    expect(issued.status?.token).toMatch(/^ey/);
    expect((await refusal(token('robot', theirs))).message).toContain('node requested token bound to a pod scheduled on a different node');
    expect((await refusal(token('default', mine))).message).toContain("no relationship found between node 'n1' and this object");
  });
});

describe('the simulated node agent running as its node (skiff server --nodes 1)', () => {
  let running: RunningNodeAgent | undefined;
  afterAll(async () => {
    await running?.stop();
  });

  it('registers, renews its Lease, runs and finalises its pods through Node, RBAC and NodeRestriction', async () => {
    const errors: string[] = [];
    running = await startNodeAgent({
      client: { server: `https://127.0.0.1:${port}`, caData: ca.certPem, ...(({ certPem, keyPem }) => ({ certData: certPem, keyData: keyPem }))(issueCertificate(ca, nodeSpec('local-0'))) },
      spec: parseNodeSpec({ count: 1, namePrefix: 'local-' }),
      leaseRenewIntervalMs: 150,
      log: (level, msg, fields) => { if (level === 'warn' || level === 'error') errors.push(`${msg} ${JSON.stringify(fields ?? {})}`); },
    });
    await running.registered;
    const a = client(certs.admin);
    const node = await eventually('local-0 Ready', async () => {
      const n = await a.get(Nodes, 'local-0').catch(() => undefined);
      return ((n?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
    }, 10_000);
    expect(node.metadata?.labels?.['kubernetes.io/hostname']).toBe('local-0');
    expect((await eventually('lease', () => a.get(Leases, 'local-0', 'kube-node-lease').catch(() => undefined), 5000)).metadata?.name).toBe('local-0');
    await a.create(Pods, { metadata: { name: 'web', namespace: 'ns' }, spec: { nodeName: 'local-0', containers: [{ name: 'c', image: 'nginx' }] } });
    await eventually('web Running', async () => ((await a.get(Pods, 'web', 'ns')).status as { phase?: string } | undefined)?.phase === 'Running', 10_000);
    // A graceful delete is finished by the node (its own pod's delete with grace 0).
    await a.delete(Pods, 'ns', 'web');
    await eventually('web gone', async () => a.get(Pods, 'web', 'ns').then(() => false, (err: unknown) => err instanceof ApiError && err.code === 404), 10_000);
    expect(errors.filter((e) => /403|forbidden/i.test(e))).toEqual([]);
  });
});
