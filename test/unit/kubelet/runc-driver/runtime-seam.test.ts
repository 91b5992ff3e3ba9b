/**
 * How the pod worker uses the runtime's seam: lost exits read as the runtime reports them, stdin options reach
 * run(), wait() replaces the exit poll, close() reaches the runtime, exec probes keep 10 KiB; and API-data
 * volumes are written again while a pod runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { VolumeError } from '../../../../src/dataplane/kubelet/volumes/types.js';
import { Harness, cstat, mkPod } from './fakes.js';

let h: Harness;
afterEach(async () => {
  await h?.driver.close();
  h?.cleanup();
});

describe('pod worker: exits the runtime reports', () => {
  it('a container whose status was lost (exit 255, exitReason Unknown) is Terminated Unknown 255, never Completed, and restarts under OnFailure', async () => {
    h = new Harness();
    await h.driver.whenReady();
    const pod = mkPod({ restartPolicy: 'OnFailure' });
    await h.status(pod);
    h.rt.lose(h.rt.idOf('app'));
    await h.advance(1000);
    const s = await h.status(pod);
    // Restarted at once (the first back-off is none), the lost run as lastState in containerd's words.
    expect(cstat(s)).toMatchObject({ restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 255, reason: 'Unknown' } } });
  });

  it('under restartPolicy Never the pod fails with the Unknown exit', async () => {
    h = new Harness();
    await h.driver.whenReady();
    const pod = mkPod({ restartPolicy: 'Never' });
    await h.status(pod);
    h.rt.lose(h.rt.idOf('app'));
    await h.advance(1000);
    const s = await h.status(pod);
    expect(s.phase).toBe('Failed');
    expect(cstat(s).state).toMatchObject({ terminated: { exitCode: 255, reason: 'Unknown' } });
  });
});

describe('pod worker: what it hands the runtime', () => {
  it('passes container.stdin and stdinOnce to run()', async () => {
    h = new Harness();
    await h.driver.whenReady();
    const pod = mkPod({ containers: [{ name: 'app', image: 'busybox:1.36', stdin: true, stdinOnce: true, tty: true }, { name: 'plain', image: 'busybox:1.36' }] });
    await h.status(pod);
    expect(h.rt.runOpts.get('app')).toEqual({ stdin: true, stdinOnce: true });
    expect(h.rt.runOpts.get('plain')).toEqual({ stdin: false, stdinOnce: false });
  });

  it('exec probes keep at most 10 KiB of output, as the kubelet reads it', async () => {
    h = new Harness();
    await h.driver.whenReady();
    const pod = mkPod({ containers: [{ name: 'app', image: 'busybox:1.36', readinessProbe: { exec: { command: ['ok'] }, periodSeconds: 5, timeoutSeconds: 2 } }] });
    await h.status(pod);
    await h.advance(100);
    expect(h.rt.execOpts).toEqual([{ timeoutMs: 2000, maxOutputBytes: 10 * 1024 }]);
  });

  it('close() closes the runtime (its containers keep running)', async () => {
    h = new Harness();
    await h.driver.whenReady();
    const pod = mkPod();
    await h.status(pod);
    await h.driver.close();
    expect(h.rt.closed).toBe(true);
    expect(h.rt.containers.get(h.rt.idOf('app'))!.info.state).toBe('running');
  });
});

describe('pod worker: exit detection', () => {
  it('with the runtime’s wait() an exit is seen at once, without the clock moving (no poll)', async () => {
    h = new Harness();
    h.rt.enableWait();
    await h.driver.whenReady();
    const pod = mkPod();
    await h.status(pod);
    const resyncs = h.resyncs.length;
    h.rt.exit(h.rt.idOf('app'), 3);
    await h.settle();
    // The worker saw the exit by itself and asked the agent to sync the pod.
    expect(h.resyncs.length).toBeGreaterThan(resyncs);
    const s = await h.status(pod);
    expect(cstat(s)).toMatchObject({ restartCount: 1, lastState: { terminated: { exitCode: 3, reason: 'Error' } } });
    // Nothing polls a watched container: with no exits, the clock moving starts no pass and asks nothing of the runtime.
    const states: string[] = [];
    const state = h.rt.state.bind(h.rt);
    h.rt.state = async (id) => (states.push(id), state(id));
    await h.advance(5000, 500);
    expect(states).toEqual([]);
  });

  it('without wait() the exit is found by the poll, pollMs after it happened', async () => {
    h = new Harness({ pollMs: 1000 });
    await h.driver.whenReady();
    const pod = mkPod();
    await h.status(pod);
    const resyncs = h.resyncs.length;
    h.rt.exit(h.rt.idOf('app'), 3);
    await h.settle();
    expect(h.resyncs.length).toBe(resyncs);
    await h.advance(1000);
    expect(h.resyncs.length).toBeGreaterThan(resyncs);
    expect(cstat(await h.status(pod))).toMatchObject({ restartCount: 1 });
  });

  it('an adopted container (agent restart) is watched through wait() too', async () => {
    h = new Harness();
    h.rt.enableWait();
    await h.driver.whenReady();
    const pod = mkPod();
    await h.status(pod);
    await h.driver.close();
    h.newDriver();
    await h.driver.whenReady();
    await h.status(pod);
    const resyncs = h.resyncs.length;
    h.rt.exit(h.rt.idOf('app'), 4);
    await h.settle();
    expect(h.resyncs.length).toBeGreaterThan(resyncs);
    expect(cstat(await h.status(pod))).toMatchObject({ restartCount: 1, lastState: { terminated: { exitCode: 4 } } });
  });
});

describe('pod worker: volume refresh', () => {
  const withConfigMap = () =>
    mkPod({ volumes: [{ name: 'cfg', configMap: { name: 'app-config' } }], containers: [{ name: 'app', image: 'busybox:1.36', volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] }] });

  it('prepares a running pod’s configMap volume again every volumeRefreshMs (the kubelet’s 1 min sync), not on every pass', async () => {
    h = new Harness({ volumeRefreshMs: 60_000 });
    h.rt.enableWait();
    await h.driver.whenReady();
    const pod = withConfigMap();
    await h.status(pod);
    expect(h.vols.prepares).toBe(1);
    // Passes in between (an update of the pod) do not prepare again.
    h.sync(pod);
    await h.settle();
    await h.advance(59_000, 1000);
    expect(h.vols.prepares).toBe(1);
    await h.advance(1000);
    expect(h.vols.prepares).toBe(2);
    await h.advance(60_000, 1000);
    expect(h.vols.prepares).toBe(3);
  });

  it('a failed refresh records FailedMount and leaves the containers running', async () => {
    h = new Harness({ volumeRefreshMs: 60_000 });
    await h.driver.whenReady();
    const pod = withConfigMap();
    await h.status(pod);
    h.vols.prepareError = new VolumeError('FailedMount', 'MountVolume.SetUp failed for volume "cfg" : configmap "app-config" not found');
    await h.advance(60_000, 1000);
    expect(h.vols.prepares).toBe(2);
    expect(h.events.filter((e) => e.reason === 'FailedMount').map((e) => e.message)).toEqual(['MountVolume.SetUp failed for volume "cfg" : configmap "app-config" not found']);
    expect(cstat(await h.status(pod))).toMatchObject({ state: { running: {} }, restartCount: 0 });
  });

  it('a pod without API-data volumes is never prepared again', async () => {
    h = new Harness({ volumeRefreshMs: 60_000 });
    h.rt.enableWait();
    await h.driver.whenReady();
    const pod = mkPod({ volumes: [{ name: 'scratch', emptyDir: {} }] });
    await h.status(pod);
    await h.advance(120_000, 10_000);
    expect(h.vols.prepares).toBe(1);
  });
});
