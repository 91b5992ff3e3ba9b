/**
 * node.status.images: the agent posts what a driver's images() reports (a real runtime's image store), and posts
 * again soon after the driver says its node changed (hooks.nodeChanged), not only at the 5 min report period.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Nodes } from '../../../src/client/resources.js';
import { parseNodeSpec } from '../../../src/dataplane/kubelet/spec.js';
import { startNodeAgent, type RunningNodeAgent } from '../../../src/dataplane/kubelet/start.js';
import type { DriverHooks, NodeImage, PodDriverFactory } from '../../../src/dataplane/kubelet/types.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';
import { fakeDriverFactory } from './fake-driver.js';

describe('node agent: node.status.images from the driver', () => {
  let cluster: TestCluster;
  let running: RunningNodeAgent;
  let hooks: DriverHooks | undefined;
  let images: NodeImage[] = [{ names: ['skiff.test/app@sha256:' + 'a'.repeat(64), 'skiff.test/app:1'], sizeBytes: 5_000_000 }];

  beforeAll(async () => {
    cluster = await startTestCluster();
    const base = fakeDriverFactory();
    const factory: PodDriverFactory = (ctx, h) => {
      hooks = h;
      return { ...base(ctx, h), images: () => images };
    };
    running = await startNodeAgent({
      client: cluster.newClient('skiff-nodes'),
      spec: parseNodeSpec({ count: 1, namePrefix: 'img-node-' }),
      driverFactory: factory,
      log: () => {},
    });
    await running.registered;
  });

  afterAll(async () => {
    await running?.stop();
    await cluster?.close();
  });

  it('reports the driver’s images and posts a change at once', async () => {
    const first = await eventually('images in the node status', async () => {
      const n = await cluster.client.get(Nodes, 'img-node-0');
      return (n.status as { images?: NodeImage[] }).images;
    });
    expect(first).toEqual(images);
    images = [{ names: ['skiff.test/big:2'], sizeBytes: 9_000_000 }, ...images];
    hooks!.nodeChanged!();
    const second = await eventually('the new image list', async () => {
      const n = await cluster.client.get(Nodes, 'img-node-0');
      const list = (n.status as { images?: NodeImage[] }).images ?? [];
      return list.length === 2 ? list : undefined;
    }, 5000);
    expect(second.map((i) => i.names[0])).toEqual(['skiff.test/big:2', 'skiff.test/app@sha256:' + 'a'.repeat(64)]);
  });
});
