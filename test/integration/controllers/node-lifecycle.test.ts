import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestCluster, eventually, type TestCluster } from '../../support/cluster.js';
import { startControllerManager, type RunningControllerManager } from '../../../src/control/controllers/start.js';
import { Leases, Nodes, Pods } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';

type Node = KubeObject & { spec?: { podCIDR?: string; podCIDRs?: string[]; taints?: { key: string; effect: string; timeAdded?: string }[] }; status?: { conditions?: { type: string; status: string; reason?: string }[] } };

let c: TestCluster;
let cm: RunningControllerManager;
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const micro = () => new Date().toISOString().replace(/Z$/, '000Z');

/** A stand-in kubelet: the Node with Ready=True and its Lease, renewed while `alive`. */
async function fakeKubelet(name: string) {
  const state = { alive: true };
  await c.client.create(Nodes, { metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
  await c.client.patch(Nodes, undefined, name, { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now(), lastTransitionTime: now() }] } }, 'strategic', { subresource: 'status' });
  await c.client.create(Leases, { metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: micro() } });
  const timer = setInterval(() => {
    if (!state.alive) return;
    void c.client.patch(Leases, 'kube-node-lease', name, { spec: { renewTime: micro() } }, 'merge').catch(() => {});
  }, 150);
  return { state, stop: () => clearInterval(timer) };
}

beforeAll(async () => {
  c = await startTestCluster();
  cm = await startControllerManager({
    client: c.newClient('controller-manager'),
    controllers: ['node-ipam', 'node-lifecycle', 'taint-eviction-controller'],
    leaderElect: false,
    options: { nodeMonitorGracePeriodMs: 1000, nodeMonitorPeriodMs: 200, workers: 2 },
    onError: () => {},
  });
  expect(await cm.ready).toBe(true);
});
afterAll(async () => {
  await cm.stop();
  await c.close();
});

describe('node IPAM and node lifecycle on a real server', () => {
  test('nodes get distinct podCIDRs; a node whose lease stops goes Unknown, is tainted, its pods are evicted after their toleration; it recovers', async () => {
    const a = await fakeKubelet('node-a');
    const b = await fakeKubelet('node-b');
    try {
      const cidrs = await eventually('podCIDRs', async () => {
        const [na, nb] = await Promise.all([c.client.get<Node>(Nodes, 'node-a'), c.client.get<Node>(Nodes, 'node-b')]);
        return na.spec?.podCIDR && nb.spec?.podCIDR ? [na.spec.podCIDR, nb.spec.podCIDR] : null;
      });
      expect(cidrs.sort()).toEqual(['10.244.0.0/24', '10.244.1.0/24']);
      expect((await c.client.get<Node>(Nodes, 'node-a')).spec?.podCIDRs).toEqual([(await c.client.get<Node>(Nodes, 'node-a')).spec?.podCIDR]);

      // One pod that tolerates unreachable for 1 s, one with the 300 s default (DefaultTolerationSeconds).
      for (const [name, tolerations] of [
        ['short', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 }]],
        ['default', undefined],
      ] as const) {
        await c.client.create(Pods, { metadata: { name, namespace: 'default' }, spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'x' }], ...(tolerations ? { tolerations } : {}) } });
        await c.client.patch(Pods, 'default', name, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, 'strategic', { subresource: 'status' });
      }
      await new Promise((r) => setTimeout(r, 1500));
      expect((await c.client.get<Node>(Nodes, 'node-a')).status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');

      a.state.alive = false;
      const lost = await eventually('node-a Unknown and tainted', async () => {
        const n = await c.client.get<Node>(Nodes, 'node-a');
        const ready = n.status?.conditions?.find((x) => x.type === 'Ready');
        return ready?.status === 'Unknown' && n.spec?.taints?.some((t) => t.effect === 'NoExecute') ? n : null;
      }, 10_000);
      expect(lost.status?.conditions?.find((x) => x.type === 'Ready')).toMatchObject({ reason: 'NodeStatusUnknown' });
      expect(lost.spec?.taints?.map((t) => `${t.key}:${t.effect}`).sort()).toEqual(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
      expect(lost.spec?.taints?.find((t) => t.effect === 'NoExecute')?.timeAdded).toMatch(/Z$/);
      // node-b kept renewing: untouched.
      const nb = await c.client.get<Node>(Nodes, 'node-b');
      expect(nb.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
      expect(nb.spec?.taints ?? []).toEqual([]);

      const evicted = await eventually('short-toleration pod evicted', async () => {
        const p = await c.client.get<KubeObject & { status?: { conditions?: { type: string; status: string; reason?: string }[] } }>(Pods, 'short', 'default');
        return p.metadata?.deletionTimestamp ? p : null;
      }, 10_000);
      expect(evicted.status?.conditions?.find((x) => x.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'DeletionByTaintManager' });
      // Marked not Ready when its node was lost.
      expect(evicted.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('False');
      const kept = await c.client.get(Pods, 'default', 'default');
      expect(kept.metadata?.deletionTimestamp).toBeUndefined();

      // Back: the kubelet posts Ready again and renews; the taints go.
      a.state.alive = true;
      await c.client.patch(Nodes, undefined, 'node-a', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now(), lastTransitionTime: now() }] } }, 'strategic', { subresource: 'status' });
      await eventually('node-a taints removed', async () => ((await c.client.get<Node>(Nodes, 'node-a')).spec?.taints ?? []).length === 0, 10_000);
    } finally {
      a.stop();
      b.stop();
    }
  });

  test('nodes registered together (more than one patch in flight) each get a podCIDR of their own, none skipped', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `bulk-${i}`);
    await Promise.all(names.map((name) => c.client.create(Nodes, { metadata: { name } })));
    const cidrs = await eventually('every bulk node has a podCIDR', async () => {
      const nodes = await Promise.all(names.map((name) => c.client.get<Node>(Nodes, name)));
      return nodes.every((n) => n.spec?.podCIDR) ? nodes.map((n) => n.spec!.podCIDR!) : null;
    }, 20_000);
    // node-a and node-b hold the first two: the next forty, each once.
    expect([...cidrs].sort((x, y) => Number(x.split('.')[2]) - Number(y.split('.')[2]))).toEqual(names.map((_, i) => `10.244.${i + 2}.0/24`));
  });
});
