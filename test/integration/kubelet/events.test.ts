/**
 * The simulated kubelet's Events against a real API server, scheduler and node controller: node events on
 * registration, a pod's container events in upstream's order with the container's fieldPath, Killing on
 * deletion, BackOff in a crash loop, and `kubectl describe` showing them; pod events stay off unless asked for.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startSimulatedCluster, type SimulatedCluster } from '../../support/cluster.js';
import { Events, Pods } from '../../../src/client/resources.js';
import { nodeLifecycleController } from '../../../src/control/controllers/node-lifecycle/controller.js';
import { startNodeAgent } from '../../../src/dataplane/kubelet/start.js';
import { parseNodeSpec } from '../../../src/dataplane/kubelet/spec.js';

const run = promisify(execFile);

interface Ev {
  metadata: { name: string };
  reason: string;
  message: string;
  type: string;
  source: { component?: string; host?: string };
  reportingComponent?: string;
  reportingInstance?: string;
  involvedObject: { kind: string; name: string; uid?: string; fieldPath?: string; namespace?: string };
}

/** Events in the order they were made: client-go's names end in the creation time in hex nanoseconds. */
const byCreation = (evs: Ev[]): Ev[] => [...evs].sort((a, b) => (BigInt(`0x${a.metadata.name.split('.').pop()}`) < BigInt(`0x${b.metadata.name.split('.').pop()}`) ? -1 : 1));

