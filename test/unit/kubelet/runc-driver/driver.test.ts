import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CTX, Harness, T0, cond, cstat, deleting, mkPod } from './fakes.js';

let h: Harness;
afterEach(async () => {
  await h?.driver.close();
  h?.cleanup();
});

describe('RuncPodDriver: a plain pod', () => {
  it('goes Pending (ContainerCreating) → Running and Ready with a podIP, image and containerID', async () => {
    h = new Harness();
    const pod = mkPod();
    // Before start-up has finished nothing is answered; the pod is synced again once ready.
    expect(h.sync(pod)).toEqual({ status: null, wakeAt: null, remove: false });
    await h.driver.whenReady();
    expect(h.resyncs).toContain(pod.metadata!.uid);
    expect(h.net.started).toEqual({ nodeName: 'n1', podCIDR: '10.244.1.0/24', hostNetwork: false });
    const first = h.sync(pod).status!;
    expect(first).toMatchObject({ phase: 'Pending', hostIP: CTX.hostIP, startTime: '2026-12-03T09:30:00Z' });
    expect(cstat(first).state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    const s = await h.status(pod);
    expect(s).toMatchObject({ phase: 'Running', podIP: '10.244.1.2', podIPs: [{ ip: '10.244.1.2' }] });
    const c = cstat(s);
    expect(c.state.running.startedAt).toBe('2026-12-03T09:30:00Z');
    expect(c).toMatchObject({ ready: true, started: true, restartCount: 0, image: 'docker.io/library/busybox:1.36' });
    expect(c.imageID).toMatch(/^docker\.io\/library\/busybox@sha256:a{64}$/);
    expect(c.containerID).toBe(`runc://skiff-t-unit-${pod.metadata!.uid}_app_0`);
    expect(cond(s, 'Ready')).toBe('True');
    expect(cond(s, 'PodReadyToStartContainers')).toBe('True');
    expect(h.log).toEqual(['setUp ' + pod.metadata!.name, 'run app 0']);
    // The spec generator got the pod's netns, the resolved env and a termination message file.
    expect(h.specs[0]).toMatchObject({ netnsPath: `/run/netns/skiff-t-pod-${pod.metadata!.uid}`, env: ['A=1'], containerId: `skiff-t-unit-${pod.metadata!.uid}_app_0` });
    expect(h.specs[0]!.terminationMessageHostPath).toMatch(/\/pods\/.*\/containers\/app\/0$/);
    // Nothing changes: no new status.
    expect(h.sync(pod).status).toBeNull();
  });

  it('waits for a podCIDR before starting its network (or uses the podCIDR option)', async () => {
    h = new Harness({ ctx: { podCIDR: undefined } });
    const pod = mkPod();
    h.sync(pod);
    await h.settle();
    expect(h.net.started).toBeNull();
    h.driver.setContext({ ...CTX, podCIDR: '10.244.7.0/24' });
    await h.driver.whenReady();
    expect(h.net.started?.podCIDR).toBe('10.244.7.0/24');
    const h2 = new Harness({ ctx: { podCIDR: undefined }, podCIDR: '10.9.0.0/24' });
    await h2.driver.whenReady();
    expect(h2.net.started?.podCIDR).toBe('10.9.0.0/24');
    await h2.driver.close();
    h2.cleanup();
  });

  it('rejects a pod the node has no room for with the simulated driver’s admission (OutOfpods)', async () => {
    h = new Harness({ ctx: { allocatable: { ...CTX.allocatable, pods: '1' } } });
    await h.driver.whenReady();
    await h.status(mkPod());
    const r = h.sync(mkPod());
    expect(r.status).toMatchObject({ phase: 'Failed', reason: 'OutOfpods' });
    expect(r.status!.message).toBe("Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 1, capacity: 1");
  });
});

describe('RuncPodDriver: exits and restarts', () => {
  it('exit 3 under Always: Terminated Error 3, an immediate restart, then CrashLoopBackOff 10s, 20s', async () => {
    h = new Harness();
    await h.driver.whenReady();
    const pod = mkPod();
    const uid = pod.metadata!.uid!;
    await h.status(pod);
    h.rt.exit(h.rt.idOf('app'), 3);
    await h.advance(1000); // the exit poll
    let s = await h.status(pod);
    // First exit: restarted at once (client-go back-off starts with no delay), lastState holds the run.
    expect(cstat(s)).toMatchObject({ restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 3, reason: 'Error', containerID: `runc://skiff-t-unit-${uid}_app_0` } } });
    h.rt.exit(h.rt.idOf('app'), 3);
    await h.advance(1000);
    s = await h.status(pod);
    expect(cstat(s).state).toEqual({ waiting: { reason: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=app pod=${pod.metadata!.name}_default(${uid})` } });
    expect(cstat(s)).toMatchObject({ restartCount: 1, ready: false, lastState: { terminated: { exitCode: 3, reason: 'Error' } } });
    expect(cstat(s).containerID).toBeUndefined();
    expect(s.phase).toBe('Running');
    expect(cond(s, 'Ready')).toBe('False');
    await h.advance(8000);
    expect(h.log.filter((l) => l.startsWith('run app'))).toHaveLength(2);
    await h.advance(1100);
    s = await h.status(pod);
    expect(cstat(s)).toMatchObject({ restartCount: 2, state: { running: {} } });
    // The instance before the previous one is removed (one previous is kept for logs --previous).
    expect(h.log).toContain('remove app 0');
    h.rt.exit(h.rt.idOf('app'), 3);
    await h.advance(1000);
    s = await h.status(pod);
    expect(cstat(s).state.waiting.message).toMatch(/^back-off 20s restarting failed container=app /);
  });

  it('Never: exit 0 ends the pod Succeeded (Completed), the sandbox goes, resources return', async () => {
    h = new Harness({ ctx: { allocatable: { ...CTX.allocatable, pods: '1' } } });
    await h.driver.whenReady();
    const pod = mkPod({ restartPolicy: 'Never' });
    await h.status(pod);
    h.rt.exit(h.rt.idOf('app'), 0);
    await h.advance(1000);
    const s = await h.status(pod);
    expect(s.phase).toBe('Succeeded');
    expect(cstat(s).state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(s.podIP).toBe('10.244.1.2');
    expect(h.log).toContain(`tearDown ${pod.metadata!.uid}`);
    expect(cond(s, 'PodReadyToStartContainers')).toBe('False');
    // The node's one pod slot is free again.
    expect(h.sync(mkPod()).status?.phase).toBe('Pending');
  });

  it('OnFailure: a failure restarts, success ends Succeeded; Never with a failure ends Failed', async () => {
    h = new Harness();
    await h.driver.whenReady();
    const pod = mkPod({ restartPolicy: 'OnFailure' });
    await h.status(pod);
    h.rt.exit(h.rt.idOf('app'), 1);
    await h.advance(1000);
    expect(cstat(await h.status(pod)).restartCount).toBe(1);
    h.rt.exit(h.rt.idOf('app'), 0);
    await h.advance(1000);
    expect((await h.status(pod)).phase).toBe('Succeeded');
    const never = mkPod({ restartPolicy: 'Never' });
    await h.status(never);
    h.rt.exit(h.rt.idOf('app'), 2);
    await h.advance(1000);
    const s = await h.status(never);
    expect(s.phase).toBe('Failed');
    expect(cstat(s).state.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
  });

  it('OOMKilled and the termination message (file, or the log tail under FallbackToLogsOnError)', async () => {
    h = new Harness();
    await h.driver.whenReady();
    const pod = mkPod({ restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox:1.36' }] });
    await h.status(pod);
    h.writeTerminationMessage('bye now');
    h.rt.exit(h.rt.idOf('app'), 137, true);
    await h.advance(1000);
    expect(cstat(await h.status(pod)).state.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled', message: 'bye now' });

    const fb = mkPod({ restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox:1.36', terminationMessagePolicy: 'FallbackToLogsOnError' }] });
    await h.status(fb);
    const { writeFileSync, mkdirSync } = await import('node:fs');
    const logPath = h.rt.containers.get(h.rt.idOf('app'))!.logPath;
    mkdirSync(logPath.replace(/\/[^/]+$/, ''), { recursive: true });
    writeFileSync(logPath, '2026-12-03T09:30:00.1Z stdout F starting\n2026-12-03T09:30:00.2Z stderr P half \n2026-12-03T09:30:00.3Z stderr F line\n');
    h.rt.exit(h.rt.idOf('app'), 1);
    await h.advance(1000);
    expect(cstat(await h.status(fb)).state.terminated).toMatchObject({ exitCode: 1, reason: 'Error', message: 'starting\nhalf line\n' });
  });

  it('a new image restarts the container at once, whatever the restart policy (definition changed)', async () => {
    h = new Harness();
    await h.driver.whenReady();
    const pod = mkPod({ restartPolicy: 'Never' });
    await h.status(pod);
    const updated = { ...pod, spec: { ...pod.spec, containers: [{ name: 'app', image: 'busybox:1.37' }] } };
    h.sync(updated);
    await h.advance(500);
    const s = await h.status(updated);
    expect(h.log.filter((l) => /^(run|kill)/.test(l))).toEqual(['run app 0', 'kill app SIGTERM', 'run app 1']);
    expect(cstat(s)).toMatchObject({ restartCount: 1, image: 'docker.io/library/busybox:1.37', state: { running: {} }, lastState: { terminated: { exitCode: 143 } } });
    expect(h.events.map((e) => e.message)).toContain('Container app definition changed, will be restarted');
    expect(s.phase).toBe('Running');
  });

  it('activeDeadlineSeconds: past it the containers are stopped and the pod is Failed, DeadlineExceeded', async () => {
    h = new Harness();
    await h.driver.whenReady();
    const pod = mkPod({ activeDeadlineSeconds: 5 });
    await h.status(pod);
    await h.advance(4900);
    expect((await h.status(pod)).phase).toBe('Running');
    await h.advance(200);
    const s = await h.status(pod);
    expect(s).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' });
    expect(cstat(s).state.terminated).toMatchObject({ exitCode: 143 });
    expect(h.log).toContain('kill app SIGTERM');
    expect(h.log).toContain(`tearDown ${pod.metadata!.uid}`);
  });

  it('a container that cannot start is StartError 128, then CrashLoopBackOff', async () => {
    h = new Harness();
    await h.driver.whenReady();
    h.rt.failRun.add('app');
    const pod = mkPod();
    await h.status(pod);
    await h.settle();
    const s = await h.status(pod);
    expect(cstat(s).state.waiting).toMatchObject({ reason: 'CrashLoopBackOff' });
    expect(cstat(s).lastState.terminated).toMatchObject({ exitCode: 128, reason: 'StartError', message: 'exec: "nope": executable file not found in $PATH' });
    expect(cstat(s).restartCount).toBe(1);
  });
});

describe('RuncPodDriver: images and config', () => {
  it('ErrImagePull, then ImagePullBackOff for 10 s, then a new try and 20 s', async () => {
    h = new Harness();
    await h.driver.whenReady();
    h.images.missing.add('nope:1');
    const pod = mkPod({ containers: [{ name: 'app', image: 'nope:1' }] });
    let s = await h.status(pod);
    expect(cstat(s).state.waiting).toEqual({ reason: 'ErrImagePull', message: 'failed to pull and unpack image "nope:1": not found' });
    expect(s.phase).toBe('Pending');
    await h.advance(2000); // the next pass
    s = await h.status(pod);
    expect(cstat(s).state.waiting).toEqual({ reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope:1"' });
    expect(h.images.ensures).toHaveLength(1);
    await h.advance(7900);
    expect(h.images.ensures).toHaveLength(1);
    await h.advance(200);
    s = await h.status(pod);
    expect(h.images.ensures).toHaveLength(2);
    expect(cstat(s).state.waiting.reason).toBe('ErrImagePull');
    // Whichever of the two the moment shows, the next try waits 20 s.
    await h.advance(19_000);
    expect(h.images.ensures).toHaveLength(2);
    await h.advance(1_500);
    expect(h.images.ensures).toHaveLength(3);
    h.images.missing.clear();
    await h.advance(40_000);
    expect((await h.status(pod)).phase).toBe('Running');
  });

  it('pull policy defaults as the API server’s: Always for :latest or no tag, IfNotPresent otherwise; ErrImageNeverPull', async () => {
    h = new Harness();
    await h.driver.whenReady();
    h.images.neverPulled.add('local:1');
    const pod = mkPod({ containers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'busybox:1.36' }, { name: 'c', image: 'local:1', imagePullPolicy: 'Never' }] });
    const s = await h.status(pod);
    expect(h.images.ensures.map((e) => e.policy)).toEqual(['Always', 'IfNotPresent', 'Never']);
    expect(cstat(s, 'c').state.waiting).toEqual({ reason: 'ErrImageNeverPull', message: 'Container image "local:1" is not present with pull policy of Never' });
  });

  it('a sandbox that cannot be set up keeps containers ContainerCreating, records FailedCreatePodSandBox and is retried', async () => {
    h = new Harness();
    await h.driver.whenReady();
    h.net.failSetUp = true;
    const pod = mkPod();
    let s = await h.status(pod);
    expect(cstat(s).state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    expect(cond(s, 'PodReadyToStartContainers')).toBe('False');
    expect(h.events).toEqual([{ uid: pod.metadata!.uid, type: 'Warning', reason: 'FailedCreatePodSandBox', message: 'Failed to create pod sandbox: no IP addresses available in range set' }]);
    h.net.failSetUp = false;
    await h.advance(2100);
    s = await h.status(pod);
    expect(s.phase).toBe('Running');
  });

  it('an env error is CreateContainerConfigError, retried until fixed', async () => {
    h = new Harness();
    await h.driver.whenReady();
    h.vols.envError = 'configmap "cfg" not found';
    const pod = mkPod();
    const s = await h.status(pod);
    expect(cstat(s).state.waiting).toEqual({ reason: 'CreateContainerConfigError', message: 'configmap "cfg" not found' });
    h.vols.envError = null;
    await h.advance(2100);
    expect(cstat(await h.status(pod)).state.running).toBeDefined();
  });
});

describe('RuncPodDriver: init containers and sidecars', () => {
  it('runs init containers one at a time, a sidecar until started, then the regular containers', async () => {
    h = new Harness();
    await h.driver.whenReady();
    const pod = mkPod({
      initContainers: [
        { name: 'init1', image: 'busybox:1.36' },
        { name: 'side', image: 'busybox:1.36', restartPolicy: 'Always', startupProbe: { exec: { command: ['ok'] }, periodSeconds: 1 } },
        { name: 'init2', image: 'busybox:1.36' },
      ],
    });
    let s = await h.status(pod);
    expect(cstat(s, 'init1').state.running).toBeDefined();
    expect(cstat(s, 'app').state.waiting.reason).toBe('PodInitializing');
    expect(cond(s, 'Initialized')).toBe('False');
    h.rt.exit(h.rt.idOf('init1'), 0);
    await h.advance(1000);
    s = await h.status(pod);
    expect(cstat(s, 'init1').state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(cstat(s, 'side')).toMatchObject({ started: false, state: { running: {} } });
    expect(h.log.filter((l) => l.startsWith('run '))).toEqual(['run init1 0', 'run side 0']);
    await h.advance(100); // startup probe at 0 s succeeds
    s = await h.status(pod);
    expect(cstat(s, 'side').started).toBe(true);
    expect(h.log.filter((l) => l.startsWith('run '))).toEqual(['run init1 0', 'run side 0', 'run init2 0']);
    h.rt.exit(h.rt.idOf('init2'), 0);
    await h.advance(1000);
    s = await h.status(pod);
    expect(s.phase).toBe('Running');
    expect(cstat(s, 'app').state.running).toBeDefined();
    expect(cond(s, 'Initialized')).toBe('True');

    // Deletion: the regular container stops before the sidecar.
    h.log.length = 0;
    const d = deleting(pod, 5);
    h.sync(d);
    await h.advance(500);
    const kills = h.log.filter((l) => l.startsWith('kill'));
    expect(kills).toEqual(['kill app SIGTERM', 'kill side SIGTERM']);
  });

  it('after initialisation a crashing sidecar restarts on its own and does not hold the regular containers back', async () => {
    h = new Harness();
    await h.driver.whenReady();
    const pod = mkPod({ initContainers: [{ name: 'side', image: 'busybox:1.36', restartPolicy: 'Always' }] });
    await h.status(pod);
    expect(h.log.filter((l) => l.startsWith('run '))).toEqual(['run side 0', 'run app 0']);
    for (let i = 0; i < 2; i++) {
      h.rt.exit(h.rt.idOf('side'), 1);
      await h.advance(1000);
    }
    let s = await h.status(pod);
    expect(cstat(s, 'side').state.waiting.reason).toBe('CrashLoopBackOff');
    // The app exits meanwhile: it restarts at once although the sidecar waits out its back-off.
    h.rt.exit(h.rt.idOf('app'), 1);
    await h.advance(1000);
    s = await h.status(pod);
    expect(cstat(s, 'app')).toMatchObject({ restartCount: 1, state: { running: {} } });
    await h.advance(10_000);
    expect(cstat(await h.status(pod), 'side')).toMatchObject({ restartCount: 2, state: { running: {} } });
  });

  it('a failed init container under Never fails the pod; under Always it restarts with back-off', async () => {
    h = new Harness();
    await h.driver.whenReady();
    const never = mkPod({ restartPolicy: 'Never', initContainers: [{ name: 'init', image: 'busybox:1.36' }] });
    await h.status(never);
    h.rt.exit(h.rt.idOf('init'), 1);
    await h.advance(1000);
    const s = await h.status(never);
    expect(s.phase).toBe('Failed');
    expect(h.log.filter((l) => l === 'run app 0')).toHaveLength(0);

    const always = mkPod({ initContainers: [{ name: 'init', image: 'busybox:1.36' }] });
    await h.status(always);
    h.rt.exit(h.rt.idOf('init'), 1);
    await h.advance(1000);
    expect(cstat(await h.status(always), 'init').restartCount).toBe(1);
  });
});

describe('RuncPodDriver: probes', () => {
  it('readiness httpGet: named port, pod IP, successThreshold and failureThreshold', async () => {
    h = new Harness();
    await h.driver.whenReady();
    const seen: string[] = [];
    let ok = true;
    h.checker.http = async (c) => {
      seen.push(`${c.scheme} ${c.host}:${c.port}${c.path} ${c.timeoutMs}`);
      return { ok, detail: ok ? '200' : '503' };
    };
    const pod = mkPod({
      containers: [{ name: 'app', image: 'busybox:1.36', ports: [{ name: 'web', containerPort: 8080 }], readinessProbe: { httpGet: { port: 'web', path: '/healthz' }, initialDelaySeconds: 2, periodSeconds: 5, successThreshold: 2, failureThreshold: 2, timeoutSeconds: 3 } }],
    });
    let s = await h.status(pod);
    expect(cstat(s)).toMatchObject({ ready: false, started: true });
    await h.advance(2000);
    expect(seen).toEqual(['HTTP 10.244.1.2:8080/healthz 3000']);
    expect(cstat(await h.status(pod)).ready).toBe(false); // one success of two
    await h.advance(5000);
    s = await h.status(pod);
    expect(cstat(s).ready).toBe(true);
    expect(cond(s, 'Ready')).toBe('True');
    ok = false;
    await h.advance(5000);
    expect(cstat(await h.status(pod)).ready).toBe(true); // one failure of two
    await h.advance(5000);
    expect(cstat(await h.status(pod)).ready).toBe(false);
    // Readiness failures never restart a container; each failed try is an Unhealthy event in the prober's words.
    expect(h.log.filter((l) => l.startsWith('kill'))).toEqual([]);
    expect(h.events.filter((e) => e.reason === 'Unhealthy')).toEqual([
      { uid: pod.metadata!.uid, type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', fieldPath: 'spec.containers{app}' },
      { uid: pod.metadata!.uid, type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', fieldPath: 'spec.containers{app}' },
    ]);
  });

  it('liveness exec failing failureThreshold times kills the container (SIGTERM) and it restarts', async () => {
    h = new Harness();
    await h.driver.whenReady();
    let healthy = true;
    h.rt.execHandler = () => ({ exitCode: healthy ? 0 : 1, stdout: '', stderr: '', timedOut: false });
    const pod = mkPod({ containers: [{ name: 'app', image: 'busybox:1.36', livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 3 } }] });
    await h.status(pod);
    await h.advance(3000);
    // Tries at 0, 1, 2 and 3 s.
    expect(h.log.filter((l) => l.startsWith('exec app cat /tmp/healthy'))).toHaveLength(4);
    healthy = false;
    await h.advance(2500);
    expect(h.log.filter((l) => l.startsWith('kill'))).toEqual([]);
    await h.advance(1500);
    expect(h.log.filter((l) => l.startsWith('kill'))).toEqual(['kill app SIGTERM']);
    // (the new instance's first tries fail too, until the test heals it below)
    expect(h.events.slice(0, 4).map((e) => `${e.reason}: ${e.message}`)).toEqual(['Unhealthy: Liveness probe failed: ', 'Unhealthy: Liveness probe failed: ', 'Unhealthy: Liveness probe failed: ', 'Killing: Container app failed liveness probe, will be restarted']);
    healthy = true;
    await h.advance(1000);
    const s = await h.status(pod);
    expect(cstat(s)).toMatchObject({ restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 143, reason: 'Error' } } });
  });

  it('a startup probe holds liveness and readiness until it succeeds; its failure restarts the container', async () => {
    h = new Harness();
    await h.driver.whenReady();
    let startupOk = false;
    h.rt.execHandler = (_id, argv) => ({ exitCode: argv[0] === 'startup' && !startupOk ? 1 : 0, stdout: '', stderr: '', timedOut: false });
    const pod = mkPod({
      containers: [{ name: 'app', image: 'busybox:1.36', startupProbe: { exec: { command: ['startup'] }, periodSeconds: 1, failureThreshold: 5 }, livenessProbe: { exec: { command: ['live'] }, periodSeconds: 1 } }],
    });
    let s = await h.status(pod);
    expect(cstat(s)).toMatchObject({ started: false, ready: false });
    await h.advance(2000);
    expect(h.log.some((l) => l.includes('exec app live'))).toBe(false);
    startupOk = true;
    await h.advance(1000);
    s = await h.status(pod);
    expect(cstat(s)).toMatchObject({ started: true, ready: true });
    await h.advance(2000);
    expect(h.log.some((l) => l.includes('exec app live'))).toBe(true);

    const failing = mkPod({ containers: [{ name: 'app2', image: 'busybox:1.36', startupProbe: { exec: { command: ['never'] }, periodSeconds: 1, failureThreshold: 2 } }] });
    h.rt.execHandler = () => ({ exitCode: 1, stdout: '', stderr: '', timedOut: false });
    await h.status(failing);
    await h.advance(2500);
    expect(h.log).toContain('kill app2 SIGTERM');
  });

  it('tcpSocket probes go through the checker to the pod IP; timeouts fail exec probes', async () => {
    h = new Harness();
    await h.driver.whenReady();
    const tcp: string[] = [];
    h.checker.tcp = async (c) => {
      tcp.push(`${c.host}:${c.port}`);
      return { ok: false, detail: 'ECONNREFUSED' };
    };
    h.rt.execHandler = () => ({ exitCode: 0, stdout: '', stderr: '', timedOut: true });
    const pod = mkPod({ containers: [{ name: 'app', image: 'busybox:1.36', readinessProbe: { tcpSocket: { port: 6379 }, periodSeconds: 1 }, livenessProbe: { exec: { command: ['slow'] }, periodSeconds: 1, failureThreshold: 1 } }] });
    await h.status(pod);
    await h.advance(1000);
    expect(tcp[0]).toBe('10.244.1.2:6379');
    expect(h.log).toContain('kill app SIGTERM');
    expect(h.events.map((e) => e.message)).toContain('Readiness probe failed: dial tcp 10.244.1.2:6379: connect: connection refused');
    expect(h.events.map((e) => e.message)).toContain('Liveness probe failed: command "slow" timed out');

    // grpc: the health service's answer, the port and the service name as the spec gives them.
    const grpc: string[] = [];
    h.checker.grpc = async (c) => {
      grpc.push(`${c.host}:${c.port} ${c.service}`);
      return { ok: false, detail: 'NOT_SERVING' };
    };
    const g = mkPod({ containers: [{ name: 'g', image: 'busybox:1.36', readinessProbe: { grpc: { port: 9090, service: 'api' }, periodSeconds: 1 } }] });
    await h.status(g);
    await h.advance(100);
    expect(grpc).toEqual(['10.244.1.3:9090 api']);
    expect(h.events.map((e) => e.message)).toContain('Readiness probe failed: service unhealthy (responded with "NOT_SERVING")');
    expect(cstat(await h.status(g), 'g').ready).toBe(false);
  });
});

describe('RuncPodDriver: termination', () => {
  it('preStop, SIGTERM, the grace period, SIGKILL; then containers, volumes and the sandbox go and remove is true', async () => {
    h = new Harness();
    await h.driver.whenReady();
    h.rt.ignoreTerm.add('app');
    const pod = mkPod({ containers: [{ name: 'app', image: 'busybox:1.36', lifecycle: { preStop: { exec: { command: ['drain'] } } } }] });
    const uid = pod.metadata!.uid!;
    h.rt.execHandler = () => ({ exitCode: 2, stdout: '', stderr: 'busy', timedOut: false });
    await h.status(pod);
    h.log.length = 0;
    const d = deleting(pod, 5);
    h.sync(d);
    await h.advance(4900);
    expect(h.log).toEqual(['exec app drain', 'kill app SIGTERM']);
    expect(h.events).toEqual([
      { uid, type: 'Warning', reason: 'FailedPreStopHook', fieldPath: 'spec.containers{app}', message: `Exec lifecycle hook (["drain"]) for Container "app" in Pod "${pod.metadata!.name}_default(${uid})" failed - error: command 'drain' exited with 2: busy, message: "busy"` },
    ]);
    expect(h.sync(d).remove).toBe(false);
    await h.advance(300);
    expect(h.log.slice(2, 3)).toEqual(['kill app SIGKILL']);
    await h.until(() => h.sync(d).remove === true);
    const r = h.sync(d);
    expect(r.remove).toBe(true);
    expect(cstat(r.status ?? (await h.status(d))).state.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    expect(h.log).toContain('remove app 0');
    expect(h.log).toContain('volumes cleanup');
    expect(h.log).toContain(`tearDown ${uid}`);
    expect(h.log.indexOf('remove app 0')).toBeLessThan(h.log.indexOf(`tearDown ${uid}`));
    expect(existsSync(`${h.dataDir}/pods/${uid}`)).toBe(false);
    h.driver.forget(uid);
    expect(h.driver.worker(uid)).toBeUndefined();
  });

  it('grace 0 still gives the container the kubelet’s 2 s minimum; a pod forgotten before it stopped is removed', async () => {
    h = new Harness();
    await h.driver.whenReady();
    h.rt.ignoreTerm.add('app');
    const pod = mkPod();
    await h.status(pod);
    h.log.length = 0;
    h.driver.forget(pod.metadata!.uid!);
    await h.advance(1900);
    expect(h.log).toEqual(['kill app SIGTERM']);
    await h.advance(300);
    expect(h.log).toContain('kill app SIGKILL');
    expect(h.log).toContain(`tearDown ${pod.metadata!.uid}`);
    await h.until(() => h.driver.worker(pod.metadata!.uid!) === undefined);
    expect(h.driver.worker(pod.metadata!.uid!)).toBeUndefined();
  });

  it('a second deletion with a shorter grace period cuts the wait; a preStop that used the grace still leaves 2 s', async () => {
    h = new Harness();
    await h.driver.whenReady();
    h.rt.ignoreTerm.add('app');
    const pod = mkPod();
    await h.status(pod);
    h.log.length = 0;
    h.sync(deleting(pod, 30));
    await h.advance(1000);
    expect(h.log).toEqual(['kill app SIGTERM']);
    h.sync(deleting(pod, 3)); // kubectl delete --grace-period=3 while the first one waits
    await h.advance(1900);
    expect(h.log).toEqual(['kill app SIGTERM']);
    await h.advance(300);
    expect(h.log).toContain('kill app SIGKILL');

    // The preStop hook takes all 3 s: SIGTERM still gets 2 s before SIGKILL.
    let hookDone: (() => void) | null = null;
    const slow = mkPod({ containers: [{ name: 'slow', image: 'busybox:1.36', lifecycle: { preStop: { exec: { command: ['drain'] } } } }] });
    h.rt.ignoreTerm.add('slow');
    h.rt.execHandler = () => new Promise((resolve) => {
      hookDone = () => resolve({ exitCode: 0, stdout: '', stderr: '', timedOut: false });
    });
    await h.status(slow);
    h.log.length = 0;
    h.sync(deleting(slow, 3));
    await h.advance(3000);
    hookDone!();
    await h.settle();
    expect(h.log).toEqual(['exec slow drain', 'kill slow SIGTERM']);
    await h.advance(1900);
    expect(h.log).not.toContain('kill slow SIGKILL');
    await h.advance(300);
    expect(h.log).toContain('kill slow SIGKILL');
  });

  it('a pod deleted before it ever ran here is removed at once', async () => {
    h = new Harness();
    await h.driver.whenReady();
    expect(h.sync(deleting(mkPod()))).toEqual({ status: null, wakeAt: null, remove: true });
  });
});

describe('RuncPodDriver: agent restart and usage', () => {
  it('a new driver on the same data dir adopts running containers (no new run), keeps counts, and removes orphans', async () => {
    h = new Harness();
    await h.driver.whenReady();
    const pod = mkPod({ containers: [{ name: 'app', image: 'busybox:1.36', readinessProbe: { exec: { command: ['ok'] }, periodSeconds: 5 } }] });
    await h.status(pod);
    h.rt.exit(h.rt.idOf('app'), 1);
    await h.advance(1000);
    await h.status(pod);
    const orphan = mkPod({ containers: [{ name: 'other', image: 'busybox:1.36' }] });
    await h.status(orphan);
    await h.advance(100); // the readiness probe answers
    const before = await h.status(pod);
    expect(cstat(before).ready).toBe(true);
    await h.driver.close();
    expect(h.checker.closed).toBe(true);
    const runs = h.log.filter((l) => l.startsWith('run')).length;

    h.newDriver({ orphanGraceMs: 5000 });
    await h.driver.whenReady();
    const after = await h.status(pod);
    expect(h.log.filter((l) => l.startsWith('run')).length).toBe(runs);
    expect(cstat(after)).toEqual(cstat(before));
    expect(after.startTime).toBe(before.startTime);
    expect(after.podIP).toBe(before.podIP);
    // It keeps watching the adopted container.
    h.rt.exit(h.rt.idOf('app'), 2);
    await h.advance(1000);
    const again = await h.status(pod);
    expect(cstat(again)).toMatchObject({ state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 2 } }, restartCount: 1 });
    // The orphan (never synced by the new driver) stays until the agent says its pods are listed, then goes after the grace.
    await h.advance(6000, 1000);
    expect([...h.rt.containers.keys()].some((id) => id.includes(orphan.metadata!.uid!))).toBe(true);
    h.driver.podsListed();
    await h.advance(5000);
    expect(h.log).toContain(`tearDown ${orphan.metadata!.uid}`);
    expect([...h.rt.containers.keys()].some((id) => id.includes(orphan.metadata!.uid!))).toBe(false);
  });

  it('a node reboot (containers and sandboxes gone, state kept) restarts what should run, with a new sandbox', async () => {
    h = new Harness();
    await h.driver.whenReady();
    const pod = mkPod();
    await h.status(pod);
    await h.driver.close();
    h.rt.containers.clear();
    h.net.sandboxes.clear();
    h.log.length = 0;
    h.newDriver();
    await h.driver.whenReady();
    await h.status(pod);
    await h.settle();
    const s = await h.status(pod);
    expect(h.log).toEqual([`setUp ${pod.metadata!.name}`, 'run app 1']);
    expect(cstat(s)).toMatchObject({ restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown' } } });
    expect(s.podIP).toBe('10.244.1.3');
  });

  it('usage: CPU as the rate between two samples, memory as the working set', async () => {
    h = new Harness({ usageIntervalMs: 10_000 });
    await h.driver.whenReady();
    let cpu = 0;
    h.rt.stats = async () => ({ cpuUsageNanos: (cpu += 5e9), memoryWorkingSetBytes: 64 << 20 });
    const pod = mkPod();
    await h.status(pod);
    await h.driver.sampleUsage();
    await h.advance(10_000, 1000);
    const u = h.driver.usage(h.clock.now());
    expect(u.nodeName).toBe('n1');
    expect(u.pods).toEqual([{ namespace: 'default', name: pod.metadata!.name, uid: pod.metadata!.uid, containers: [{ name: 'app', cpuNanoCores: 500_000_000, memoryBytes: 64 << 20 }] }]);
    expect(u.memoryBytes).toBe(64 << 20);
  });
});

void T0;
