/**
 * Simulated nodes told (node spec `unpullableImages`) that some images do not exist: against a real API server
 * and scheduler, a pod with such an image stays Pending, its container waiting in ErrImagePull / ImagePullBackOff,
 * with the kubelet's Failed / BackOff events; a pod with any other image runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Events, Pods } from '../../../src/client/resources.js';
import { eventually, startSimulatedCluster, type SimulatedCluster } from '../../support/cluster.js';

interface PodJSON {
  status?: { phase?: string; containerStatuses?: { state?: { waiting?: { reason?: string; message?: string }; running?: unknown } }[] };
}

describe('unpullable images on simulated nodes', () => {
  let sim: SimulatedCluster;

  beforeAll(async () => {
    sim = await startSimulatedCluster({
      nodes: { count: 1, namePrefix: 'pull-', unpullableImages: ['*:404'] },
      timing: { sandboxMs: 20, containerStartMs: 50 },
      agent: { podEvents: true },
    });
  });

  afterAll(async () => {
    await sim?.close();
  });

  const pod = (name: string, image: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'web', image }] } });

  it('a pod whose image matches waits on the pull, with the kubelet’s events; another image runs', async () => {
    await sim.cluster.client.create(Pods, pod('stuck', 'webserver:404'), { namespace: 'default' });
    await sim.cluster.client.create(Pods, pod('fine', 'webserver:1.0'), { namespace: 'default' });
    const stuck = await eventually('stuck pod waits on its image', async () => {
      const p = (await sim.cluster.client.get(Pods, 'stuck', 'default')) as PodJSON;
      const reason = p.status?.containerStatuses?.[0]?.state?.waiting?.reason;
      return reason === 'ErrImagePull' || reason === 'ImagePullBackOff' ? p : undefined;
    });
    expect(stuck.status?.phase).toBe('Pending');
    await eventually('fine pod runs', async () => ((await sim.cluster.client.get(Pods, 'fine', 'default')) as PodJSON).status?.phase === 'Running');
    const evs = await eventually('pull failure events', async () => {
      const list = (await sim.cluster.client.list(Events, { namespace: 'default', fieldSelector: 'involvedObject.name=stuck' })).items as unknown as { reason: string; type: string; message: string }[];
      return list.some((e) => e.message === 'Error: ErrImagePull') && list.some((e) => e.reason === 'BackOff') ? list : undefined;
    });
    expect(evs.find((e) => e.message.startsWith('Failed to pull image "webserver:404": '))).toMatchObject({ type: 'Warning', reason: 'Failed' });
    expect(evs.find((e) => e.reason === 'BackOff')).toMatchObject({ type: 'Normal', message: 'Back-off pulling image "webserver:404"' });
    expect(evs.some((e) => e.reason === 'Started')).toBe(false);
  });
});
