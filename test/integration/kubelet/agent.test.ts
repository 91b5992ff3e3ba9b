import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';
import { Leases, Nodes, Pods } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { startNodeAgent, type RunningNodeAgent } from '../../../src/dataplane/kubelet/start.js';
import { parseNodeSpec } from '../../../src/dataplane/kubelet/spec.js';
import { fakeDriverFactory, type FakeDriverLog } from './fake-driver.js';

type Cond = { type: string; status: string; reason: string; message: string; lastHeartbeatTime: string };
const conditions = (n: KubeObject): Cond[] => ((n.status as { conditions?: Cond[] }).conditions ?? []);
const ready = (n: KubeObject) => conditions(n).find((c) => c.type === 'Ready');
const renewTime = (l: KubeObject) => (l.spec as { renewTime: string }).renewTime;

describe('node agent against a real API server', () => {
  let cluster: TestCluster;
  let running: RunningNodeAgent;
  const log: FakeDriverLog = { contexts: [], forgotten: [], syncs: 0 };

  beforeAll(async () => {
    cluster = await startTestCluster();
    running = await startNodeAgent({
      client: cluster.newClient('skiff-nodes'),
      spec: parseNodeSpec({ count: 3, namePrefix: 'it-node-', zones: ['za', 'zb'], region: 'r1', labels: { tier: 'sim' }, taints: [{ key: 'dedicated', value: 'sim', effect: 'NoSchedule' }] }),
      driverFactory: fakeDriverFactory(log, 150),
      leaseRenewIntervalMs: 150,
      log: () => {},
    });
    await running.registered;
  });

  afterAll(async () => {
    await running?.stop();
    await cluster?.close();
  });

  it('an extended resource patched into capacity shows in allocatable too, and leaves it when removed from capacity', async () => {
    await cluster.client.patch(Nodes, undefined, 'it-node-2', { status: { capacity: { 'scheduling.k8s.io/foo': '3' } } }, 'merge', { subresource: 'status' });
    const alloc = (n: KubeObject) => (n.status as { allocatable: Record<string, string> }).allocatable;
    const cap = (n: KubeObject) => (n.status as { capacity: Record<string, string> }).capacity;
    const added = await eventually('allocatable has it', async () => {
      const n = await cluster.client.get(Nodes, 'it-node-2');
      return alloc(n)['scheduling.k8s.io/foo'] === '3' ? n : undefined;
    });
    expect(cap(added)).toMatchObject({ cpu: '8', 'scheduling.k8s.io/foo': '3' });
    expect(alloc(added)).toMatchObject({ cpu: '8', pods: '110' });
    await cluster.client.patch(Nodes, undefined, 'it-node-2', { status: { capacity: { 'scheduling.k8s.io/foo': null } } }, 'merge', { subresource: 'status' });
    const removed = await eventually('allocatable lost it', async () => {
      const n = await cluster.client.get(Nodes, 'it-node-2');
      return alloc(n)['scheduling.k8s.io/foo'] === undefined ? n : undefined;
    });
    expect(cap(removed)['scheduling.k8s.io/foo']).toBeUndefined();
    expect(alloc(removed)).toMatchObject({ cpu: '8', pods: '110' });
  });

  it('registers Nodes with the kubelet’s labels, addresses, nodeInfo, endpoint and Ready conditions', async () => {
    const node = await cluster.client.get(Nodes, 'it-node-1');
    expect(node.metadata!.labels).toMatchObject({
      'kubernetes.io/hostname': 'it-node-1',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'topology.kubernetes.io/zone': 'zb',
      'topology.kubernetes.io/region': 'r1',
      tier: 'sim',
    });
    expect(node.metadata!.annotations).toMatchObject({ 'node.alpha.kubernetes.io/ttl': '0' });
    expect((node.spec as { taints: unknown[] }).taints).toEqual([{ key: 'dedicated', value: 'sim', effect: 'NoSchedule' }]);
    const status = node.status as Record<string, any>;
    expect(status.capacity).toMatchObject({ cpu: '8', memory: '32Gi', pods: '110' });
    expect(status.allocatable).toMatchObject({ cpu: '8', memory: '32Gi', pods: '110' });
    expect(status.addresses).toEqual([
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: 'it-node-1' },
    ]);
    expect(status.daemonEndpoints.kubeletEndpoint.Port).toBe(running.port);
    expect(running.port).toBeGreaterThan(0);
    expect(status.nodeInfo).toMatchObject({ kubeletVersion: 'v1.32.0-skiff', containerRuntimeVersion: 'skiff-sim://0.1.0', operatingSystem: 'linux', architecture: 'amd64' });
    expect(status.nodeInfo.machineID).toMatch(/^[0-9a-f]{32}$/);
    expect(status.nodeInfo.systemUUID).toMatch(/^[0-9a-f-]{36}$/);
    expect(status.nodeInfo.bootID).toMatch(/^[0-9a-f-]{36}$/);
    const byType = Object.fromEntries(conditions(node).map((c) => [c.type, [c.status, c.reason, c.message]]));
    expect(byType).toEqual({
      MemoryPressure: ['False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
      DiskPressure: ['False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
      PIDPressure: ['False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
      Ready: ['True', 'KubeletReady', 'kubelet is posting ready status'],
    });
    // The zones spread round-robin.
    const zones = await Promise.all(['it-node-0', 'it-node-1', 'it-node-2'].map(async (n) => (await cluster.client.get(Nodes, n)).metadata!.labels!['topology.kubernetes.io/zone']));
    expect(zones).toEqual(['za', 'zb', 'za']);
  });

  it('keeps a Lease per node in kube-node-lease, owned by the Node, and renews it', async () => {
    const node = await cluster.client.get(Nodes, 'it-node-0');
    const lease = await eventually('lease', () => cluster.client.get(Leases, 'it-node-0', 'kube-node-lease'));
    expect(lease.spec).toMatchObject({ holderIdentity: 'it-node-0', leaseDurationSeconds: 40 });
    expect(renewTime(lease)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(lease.metadata!.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'it-node-0', uid: node.metadata!.uid }]);
    const later = await eventually('lease renewal', async () => {
      const l = await cluster.client.get(Leases, 'it-node-0', 'kube-node-lease');
      return l.metadata!.resourceVersion !== lease.metadata!.resourceVersion && renewTime(l) > renewTime(lease) ? l : undefined;
    });
    expect(later.spec).toMatchObject({ holderIdentity: 'it-node-0' });
  });

  it('lease-stop freezes renewTime; recover renews again', async () => {
    running.agent.stopLease('it-node-2');
    // Let any renewal already in flight land, then watch the lease stand still for several intervals.
    await new Promise((r) => setTimeout(r, 200));
    const frozen = await cluster.client.get(Leases, 'it-node-2', 'kube-node-lease');
    await new Promise((r) => setTimeout(r, 600));
    const still = await cluster.client.get(Leases, 'it-node-2', 'kube-node-lease');
    expect(renewTime(still)).toBe(renewTime(frozen));
    expect(still.metadata!.resourceVersion).toBe(frozen.metadata!.resourceVersion);
    expect(running.agent.summary('it-node-2').lease).toBe('stopped');
    // Another node kept renewing meanwhile.
    const other = await cluster.client.get(Leases, 'it-node-0', 'kube-node-lease');
    expect(renewTime(other) > renewTime(frozen)).toBe(true);
    running.agent.recover('it-node-2');
    await eventually('renewal after recover', async () => renewTime(await cluster.client.get(Leases, 'it-node-2', 'kube-node-lease')) > renewTime(frozen));
  });

  it('not-ready posts Ready=False (KubeletNotReady) at once, recover posts Ready=True', async () => {
    running.agent.setReady('it-node-1', false);
    const nr = await eventually('NotReady', async () => {
      const n = await cluster.client.get(Nodes, 'it-node-1');
      return ready(n)?.status === 'False' ? n : undefined;
    });
    expect(ready(nr)).toMatchObject({ reason: 'KubeletNotReady' });
    running.agent.recover('it-node-1');
    const back = await eventually('Ready again', async () => {
      const n = await cluster.client.get(Nodes, 'it-node-1');
      return ready(n)?.status === 'True' ? n : undefined;
    });
    expect(ready(back)).toMatchObject({ reason: 'KubeletReady' });
  });

  it('the HTTP API lists nodes and applies faults, with errors naming the field', async () => {
    const list = (await (await fetch(`${running.url}/nodes`)).json()) as { nodes: { name: string; registered: boolean }[] };
    expect(list.nodes.map((n) => n.name)).toEqual(['it-node-0', 'it-node-1', 'it-node-2']);
    expect(list.nodes.every((n) => n.registered)).toBe(true);
    const bad = await fetch(`${running.url}/faults/it-node-0`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lease: 'pause' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^lease: "pause"/);
    const unknown = await fetch(`${running.url}/faults/nope`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"ready":false}' });
    expect(unknown.status).toBe(404);
    const ok = await fetch(`${running.url}/faults/it-node-0`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"lease":"stop","ready":false}' });
    expect(await ok.json()).toMatchObject({ name: 'it-node-0', lease: 'stopped', ready: false });
    await fetch(`${running.url}/faults/it-node-0`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"lease":"run","ready":true}' });
    expect(running.agent.summary('it-node-0')).toMatchObject({ lease: 'running', ready: true });
  });

  it('a bare Pod bound to a node goes Running; a graceful delete removes it once the driver stops it', async () => {
    await cluster.client.create(Pods, {
      metadata: { name: 'bare', namespace: 'default' },
      spec: { nodeName: 'it-node-0', containers: [{ name: 'c', image: 'busybox' }], terminationGracePeriodSeconds: 30 },
    });
    const runningPod = await eventually('Running', async () => {
      const p = await cluster.client.get(Pods, 'bare', 'default');
      return (p.status as { phase?: string }).phase === 'Running' ? p : undefined;
    });
    expect(runningPod.status).toMatchObject({ hostIP: '127.0.0.1', podIP: expect.stringMatching(/^10\.0\./) });
    expect(running.agent.summary('it-node-0').pods).toBe(1);
    await cluster.client.delete(Pods, 'default', 'bare');
    // Graceful: still there, terminating, until the agent confirms with grace 0.
    const terminating = await cluster.client.get(Pods, 'bare', 'default');
    expect(terminating.metadata!.deletionTimestamp).toBeTruthy();
    await eventually('pod removed', async () => {
      try {
        await cluster.client.get(Pods, 'bare', 'default');
        return false;
      } catch (e) {
        return (e as { code?: number }).code === 404;
      }
    });
    await eventually('driver forgot the pod', () => log.forgotten.includes(runningPod.metadata!.uid!));
    expect(running.agent.summary('it-node-0').pods).toBe(0);
  });

  it('pods of nodes it does not run are left alone', async () => {
    await cluster.client.create(Pods, { metadata: { name: 'elsewhere', namespace: 'default' }, spec: { nodeName: 'other-node', containers: [{ name: 'c', image: 'x' }] } });
    await new Promise((r) => setTimeout(r, 300));
    const p = await cluster.client.get(Pods, 'elsewhere', 'default');
    expect((p.status as { phase?: string }).phase).not.toBe('Running');
  });

  it('hands spec.podCIDR to the node’s driver when node IPAM sets it', async () => {
    await cluster.client.patch(Nodes, undefined, 'it-node-2', { spec: { podCIDR: '10.244.2.0/24', podCIDRs: ['10.244.2.0/24'] } }, 'merge');
    await eventually('setContext with podCIDR', () => log.contexts.some((c) => c.nodeName === 'it-node-2' && c.podCIDR === '10.244.2.0/24'));
    expect(running.agent.summary('it-node-2').podCIDR).toBe('10.244.2.0/24');
  });
});

describe('a Node deleted from the API', () => {
  it('is not resurrected behind the user’s back; recover registers it again', async () => {
    const cluster = await startTestCluster();
    const r = await startNodeAgent({ client: cluster.newClient(), spec: parseNodeSpec({ count: 1, namePrefix: 'gone-' }), driverFactory: fakeDriverFactory(), leaseRenewIntervalMs: 100, log: () => {} });
    try {
      await r.registered;
      const old = await cluster.client.get(Nodes, 'gone-0');
      await cluster.client.delete(Nodes, undefined, 'gone-0');
      await eventually('agent saw the delete', () => !r.agent.summary('gone-0').registered);
      await new Promise((res) => setTimeout(res, 200));
      const lease = await cluster.client.get(Leases, 'gone-0', 'kube-node-lease');
      await new Promise((res) => setTimeout(res, 400));
      expect(renewTime(await cluster.client.get(Leases, 'gone-0', 'kube-node-lease'))).toBe(renewTime(lease));
      await expect(cluster.client.get(Nodes, 'gone-0')).rejects.toMatchObject({ code: 404 });
      r.agent.recover('gone-0');
      const again = await eventually('registered again', async () => {
        const n = await cluster.client.get(Nodes, 'gone-0');
        return ready(n)?.status === 'True' ? n : undefined;
      });
      expect(again.metadata!.uid).not.toBe(old.metadata!.uid);
      const renewed = await eventually('lease owned by the new Node', async () => {
        const l = await cluster.client.get(Leases, 'gone-0', 'kube-node-lease');
        return renewTime(l) > renewTime(lease) ? l : undefined;
      });
      expect(renewed.metadata!.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'gone-0', uid: again.metadata!.uid }]);
    } finally {
      await r.stop();
      await cluster.close();
    }
  });
});

