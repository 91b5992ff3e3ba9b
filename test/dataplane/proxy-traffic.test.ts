/**
 * Real traffic through the proxy's rules, as root, inside namespaces the lab creates and deletes: the agent
 * applies rules in node 1's namespace; a client namespace reaches a ClusterIP and a NodePort.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyAgent, StaticSource } from '../../src/dataplane/proxy/agent.js';
import { IptablesBackend, NftBackend, type ProxyBackend } from '../../src/dataplane/proxy/backends.js';
import { createIptablesCompiler, jumpRules } from '../../src/dataplane/proxy/compiler/index.js';
import type { ProxyConfig } from '../../src/dataplane/proxy/model.js';
import { CLIENT_IP, CLUSTER_CIDR, NODE1_IP, NetnsLab, dataplaneSkipReason } from './netns.js';
import { service, slice, tally } from './fixtures.js';

const skip = dataplaneSkipReason(['nft', 'iptables-restore']);
if (skip) console.warn(`skipping dataplane traffic tests: ${skip}`);

let lab: NetnsLab;
beforeAll(async () => {
  if (!skip) lab = await NetnsLab.create(3, 1);
}, 60_000);
afterAll(async () => {
  await lab?.cleanup();
});

function proxyConfig(): ProxyConfig {
  return { clusterCIDR: CLUSTER_CIDR, nodeIPs: [NODE1_IP, '10.100.0.1', '10.244.1.1'], masqueradeBit: 14 };
}

export type BackendFactory = (lab: NetnsLab, cfg: ProxyConfig) => ProxyBackend | Promise<ProxyBackend>;

const modes: Array<[string, BackendFactory]> = [
  ['iptables (WASM compiler)', async (l, c) => new IptablesBackend(await createIptablesCompiler(c), jumpRules(), { netns: l.node1 })],
  ['nftables (upstream layout)', (l, c) => new NftBackend('upstream', { netns: l.node1 }, c)],
  ['nftables (flat layout)', (l, c) => new NftBackend('flat', { netns: l.node1 }, c)],
];

for (const [label, makeBackend] of modes) {
  describe.skipIf(skip !== null).sequential(`proxy traffic: ${label}`, () => {
    let agent: ProxyAgent;
    let source: StaticSource;
    let backend: ProxyBackend;
    const abort = new AbortController();
    let metricsPort = 0;

    beforeAll(async () => {
      backend = await makeBackend(lab, proxyConfig());
      source = new StaticSource(
        [
          service('web', '10.96.0.10', { type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] }),
          service('sticky', '10.96.0.11', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } }),
          service('empty', '10.96.0.12'),
          service('local', '10.96.0.13', { type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30081 }] }),
        ],
        [slice('web', lab.pods), slice('sticky', lab.pods), slice('empty', []), slice('local', lab.pods)],
      );
      agent = new ProxyAgent({ backend, source, nodeName: 'node1', minSyncPeriodMs: 20, syncPeriodMs: 60_000, healthzBindAddress: '127.0.0.1:0', metricsBindAddress: '127.0.0.1:0' });
      const first = agent.waitForSync();
      metricsPort = (await agent.start(abort.signal)).metricsPort!;
      const rec = await first;
      expect(rec.error).toBeUndefined();
    });
    afterAll(async () => {
      abort.abort();
      await agent?.stop();
      await backend?.cleanup();
    });

    it('a ClusterIP reaches every endpoint, local and on the other node', async () => {
      const { answers } = await lab.requests(lab.client, 'http://10.96.0.10/', 40);
      expect(Object.keys(tally(answers)).sort()).toEqual(['p1a', 'p1b', 'p1c', 'p2a']);
    });

    it('a NodePort on the node address reaches every endpoint', async () => {
      const { answers } = await lab.requests(lab.client, `http://${NODE1_IP}:30080/`, 40);
      expect(Object.keys(tally(answers)).sort()).toEqual(['p1a', 'p1b', 'p1c', 'p2a']);
    });

    it('external traffic is masqueraded under Cluster policy; Local policy keeps the client address and this node\'s endpoints', async () => {
      const cluster = await lab.requests(lab.client, `http://${NODE1_IP}:30080/`, 10);
      expect(cluster.peers.every((p) => p !== CLIENT_IP && /^10\.(244\.1\.1|100\.0\.1)$/.test(p))).toBe(true);
      const local = await lab.requests(lab.client, `http://${NODE1_IP}:30081/`, 30);
      expect(Object.keys(tally(local.answers)).sort()).toEqual(['p1a', 'p1b', 'p1c']);
      expect(new Set(local.peers)).toEqual(new Set([CLIENT_IP]));
      // The ClusterIP of the same service still reaches every endpoint (internal policy is Cluster).
      const internal = await lab.requests(lab.client, 'http://10.96.0.13/', 40);
      expect(Object.keys(tally(internal.answers)).sort()).toEqual(['p1a', 'p1b', 'p1c', 'p2a']);
    });

    it('ClientIP affinity sticks to one endpoint', async () => {
      const { answers } = await lab.requests(lab.client, 'http://10.96.0.11/', 15);
      expect(Object.keys(tally(answers))).toHaveLength(1);
      expect(answers[0]).toMatch(/^p[12][a-c]$/);
    });

    it('a service without endpoints rejects at once', async () => {
      const { answers, ms } = await lab.requests(lab.client, 'http://10.96.0.12/', 3);
      expect(answers).toEqual(['ERR:ECONNREFUSED', 'ERR:ECONNREFUSED', 'ERR:ECONNREFUSED']);
      expect(Math.max(...ms)).toBeLessThan(1000);
    });

    it('an endpoint removed from the slice stops receiving traffic after the next sync', async () => {
      const next = agent.waitForSync();
      source.upsertSlice(slice('web', lab.pods.filter((p) => p.name !== 'p1a')));
      const rec = await next;
      expect(rec.error).toBeUndefined();
      expect(rec.resync).toBe(false);
      const { answers } = await lab.requests(lab.client, 'http://10.96.0.10/', 30);
      expect(Object.keys(tally(answers)).sort()).toEqual(['p1b', 'p1c', 'p2a']);
    });

    it('a resync against the kernel finds nothing to change', async () => {
      agent['needResync'] = true;
      const next = agent.waitForSync();
      agent.requestSync();
      const rec = await next;
      expect(rec.resync).toBe(true);
      expect(rec.bytes).toBe(0);
    });

    it('serves /proxyMode and /metrics', async () => {
      const mode = await (await fetch(`http://127.0.0.1:${metricsPort}/proxyMode`)).text();
      expect(mode).toBe(backend.mode.split('/')[0]);
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/kubeproxy_sync_proxy_rules_duration_seconds_count [1-9]/);
      if (backend.mode === 'iptables') expect(metrics).toMatch(/kubeproxy_sync_proxy_rules_iptables_total\{table="nat"\} [1-9]/);
      else expect(metrics).toMatch(/kubeproxy_sync_proxy_rules_nftables_objects_total\{kind="elements"\} [1-9]/);
    });
  });
}
