import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { ContainerStatusJSON } from '../../../../../src/dataplane/kubelet/pod/container-status.js';
import { RECONCILE_PERIOD_MS, SimulatedPodDriver, simulatedPodDriverFactory } from '../../../../../src/dataplane/kubelet/runtime/simulated/driver.js';
import { DEFAULT_TIMING, INSTANT_TIMING, type SimulatedTiming } from '../../../../../src/dataplane/kubelet/runtime/simulated/timing.js';
import type { NodeContext, Pod, PodStatus, SyncResult } from '../../../../../src/dataplane/kubelet/types.js';

const T0 = Date.parse('2026-12-03T09:30:00Z');
const CTX: NodeContext = { nodeName: 'n1', hostIP: '10.200.0.7', podCIDR: '10.244.1.0/24', allocatable: { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi' } };

let seq = 0;
function mkPod(spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Pod {
  seq++;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${seq}`, namespace: 'default', uid: `uid-${seq}`, ...meta },
    spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'nginx' }], ...spec },
  };
}

function driver(timing: Partial<SimulatedTiming> = {}, ctx: Partial<NodeContext> = {}): SimulatedPodDriver {
  return new SimulatedPodDriver({ ...CTX, ...ctx }, { timing });
}

/** Follows wakeAt until nothing more is scheduled (or `until`), returning every non-null status in order. */
function run(d: SimulatedPodDriver, pod: Pod, start: number, until = Infinity): { statuses: PodStatus[]; last: SyncResult; at: number } {
  const statuses: PodStatus[] = [];
  let at = start;
  let last = d.sync(pod, at);
  for (let i = 0; i < 1000; i++) {
    if (last.status) statuses.push(last.status);
    if (last.wakeAt === null || last.wakeAt > until) break;
    expect(last.wakeAt).toBeGreaterThan(at);
    at = last.wakeAt;
    last = d.sync(pod, at);
  }
  return { statuses, last, at };
}

const cstat = (s: PodStatus, i = 0) => (s.containerStatuses as ContainerStatusJSON[])[i]!;
const cond = (s: PodStatus, type: string) => (s.conditions as { type: string; status: string; reason?: string; lastTransitionTime: string }[]).find((c) => c.type === type)!;

describe('SimulatedPodDriver: a plain pod', () => {
  it('goes Pending (ContainerCreating, hostIP) → Running and Ready with its podIP, then stays quiet', () => {
    const d = driver();
    const p = mkPod();
    const first = d.sync(p, T0);
    expect(first.remove).toBe(false);
    expect(first.status).toMatchObject({ phase: 'Pending', hostIP: '10.200.0.7', startTime: '2026-12-03T09:30:00Z', qosClass: 'BestEffort' });
    expect(first.status!.podIP).toBeUndefined();
    expect(cstat(first.status!).state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    // No wake-up for the sandbox alone: the next status comes with the started container (as the kubelet's PLEG).
    expect(first.wakeAt).toBe(T0 + DEFAULT_TIMING.sandboxMs + DEFAULT_TIMING.containerStartMs);

    // A sync between the two (a pod update) sees the sandbox with its IP.
    const sandbox = d.sync(p, T0 + DEFAULT_TIMING.sandboxMs);
    expect(sandbox.status).toMatchObject({ phase: 'Pending', podIP: '10.244.1.2', podIPs: [{ ip: '10.244.1.2' }] });
    expect(cond(sandbox.status!, 'PodReadyToStartContainers').status).toBe('True');
    expect(sandbox.wakeAt).toBe(T0 + DEFAULT_TIMING.sandboxMs + DEFAULT_TIMING.containerStartMs);

    const up = d.sync(p, sandbox.wakeAt!);
    expect(up.status!.phase).toBe('Running');
    const c = cstat(up.status!);
    expect(c).toMatchObject({ name: 'app', ready: true, started: true, restartCount: 0, image: 'docker.io/library/nginx:latest' });
    expect(c.containerID).toMatch(/^skiff-sim:\/\/[0-9a-f]{64}$/);
    expect(c.imageID).toMatch(/^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    expect(c.state.running).toBeDefined();
    expect(cond(up.status!, 'Ready').status).toBe('True');
    expect(up.wakeAt).toBeNull();

    // Idempotent: the same pod again (or later) reports no change.
    expect(d.sync(p, sandbox.wakeAt! + 60_000)).toEqual({ status: null, wakeAt: null, remove: false });
  });

  it('sends its status again when the API copy was changed by someone else (pods marked not Ready), at most once per reconcile period', () => {
    const d = driver(INSTANT_TIMING);
    const p = mkPod();
    const up = d.sync(p, T0);
    expect(cond(up.status!, 'Ready').status).toBe('True');
    // The API holds what we posted: nothing to send.
    const posted = { ...p, status: up.status! };
    expect(d.sync(posted, T0 + 1000).status).toBeNull();
    // The node lifecycle controller marked it not Ready while its node was late.
    const marked = structuredClone(posted);
    cond(marked.status as PodStatus, 'Ready').status = 'False';
    const again = d.sync(marked, T0 + 2000);
    expect(again.resend).toBe(true);
    expect(cond(again.status!, 'Ready').status).toBe('True');
    // Not again within the period (a server that keeps changing it gets no write loop); after it, yes.
    expect(d.sync(marked, T0 + 2000 + RECONCILE_PERIOD_MS - 1).status).toBeNull();
    expect(d.sync(marked, T0 + 2000 + RECONCILE_PERIOD_MS).resend).toBe(true);
  });

  it('a pod marked not Ready again within the reconcile period is woken when the period ends, then sent again', () => {
    const d = driver(INSTANT_TIMING);
    const p = mkPod();
    const up = d.sync(p, T0);
    const posted = { ...p, status: up.status! };
    expect(d.sync(posted, T0 + 1000).wakeAt).toBeNull(); // steady and agreed: nothing to wake for
    const marked = structuredClone(posted);
    cond(marked.status as PodStatus, 'Ready').status = 'False';
    expect(d.sync(marked, T0 + 2000).resend).toBe(true);
    // The node was late again: marked once more 3 s after our resend. No write now, but a wake-up when the period
    // ends; without it nothing would sync this steady pod again and it would stay not Ready.
    const again = d.sync(marked, T0 + 5000);
    expect(again.status).toBeNull();
    expect(again.wakeAt).toBe(T0 + 2000 + RECONCILE_PERIOD_MS);
    const woken = d.sync(marked, again.wakeAt!);
    expect(woken.resend).toBe(true);
    expect(cond(woken.status!, 'Ready').status).toBe('True');
  });

  it('statusAgrees: its own status coming back needs no sync; a status someone else changed, or an older one of its own, does', () => {
    const d = driver(INSTANT_TIMING);
    const p = mkPod();
    expect(d.statusAgrees(p)).toBe(false); // never synced
    const up = d.sync(p, T0);
    // The server's copy after the merge patch: same parts, its own key order, a field a sync does not read back.
    const posted: Pod = { ...p, status: { qosClass: 'BestEffort', ...JSON.parse(JSON.stringify(up.status)), nominatedNodeName: 'x' } };
    expect(d.statusAgrees(posted)).toBe(true);
    // ...and the claim holds: a sync of it would have returned nothing new.
    const synced = d.sync(posted, T0 + 1000);
    expect(synced.status).toBeNull();
    expect(synced.resend).toBeUndefined();
    const marked = structuredClone(posted);
    cond(marked.status as PodStatus, 'Ready').status = 'False';
    expect(d.statusAgrees(marked)).toBe(false);
    // A readiness gate's condition set by a controller, or a reason: read back by the sync, so not agreed.
    const gated = structuredClone(posted);
    (gated.status!.conditions as unknown[]).push({ type: 'example.com/gate', status: 'True' });
    expect(d.statusAgrees(gated)).toBe(false);
    expect(d.statusAgrees({ ...posted, status: { ...posted.status, reason: 'Evicted' } })).toBe(false);
    expect(d.statusAgrees({ ...posted, status: { ...posted.status, phase: 'Failed' } })).toBe(false);
    // The returned status itself is not frozen by what the driver keeps of it.
    expect(Object.isFrozen(up.status!.conditions)).toBe(false);
    expect(Object.isFrozen((up.status!.conditions as object[])[0])).toBe(false);
  });

  it('statusAgrees follows the latest status returned, also one not sent yet', () => {
    const d = driver();
    const p = mkPod();
    const pending = d.sync(p, T0).status!;
    const running = run(d, p, T0 + 1).statuses.at(-1)!;
    expect(running.phase).toBe('Running');
    expect(d.statusAgrees({ ...p, status: pending })).toBe(false);
    expect(d.statusAgrees({ ...p, status: running })).toBe(true);
  });

  it('with instant timing the first sync is already Running', () => {
    const d = driver(INSTANT_TIMING);
    const r = d.sync(mkPod(), T0);
    expect(r.status!.phase).toBe('Running');
    expect(r.wakeAt).toBeNull();
  });

  it('readiness waits for readinessProbe.initialDelaySeconds, lastTransitionTime stays stable', () => {
    const d = driver(INSTANT_TIMING);
    const p = mkPod({ containers: [{ name: 'app', image: 'nginx', readinessProbe: { initialDelaySeconds: 5 } }] });
    const r1 = d.sync(p, T0);
    expect(r1.status!.phase).toBe('Running');
    expect(cstat(r1.status!)).toMatchObject({ ready: false, started: true });
    expect(cond(r1.status!, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    expect(r1.wakeAt).toBe(T0 + 5000);
    const r2 = d.sync(p, T0 + 5000);
    expect(cstat(r2.status!).ready).toBe(true);
    expect(cond(r2.status!, 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: '2026-12-03T09:30:05Z' });
    expect(cond(r2.status!, 'PodScheduled').lastTransitionTime).toBe('2026-12-03T09:30:00Z');
  });

  it('startupProbe delays started (and readiness)', () => {
    const d = driver(INSTANT_TIMING);
    const p = mkPod({ containers: [{ name: 'app', image: 'nginx', startupProbe: { initialDelaySeconds: 3 } }] });
    const r1 = d.sync(p, T0);
    expect(cstat(r1.status!)).toMatchObject({ started: false, ready: false });
    expect(r1.wakeAt).toBe(T0 + 3000);
    expect(cstat(d.sync(p, T0 + 3000).status!)).toMatchObject({ started: true, ready: true });
  });

  it('hostNetwork pods take the host IP and use no pod IP', () => {
    const d = driver(INSTANT_TIMING);
    const r = d.sync(mkPod({ hostNetwork: true }), T0);
    expect(r.status).toMatchObject({ podIP: '10.200.0.7', podIPs: [{ ip: '10.200.0.7' }] });
    expect(d.sync(mkPod(), T0).status!.podIP).toBe('10.244.1.2');
  });

  it('without a podCIDR uses 10.0.0.0/16; a podCIDR arriving later serves new pods', () => {
    const d = driver(INSTANT_TIMING, { podCIDR: undefined });
    expect(d.sync(mkPod(), T0).status!.podIP).toBe('10.0.0.2');
    d.setContext(CTX);
    expect(d.sync(mkPod(), T0).status!.podIP).toBe('10.244.1.2');
  });
});

describe('SimulatedPodDriver: init containers and sidecars', () => {
  it('runs init containers one at a time, each exiting 0, before the regular containers', () => {
    const t = { ...INSTANT_TIMING, containerStartMs: 100, initContainerRunMs: 1000 };
    const d = driver(t);
    const p = mkPod({ initContainers: [{ name: 'i1', image: 'busybox' }, { name: 'i2', image: 'busybox' }] });
    const { statuses } = run(d, p, T0);
    const phases = statuses.map((s) => s.phase);
    expect(phases[0]).toBe('Pending');
    expect(phases.at(-1)).toBe('Running');
    // i1 running while i2 waits
    const s1 = statuses.find((s) => (s.initContainerStatuses as ContainerStatusJSON[])[0]!.state.running)!;
    expect((s1.initContainerStatuses as ContainerStatusJSON[])[1]!.state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect(cstat(s1).state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect(cond(s1, 'Initialized').status).toBe('False');
    // at the end: both init containers Completed and ready, then the app runs
    const end = statuses.at(-1)!;
    const init = end.initContainerStatuses as ContainerStatusJSON[];
    expect(init.map((c) => [c.state.terminated?.reason, c.state.terminated?.exitCode, c.ready])).toEqual([
      ['Completed', 0, true],
      ['Completed', 0, true],
    ]);
    expect(Date.parse(init[1]!.state.terminated!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(init[0]!.state.terminated!.finishedAt!));
    expect(cond(end, 'Initialized').status).toBe('True');
  });

  it('a sidecar (restartPolicy Always) starts and keeps running beside the app', () => {
    const d = driver(INSTANT_TIMING);
    const p = mkPod({ initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }, { name: 'setup', image: 'busybox' }] });
    const r = d.sync(p, T0);
    expect(r.status!.phase).toBe('Running');
    const init = r.status!.initContainerStatuses as ContainerStatusJSON[];
    expect(init[0]).toMatchObject({ started: true, ready: true, state: { running: {} } });
    expect(init[1]!.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(cond(r.status!, 'ContainersReady').status).toBe('True');
  });
});

describe('SimulatedPodDriver: runs that end', () => {
  it('Job pods end Succeeded after the default run, and sidecars stop with them', () => {
    const d = driver({ ...INSTANT_TIMING, jobRunMs: 1000 });
    const p = mkPod(
      { restartPolicy: 'Never', initContainers: [{ name: 'side', image: 'envoy', restartPolicy: 'Always' }] },
      { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'j1', controller: true }] },
    );
    const r1 = d.sync(p, T0);
    expect(r1.status!.phase).toBe('Running');
    expect(r1.wakeAt).toBe(T0 + 1000);
    const r2 = d.sync(p, T0 + 1000);
    expect(r2.status!.phase).toBe('Succeeded');
    expect(cstat(r2.status!).state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed', finishedAt: '2026-12-03T09:30:01Z' });
    expect((r2.status!.initContainerStatuses as ContainerStatusJSON[])[0]!.state.terminated).toBeDefined();
    expect(cond(r2.status!, 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(cond(r2.status!, 'PodReadyToStartContainers').status).toBe('False');
    expect(r2.wakeAt).toBeNull();
    expect(r2.status!.podIP).toBe('10.244.1.2'); // kept in status
  });

  it('a Job pod whose container only sleeps runs as long as it sleeps, not the default run', () => {
    const d = driver({ ...INSTANT_TIMING, jobRunMs: 1000 });
    const owner = { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'j1', controller: true }] };
    const long = mkPod({ restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1000000'] }] }, owner);
    const r1 = d.sync(long, T0);
    expect(r1.status!.phase).toBe('Running');
    expect(r1.wakeAt).toBe(T0 + 1_000_000_000);
    expect(d.sync(long, T0 + 60_000).status).toBeNull(); // still running a minute on
    const short = mkPod({ restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['/bin/sh', '-c', 'sleep 5'] }] }, owner);
    expect(d.sync(short, T0).wakeAt).toBe(T0 + 5000);
    expect(d.sync(short, T0 + 5000).status!.phase).toBe('Succeeded');
    // The annotation still wins over the command.
    const annotated = mkPod({ restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '100'] }] }, { ...owner, annotations: { 'sim.skiff.dev/run-seconds': '2' } });
    expect(d.sync(annotated, T0).wakeAt).toBe(T0 + 2000);
    // Outside a Job a sleeping pod keeps running until deleted, as before.
    const plain = mkPod({ containers: [{ name: 'c', image: 'busybox', command: ['sleep', '5'] }] });
    expect(d.sync(plain, T0).wakeAt).toBeNull();
  });

  it('activeDeadlineSeconds set on a running pod fails it with DeadlineExceeded once startTime + deadline has passed', () => {
    const d = driver(INSTANT_TIMING);
    const p = mkPod();
    const r1 = d.sync(p, T0);
    expect(r1.status!.phase).toBe('Running');
    expect(r1.wakeAt).toBeNull();
    // The update: 5 s from startTime (T0). Seen at T0+2s: wake at the deadline.
    const updated: Pod = { ...p, spec: { ...p.spec, activeDeadlineSeconds: 5 }, status: r1.status! };
    const r2 = d.sync(updated, T0 + 2000);
    expect(r2.status).toBeNull();
    expect(r2.wakeAt).toBe(T0 + 5000);
    const r3 = d.sync(updated, T0 + 5000);
    expect(r3.status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' });
    expect(cstat(r3.status!).state.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    expect(cond(r3.status!, 'Ready').status).toBe('False');
    expect(r3.wakeAt).toBeNull();
    expect(r3.remove).toBe(false);
    // Stays failed; a later deletion removes it at once.
    const failed: Pod = { ...updated, status: r3.status! };
    expect(d.sync(failed, T0 + 9000).status).toBeNull();
    expect(d.sync({ ...failed, metadata: { ...failed.metadata, deletionTimestamp: '2026-12-03T09:31:00Z' } }, T0 + 10_000).remove).toBe(true);
  });

  it('a deadline already passed when the pod is first seen fails it straight away, also before its sandbox is up', () => {
    const d = driver(DEFAULT_TIMING);
    const p = mkPod({ activeDeadlineSeconds: 0 });
    const r = d.sync(p, T0);
    expect(r.status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
    expect(r.wakeAt).toBeNull();
  });

  it('a subPathExpr that expands to an absolute path keeps the container waiting in CreateContainerConfigError (Pending)', () => {
    const d = driver(INSTANT_TIMING);
    const p = mkPod({
      restartPolicy: 'Never',
      volumes: [{ name: 'workdir1', emptyDir: {} }],
      containers: [{ name: 'c', image: 'busybox', env: [{ name: 'POD_NAME', value: '/tmp' }], volumeMounts: [{ name: 'workdir1', mountPath: '/logs', subPathExpr: '$(POD_NAME)' }] }],
    });
    const r = d.sync(p, T0);
    expect(r.status!.phase).toBe('Pending');
    expect(cstat(r.status!)).toMatchObject({ ready: false, started: false, restartCount: 0, image: 'busybox', imageID: '', state: { waiting: { reason: 'CreateContainerConfigError', message: 'error SubPath `/tmp` must not be an absolute path' } } });
    expect(cstat(r.status!).containerID).toBeUndefined();
    expect(d.sync(p, T0 + 60_000).status).toBeNull(); // still waiting
  });

  it('a pod update that fixes the expansion lets the container start from then on; a later change does not touch it', () => {
    const d = driver({ ...INSTANT_TIMING, containerStartMs: 200 });
    const spec = {
      volumes: [{ name: 'w', emptyDir: {} }],
      containers: [{
        name: 'c', image: 'busybox', command: ['sh', '-c', 'tail -f /dev/null'],
        env: [{ name: 'POD_NAME', value: 'foo' }, { name: 'ANNOTATION', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['mysubpath']" } } }],
        volumeMounts: [{ name: 'w', mountPath: '/subpath_mount', subPathExpr: '$(ANNOTATION)/$(POD_NAME)' }],
      }],
    };
    const p = mkPod(spec, { annotations: { notmysubpath: 'mypath' } });
    const r1 = run(d, p, T0, T0 + 10_000);
    expect(r1.statuses.at(-1)!.phase).toBe('Pending');
    expect(cstat(r1.statuses.at(-1)!).state.waiting).toEqual({ reason: 'CreateContainerConfigError', message: 'missing value for ANNOTATION' });
    const fixed: Pod = { ...p, metadata: { ...p.metadata, annotations: { mysubpath: 'mypath' } } };
    const r2 = d.sync(fixed, T0 + 30_000);
    expect(r2.wakeAt).toBe(T0 + 30_200);
    const r3 = d.sync(fixed, T0 + 30_200);
    expect(r3.status!.phase).toBe('Running');
    expect(cstat(r3.status!).state.running).toEqual({ startedAt: '2026-12-03T09:30:30Z' });
    // The annotation goes away again: the running container keeps its mounts.
    expect(d.sync(p, T0 + 40_000).status).toBeNull();
  });

  it('run-seconds + exit-code under Never ends Failed with Error', () => {
    const d = driver(INSTANT_TIMING);
    const p = mkPod({ restartPolicy: 'Never' }, { annotations: { 'sim.skiff.dev/run-seconds': '2.5', 'sim.skiff.dev/exit-code': '3' } });
    expect(d.sync(p, T0).wakeAt).toBe(T0 + 2500);
    const r = d.sync(p, T0 + 2500);
    expect(r.status!.phase).toBe('Failed');
    expect(cstat(r.status!).state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(cond(r.status!, 'Ready').reason).toBe('PodFailed');
  });

  it('OnFailure with exit 0 ends Succeeded; bad annotations are ignored', () => {
    const d = driver(INSTANT_TIMING);
    const ok = mkPod({ restartPolicy: 'OnFailure' }, { annotations: { 'sim.skiff.dev/run-seconds': '1' } });
    d.sync(ok, T0);
    expect(d.sync(ok, T0 + 1000).status!.phase).toBe('Succeeded');
    const bad = mkPod({}, { annotations: { 'sim.skiff.dev/run-seconds': 'soon', 'sim.skiff.dev/exit-code': '-1' } });
    const r = d.sync(bad, T0);
    expect(r.status!.phase).toBe('Running');
    expect(r.wakeAt).toBeNull();
  });

  it('restartPolicy Always restarts with restartCount+1, lastState and the kubelet back-off', () => {
    const t = { ...INSTANT_TIMING, backOffBaseMs: 10_000, backOffMaxMs: 300_000 };
    const d = driver(t);
    const p = mkPod({}, { annotations: { 'sim.skiff.dev/run-seconds': '5', 'sim.skiff.dev/exit-code': '1' } });
    d.sync(p, T0);
    // first exit at +5s: restarts at once
    const r1 = d.sync(p, T0 + 5000);
    const c1 = cstat(r1.status!);
    expect(r1.status!.phase).toBe('Running');
    expect(c1).toMatchObject({ restartCount: 1, state: { running: { startedAt: '2026-12-03T09:30:05Z' } } });
    expect(c1.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error', startedAt: '2026-12-03T09:30:00Z', finishedAt: '2026-12-03T09:30:05Z' });
    expect(c1.lastState.terminated!.containerID).not.toBe(c1.containerID);
    // second exit at +10s: CrashLoopBackOff for 10 s
    const r2 = d.sync(p, T0 + 10_000);
    const c2 = cstat(r2.status!);
    expect(c2.state.waiting).toEqual({ reason: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=app pod=${p.metadata!.name}_default(${p.metadata!.uid})` });
    expect(c2.restartCount).toBe(1);
    expect(c2.containerID).toBeUndefined();
    expect(r2.status!.phase).toBe('Running');
    expect(r2.wakeAt).toBe(T0 + 20_000);
    const r3 = d.sync(p, T0 + 20_000);
    expect(cstat(r3.status!)).toMatchObject({ restartCount: 2, state: { running: {} } });
    // a day later: back-off capped at 5m0s; the cycle skips ahead without iterating every restart
    const later = d.sync(p, T0 + 86_400_000);
    const cl = cstat(later.status!);
    expect(cl.restartCount).toBeGreaterThan(250);
    expect(cl.restartCount).toBeLessThan(300);
    if (cl.state.waiting) expect(cl.state.waiting.message).toMatch(/^back-off 5m0s /);
  });

  it('is deterministic: a fresh driver at the same moment reports the same container state', () => {
    const ann = { 'sim.skiff.dev/run-seconds': '7', 'sim.skiff.dev/exit-code': '2' };
    const p = mkPod({}, { annotations: ann });
    const a = driver(INSTANT_TIMING);
    a.sync(p, T0);
    const sa = a.sync(p, T0 + 3_600_000).status!;
    const b = driver(INSTANT_TIMING);
    b.sync(p, T0);
    const sb = b.sync(p, T0 + 3_600_000).status!;
    expect(cstat(sa)).toEqual(cstat(sb));
  });
});