describe('kubelet events', () => {
  let sim: SimulatedCluster;

  beforeAll(async () => {
    sim = await startSimulatedCluster({
      nodes: { count: 2, namePrefix: 'ev-' },
      timing: { sandboxMs: 20, containerStartMs: 50, stopMs: 100, backOffBaseMs: 300, backOffMaxMs: 600 },
      agent: { podEvents: true },
      controllers: { available: [nodeLifecycleController], controllers: ['node-lifecycle'] },
    });
  });

  afterAll(async () => {
    await sim?.close();
  });

  const events = async (namespace: string, fieldSelector: string): Promise<Ev[]> =>
    byCreation(((await sim.cluster.client.list(Events, { namespace, fieldSelector })).items ?? []) as unknown as Ev[]);
  const kubectl = async (...args: string[]): Promise<string> => (await run('/usr/bin/kubectl', ['--kubeconfig', sim.cluster.kubeconfig, ...args])).stdout;

  it('a registered node has the kubelet’s start and condition events and the node controller’s RegisteredNode', async () => {
    const evs = await eventually('node events', async () => {
      const got = await events('default', 'involvedObject.kind=Node,involvedObject.name=ev-0');
      return got.some((e) => e.reason === 'RegisteredNode') && got.some((e) => e.reason === 'NodeReady') ? got : undefined;
    });
    const kubelet = evs.filter((e) => e.source.component === 'kubelet');
    expect(kubelet.map((e) => e.reason)).toEqual(['Starting', 'NodeAllocatableEnforced', 'NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID', 'NodeReady']);
    expect(kubelet[0]).toMatchObject({ message: 'Starting kubelet.', source: { component: 'kubelet', host: 'ev-0' }, reportingComponent: 'kubelet', reportingInstance: 'ev-0' });
    // The kubelet's nodeRef carries the node's name as its uid.
    expect(kubelet[0]!.involvedObject).toMatchObject({ kind: 'Node', name: 'ev-0', uid: 'ev-0' });
    expect(kubelet[2]!.message).toBe('Node ev-0 status is now: NodeHasSufficientMemory');
    expect(kubelet[1]!.message).toBe('Updated Node Allocatable limit across pods');
    const registered = evs.filter((e) => e.reason === 'RegisteredNode');
    expect(registered).toHaveLength(1);
    expect(registered[0]).toMatchObject({ type: 'Normal', message: 'Node ev-0 event: Registered Node ev-0 in Controller', source: { component: 'node-controller' } });
    expect(registered[0]!.involvedObject.uid).not.toBe('ev-0');

    const out = await kubectl('describe', 'node', 'ev-0');
    expect(out).toContain('Starting kubelet.');
    expect(out).toContain('Registered Node ev-0 in Controller');
  });

  it('a node made NotReady and back posts NodeNotReady then NodeReady', async () => {
    sim.agent.agent.setReady('ev-1', false);
    await eventually('NodeNotReady', async () => (await events('default', 'involvedObject.name=ev-1,reason=NodeNotReady')).some((e) => e.source.component === 'kubelet'));
    sim.agent.agent.setReady('ev-1', true);
    await eventually('NodeReady again', async () => (await events('default', 'involvedObject.name=ev-1,reason=NodeReady')).length === 2);
  });

  it('a pod reaching Running has Pulling, Pulled, Created, Started for its container; deleting it gives Killing', async () => {
    await sim.cluster.client.create(Pods, { metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } });
    const pod = await eventually('web Running', async () => {
      const p = await sim.cluster.client.get(Pods, 'web', 'default');
      return (p.status as { phase?: string }).phase === 'Running' ? p : undefined;
    });
    const node = (pod.spec as { nodeName: string }).nodeName;
    const uid = pod.metadata!.uid!;
    const evs = await eventually('four container events', async () => {
      const got = (await events('default', `involvedObject.uid=${uid}`)).filter((e) => e.source.component === 'kubelet');
      return got.length >= 4 ? got : undefined;
    });
    expect(evs.map((e) => e.reason)).toEqual(['Pulling', 'Pulled', 'Created', 'Started']);
    for (const e of evs) {
      expect(e.involvedObject).toMatchObject({ kind: 'Pod', name: 'web', namespace: 'default', uid, fieldPath: 'spec.containers{nginx}' });
      expect(e).toMatchObject({ type: 'Normal', source: { component: 'kubelet', host: node }, reportingComponent: 'kubelet', reportingInstance: node });
    }
    expect(evs[0]!.message).toBe('Pulling image "nginx"');
    expect(evs[1]!.message).toMatch(/^Successfully pulled image "nginx" in \d+(\.\d+)?m?s \(\d+(\.\d+)?m?s including waiting\)\. Image size: \d+ bytes\.$/);
    expect(evs[2]!.message).toBe('Created container: nginx');
    expect(evs[3]!.message).toBe('Started container nginx');

    const out = await kubectl('describe', 'pod', 'web');
    for (const text of ['Scheduled', 'Pulling image "nginx"', 'Created container: nginx', 'Started container nginx', 'kubelet']) expect(out).toContain(text);
    expect(out.indexOf('Pulling image')).toBeLessThan(out.indexOf('Started container nginx'));

    await sim.cluster.client.delete(Pods, 'default', 'web');
    const killing = await eventually('Killing', async () => (await events('default', `involvedObject.uid=${uid},reason=Killing`))[0]);
    expect(killing).toMatchObject({ type: 'Normal', message: 'Stopping container nginx', involvedObject: { fieldPath: 'spec.containers{nginx}' }, source: { component: 'kubelet', host: node } });
  });

  it('a container in a crash loop gets a BackOff warning naming the pod', async () => {
    await sim.cluster.client.create(Pods, {
      metadata: { name: 'crash', namespace: 'default', annotations: { 'sim.skiff.dev/run-seconds': '0.05', 'sim.skiff.dev/exit-code': '1' } },
      spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] },
    });
    const pod = await eventually('crash bound', async () => {
      const p = await sim.cluster.client.get(Pods, 'crash', 'default');
      return p.metadata?.uid && (p.spec as { nodeName?: string }).nodeName ? p : undefined;
    });
    const uid = pod.metadata!.uid!;
    const backoff = await eventually('BackOff', async () => (await events('default', `involvedObject.uid=${uid},reason=BackOff`))[0]);
    expect(backoff).toMatchObject({ type: 'Warning', message: `Back-off restarting failed container app in pod crash_default(${uid})`, involvedObject: { fieldPath: 'spec.containers{app}' } });
    // busybox:1.36 is IfNotPresent: pulled once on the node, then "already present" on restarts.
    const pulled = await eventually('a restart after the back-off', async () => {
      const got = await events('default', `involvedObject.uid=${uid},reason=Pulled`);
      return got.length >= 2 ? got : undefined;
    });
    expect(pulled[0]!.message).toMatch(/^Successfully pulled image "busybox:1.36"/);
    expect(pulled[1]!.message).toBe('Container image "busybox:1.36" already present on machine');
    await sim.cluster.client.delete(Pods, 'default', 'crash');
  });

  it('an agent without pod events posts node events only', async () => {
    const quiet = await startNodeAgent({
      client: sim.cluster.newClient('skiff-nodes-quiet'),
      spec: parseNodeSpec({ count: 1, namePrefix: 'quiet-' }),
      simulated: { timing: { sandboxMs: 0, containerStartMs: 0 } },
      listen: null,
      log: () => {},
    });
    try {
      await quiet.registered;
      await sim.cluster.client.create(Pods, { metadata: { name: 'silent', namespace: 'default' }, spec: { nodeName: 'quiet-0', containers: [{ name: 'c', image: 'nginx' }] } });
      const p = await eventually('silent Running', async () => {
        const got = await sim.cluster.client.get(Pods, 'silent', 'default');
        return (got.status as { phase?: string }).phase === 'Running' ? got : undefined;
      });
      await quiet.agent.events.flush();
      expect(await events('default', `involvedObject.uid=${p.metadata!.uid}`)).toEqual([]);
      const nodeEvents = (await events('default', 'involvedObject.name=quiet-0')).filter((e) => e.source.component === 'kubelet');
      expect(nodeEvents.map((e) => e.reason)).toContain('Starting');
      expect(quiet.agent.events.stats()).toEqual({ dropped: 0, failed: 0, filtered: 0 });
    } finally {
      await quiet.stop();
    }
  });
});

