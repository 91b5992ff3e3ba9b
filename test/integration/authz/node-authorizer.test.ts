/**
 * A node identity against a real HTTPS server: client certificates issued by the test CA (CN system:node:n1,
 * O system:nodes), the Node authoriser fed from the server's watch caches, and NodeRestriction in the admission
 * chain. The server's own authorisation wiring (the RBAC helper's) is not in buildServer yet, so the test puts
 * the authoriser in front of the server's request handler: Node first, then a stand-in for RBAC that allows every
 * user but nodes (upstream's system:node ClusterRoleBinding has no subjects: RBAC grants nodes nothing).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { buildServer, type ApiServer } from '../../../src/control/api/server.js';
import { createClusterCA } from '../../../src/control/pki/ca.js';
import { issueCertificate } from '../../../src/control/pki/issue.js';
import { loadOrIssueClusterCertificates, nodeSpec } from '../../../src/control/pki/cluster-certs.js';
import { authenticationChain } from '../../../src/control/api/auth/index.js';
import { clientCertificateOf } from '../../../src/control/api/auth/request.js';
import { engineNodeAuthorizer } from '../../../src/control/api/authz/node-graph-feed.js';
import { nodeIdentity } from '../../../src/control/api/authz/node-identity.js';
import type { AuthorizationAttributes, Authorizer } from '../../../src/control/api/authz/types.js';
import { ApiError, RestClient } from '../../../src/client/rest.js';
import { Leases, Namespaces, Nodes, Pods, Secrets } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { eventually } from '../../support/cluster.js';

const ca = createClusterCA();
const dir = mkdtempSync(join(tmpdir(), 'skiff-nodeauthz-'));
const certs = loadOrIssueClusterCertificates(dir, ca, { listenHosts: ['127.0.0.1'], serviceIP: '10.96.0.1' });
const n1Cert = issueCertificate(ca, nodeSpec('n1'));

let server: ApiServer;
let store: MemoryStore;
let stopGraph = () => {};
let port = 0;
const clients: RestClient[] = [];
const client = (cert: { certPem: string; keyPem: string }): RestClient => {
  const r = new RestClient({ server: `https://127.0.0.1:${port}`, caData: ca.certPem, certData: cert.certPem, keyData: cert.keyPem });
  clients.push(r);
  return r;
};

const VERBS: Record<string, string> = { GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** The attributes of the URL shapes this test sends (/api/v1[/namespaces/NS]/RESOURCE[/NAME[/SUB]]). */
function attributesOf(method: string, url: string, user: AuthorizationAttributes['user']): AuthorizationAttributes {
  const path = url.split('?')[0]!;
  const segs = path.split('/').filter(Boolean);
  const base = { user, verb: VERBS[method] ?? method.toLowerCase(), resourceRequest: false, path, apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '' };
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) rest = segs.slice(2);
  else if (segs[0] === 'apis' && segs.length >= 4) rest = segs.slice(3);
  else return base;
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]!;
    rest = rest.slice(2);
  }
  const [resource = '', name = '', subresource = ''] = rest;
  const watch = new URLSearchParams(url.split('?')[1] ?? '').get('watch') === 'true';
  const verb = method === 'GET' && !name ? (watch ? 'watch' : 'list') : base.verb;
  return { ...base, verb, resourceRequest: true, apiGroup: segs[0] === 'apis' ? segs[1]! : '', apiVersion: segs[0] === 'apis' ? segs[2]! : segs[1]!, resource, name, subresource, namespace };
}

beforeAll(async () => {
  store = new MemoryStore();
  const authentication = authenticationChain({ clientCA: ca.certPem });
  server = await buildServer({
    store, compactIntervalMs: 0, metrics: false, namespaceSweepMs: 200,
    https: { key: certs.serving.keyPem, cert: certs.serving.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: false },
    authentication,
  });
  const node = engineNodeAuthorizer(server.engine);
  stopGraph = node.stop;
  const notNodes: Authorizer = { authorize: (a) => (nodeIdentity(a.user) === undefined ? { decision: 'Allow', reason: '' } : { decision: 'NoOpinion', reason: '' }) };
  const chain = [node.authorizer, notNodes];
  // Authorisation ahead of the server's handler: the request reaches fastify only when allowed.
  const raw = server.app.server;
  const handler = raw.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
  raw.removeAllListeners('request');
  raw.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const r = await authentication.authenticate({ headers: req.headers, clientCertificate: clientCertificateOf(req) });
      if (!('error' in r)) {
        const a = attributesOf(req.method ?? 'GET', req.url ?? '/', r.user);
        let reason = '';
        let allowed = false;
        for (const z of chain) {
          const d = z.authorize(a);
          if (d.decision === 'Allow') { allowed = true; break; }
          if (d.decision === 'Deny') break;
          if (d.reason) reason = d.reason;
        }
        if (!allowed) {
          const where = a.namespace ? ` in the namespace "${a.namespace}"` : '';
          const message = `${a.resource}${a.name ? ` "${a.name}"` : ''} is forbidden: User "${a.user.name}" cannot ${a.verb} resource "${a.resource}" in API group "${a.apiGroup}"${where}${reason ? `: ${reason}` : ''}`;
          res.writeHead(403, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', code: 403 }));
          return;
        }
      }
      handler(req, res);
    })();
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = raw.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  await node.synced;
});

afterAll(async () => {
  for (const c of clients) c.close();
  stopGraph();
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
    const status = await refusal(n1.patch(Pods, 'ns', 'p2', { status: { phase: 'Running' } }, 'merge', { subresource: 'status' }));
    expect(status.message).toContain('node "n1" can only update pod status for pods with spec.nodeName set to itself');
    await n1.patch(Pods, 'ns', 'p1', { status: { phase: 'Running' } }, 'merge', { subresource: 'status' });
    expect((await refusal(n1.create(Pods, podOn('rogue', 'n1', 's2')))).message).toContain('can only create mirror pods');
    await n1.delete(Pods, 'ns', 'p1', { gracePeriodSeconds: 0 });
    await eventually('s1 unreachable once p1 is gone', async () => (await n1.get(Secrets, 's1', 'ns').then(() => false, (err: unknown) => err instanceof ApiError && err.code === 403)), 5000);
    expect((await admin().get(Pods, 'p2', 'ns')).metadata?.name).toBe('p2');
  });
});