describe('SimulatedPodDriver: deletion', () => {
  it('stops containers after min(grace, stopMs) with 137 and asks for removal', () => {
    const d = driver({ ...INSTANT_TIMING, stopMs: 200 });
    const p = mkPod();
    d.sync(p, T0);
    const deleting = { ...p, metadata: { ...p.metadata, deletionTimestamp: '2026-12-03T09:31:00Z', deletionGracePeriodSeconds: 30 } };
    const r1 = d.sync(deleting, T0 + 60_000);
    expect(r1).toEqual({ status: null, wakeAt: T0 + 60_200, remove: false });
    const r2 = d.sync(deleting, T0 + 60_200);
    expect(r2.remove).toBe(true);
    expect(r2.wakeAt).toBeNull();
    expect(r2.status!.phase).toBe('Failed');
    expect(cstat(r2.status!).state.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    d.forget(p.metadata!.uid!);
    expect(d.size).toBe(0);
  });

  it('grace 0 stops at once; terminal or never-seen pods are removed at once', () => {
    const d = driver({ ...INSTANT_TIMING, stopMs: 200 });
    const p = mkPod();
    d.sync(p, T0);
    const r = d.sync({ ...p, metadata: { ...p.metadata, deletionTimestamp: 'x', deletionGracePeriodSeconds: 0 } }, T0 + 1);
    expect(r.remove).toBe(true);
    const unseen = mkPod({}, { deletionTimestamp: '2026-12-03T09:31:00Z' });
    expect(d.sync(unseen, T0)).toEqual({ status: null, wakeAt: null, remove: true });
    const job = mkPod({ restartPolicy: 'Never' }, { annotations: { 'sim.skiff.dev/run-seconds': '0' } });
    expect(d.sync(job, T0).status!.phase).toBe('Succeeded');
    expect(d.sync({ ...job, metadata: { ...job.metadata, deletionTimestamp: 'x' } }, T0 + 5)).toEqual({ status: null, wakeAt: null, remove: true });
  });
});

describe('SimulatedPodDriver: admission and resources', () => {
  const req = (cpu: string, memory = '1Mi') => ({ containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu, memory } } }] });

  it('rejects OutOfcpu with the kubelet message once the node is full; room comes back when a pod ends', () => {
    const d = driver(INSTANT_TIMING);
    const filler = mkPod({ ...req('3800m'), restartPolicy: 'Never' }, { annotations: { 'sim.skiff.dev/run-seconds': '10' } });
    expect(d.sync(filler, T0).status!.phase).toBe('Running');
    const p = mkPod(req('500m'));
    const r = d.sync(p, T0 + 1);
    expect(r.status).toMatchObject({
      phase: 'Failed',
      reason: 'OutOfcpu',
      message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 500, used: 3800, capacity: 4000",
    });
    expect(r.status!.hostIP).toBeUndefined();
    expect(r.wakeAt).toBeNull();
    expect(d.sync(p, T0 + 2)).toEqual({ status: null, wakeAt: null, remove: false });
    // the filler finishes: its 3800m is free again
    expect(d.sync(filler, T0 + 10_000).status!.phase).toBe('Succeeded');
    expect(d.sync(mkPod(req('3900m')), T0 + 10_001).status!.phase).toBe('Running');
  });

  it('rejects OutOfmemory and OutOfpods', () => {
    const d = driver(INSTANT_TIMING, { allocatable: { cpu: '4', memory: '1Gi', pods: '2' } });
    expect(d.sync(mkPod(req('1m', '2Gi')), T0).status!.reason).toBe('OutOfmemory');
    d.sync(mkPod(), T0);
    d.sync(mkPod(), T0);
    const r = d.sync(mkPod(), T0);
    expect(r.status).toMatchObject({ reason: 'OutOfpods', message: "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2" });
  });

  it('rejects a pod whose hostPort an active pod holds (NodePorts); the port is free again once that pod is gone', () => {
    const d = driver(INSTANT_TIMING);
    const withPort = (port: Record<string, unknown>) => mkPod({ containers: [{ name: 'web', image: 'httpd', ports: [{ containerPort: 80, ...port }] }] });
    const holder = withPort({ hostPort: 21017 });
    expect(d.sync(holder, T0).status!.phase).toBe('Running');
    const r = d.sync(withPort({ hostPort: 21017 }), T0 + 1);
    expect(r.status).toMatchObject({ phase: 'Failed', reason: 'NodePorts', message: "Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports" });
    expect(r.wakeAt).toBeNull();
    // Another protocol, or another port, fits.
    expect(d.sync(withPort({ hostPort: 21017, protocol: 'UDP' }), T0 + 2).status!.phase).toBe('Running');
    expect(d.sync(withPort({ hostPort: 21018 }), T0 + 3).status!.phase).toBe('Running');
    d.forget(holder.metadata!.uid!);
    expect(d.sync(withPort({ hostPort: 21017, hostIP: '10.200.0.7' }), T0 + 4).status!.phase).toBe('Running');
    // ... which now holds 21017 on one address: the wildcard conflicts with it, another address does not.
    expect(d.sync(withPort({ hostPort: 21017 }), T0 + 5).status!.reason).toBe('NodePorts');
    expect(d.sync(withPort({ hostPort: 21017, hostIP: '127.0.0.1' }), T0 + 6).status!.phase).toBe('Running');
  });

  it('forget() frees resources and the IP for the next pod', () => {
    const d = driver(INSTANT_TIMING, { podCIDR: '10.9.0.0/30', allocatable: { cpu: '4', memory: '8Gi', pods: '110' } });
    const a = mkPod();
    expect(d.sync(a, T0).status!.podIP).toBe('10.9.0.2');
    // /30: one usable IP; the next pod waits for it
    const b = mkPod();
    const rb = d.sync(b, T0);
    expect(rb.status!.phase).toBe('Pending');
    expect(rb.status!.podIP).toBeUndefined();
    expect(rb.wakeAt).toBe(T0 + 1); // ipRetryMs 0 → retried 1 ms later
    d.forget(a.metadata!.uid!);
    const again = d.sync(b, T0 + 1);
    expect(again.status).toMatchObject({ phase: 'Running', podIP: '10.9.0.2' });
  });
});

