/** The agent with the real simulated runtime (helper B's driver): pods go through upstream's states. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';
import { Nodes, Pods } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { startNodeAgent, type RunningNodeAgent } from '../../../src/dataplane/kubelet/start.js';
import { parseNodeSpec } from '../../../src/dataplane/kubelet/spec.js';

const phase = (p: KubeObject) => (p.status as { phase?: string } | undefined)?.phase;

describe('node agent with the simulated runtime', () => {
  let cluster: TestCluster;
  let running: RunningNodeAgent;

  beforeAll(async () => {
    cluster = await startTestCluster();
    running = await startNodeAgent({
      client: cluster.newClient('skiff-nodes'),
      spec: parseNodeSpec({ count: 2, namePrefix: 'sim-', pods: 3 }),
      simulated: { timing: { sandboxMs: 20, containerStartMs: 20, stopMs: 100, jobRunMs: 100 } },
      log: () => {},
    });
    await running.registered;
    await cluster.client.patch(Nodes, undefined, 'sim-0', { spec: { podCIDR: '10.244.7.0/24', podCIDRs: ['10.244.7.0/24'] } }, 'merge');
    await eventually('podCIDR reached the agent', () => running.agent.summary('sim-0').podCIDR === '10.244.7.0/24');
  });

  afterAll(async () => {
    await running?.stop();
    await cluster?.close();
  });

  const pod = (name: string, node: string, extra: Record<string, unknown> = {}, annotations: Record<string, string> = {}): KubeObject => ({
    metadata: { name, namespace: 'default', annotations },
    spec: { nodeName: node, containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '100m', memory: '64Mi' } } }], ...extra },
  });

  it('a bare pod bound to a node reaches Running with an IP from the node’s podCIDR, and a graceful delete removes it', async () => {
    await cluster.client.create(Pods, pod('web', 'sim-0'));
    const p = await eventually('Running and Ready', async () => {
      const got = await cluster.client.get(Pods, 'web', 'default');
      const ready = ((got.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).find((c) => c.type === 'Ready');
      return phase(got) === 'Running' && ready?.status === 'True' ? got : undefined;
    });
    const st = p.status as { hostIP: string; podIP: string; containerStatuses: { name: string; ready: boolean; state: Record<string, unknown> }[] };
    expect(st.hostIP).toBe('127.0.0.1');
    expect(st.podIP).toMatch(/^10\.244\.7\.\d+$/);
    expect(st.containerStatuses[0]).toMatchObject({ name: 'app', ready: true, state: { running: expect.any(Object) } });

    await cluster.client.delete(Pods, 'default', 'web');
    expect((await cluster.client.get(Pods, 'web', 'default')).metadata!.deletionTimestamp).toBeTruthy();
    await eventually('removed', async () => {
      try {
        await cluster.client.get(Pods, 'web', 'default');
        return false;
      } catch (e) {
        return (e as { code?: number }).code === 404;
      }
    });
  });

  it('a pod whose container exits non-zero under restartPolicy Never ends Failed (wake-ups from the timer heap)', async () => {
    await cluster.client.create(Pods, pod('crash', 'sim-1', { restartPolicy: 'Never' }, { 'sim.skiff.dev/run-seconds': '0.2', 'sim.skiff.dev/exit-code': '3' }));
    const p = await eventually('Failed', async () => {
      const got = await cluster.client.get(Pods, 'crash', 'default');
      return phase(got) === 'Failed' ? got : undefined;
    });
    const cs = (p.status as { containerStatuses: { state: { terminated?: { exitCode: number } } }[] }).containerStatuses[0]!;
    expect(cs.state.terminated?.exitCode).toBe(3);
  });

  it('the node admits no more pods than its allocatable pods (OutOfpods)', async () => {
    // sim-1 holds "crash" (terminal, not counted); three more fill it, the fourth is rejected.
    for (const n of ['a', 'b', 'c', 'd']) await cluster.client.create(Pods, pod(`fill-${n}`, 'sim-1'));
    const rejected = await eventually('one rejected', async () => {
      const list = await cluster.client.list(Pods, { namespace: 'default', fieldSelector: 'spec.nodeName=sim-1' });
      return list.items.find((x) => (x.status as { reason?: string }).reason === 'OutOfpods');
    });
    expect(phase(rejected)).toBe('Failed');
    await eventually('three running', async () => {
      const list = await cluster.client.list(Pods, { namespace: 'default', fieldSelector: 'spec.nodeName=sim-1' });
      return list.items.filter((x) => phase(x) === 'Running').length === 3;
    });
  });

  it('serves the drivers’ usage on the agent’s port', async () => {
    const res = await fetch(`${running.url}/skiff/v1/usage?node=sim-1`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { nodes: { nodeName: string; pods: unknown[] }[] };
    expect(body.nodes[0]!.nodeName).toBe('sim-1');
    expect(body.nodes[0]!.pods.length).toBeGreaterThanOrEqual(3);
  });
});