describe('node agent at a few hundred nodes', () => {
  it('registers 250 nodes with leases quickly in one agent', async () => {
    const cluster = await startTestCluster();
    const t0 = Date.now();
    const r = await startNodeAgent({ client: cluster.newClient(), spec: parseNodeSpec({ count: 250 }), driverFactory: fakeDriverFactory(), log: () => {} });
    try {
      await r.registered;
      const took = Date.now() - t0;
      const nodes = await cluster.client.list(Nodes);
      expect(nodes.items).toHaveLength(250);
      expect(nodes.items.every((n) => ready(n)?.status === 'True')).toBe(true);
      await eventually('250 leases', async () => (await cluster.client.list(Leases, { namespace: 'kube-node-lease' })).items.length === 250);
      expect(took).toBeLessThan(10_000);
    } finally {
      await r.stop();
      await cluster.close();
    }
  });
});

describe('node agent restart', () => {
  it('adopts its existing Nodes and Leases, posts a fresh status (new bootID) and refreshes heartbeats each report period', async () => {
    const cluster = await startTestCluster();
    const spec = parseNodeSpec({ count: 2, namePrefix: 'again-' });
    try {
      const first = await startNodeAgent({ client: cluster.newClient(), spec, driverFactory: fakeDriverFactory(), log: () => {} });
      await first.registered;
      await eventually('first leases', async () => (await cluster.client.list(Leases, { namespace: 'kube-node-lease' })).items.length === 2);
      const before = await cluster.client.get(Nodes, 'again-0');
      const leaseBefore = await cluster.client.get(Leases, 'again-0', 'kube-node-lease');
      await first.stop();
      // A user label survives; a kubelet label someone changed comes back.
      await cluster.client.patch(Nodes, undefined, 'again-0', { metadata: { labels: { mine: 'yes', 'kubernetes.io/os': 'plan9' } } }, 'merge');

      const second = await startNodeAgent({ client: cluster.newClient(), spec, driverFactory: fakeDriverFactory(), leaseRenewIntervalMs: 200, nodeStatusReportFrequencyMs: 1100, log: () => {} });
      try {
        await second.registered;
        const after = await eventually('status from the new agent', async () => {
          const n = await cluster.client.get(Nodes, 'again-0');
          const info = (n.status as { nodeInfo: { bootID: string } }).nodeInfo;
          return info.bootID !== (before.status as { nodeInfo: { bootID: string } }).nodeInfo.bootID ? n : undefined;
        });
        expect(after.metadata!.uid).toBe(before.metadata!.uid);
        expect(after.metadata!.labels).toMatchObject({ mine: 'yes', 'kubernetes.io/os': 'linux' });
        expect((after.status as { daemonEndpoints: { kubeletEndpoint: { Port: number } } }).daemonEndpoints.kubeletEndpoint.Port).toBe(second.port);
        await eventually('lease renewed by the new agent', async () => renewTime(await cluster.client.get(Leases, 'again-0', 'kube-node-lease')) > renewTime(leaseBefore));
        // Nothing changes, yet the heartbeat moves once per report period.
        const hb = ready(after)!.lastHeartbeatTime;
        const later = await eventually('heartbeat refreshed', async () => {
          const n = await cluster.client.get(Nodes, 'again-0');
          return ready(n)!.lastHeartbeatTime > hb ? n : undefined;
        }, 5_000);
        expect((ready(later) as Cond & { lastTransitionTime: string }).lastTransitionTime).toBe((ready(after) as Cond & { lastTransitionTime: string }).lastTransitionTime);
      } finally {
        await second.stop();
      }
    } finally {
      await cluster.close();
    }
  });
});