describe('SimulatedPodDriver: resuming after an agent restart', () => {
  it('picks up a running pod from its status: same IP, same start time, no duplicate admission', () => {
    const d1 = driver(INSTANT_TIMING);
    const p = mkPod();
    const s = d1.sync(p, T0).status!;
    const seen = { ...p, status: s };
    const d2 = driver(INSTANT_TIMING);
    const r = d2.sync(seen, T0 + 3_600_000);
    expect(r.status).toMatchObject({ phase: 'Running', podIP: s.podIP, startTime: s.startTime });
    expect(cond(r.status!, 'Ready').lastTransitionTime).toBe(cond(s, 'Ready').lastTransitionTime);
    // the IP is taken in the new driver
    expect(d2.sync(mkPod(), T0 + 3_600_000).status!.podIP).toBe('10.244.1.3');
  });
});

describe('SimulatedPodDriver: usage', () => {
  it('reports running pods from annotations or half their requests, plus the system share', () => {
    const d = new SimulatedPodDriver(CTX, { timing: INSTANT_TIMING, systemUsage: { cpuNanoCores: 0, memoryBytes: 0 } });
    const a = mkPod({ containers: [{ name: 'x', image: 'a' }, { name: 'y', image: 'b' }] }, { annotations: { 'sim.skiff.dev/cpu-usage': '250m', 'sim.skiff.dev/memory-usage': '64Mi' } });
    const b = mkPod({ containers: [{ name: 'z', image: 'c', resources: { requests: { cpu: '200m', memory: '100Mi' } } }] });
    const done = mkPod({ restartPolicy: 'Never' }, { annotations: { 'sim.skiff.dev/run-seconds': '0' } });
    d.sync(a, T0);
    d.sync(b, T0);
    d.sync(done, T0);
    const u = d.usage(T0 + 1000);
    expect(u).toMatchObject({ nodeName: 'n1', timestamp: T0 + 1000, windowSeconds: 10 });
    expect(u.pods.map((p) => p.name).sort()).toEqual([a.metadata!.name, b.metadata!.name].sort());
    const pa = u.pods.find((p) => p.uid === a.metadata!.uid)!;
    expect(pa.containers).toEqual([
      { name: 'x', cpuNanoCores: 125_000_000, memoryBytes: 32 * 2 ** 20 },
      { name: 'y', cpuNanoCores: 125_000_000, memoryBytes: 32 * 2 ** 20 },
    ]);
    expect(u.pods.find((p) => p.uid === b.metadata!.uid)!.containers).toEqual([{ name: 'z', cpuNanoCores: 100_000_000, memoryBytes: 50 * 2 ** 20 }]);
    expect(u.cpuNanoCores).toBe(350_000_000);
    expect(u.memoryBytes).toBe(114 * 2 ** 20);
  });
});

