/**
 * metrics.k8s.io from real simulated nodes: the node agent (startNodeAgent with the simulated pod driver) runs
 * two nodes whose InternalIP is the agent's listen address (127.0.0.1, as the agent/metrics contract says), pods
 * are bound to them and run; `kubectl top` then prints the driver's figures (annotations, else half of requests,
 * plus the node's system share).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';
import { Pods } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { startNodeAgent, type RunningNodeAgent } from '../../../src/dataplane/kubelet/start.js';
import { expandNodes, parseNodeSpec } from '../../../src/dataplane/kubelet/spec.js';
import { simulatedPodDriverFactory } from '../../../src/dataplane/kubelet/runtime/simulated/driver.js';

const run = promisify(execFile);

let cluster: TestCluster;
let agent: RunningNodeAgent;

const rows = (out: string): string[][] => out.trim().split('\n').map((l) => l.trim().split(/\s+/));
const kubectl = async (...args: string[]): Promise<string> =>
  (await run('/usr/bin/kubectl', ['--kubeconfig', cluster.kubeconfig, ...args], { timeout: 20_000 })).stdout;

function pod(name: string, nodeName: string, containers: KubeObject[], annotations: Record<string, string> = {}): KubeObject {
  return { kind: 'Pod', metadata: { name, namespace: 'default', annotations }, spec: { nodeName, containers } };
}

beforeAll(async () => {
  cluster = await startTestCluster({ metrics: { resolutionMs: 200, timeoutMs: 2_000 } });
  const nodes = expandNodes(parseNodeSpec({ count: 2, namePrefix: 'm-', cpu: '4', memory: '8Gi' })).map((n) => ({ ...n, internalIP: '127.0.0.1' }));
  agent = await startNodeAgent({
    client: cluster.newClient('skiff-nodes'),
    nodes,
    driverFactory: simulatedPodDriverFactory({ timing: { sandboxMs: 0, containerStartMs: 0 } }),
    log: () => {},
  });
  await agent.registered;
  await cluster.client.create(Pods, pod('api', 'm-0', [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }], {
    'sim.skiff.dev/cpu-usage': '300m', 'sim.skiff.dev/memory-usage': '200Mi',
  }));
  await cluster.client.create(Pods, pod('small', 'm-0', [{ name: 'c', image: 'x', resources: { requests: { cpu: '100m', memory: '64Mi' } } }]));
  for (const name of ['api', 'small']) {
    await eventually(`${name} Running`, async () => ((await cluster.client.get(Pods, name, 'default')).status as { phase?: string }).phase === 'Running');
  }
});

afterAll(async () => {
  await agent?.stop();
  await cluster?.close();
});

describe('kubectl top on simulated nodes', () => {
  test('top pods --containers: annotation figures split over containers, else half the requests', async () => {
    const out = await eventually('pod metrics', async () => {
      const r = rows(await kubectl('top', 'pods', '--containers'));
      return r.length === 4 ? r : undefined;
    });
    expect(out).toEqual([
      ['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      ['api', 'a', '150m', '100Mi'],
      ['api', 'b', '150m', '100Mi'],
      ['small', 'c', '50m', '32Mi'],
    ]);
  });

  test('top nodes: the pods plus the node\'s own share, as a percentage of allocatable', async () => {
    const [header, ...body] = rows(await kubectl('top', 'nodes'));
    expect(header).toEqual(['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)']);
    // System share 50m / 256Mi; m-0 adds 300m + 50m and 200Mi + 32Mi.
    expect(body).toEqual([
      ['m-0', '400m', '10%', '488Mi', '5%'],
      ['m-1', '50m', '1%', '256Mi', '3%'],
    ]);
  });

  test('a deleted pod leaves the figures once its containers stop', async () => {
    await cluster.client.delete(Pods, 'default', 'small', { gracePeriodSeconds: 0 });
    await eventually('small gone from PodMetrics', async () => {
      const list = await cluster.client.list({ group: 'metrics.k8s.io', version: 'v1beta1', plural: 'pods', namespaced: true }, { namespace: 'default' });
      const names = list.items.map((i) => i.metadata?.name);
      return names.length === 1 && names[0] === 'api';
    });
  });
});
