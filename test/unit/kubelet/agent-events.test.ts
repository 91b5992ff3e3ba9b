import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/client/clock.js';
import type { RestClient } from '../../../src/client/rest.js';
import type { KubeObject } from '../../../src/client/types.js';
import { KubeletEvents } from '../../../src/dataplane/kubelet/events.js';
import { kubeletStartEvents } from '../../../src/dataplane/kubelet/event-rules.js';

/** A client whose create records the body; `hold` keeps every write pending (an API server that stalls). */
function fakeClient(hold = false): { client: RestClient; posted: KubeObject[] } {
  const posted: KubeObject[] = [];
  const client = {
    create: (_ref: unknown, body: KubeObject) => {
      posted.push(body);
      return hold ? new Promise(() => {}) : Promise.resolve(body);
    },
  } as unknown as RestClient;
  return { client, posted };
}

const pod = (status: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name: 'web', namespace: 'ns1', uid: 'u1', resourceVersion: '7' },
  spec: { nodeName: 'n1', containers: [{ name: 'nginx', image: 'nginx', imagePullPolicy: 'Always' }] },
  status,
});
const running = { phase: 'Running', containerStatuses: [{ name: 'nginx', restartCount: 0, state: { running: { startedAt: 'x' } }, lastState: {} }] };

describe('KubeletEvents', () => {
  it('posts container events as the kubelet does: source host, reporting instance, the container fieldPath', async () => {
    const { client, posted } = fakeClient();
    const ev = new KubeletEvents({ client, clock: new FakeClock(1_700_000_000_000), podEvents: true });
    ev.pod('n1', pod(), running, 1_700_000_000_000);
    await ev.flush();
    expect(posted.map((e) => (e as { reason?: string }).reason)).toEqual(['Pulling', 'Pulled', 'Created', 'Started']);
    expect(posted[2]).toMatchObject({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { namespace: 'ns1' },
      involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace: 'ns1', name: 'web', uid: 'u1', resourceVersion: '7', fieldPath: 'spec.containers{nginx}' },
      source: { component: 'kubelet', host: 'n1' },
      reportingComponent: 'kubelet',
      reportingInstance: 'n1',
      type: 'Normal',
      message: 'Created container: nginx',
    });
    expect(posted[2]!.metadata!.name).toMatch(/^web\.[0-9a-f]+$/);
  });

  it('node events go to the default namespace about the node, its name standing in for its uid', async () => {
    const { client, posted } = fakeClient();
    const ev = new KubeletEvents({ client, clock: new FakeClock(0), podEvents: false });
    ev.node('n1', kubeletStartEvents());
    await ev.flush();
    expect(posted).toHaveLength(2);
    expect(posted[0]).toMatchObject({ metadata: { namespace: 'default' }, involvedObject: { kind: 'Node', name: 'n1', uid: 'n1' }, source: { component: 'kubelet', host: 'n1' }, reason: 'Starting' });
    expect((posted[0] as { involvedObject: Record<string, unknown> }).involvedObject).not.toHaveProperty('fieldPath');
  });

  it('with pod events off, a pod posts nothing', async () => {
    const { client, posted } = fakeClient();
    const ev = new KubeletEvents({ client, clock: new FakeClock(0), podEvents: false });
    ev.pod('n1', pod(), running, 0);
    await ev.flush();
    expect(posted).toEqual([]);
  });

  it('never blocks on a stalled API server: past the backlog, events are dropped and counted', () => {
    const { client, posted } = fakeClient(true);
    const ev = new KubeletEvents({ client, clock: new FakeClock(0), podEvents: true, concurrency: 2, maxBacklog: 3 });
    for (let i = 0; i < 5; i++) ev.node(`n${i}`, kubeletStartEvents());
    expect(posted).toHaveLength(2); // in flight
    expect(ev.stats()).toEqual({ dropped: 5, failed: 0, filtered: 0 }); // 10 made: 2 in flight, 3 waiting
  });

  it('holds back a flood about one object (client-go spam filter: 25, then one per 5 minutes)', async () => {
    const { client, posted } = fakeClient();
    const ev = new KubeletEvents({ client, clock: new FakeClock(0), podEvents: false });
    for (let i = 0; i < 15; i++) ev.node('n1', kubeletStartEvents());
    await ev.flush();
    expect(posted).toHaveLength(25);
    expect(ev.stats().filtered).toBe(5);
  });
});
