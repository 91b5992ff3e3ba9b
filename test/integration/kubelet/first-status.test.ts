/** A pod's first status is held for its Running one when the containers come up at once (first-status.ts). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';
import { Pods } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { startNodeAgent, type RunningNodeAgent } from '../../../src/dataplane/kubelet/start.js';
import { parseNodeSpec } from '../../../src/dataplane/kubelet/spec.js';

type St = { phase?: string; hostIP?: string; startTime?: string; conditions?: { type: string; status: string }[]; initContainerStatuses?: { state?: Record<string, unknown> }[] };
const st = (p: KubeObject) => (p.status ?? {}) as St;

describe('node agent: one status write to start a fast pod', () => {
  let cluster: TestCluster;
  let running: RunningNodeAgent;

  beforeAll(async () => {
    cluster = await startTestCluster();
    running = await startNodeAgent({
      client: cluster.newClient('skiff-nodes'),
      spec: parseNodeSpec({ count: 1, namePrefix: 'fs-', pods: 10 }),
      simulated: { timing: { sandboxMs: 20, containerStartMs: 30, initContainerRunMs: 600 } },
      firstStatusHoldMs: 300,
      log: () => {},
    });
    await running.registered;
  });

  afterAll(async () => {
    await running?.stop();
    await cluster?.close();
  });

  const pod = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({
    metadata: { name, namespace: 'default' },
    spec: { nodeName: 'fs-0', containers: [{ name: 'app', image: 'nginx' }], ...spec },
  });

  /** Every phase the pod's watch shows, in order, until Running. */
  async function phasesSeen(name: string, create: () => Promise<unknown>): Promise<St[]> {
    const seen: St[] = [];
    const ctl = new AbortController();
    const done = (async () => {
      for await (const ev of cluster.client.watch(Pods, { namespace: 'default', fieldSelector: `metadata.name=${name}`, signal: ctl.signal })) {
        if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') continue;
        const s = st(ev.object as KubeObject);
        seen.push(s);
        if (s.phase === 'Running') return;
      }
    })();
    await create();
    await Promise.race([done, eventually(`${name} Running`, async () => st(await cluster.client.get(Pods, name, 'default')).phase === 'Running')]);
    await eventually('watch saw Running', () => seen.some((s) => s.phase === 'Running'));
    ctl.abort();
    return seen;
  }

  it('a pod whose containers start within the hold: its one status write carries Running with hostIP, startTime and Ready', async () => {
    const before = running.agent.writer.stats.patches;
    const seen = await phasesSeen('fast', () => cluster.client.create(Pods, pod('fast')));
    // Created (Pending, no hostIP) and bound; then the kubelet's one write.
    expect(seen.filter((s) => s.hostIP !== undefined).map((s) => s.phase)).toEqual(['Running']);
    const last = seen.at(-1)!;
    expect(last.startTime).toBeTruthy();
    expect(last.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(last.conditions?.find((c) => c.type === 'PodReadyToStartContainers')?.status).toBe('True');
    await running.agent.writer.idle();
    expect(running.agent.writer.stats.patches - before).toBe(1);
  });

  it('a pod slower than the hold (an init container running 600 ms) still shows Pending with its hostIP first', async () => {
    const seen = await phasesSeen('slow', () => cluster.client.create(Pods, pod('slow', { initContainers: [{ name: 'init', image: 'busybox' }] })));
    const kubelet = seen.filter((s) => s.hostIP !== undefined);
    expect(kubelet[0]!.phase).toBe('Pending');
    expect(kubelet[0]!.initContainerStatuses?.[0]?.state).toHaveProperty('running');
    expect(kubelet.at(-1)!.phase).toBe('Running');
  });
});
