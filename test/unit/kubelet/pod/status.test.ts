import { describe, expect, it } from 'vitest';
import { newTransitionMemory } from '../../../../src/dataplane/kubelet/pod/conditions.js';
import type { ContainerStatusJSON, RuntimeContainer } from '../../../../src/dataplane/kubelet/pod/container-status.js';
import { getPhase } from '../../../../src/dataplane/kubelet/pod/phase.js';
import type { Container } from '../../../../src/dataplane/kubelet/pod/podspec.js';
import { computePodQOS, podQOSClass } from '../../../../src/dataplane/kubelet/pod/qos.js';
import { quantityScaled } from '../../../../src/dataplane/kubelet/pod/quantity.js';
import { generatePodStatus, rejectedPodStatus } from '../../../../src/dataplane/kubelet/pod/status.js';
import type { Pod } from '../../../../src/dataplane/kubelet/types.js';

const T0 = Date.parse('2026-12-03T09:30:00Z');

function pod(spec: Record<string, unknown>, extra: Partial<Pod> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec, ...extra };
}

function running(name: string, opts: Partial<RuntimeContainer> = {}): RuntimeContainer {
  return {
    name,
    state: 'running',
    containerID: `skiff-sim://${name}`,
    image: 'docker.io/library/nginx:latest',
    imageID: 'docker.io/library/nginx@sha256:abc',
    startedAt: T0,
    restartCount: 0,
    last: null,
    started: true,
    ready: true,
    ...opts,
  };
}

function cs(name: string, state: ContainerStatusJSON['state'], extra: Partial<ContainerStatusJSON> = {}): ContainerStatusJSON {
  return { name, state, lastState: {}, ready: false, restartCount: 0, image: 'x', imageID: '', started: false, ...extra };
}

describe('quantities', () => {
  it('parses quantities as Quantity does, rounding up', () => {
    expect(quantityScaled('500m', 3)).toBe(500);
    expect(quantityScaled('1.5', 3)).toBe(1500);
    expect(quantityScaled('1Gi', 0)).toBe(1073741824);
    expect(quantityScaled('1e3', 0)).toBe(1000);
    expect(quantityScaled('0.1m', 3)).toBe(1);
    expect(quantityScaled('abc', 0)).toBeNull();
  });
});

