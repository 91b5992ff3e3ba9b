/**
 * DNS for a StatefulSet behind its governing headless Service, in a whole simulated cluster (API server,
 * scheduler, controllers, simulated nodes): the StatefulSet controller sets each pod's hostname and subdomain, the
 * EndpointSlice controller publishes them, and the DNS server answers <pod>.<service>.<ns>.svc.<zone>, the SRV
 * set and the PTR of each pod IP; scaling down takes a name away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as dnsp } from 'node:dns';
import { Pods, Services, StatefulSets, type KubeObject } from '../../../src/client/index.js';
import { startDns, type RunningDns } from '../../../src/dataplane/dns/start.js';
import { eventually, startSimulatedCluster, type SimulatedCluster } from '../../support/cluster.js';

let sim: SimulatedCluster;
let dns: RunningDns;
let resolver: dnsp.Resolver;

const podIP = async (name: string): Promise<string | undefined> => {
  const p = await sim.cluster.client.get<KubeObject & { status?: { podIP?: string } }>(Pods, name, 'default').catch(() => null);
  return p?.status?.podIP;
};

beforeAll(async () => {
  sim = await startSimulatedCluster({ nodes: { count: 1, namePrefix: 'dns-node-' } });
  const c = sim.cluster.client;
  await c.create(Services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'nginx', namespace: 'default' }, spec: { clusterIP: 'None', selector: { app: 'nginx' }, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } } as KubeObject);
  await c.create(StatefulSets, {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', namespace: 'default' },
    spec: {
      serviceName: 'nginx', replicas: 2, podManagementPolicy: 'Parallel', selector: { matchLabels: { app: 'nginx' } },
      template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ name: 'http', containerPort: 80 }] }] } },
    },
  } as KubeObject);
  dns = await startDns({ client: sim.cluster.newClient('skiff-dns'), listen: { host: '127.0.0.1', port: 0 } });
  expect(await dns.synced).toBe(true);
  resolver = new dnsp.Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${dns.port}`]);
}, 60_000);

afterAll(async () => {
  await dns?.stop();
  await sim?.close();
});

describe('DNS for a StatefulSet under its headless Service', () => {
  it('each pod has <hostname>.<service>.<ns>.svc.<zone>; the Service name lists them all', async () => {
    const ip0 = await eventually('web-0 has an IP', () => podIP('web-0'), 20_000);
    const ip1 = await eventually('web-1 has an IP', () => podIP('web-1'), 20_000);
    expect(await eventually('web-0 resolves', () => resolver.resolve4('web-0.nginx.default.svc.cluster.local').catch(() => null), 20_000)).toEqual([ip0]);
    expect(await eventually('web-1 resolves', () => resolver.resolve4('web-1.nginx.default.svc.cluster.local').catch(() => null), 20_000)).toEqual([ip1]);
    expect((await resolver.resolve4('nginx.default.svc.cluster.local')).sort()).toEqual([ip0, ip1].sort());
  });

  it('SRV per pod with its hostname, PTR of a pod IP names the pod under the Service', async () => {
    const srv = await resolver.resolveSrv('_http._tcp.nginx.default.svc.cluster.local');
    expect(srv.map((s) => `${s.name}:${s.port}`).sort()).toEqual(['web-0.nginx.default.svc.cluster.local:80', 'web-1.nginx.default.svc.cluster.local:80']);
    expect(await resolver.reverse((await podIP('web-0'))!)).toEqual(['web-0.nginx.default.svc.cluster.local']);
  });

  it('scaling down removes the last pod\'s name (NXDOMAIN)', async () => {
    await sim.cluster.client.patch(StatefulSets, 'default', 'web', { spec: { replicas: 1 } }, 'merge');
    await eventually('web-1 is gone from DNS', () => resolver.resolve4('web-1.nginx.default.svc.cluster.local').then(() => false, (e: { code?: string }) => e.code === 'ENOTFOUND'), 20_000);
    expect(await resolver.resolve4('web-0.nginx.default.svc.cluster.local')).toHaveLength(1);
  });
});
