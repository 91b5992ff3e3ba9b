/**
 * `skiff server --proxy-netns NAME`: the server's own proxy agent programs that namespace (and only it) from
 * the Services and EndpointSlices it serves. Runs the built CLI (npm test builds dist/ first).
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndpointSlices, RestClient, Services, type KubeObject } from '../../src/client/index.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { makeDataDir, startServer, type RunningServer } from '../e2e/server.js';
import { dataplaneSkipReason, scratchNetns } from './netns.js';

const skip = dataplaneSkipReason(['iptables-save', 'iptables-restore']);
if (skip) console.warn(`skipping skiff server --proxy-netns test: ${skip}`);

const natRules = (netns: string): string =>
  spawnSync('ip', ['netns', 'exec', netns, 'iptables-save', '-t', 'nat'], { encoding: 'utf8' }).stdout;

async function until(pred: () => boolean, what: () => string): Promise<void> {
  const end = Date.now() + 15_000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(what());
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(skip !== null)('skiff server --proxy-netns', () => {
  let netns: ReturnType<typeof scratchNetns>;
  let data: ReturnType<typeof makeDataDir>;
  let server: RunningServer;
  let client: RestClient;

  beforeAll(async () => {
    netns = scratchNetns('srv');
    spawnSync('ip', ['-n', netns.name, 'link', 'set', 'lo', 'up']);
    data = makeDataDir();
    server = await startServer(data.dir, ['--no-scheduler', '--proxy-netns', netns.name, '--cluster-cidr', '10.244.0.0/16']);
    client = new RestClient(loadKubeconfig(server.kubeconfig));
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await server?.stop();
    data?.remove();
    netns?.cleanup();
  });

  it('programs a Service and its endpoints into the named namespace', async () => {
    await client.create(
      Services,
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { clusterIP: '10.96.0.80', ports: [{ name: 'http', port: 80, targetPort: 8080 }] } } as KubeObject,
      { namespace: 'default' },
    );
    await client.create(
      EndpointSlices,
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        endpoints: [{ addresses: ['10.244.1.7'], conditions: { ready: true } }],
      } as KubeObject,
      { namespace: 'default' },
    );
    await until(() => natRules(netns.name).includes('--to-destination 10.244.1.7:8080'), () => natRules(netns.name));
    const rules = natRules(netns.name);
    expect(rules).toMatch(/-A KUBE-SERVICES -d 10\.96\.0\.80\/32 -p tcp -m comment --comment "default\/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-/);
    // The bootstrap's `kubernetes` Service points at this API server.
    expect(rules).toContain(`--to-destination 127.0.0.1:${new URL(server.url).port}`);
  });
});