describe('getPhase', () => {
  const c = (name: string): Container => ({ name });
  const base = { containers: [c('a'), c('b')], initContainers: [] as Container[], restartPolicy: 'Always' as const, podIsTerminal: false, podHasInitialized: false };
  it('Pending while a container waits, Running once all run', () => {
    const waiting = new Map([['a', cs('a', { running: { startedAt: '' } })], ['b', cs('b', { waiting: { reason: 'ContainerCreating' } })]]);
    expect(getPhase({ ...base, statuses: waiting })).toBe('Pending');
    const all = new Map([['a', cs('a', { running: { startedAt: '' } })], ['b', cs('b', { running: { startedAt: '' } })]]);
    expect(getPhase({ ...base, statuses: all })).toBe('Running');
  });
  it('stopped containers: Running under Always, Succeeded/Failed by exit codes otherwise', () => {
    const ok = new Map([['a', cs('a', { terminated: { exitCode: 0 } })], ['b', cs('b', { terminated: { exitCode: 0 } })]]);
    const bad = new Map([['a', cs('a', { terminated: { exitCode: 0 } })], ['b', cs('b', { terminated: { exitCode: 2 } })]]);
    expect(getPhase({ ...base, statuses: ok })).toBe('Running');
    expect(getPhase({ ...base, restartPolicy: 'Never', statuses: ok })).toBe('Succeeded');
    expect(getPhase({ ...base, restartPolicy: 'Never', statuses: bad })).toBe('Failed');
    expect(getPhase({ ...base, restartPolicy: 'OnFailure', statuses: bad })).toBe('Running');
    expect(getPhase({ ...base, podIsTerminal: true, statuses: bad })).toBe('Failed');
  });
  it('a regular init container that failed fails the pod under Never; a running one keeps it Pending', () => {
    const init = [c('i')];
    const ready = { a: cs('a', { waiting: { reason: 'PodInitializing' } }), b: cs('b', { waiting: { reason: 'PodInitializing' } }) };
    const failed = new Map([['i', cs('i', { terminated: { exitCode: 1 } })], ['a', ready.a], ['b', ready.b]]);
    expect(getPhase({ ...base, initContainers: init, restartPolicy: 'Never', statuses: failed })).toBe('Failed');
    const runningInit = new Map([['i', cs('i', { running: { startedAt: '' } })], ['a', ready.a], ['b', ready.b]]);
    expect(getPhase({ ...base, initContainers: init, statuses: runningInit })).toBe('Pending');
  });
  it('a sidecar not yet started keeps the pod Pending; stopped sidecars do not count', () => {
    const init: Container[] = [{ name: 's', restartPolicy: 'Always' }];
    const st = new Map([
      ['s', cs('s', { running: { startedAt: '' } }, { started: false })],
      ['a', cs('a', { running: { startedAt: '' } })],
      ['b', cs('b', { running: { startedAt: '' } })],
    ]);
    expect(getPhase({ ...base, initContainers: init, statuses: st })).toBe('Pending');
    expect(getPhase({ ...base, initContainers: init, statuses: st, podHasInitialized: true })).toBe('Running');
    const done = new Map([
      ['s', cs('s', { terminated: { exitCode: 137 } })],
      ['a', cs('a', { terminated: { exitCode: 0 } })],
      ['b', cs('b', { terminated: { exitCode: 0 } })],
    ]);
    expect(getPhase({ ...base, initContainers: init, restartPolicy: 'Never', statuses: done })).toBe('Succeeded');
  });
});

