/**
 * End to end: a real API server (memory store, listening on loopback), the agent watching it through
 * src/client's informers, iptables rules in node 1's namespace, real HTTP from the client namespace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/control/storage/memory.js';
import { buildServer, type ApiServer } from '../../src/control/api/server.js';
import { bootstrap } from '../../src/control/bootstrap.js';
import { EndpointSlices, RestClient, Services, type KubeObject } from '../../src/client/index.js';
import { ProxyAgent } from '../../src/dataplane/proxy/agent.js';
import { createBackend, type ProxyBackend } from '../../src/dataplane/proxy/backends.js';
import { InformerSource } from '../../src/dataplane/proxy/informer-source.js';
import { CLUSTER_CIDR, NODE1_IP, NetnsLab, dataplaneSkipReason } from './netns.js';
import { service, slice, tally } from './fixtures.js';

const skip = dataplaneSkipReason(['iptables-restore']);
if (skip) console.warn(`skipping proxy end-to-end test: ${skip}`);

describe.skipIf(skip !== null).sequential('proxy end to end: API server → informers → iptables → traffic', () => {
  let lab: NetnsLab;
  let store: MemoryStore;
  let api: ApiServer;
  let client: RestClient;
  let agent: ProxyAgent;
  let backend: ProxyBackend;
  const abort = new AbortController();

  beforeAll(async () => {
    lab = await NetnsLab.create(2, 1);
    store = new MemoryStore();
    api = await buildServer({ store, compactIntervalMs: 0 });
    await bootstrap(api.engine, { host: '127.0.0.1', port: 6443 });
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = api.app.server.address() as { port: number };
    client = new RestClient({ server: `http://127.0.0.1:${addr.port}` });
    const svc = service('web', '10.96.0.50', { type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30090 }] });
    await client.create(Services, { apiVersion: 'v1', kind: 'Service', ...svc } as KubeObject, { namespace: 'default' });
    await client.create(EndpointSlices, { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', ...slice('web', lab.pods) } as KubeObject, { namespace: 'default' });
    backend = await createBackend({ mode: 'iptables', target: { netns: lab.node1 }, config: { clusterCIDR: CLUSTER_CIDR, nodeIPs: [NODE1_IP], masqueradeBit: 14 } });
    agent = new ProxyAgent({ backend, source: new InformerSource(client), nodeName: 'node1', minSyncPeriodMs: 50, healthzBindAddress: '127.0.0.1:0', metricsBindAddress: null });
    const first = agent.waitForSync();
    const ports = await agent.start(abort.signal);
    expect((await first).error).toBeUndefined();
    // The bootstrap's own `kubernetes` and `kube-dns` (dns/UDP, dns-tcp/TCP) Services are there too.
    expect(agent.lastModel.map((sp) => sp.name).sort()).toEqual(['kube-dns', 'kube-dns', 'kubernetes', 'web']);
    const health = await fetch(`http://127.0.0.1:${ports.healthzPort}/healthz`);
    expect(health.status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    abort.abort();
    await agent?.stop();
    await backend?.cleanup();
    client?.close();
    await api?.close();
    await store?.close();
    await lab?.cleanup();
  });

  it('serves the Service created through the API on its ClusterIP and NodePort', async () => {
    const a = await lab.requests(lab.client, 'http://10.96.0.50/', 30);
    expect(Object.keys(tally(a.answers)).sort()).toEqual(['p1a', 'p1b', 'p2a']);
    const b = await lab.requests(lab.client, `http://${NODE1_IP}:30090/`, 30);
    expect(Object.keys(tally(b.answers)).sort()).toEqual(['p1a', 'p1b', 'p2a']);
  });

  it('follows an EndpointSlice update made through the API', async () => {
    const cur = await client.get(EndpointSlices, 'web-abcde', 'default');
    const next = agent.waitForSync((r) => !r.error);
    await client.update(EndpointSlices, { ...cur, endpoints: (cur.endpoints as Array<{ addresses: string[] }>).filter((e) => e.addresses[0] !== lab.pods[0]!.ip) });
    await next;
    const a = await lab.requests(lab.client, 'http://10.96.0.50/', 30);
    expect(Object.keys(tally(a.answers)).sort()).toEqual(['p1b', 'p2a']);
  });
});
