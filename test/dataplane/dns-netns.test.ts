/**
 * Cluster DNS on a node's network: the server's sockets are bound inside node 1's namespace (skiff-t-…) while
 * its informers reach a real API server on the host's loopback; it publishes the kube-dns EndpointSlice with the
 * node's address, the proxy (iptables in node 1's namespace) routes the kube-dns ClusterIP there, and a pod
 * asks with busybox nslookup, directly and through 10.96.0.10. Every namespace is removed afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { podDNSConfig, resolvConfText } from '../../src/dataplane/kubelet/volumes/etc-files.js';
import { EndpointSlices, Services, type KubeObject } from '../../src/client/index.js';
import { startDns, type RunningDns } from '../../src/dataplane/dns/start.js';
import { startProxy, type RunningProxy } from '../../src/dataplane/proxy/start.js';
import { eventually, startTestCluster, type TestCluster } from '../support/cluster.js';
import { CLUSTER_CIDR, NODE1_IP, NODE2_LINK_IP, NetnsLab, dataplaneSkipReason } from './netns.js';

const BUSYBOX = '/bin/busybox';
const skip = dataplaneSkipReason(['iptables-restore', 'nsenter']) ?? (existsSync(BUSYBOX) ? null : `dns dataplane test needs ${BUSYBOX} (busybox-static)`);
if (skip) console.warn(`skipping DNS dataplane test: ${skip}`);

/** Async (the DNS server answers from this very process): `busybox nslookup NAME SERVER` inside a namespace. */
function nslookup(ns: string, name: string, server: string, type?: string): Promise<{ code: number; out: string }> {
  const args = ['netns', 'exec', ns, BUSYBOX, 'nslookup', ...(type ? [`-type=${type}`] : []), name, server];
  return new Promise((resolve, reject) => {
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b));
    child.stderr.on('data', (b: Buffer) => (out += b));
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    // 'close', not 'exit': the output may still be in flight when the process has exited.
    child.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, out: out || `(no output; exit ${code} ${signal ?? ''})` });
    });
  });
}