describe('SimulatedPodDriver: scale', () => {
  it('holds many pods in little memory (plain records, no per-pod closures)', () => {
    const factory = simulatedPodDriverFactory({ timing: INSTANT_TIMING });
    const drivers = Array.from({ length: 100 }, (_, i) =>
      factory({ ...CTX, nodeName: `n${i}`, podCIDR: `10.${100 + Math.floor(i / 250)}.${i % 250}.0/24` }),
    );
    const spec = { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '10m', memory: '10Mi' } } }] };
    // A real gc() even when the worker was not started with --expose-gc, so the figure is not noise.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      const r = drivers[i % 100]!.sync({ metadata: { name: `s${i}`, namespace: 'default', uid: `scale-${i}` }, spec }, T0);
      if (i === 0) expect(r.status!.phase).toBe('Running');
    }
    gc();
    const perPod = (process.memoryUsage().heapUsed - before) / n;
    // The drivers are used after the measurement, so the collector cannot take them (and their pods) before it:
    // once it did, and the figure came out negative. Every pod is still held.
    expect(drivers.reduce((sum, d) => sum + d.usage(T0).pods.length, 0)).toBe(n);
    // 150,000 pods at this rate stay around 100 MB (measured about 800 bytes a pod, its uid and name strings included).
    expect(perPod).toBeGreaterThan(0);
    expect(perPod).toBeLessThan(1500);
  });
});