describe('QoS class', () => {
  const res = (requests?: Record<string, string>, limits?: Record<string, string>): Container => ({ name: 'c', resources: { requests, limits } });
  it('BestEffort, Burstable and Guaranteed as GetPodQOS', () => {
    expect(computePodQOS(pod({ containers: [{ name: 'c' }] }))).toBe('BestEffort');
    expect(computePodQOS(pod({ containers: [res({ cpu: '100m' })] }))).toBe('Burstable');
    expect(computePodQOS(pod({ containers: [res({ cpu: '1', memory: '1Gi' }, { cpu: '1000m', memory: '1Gi' })] }))).toBe('Guaranteed');
    // limits on cpu only: not guaranteed
    expect(computePodQOS(pod({ containers: [res({ cpu: '1' }, { cpu: '1' })] }))).toBe('Burstable');
    // requests differ from limits
    expect(computePodQOS(pod({ containers: [res({ cpu: '500m', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })] }))).toBe('Burstable');
    // zero quantities are ignored
    expect(computePodQOS(pod({ containers: [res({ cpu: '0' })] }))).toBe('BestEffort');
  });
  it('an init container without limits spoils Guaranteed; pod-level resources replace the containers', () => {
    const g = res({ cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' });
    expect(computePodQOS(pod({ containers: [g], initContainers: [{ name: 'i', resources: { requests: { cpu: '1' } } }] }))).toBe('Burstable');
    expect(computePodQOS(pod({ containers: [{ name: 'c' }], resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } }))).toBe('Guaranteed');
  });
  it('the class already in status wins', () => {
    expect(podQOSClass(pod({ containers: [{ name: 'c' }] }, { status: { qosClass: 'Burstable' } }))).toBe('Burstable');
  });
});

describe('generatePodStatus', () => {
  const spec = { containers: [{ name: 'a', image: 'nginx' }, { name: 'b', image: 'busybox' }] };
  const input = (p: Pod, runtime: Map<string, RuntimeContainer>, now = T0, sandboxReady = true) => ({
    pod: p,
    now,
    hostIP: '10.200.0.1',
    podIP: sandboxReady ? '10.244.0.2' : undefined,
    sandboxReady,
    startTime: T0,
    runtime,
    podIsTerminal: false,
    transitions: newTransitionMemory(),
  });

  it('before any container: Pending, ContainerCreating, hostIP, startTime, no podIP', () => {
    const { status, phase } = generatePodStatus(input(pod(spec), new Map(), T0, false));
    expect(phase).toBe('Pending');
    expect(status.hostIP).toBe('10.200.0.1');
    expect(status.hostIPs).toEqual([{ ip: '10.200.0.1' }]);
    expect(status.podIP).toBeUndefined();
    expect(status.startTime).toBe('2026-12-03T09:30:00Z');
    expect(status.qosClass).toBe('BestEffort');
    const statuses = status.containerStatuses as ContainerStatusJSON[];
    expect(statuses[0]).toEqual({
      name: 'a',
      state: { waiting: { reason: 'ContainerCreating' } },
      lastState: {},
      ready: false,
      restartCount: 0,
      image: 'nginx',
      imageID: '',
      started: false,
    });
    const conds = status.conditions as { type: string; status: string; reason?: string; message?: string }[];
    expect(conds.map((c) => [c.type, c.status])).toEqual([
      ['PodReadyToStartContainers', 'False'],
      ['Initialized', 'True'],
      ['Ready', 'False'],
      ['ContainersReady', 'False'],
      ['PodScheduled', 'True'],
    ]);
    expect(conds[2]).toMatchObject({ reason: 'ContainersNotReady', message: 'containers with unready status: [a b]', lastProbeTime: null });
  });

  it('all running and ready: Running, Ready True, podIP and container fields', () => {
    const rt = new Map([['a', running('a')], ['b', running('b', { ready: false })]]);
    const { status, phase } = generatePodStatus(input(pod(spec), rt));
    expect(phase).toBe('Running');
    expect(status.podIP).toBe('10.244.0.2');
    expect(status.podIPs).toEqual([{ ip: '10.244.0.2' }]);
    const conds = status.conditions as { type: string; status: string; message?: string }[];
    expect(conds.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', message: 'containers with unready status: [b]' });
    const a = (status.containerStatuses as ContainerStatusJSON[])[0]!;
    expect(a).toMatchObject({ ready: true, started: true, containerID: 'skiff-sim://a', imageID: 'docker.io/library/nginx@sha256:abc', state: { running: { startedAt: '2026-12-03T09:30:00Z' } } });
    const rt2 = new Map([['a', running('a')], ['b', running('b')]]);
    const all = generatePodStatus(input(pod(spec), rt2)).status.conditions as { type: string; status: string }[];
    expect(all.every((c) => c.status === 'True')).toBe(true);
  });

  it('keeps lastTransitionTime while a condition holds and restamps when it flips', () => {
    const mem = newTransitionMemory();
    const run = (rt: Map<string, RuntimeContainer>, now: number) =>
      generatePodStatus({ ...input(pod(spec), rt, now), transitions: mem }).status.conditions as { type: string; lastTransitionTime: string }[];
    const first = run(new Map([['a', running('a')], ['b', running('b', { ready: false })]]), T0);
    const second = run(new Map([['a', running('a')], ['b', running('b', { ready: false })]]), T0 + 5000);
    expect(second.find((c) => c.type === 'Ready')!.lastTransitionTime).toBe('2026-12-03T09:30:00Z');
    const third = run(new Map([['a', running('a')], ['b', running('b')]]), T0 + 9000);
    expect(third.find((c) => c.type === 'Ready')!.lastTransitionTime).toBe('2026-12-03T09:30:09Z');
    expect(third.find((c) => c.type === 'PodScheduled')!.lastTransitionTime).toBe(first.find((c) => c.type === 'PodScheduled')!.lastTransitionTime);
  });

  it('adopts the API copy of a condition with the same status (agent restart) and keeps foreign conditions first', () => {
    const p = pod({ ...spec, readinessGates: [{ conditionType: 'example.com/gate' }] }, {
      status: {
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-12-01T00:00:00Z' },
          { type: 'example.com/gate', status: 'False', lastTransitionTime: '2026-12-01T00:00:00Z' },
        ],
      },
    });
    const conds = generatePodStatus(input(p, new Map([['a', running('a')], ['b', running('b')]]))).status.conditions as {
      type: string;
      status: string;
      lastTransitionTime: string;
      reason?: string;
      message?: string;
    }[];
    expect(conds[0]!.type).toBe('example.com/gate');
    expect(conds.find((c) => c.type === 'PodScheduled')!.lastTransitionTime).toBe('2026-12-01T00:00:00Z');
    expect(conds.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ReadinessGatesNotReady',
      message: 'the status of pod readiness gate "example.com/gate" is not "True", but False',
    });
    expect(conds.find((c) => c.type === 'ContainersReady')!.status).toBe('True');
  });

  it('Succeeded pods: PodCompleted reasons; a terminal API phase is never left', () => {
    const done = (name: string): RuntimeContainer => ({ ...running(name), state: 'exited', exitCode: 0, finishedAt: T0 + 1000, started: false, ready: false });
    const p = pod({ ...spec, restartPolicy: 'Never' });
    const { status, phase } = generatePodStatus(input(p, new Map([['a', done('a')], ['b', done('b')]])));
    expect(phase).toBe('Succeeded');
    const conds = status.conditions as { type: string; status: string; reason?: string }[];
    expect(conds.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(conds.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'True', reason: 'PodCompleted' });
    expect((status.containerStatuses as ContainerStatusJSON[])[0]!.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed', finishedAt: '2026-12-03T09:30:01Z' });
    const failedApi = pod(spec, { status: { phase: 'Failed', reason: 'Evicted', message: 'gone' } });
    const again = generatePodStatus(input(failedApi, new Map([['a', running('a')], ['b', running('b')]])));
    expect(again.phase).toBe('Failed');
    expect(again.status).toMatchObject({ reason: 'Evicted', message: 'gone' });
  });

  it('init containers: PodInitializing for all not started, Initialized False with the incomplete ones', () => {
    const p = pod({ ...spec, initContainers: [{ name: 'i1', image: 'busybox' }, { name: 'i2', image: 'busybox' }] });
    const rt = new Map([['i1', running('i1', { ready: false })]]);
    const { status, phase } = generatePodStatus(input(p, rt));
    expect(phase).toBe('Pending');
    const init = status.initContainerStatuses as ContainerStatusJSON[];
    expect(init[1]!.state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect((status.containerStatuses as ContainerStatusJSON[])[0]!.state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect((status.conditions as { type: string }[]).find((c) => c.type === 'Initialized')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: 'containers with incomplete status: [i1 i2]',
    });
  });

  it('observedGeneration follows metadata.generation', () => {
    const p = pod(spec, { metadata: { name: 'p', namespace: 'd', uid: 'u', generation: 3 } });
    const { status } = generatePodStatus(input(p, new Map()));
    expect(status.observedGeneration).toBe(3);
    expect((status.conditions as { observedGeneration?: number }[])[0]!.observedGeneration).toBe(3);
  });

  it('rejected pods: Failed with the admission reason and "Pod was rejected: " message', () => {
    const s = rejectedPodStatus(pod(spec), 'OutOfcpu', 'Node didn\'t have enough resource: cpu, requested: 500, used: 3800, capacity: 4000', T0);
    expect(s).toMatchObject({
      phase: 'Failed',
      reason: 'OutOfcpu',
      message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 500, used: 3800, capacity: 4000",
      startTime: '2026-12-03T09:30:00Z',
    });
    expect(s.hostIP).toBeUndefined();
  });
});
