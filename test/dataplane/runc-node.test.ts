/**
 * One real node end to end, as root: a real API server (pods bound by spec.nodeName, no scheduler needed), the
 * node agent with the runc driver over the real image store, RuncRuntime, bridge network and volumes, in its
 * own network namespace `skiff-t-<run>-node-n1`, and a busybox image built here from /bin/busybox and loaded
 * into the store. Everything is named `skiff-t-<run>…` and removed in afterAll, also on failure.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Events, Pods, Services } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import type { RunningRuncNode } from '../../src/dataplane/kubelet/runtime/runc/start.js';
import { realNodeSkipReason } from '../../src/dataplane/kubelet/runtime/runc/tools.js';
import { eventually, type TestCluster } from '../support/cluster.js';
import { runcSkipReason, startRuncTestNode, type RuncTestNode } from './runc-fixture.js';

const skip = realNodeSkipReason() ?? runcSkipReason();
const IMAGE = 'skiff.test/busybox:1';
const POD_CIDR = '10.244.77.0/24';

function sh(argv: string[]): { code: number; out: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const netnsList = (): string[] => sh(['ip', 'netns', 'list']).out.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);

describe.skipIf(skip !== null)(`runc node end to end${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let t: RuncTestNode | undefined;
  let dir = '';
  let prefix = '';
  let cluster: TestCluster | undefined;
  let node: RunningRuncNode | undefined;

  beforeAll(async () => {
    t = await startRuncTestNode({ tag: 'runc-node', image: IMAGE, podCIDR: POD_CIDR, node: { usageIntervalMs: 300, orphanGraceMs: 300 } });
    ({ dir, prefix, cluster, node } = t);
  }, 60_000);

  afterAll(() => t?.close(), 60_000);

  const gone = (name: string) =>
    eventually(`${name} gone from the API`, async () => {
      try {
        await get(name);
        return false;
      } catch {
        return true;
      }
    }, 30_000, 200);

  const get = (name: string) => cluster!.client.get(Pods, name, 'default');
  const status = (p: KubeObject) => p.status as Record<string, any>;
  const cs = (p: KubeObject) => (status(p).containerStatuses ?? [])[0] ?? {};

  it.concurrent('runs busybox httpd: Running with a podIP from the podCIDR, Ready through an httpGet probe; deletion removes container and netns', async () => {
    const pod = await cluster!.client.create(Pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        nodeName: 'n1',
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'web',
            image: IMAGE,
            imagePullPolicy: 'IfNotPresent',
            command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
            ports: [{ name: 'http', containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/index.html', port: 'http' }, periodSeconds: 1 },
          },
        ],
      },
    });
    const uid = pod.metadata!.uid!;
    const running = await eventually('web Running and Ready', async () => {
      const p = await get('web');
      const conds = (status(p).conditions ?? []) as { type: string; status: string }[];
      return status(p).phase === 'Running' && conds.some((c) => c.type === 'Ready' && c.status === 'True') ? p : null;
    }, 30_000, 200);
    const podIP = status(running).podIP as string;
    expect(podIP).toMatch(/^10\.244\.77\.\d+$/);
    expect(podIP).not.toBe('10.244.77.1'); // the gateway
    expect(cs(running)).toMatchObject({ name: 'web', ready: true, started: true, restartCount: 0, image: 'skiff.test/busybox:1' });
    expect(cs(running).containerID).toBe(`runc://${prefix}${uid}_web_0`);
    expect(cs(running).imageID).toMatch(/^skiff\.test\/busybox@sha256:[0-9a-f]{64}$/);
    // The page is served inside the pod's namespace, reachable from the node's.
    const page = sh(['ip', 'netns', 'exec', node!.netns!, '/bin/busybox', 'wget', '-qO-', `http://${podIP}:8080/index.html`]);
    expect(page.out).toBe('hello from busybox\n');
    expect(netnsList()).toContain(`${prefix}pod-${uid}`);
    // Usage for metrics.k8s.io from the container's cgroup.
    const usage = await eventually('web usage sampled', () => {
      const u = node!.agent.nodeUsage('n1');
      const p = u.pods.find((x) => x.uid === uid);
      return p && p.containers[0]!.memoryBytes > 0 ? p : null;
    }, 10_000, 100);
    expect(usage).toMatchObject({ namespace: 'default', name: 'web', containers: [{ name: 'web' }] });

    await cluster!.client.delete(Pods, 'default', 'web');
    await gone('web');
    const runcRoot = join(dir, 'kubelet', 'n1', 'runtime', 'runc');
    expect(sh(['runc', '--root', runcRoot, 'list', '-q']).out).not.toContain(uid);
    expect(netnsList()).not.toContain(`${prefix}pod-${uid}`);
  }, 60_000);

  it.concurrent("a pod's containers share /dev/shm, IPC and the hostname", async () => {
    const pod = await cluster!.client.create(Pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pair', namespace: 'default' },
      spec: {
        nodeName: 'n1',
        terminationGracePeriodSeconds: 1,
        containers: [
          // PID 1 ignores SIGTERM unless it handles it: these do, so deletion need not wait for SIGKILL.
          { name: 'a', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'trap "exit 0" TERM; echo shared > /dev/shm/x; readlink /proc/self/ns/ipc; sleep 3600 & wait'] },
          { name: 'b', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'trap "exit 0" TERM; while [ ! -e /dev/shm/x ]; do sleep 0.1; done; cat /dev/shm/x; hostname; readlink /proc/self/ns/ipc; sleep 3600 & wait'] },
        ],
      },
    });
    const logs = join(dir, 'kubelet', 'n1', 'logs', `default_pair_${pod.metadata!.uid}`);
    const text = (c: string) => readFileSync(join(logs, c, '0.log'), 'utf8').split('\n').filter(Boolean).map((l) => l.replace(/^\S+ stdout F /, ''));
    const b = await eventually("b's output", () => {
      try {
        const t = text('b');
        return t.length >= 3 ? t : null;
      } catch {
        return null;
      }
    }, 20_000, 100);
    expect(b.slice(0, 2)).toEqual(['shared', 'pair']);
    expect(b[2]).toMatch(/^ipc:\[\d+\]$/);
    expect(text('a')[0]).toBe(b[2]);
    await cluster!.client.delete(Pods, 'default', 'pair');
    await gone('pair');
  }, 60_000);

  it.concurrent("a hostNetwork pod runs in the node's namespace with the node's IP, and its probe reaches it there", async () => {
    await cluster!.client.create(Pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'hostnet', namespace: 'default' },
      spec: {
        nodeName: 'n1',
        hostNetwork: true,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'web', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['httpd', '-f', '-p', '18080', '-h', '/www'], readinessProbe: { httpGet: { path: '/index.html', port: 18080 }, periodSeconds: 1 } }],
      },
    });
    const ready = await eventually('hostnet Ready', async () => {
      const p = await get('hostnet');
      return cs(p).ready === true ? p : null;
    }, 20_000, 100);
    expect(status(ready).podIP).toBe(status(ready).hostIP);
    // Served in the node's namespace (not the host's): reachable there on loopback.
    expect(sh(['ip', 'netns', 'exec', node!.netns!, '/bin/busybox', 'wget', '-qO-', 'http://127.0.0.1:18080/index.html']).out).toBe('hello from busybox\n');
    expect(netnsList()).not.toContain(`${prefix}pod-${ready.metadata!.uid}`);
    await cluster!.client.delete(Pods, 'default', 'hostnet');
    await gone('hostnet');
  }, 60_000);

  it.concurrent("a container's env: the image env once, HOSTNAME, and the service variables of its namespace's Services", async () => {
    await cluster!.client.create(Services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'env-svc', namespace: 'default' },
      spec: { ports: [{ name: 'web', port: 8080, protocol: 'TCP' }], selector: { app: 'none' } },
    });
    const svc = await eventually('env-svc has a cluster IP', async () => {
      const s = await cluster!.client.get(Services, 'env-svc', 'default');
      return (s.spec as { clusterIP?: string }).clusterIP ? s : null;
    });
    const clusterIP = (svc.spec as { clusterIP: string }).clusterIP;
    // The node's Service informer has it before the pod starts (containers wait until the informer has listed).
    await new Promise((r) => setTimeout(r, 500));
    const pod = await cluster!.client.create(Pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'envy', namespace: 'default' },
      spec: {
        nodeName: 'n1',
        terminationGracePeriodSeconds: 1,
        restartPolicy: 'Never',
        containers: [{ name: 'envy', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'cat /proc/self/environ | tr "\\0" "\\n"'], env: [{ name: 'OWN', value: 'x' }] }],
      },
    });
    // 45 s: the pod first waits for the node's Services informer to list; beside the full suite it took over 20 s.
    await eventually('envy Succeeded', async () => status(await get('envy')).phase === 'Succeeded', 45_000, 100);
    const logs = join(dir, 'kubelet', 'n1', 'logs', `default_envy_${pod.metadata!.uid}`, 'envy', '0.log');
    const env = readFileSync(logs, 'utf8').split('\n').map((l) => /^\S+ stdout F (.*)$/.exec(l)?.[1]).filter((l): l is string => !!l);
    expect(env.filter((e) => e.startsWith('PATH='))).toEqual(['PATH=/bin']);
    expect(env).toContain('HOSTNAME=envy');
    expect(env).toContain('OWN=x');
    expect(env).toContain(`ENV_SVC_SERVICE_HOST=${clusterIP}`);
    expect(env).toContain('ENV_SVC_SERVICE_PORT_WEB=8080');
    expect(new Set(env.map((e) => e.split('=')[0])).size).toBe(env.length);
    await cluster!.client.delete(Pods, 'default', 'envy');
    await cluster!.client.delete(Services, 'default', 'env-svc');
    await gone('envy');
  }, 60_000);

  it.concurrent('a privileged container runs with the capabilities this agent holds (runc would refuse more)', async () => {
    await cluster!.client.create(Pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'priv', namespace: 'default' },
      spec: {
        nodeName: 'n1',
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'priv', image: IMAGE, imagePullPolicy: 'IfNotPresent', securityContext: { privileged: true }, command: ['sh', '-c', 'head -c 0 /dev/null; exec sleep 3600'] }],
      },
    });
    const running = await eventually('priv Running', async () => {
      const p = await get('priv');
      const c = cs(p);
      if (c.state?.terminated || c.lastState?.terminated) throw new Error(`priv did not start: ${JSON.stringify(c)}`);
      return c.state?.running ? p : null;
    }, 20_000, 100);
    expect(cs(running).restartCount).toBe(0);
    await cluster!.client.delete(Pods, 'default', 'priv');
    await gone('priv');
  }, 60_000);

  it.concurrent("a hostPort is DNATed in the node's namespace to the pod (httpd reached at the node namespace's addresses), never in the host's; deletion removes the mapping", async () => {
    const pod = await cluster!.client.create(Pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'hostport', namespace: 'default' },
      spec: {
        nodeName: 'n1',
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'web', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['httpd', '-f', '-p', '8080', '-h', '/www'], ports: [{ containerPort: 8080, hostPort: 18181 }], readinessProbe: { httpGet: { path: '/index.html', port: 8080 }, periodSeconds: 1 } }],
      },
    });
    const uid = pod.metadata!.uid!;
    await eventually('hostport Ready', async () => cs(await get('hostport')).ready === true, 20_000, 100);
    const gateway = POD_CIDR.replace('0/24', '1');
    // (busybox-static's wget crashes with -T; sh() has its own 10 s limit.)
    const wget = (url: string) => sh(['ip', 'netns', 'exec', node!.netns!, '/bin/busybox', 'wget', '-qO-', url]);
    // The node namespace's bridge address and its loopback, on the hostPort.
    expect(wget(`http://${gateway}:18181/index.html`).out).toBe('hello from busybox\n');
    expect(wget('http://127.0.0.1:18181/index.html').out).toBe('hello from busybox\n');
    const table = () => sh(['ip', 'netns', 'exec', node!.netns!, 'nft', 'list', 'table', 'ip', 'skiff_hostports']);
    expect(table().out).toContain(`pod-${uid}`);
    // The host's own namespace has no such table.
    expect(sh(['nft', 'list', 'table', 'ip', 'skiff_hostports']).code).not.toBe(0);
    await cluster!.client.delete(Pods, 'default', 'hostport');
    await gone('hostport');
    expect(table().out).not.toContain(`pod-${uid}`);
    expect(wget(`http://${gateway}:18181/index.html`).code).not.toBe(0);
  }, 60_000);

  it.concurrent('a container that exits 3 is Terminated Error with exit code 3, restarts, then waits in CrashLoopBackOff', async () => {
    await cluster!.client.create(Pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'crash', namespace: 'default' },
      spec: {
        nodeName: 'n1',
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'crash', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo going down; exit 3'] }],
      },
    });
    const looping = await eventually('crash in CrashLoopBackOff', async () => {
      const p = await get('crash');
      return cs(p).state?.waiting?.reason === 'CrashLoopBackOff' ? p : null;
    }, 30_000, 100);
    const c = cs(looping);
    expect(c.lastState.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(c.restartCount).toBeGreaterThanOrEqual(1);
    expect(c.state.waiting.message).toMatch(/^back-off 10s restarting failed container=crash pod=crash_default\(/);
    expect(status(looping).phase).toBe('Running');
    // The run's output went to the CRI log file.
    const logs = join(dir, 'kubelet', 'n1', 'logs', `default_crash_${looping.metadata!.uid}`, 'crash');
    const files = readdirSync(logs);
    expect(files.length).toBeGreaterThanOrEqual(1);
    expect(readFileSync(join(logs, files[0]!), 'utf8')).toMatch(/^\S+ stdout F going down$/m);
    await cluster!.client.delete(Pods, 'default', 'crash');
    await gone('crash');
  }, 60_000);

  it.concurrent('a failing liveness exec probe restarts the container (SIGTERM ignored by PID 1 → SIGKILL, 137)', async () => {
    await cluster!.client.create(Pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'live', namespace: 'default' },
      spec: {
        nodeName: 'n1',
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'live',
            image: IMAGE,
            imagePullPolicy: 'IfNotPresent',
            command: ['sh', '-c', 'echo ok > /tmp/healthy; sleep 1; rm /tmp/healthy; exec sleep 3600'],
            livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 1 },
          },
        ],
      },
    });
    const restarted = await eventually('live restarted', async () => {
      const p = await get('live');
      return cs(p).restartCount >= 1 && cs(p).state?.running ? p : null;
    }, 30_000, 200);
    expect(cs(restarted).lastState.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    const events = await eventually('Unhealthy and Killing events', async () => {
      const list = await cluster!.client.list(Events, { namespace: 'default' });
      const mine = list.items.filter((e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name === 'live') as { reason?: string; message?: string }[];
      return mine.some((e) => e.reason === 'Killing') ? mine : null;
    }, 10_000, 200);
    expect(events).toContainEqual(expect.objectContaining({ reason: 'Unhealthy', message: 'Liveness probe failed: cat: can\'t open \'/tmp/healthy\': No such file or directory\n' }));
    expect(events).toContainEqual(expect.objectContaining({ reason: 'Killing', message: 'Container live failed liveness probe, will be restarted' }));
    await cluster!.client.delete(Pods, 'default', 'live');
    await gone('live');
  }, 60_000);

  it.concurrent('a container over its memory limit is OOMKilled (137); a missing image is ErrImagePull then ImagePullBackOff', async () => {
    await cluster!.client.create(Pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'hog', namespace: 'default' },
      spec: {
        nodeName: 'n1',
        restartPolicy: 'Never',
        containers: [{ name: 'hog', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" x); echo survived'], resources: { limits: { memory: '32Mi' } } }],
      },
    });
    // Its waiting reasons as the API holds them, from creation on: ErrImagePull lasts only until the next sync, which
    // can come before the hog is done, so polling afterwards could miss it.
    const reasons: string[] = [];
    const stopWatch = new AbortController();
    const watching = (async () => {
      for await (const ev of cluster!.client.watch<KubeObject>(Pods, { namespace: 'default', fieldSelector: 'metadata.name=nopull', signal: stopWatch.signal })) {
        const reason = ev.type === 'BOOKMARK' ? undefined : cs(ev.object).state?.waiting?.reason;
        if (reason && reasons.at(-1) !== reason) reasons.push(reason);
      }
    })().catch(() => {});
    // Nothing listens on 127.0.0.1:1: the pull fails at once, no traffic leaves the machine.
    await cluster!.client.create(Pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'nopull', namespace: 'default' },
      spec: { nodeName: 'n1', containers: [{ name: 'nopull', image: '127.0.0.1:1/nope:1' }] },
    });
    const hog = await eventually('hog terminated', async () => {
      const p = await get('hog');
      return cs(p).state?.terminated ? p : null;
    }, 30_000, 200);
    expect(cs(hog).state.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(status(hog).phase).toBe('Failed');
    const backoff = await eventually('nopull in ImagePullBackOff', async () => {
      const p = await get('nopull');
      return cs(p).state?.waiting?.reason === 'ImagePullBackOff' ? p : null;
    }, 20_000, 50);
    expect(cs(backoff).state.waiting.message).toBe('Back-off pulling image "127.0.0.1:1/nope:1"');
    await eventually('the watch saw ImagePullBackOff', async () => reasons.includes('ImagePullBackOff'), 5_000);
    stopWatch.abort();
    await watching;
    // A failed pull first (ContainerCreating before it), then the back-off.
    expect(reasons.indexOf('ErrImagePull')).toBeGreaterThanOrEqual(0);
    expect(reasons.indexOf('ErrImagePull')).toBeLessThan(reasons.indexOf('ImagePullBackOff'));
    expect(status(backoff).phase).toBe('Pending');
    for (const name of ['hog', 'nopull']) await cluster!.client.delete(Pods, 'default', name);
    await gone('hog');
    await gone('nopull');
  }, 60_000);

  // The pods above are independent and run side by side; the agent restart comes after them, alone.
  describe('after the others', () => {
  it('an agent restart adopts the running container: same container, no restart, still Ready', async () => {
    await cluster!.client.create(Pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'keep', namespace: 'default' },
      spec: {
        nodeName: 'n1',
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'keep', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'], readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 } }],
      },
    });
    const away = await cluster!.client.create(Pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'away', namespace: 'default' },
      spec: { nodeName: 'n1', containers: [{ name: 'away', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
    });
    const before = await eventually('keep Ready and away Running', async () => {
      const p = await get('keep');
      return cs(p).ready === true && status(await get('away')).phase === 'Running' ? p : null;
    }, 30_000, 200);
    const runcRoot = join(dir, 'kubelet', 'n1', 'runtime', 'runc');
    const id = `${prefix}${before.metadata!.uid}_keep_0`;
    const awayId = `${prefix}${away.metadata!.uid}_away_0`;
    const pidBefore = JSON.parse(sh(['runc', '--root', runcRoot, 'state', id]).out).pid as number;
    await node!.stop();
    // Deleted (forced) while the agent is away: its container and sandbox are the new agent's to remove.
    await cluster!.client.delete(Pods, 'default', 'away', { gracePeriodSeconds: 0 });
    await gone('away');
    expect(sh(['runc', '--root', runcRoot, 'list', '-q']).out).toContain(awayId);
    expect(JSON.parse(sh(['runc', '--root', runcRoot, 'state', id]).out)).toMatchObject({ status: 'running', pid: pidBefore });
    node = await t!.restart();
    // The new agent has the pod (its watch listed it); a ready container never turns unready on the way.
    await eventually('the new agent holds keep', () => node!.agent.summary('n1').pods >= 1, 15_000, 100);
    let sawUnready = false;
    let after = before;
    for (const end = Date.now() + 2000; Date.now() < end; ) {
      after = await get('keep');
      if (cs(after).ready !== true) sawUnready = true;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(sawUnready).toBe(false);
    expect(cs(after)).toMatchObject({ containerID: `runc://${id}`, restartCount: 0, ready: true, state: { running: { startedAt: cs(before).state.running.startedAt } } });
    expect(JSON.parse(sh(['runc', '--root', runcRoot, 'state', id]).out)).toMatchObject({ status: 'running', pid: pidBefore });
    await eventually("the away pod's leftovers removed", () => !sh(['runc', '--root', runcRoot, 'list', '-q']).out.includes(awayId) && !netnsList().includes(`${prefix}pod-${away.metadata!.uid}`), 15_000, 100);
    // And it still manages it: deletion stops and removes it.
    await cluster!.client.delete(Pods, 'default', 'keep');
    await gone('keep');
    expect(sh(['runc', '--root', runcRoot, 'list', '-q']).out).not.toContain(id);
  }, 60_000);
  });
});