describe.skipIf(skip !== null).sequential('cluster DNS inside a node network namespace', () => {
  let lab: NetnsLab;
  let cluster: TestCluster;
  let dns: RunningDns | null = null;
  let proxy: RunningProxy | null = null;
  let proxy2: RunningProxy | null = null;
  let etcDir = '';

  beforeAll(async () => {
    lab = await NetnsLab.create(1, 1);
    cluster = await startTestCluster();
    await cluster.client.create(Services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.80', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } } as KubeObject);
    dns = await startDns({ client: cluster.newClient('skiff-dns'), netns: lab.node1, advertise: { address: NODE1_IP, nodeName: 'node1' } });
    expect(await dns.synced).toBe(true);
    proxy = await startProxy({
      client: cluster.newClient('skiff-proxy'), mode: 'iptables', netns: lab.node1, clusterCIDR: CLUSTER_CIDR, nodeName: 'node1',
      nodeIPs: [NODE1_IP], minSyncPeriodMs: 50, healthzBindAddress: null, metricsBindAddress: null,
    });
    proxy2 = await startProxy({
      client: cluster.newClient('skiff-proxy-2'), mode: 'iptables', netns: lab.node2, clusterCIDR: CLUSTER_CIDR, nodeName: 'node2',
      nodeIPs: [NODE2_LINK_IP], minSyncPeriodMs: 50, healthzBindAddress: null, metricsBindAddress: null,
    });
  }, 90_000);

  afterAll(async () => {
    await proxy?.stop().catch(() => {});
    await proxy2?.stop().catch(() => {});
    await dns?.stop().catch(() => {});
    if (etcDir.startsWith('/etc/netns/skiff-t-')) rmSync(etcDir, { recursive: true, force: true });
    await lab?.cleanup();
    await cluster?.close();
  });

  it('binds in the node namespace, not on the host: the published kube-dns slice names the node address', async () => {
    expect(dns!.port).toBe(53);
    const slice = await cluster.client.get<KubeObject & { endpoints: { addresses: string[] }[]; ports: { name: string; port: number; protocol: string }[] }>(EndpointSlices, 'kube-dns-skiff-node1', 'kube-system');
    expect(slice.metadata!.labels).toMatchObject({ 'kubernetes.io/service-name': 'kube-dns', 'endpointslice.kubernetes.io/managed-by': 'skiff-dns' });
    expect(slice.endpoints[0]!.addresses).toEqual([NODE1_IP]);
    expect(slice.ports).toEqual([{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }]);
  });

  it('a pod resolves a Service through the node address and through the kube-dns ClusterIP (the proxy routes it)', async () => {
    const pod = lab.pods[0]!.ns;
    // Polled like the ClusterIP below: on a loaded machine one exchange can be lost (UDP, no retry in busybox).
    const direct = await eventually('the node address answers', async () => {
      const r = await nslookup(pod, 'web.default.svc.cluster.local', NODE1_IP);
      return /Address:\s+10\.96\.0\.80/.test(r.out) ? r : null;
    }, 20_000, 300);
    expect(direct.out).toMatch(/Server:\s+192\.168\.100\.1/);
    const viaService = await eventually('kube-dns ClusterIP answers', async () => {
      const r = await nslookup(pod, 'web.default.svc.cluster.local', '10.96.0.10');
      return /Address:\s+10\.96\.0\.80/.test(r.out) ? r : null;
    }, 20_000, 300);
    expect(viaService.out).toMatch(/Server:\s+10\.96\.0\.10/);
  });

  it('a pod on the other node resolves through 10.96.0.10: its node DNATs to the DNS server on node 1', async () => {
    const pod2 = lab.pods.find((p) => p.node === 2)!.ns;
    const r = await eventually('kube-dns ClusterIP answers from node 2', async () => {
      const x = await nslookup(pod2, 'kubernetes.default.svc.cluster.local', '10.96.0.10');
      return /Address:\s+10\.96\.0\.1$/m.test(x.out) ? x : null;
    }, 20_000, 300);
    expect(r.out).toMatch(/Server:\s+10\.96\.0\.10/);
  });

  it('NXDOMAIN for a missing Service, REFUSED for outside names, SRV over the ClusterIP', async () => {
    const pod = lab.pods[0]!.ns;
    const nx = await nslookup(pod, 'nope.default.svc.cluster.local', '10.96.0.10');
    expect(nx.out).toMatch(/NXDOMAIN/);
    const out = await nslookup(pod, 'example.com', '10.96.0.10');
    expect(out.out).toMatch(/REFUSED/);
    const srv = await nslookup(pod, '_http._tcp.web.default.svc.cluster.local', '10.96.0.10', 'SRV');
    expect(srv.out).toMatch(/80 web\.default\.svc\.cluster\.local/);
  });

  it("glibc in a pod with the kubelet's resolv.conf resolves short names through the search list", async () => {
    const pod = lab.pods[0]!.ns;
    // `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf: the pod's file, as the kubelet writes it.
    const { config } = podDNSConfig({ metadata: { namespace: 'default' }, spec: {} }, { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', hostResolvConf: '' });
    const text = resolvConfText(config)!;
    expect(text).toMatch(/^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m);
    etcDir = `/etc/netns/${pod}`;
    mkdirSync(etcDir, { recursive: true });
    writeFileSync(`${etcDir}/resolv.conf`, text);
    const getent = (name: string) => new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('ip', ['netns', 'exec', pod, 'getent', 'ahostsv4', name], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b));
      child.on('close', (code) => resolve({ code, out }));
    });
    expect((await getent('web')).out).toMatch(/^10\.96\.0\.80\s/m);
    expect((await getent('web.default')).out).toMatch(/^10\.96\.0\.80\s/m);
    expect((await getent('kube-dns.kube-system')).out).toMatch(/^10\.96\.0\.10\s/m);
    // Nothing outside the cluster domain resolves: the server refuses instead of forwarding.
    expect((await getent('example.com')).code).not.toBe(0);
  });

  it('stopping removes the published slice', async () => {
    await dns!.stop();
    dns = null;
    await expect(cluster.client.get(EndpointSlices, 'kube-dns-skiff-node1', 'kube-system')).rejects.toMatchObject({ code: 404 });
  });
});
