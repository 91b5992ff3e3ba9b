import { describe, expect, it } from 'vitest';
import {
  defaultPullPolicy,
  goDurationMs,
  initialPodEventMemory,
  kubeletStartEvents,
  nodeConditionEvents,
  podTransitionEvents,
  simulatedImageSize,
  type PodEventMemory,
} from '../../../src/dataplane/kubelet/event-rules.js';
import type { Pod, PodStatus } from '../../../src/dataplane/kubelet/types.js';

const pod = (over: { containers?: object[]; initContainers?: object[]; deleting?: boolean; status?: object } = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', uid: 'u1', ...(over.deleting ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}) },
  spec: { containers: over.containers ?? [{ name: 'nginx', image: 'nginx', imagePullPolicy: 'Always' }], ...(over.initContainers ? { initContainers: over.initContainers } : {}) },
  status: over.status ?? {},
});

const running = (name: string, restartCount = 0) => ({ name, restartCount, state: { running: { startedAt: '2025-01-01T00:00:00Z' } }, lastState: {} });
const creating = (name: string) => ({ name, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {} });
const crashLoop = (name: string, restartCount: number) => ({
  name,
  restartCount,
  state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } },
  lastState: { terminated: { exitCode: 1, reason: 'Error' } },
});
const exited = (name: string, restartCount = 0, exitCode = 137) => ({ name, restartCount, state: { terminated: { exitCode, reason: 'Error' } }, lastState: {} });

const status = (containerStatuses: object[], extra: object = {}): PodStatus => ({ phase: 'Running', containerStatuses, ...extra });
const noImages = () => false;

function look(p: Pod, st: PodStatus | null, memory: PodEventMemory | undefined, now: number, hasImage: (i: string) => boolean = noImages) {
  return podTransitionEvents({ pod: p, status: st, memory, now, hasImage });
}
const brief = (evs: { reason: string; message: string; fieldPath?: string }[]) => evs.map((e) => `${e.reason}|${e.fieldPath ?? ''}|${e.message}`);

describe('pod transition events', () => {
  it('a container that became running: Pulling, Pulled (with the time since the last look), Created, Started, in order', () => {
    const p = pod();
    const a = look(p, status([creating('nginx')], { phase: 'Pending' }), undefined, 1000);
    expect(a.events).toEqual([]);
    const b = look(p, status([running('nginx')]), a.memory, 2234);
    expect(brief(b.events)).toEqual([
      'Pulling|spec.containers{nginx}|Pulling image "nginx"',
      `Pulled|spec.containers{nginx}|Successfully pulled image "nginx" in 1.234s (1.234s including waiting). Image size: ${simulatedImageSize('nginx')} bytes.`,
      'Created|spec.containers{nginx}|Created container: nginx',
      'Started|spec.containers{nginx}|Started container nginx',
    ]);
    expect(b.events.every((e) => e.type === 'Normal')).toBe(true);
    expect(b.pulled).toEqual(['nginx']);
    // The same status again (or an unchanged one): nothing more.
    expect(look(p, status([running('nginx')]), b.memory, 3000).events).toEqual([]);
    expect(look(p, null, b.memory, 3000).events).toEqual([]);
  });

  it('IfNotPresent pulls only when the node lacks the image; Never never pulls', () => {
    const p = pod({ containers: [{ name: 'a', image: 'nginx:1.27', imagePullPolicy: 'IfNotPresent' }, { name: 'b', image: 'busybox:1.36', imagePullPolicy: 'Never' }] });
    const out = look(p, status([running('a'), running('b')]), undefined, 5, (i) => i === 'nginx:1.27');
    expect(brief(out.events)).toEqual([
      'Pulled|spec.containers{a}|Container image "nginx:1.27" already present on machine',
      'Created|spec.containers{a}|Created container: a',
      'Started|spec.containers{a}|Started container a',
      'Pulled|spec.containers{b}|Container image "busybox:1.36" already present on machine',
      'Created|spec.containers{b}|Created container: b',
      'Started|spec.containers{b}|Started container b',
    ]);
    expect(out.pulled).toEqual([]);
    const fresh = look(p, status([running('a'), running('b')]), undefined, 5);
    expect(fresh.events.map((e) => e.reason).slice(0, 2)).toEqual(['Pulling', 'Pulled']);
    expect(fresh.pulled).toEqual(['nginx:1.27']);
  });

  it('init containers carry spec.initContainers{name} and come before the regular containers', () => {
    const p = pod({ initContainers: [{ name: 'setup', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent' }] });
    const out = look(p, { phase: 'Running', initContainerStatuses: [exited('setup', 0, 0)], containerStatuses: [running('nginx')] }, undefined, 0);
    expect(out.events.map((e) => `${e.reason}:${e.fieldPath}`)).toEqual([
      'Pulling:spec.initContainers{setup}',
      'Pulled:spec.initContainers{setup}',
      'Created:spec.initContainers{setup}',
      'Started:spec.initContainers{setup}',
      'Pulling:spec.containers{nginx}',
      'Pulled:spec.containers{nginx}',
      'Created:spec.containers{nginx}',
      'Started:spec.containers{nginx}',
    ]);
  });

  it('a crash loop: BackOff once per restart, then the restarted run is created and started again', () => {
    const p = pod({ containers: [{ name: 'app', image: 'app:v1', imagePullPolicy: 'IfNotPresent' }] });
    const a = look(p, status([running('app')]), undefined, 0);
    const b = look(p, status([crashLoop('app', 0)]), a.memory, 10, () => true);
    expect(b.events).toEqual([{ type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container app in pod web_default(u1)', fieldPath: 'spec.containers{app}' }]);
    expect(look(p, status([crashLoop('app', 0)]), b.memory, 20, () => true).events).toEqual([]);
    const c = look(p, status([running('app', 1)]), b.memory, 30, () => true);
    expect(c.events.map((e) => e.reason)).toEqual(['Pulled', 'Created', 'Started']);
    expect(c.events[0]!.message).toBe('Container image "app:v1" already present on machine');
    const d = look(p, status([crashLoop('app', 1)]), c.memory, 40, () => true);
    expect(d.events.map((e) => e.reason)).toEqual(['BackOff']);
  });

  it('deletion: Killing for each container running, once; not for one that never ran', () => {
    const p = pod({ containers: [{ name: 'a', image: 'x:1' }, { name: 'b', image: 'y:1' }] });
    const a = look(p, status([running('a'), creating('b')]), undefined, 0);
    const del = pod({ containers: [{ name: 'a', image: 'x:1' }, { name: 'b', image: 'y:1' }], deleting: true });
    const b = look(del, null, a.memory, 10);
    expect(b.events).toEqual([{ type: 'Normal', reason: 'Killing', message: 'Stopping container a', fieldPath: 'spec.containers{a}' }]);
    expect(look(del, status([exited('a'), creating('b')]), b.memory, 20).events).toEqual([]);
  });

  it('deletion whose stop the same status already shows still kills what ran before', () => {
    const p = pod();
    const a = look(p, status([running('nginx')]), undefined, 0);
    const out = look(pod({ deleting: true }), status([exited('nginx')]), a.memory, 10);
    expect(brief(out.events)).toEqual(['Killing|spec.containers{nginx}|Stopping container nginx']);
  });

  it('a job container that ran and exited between two looks is still announced as started', () => {
    const out = look(pod(), status([exited('nginx', 0, 0)], { phase: 'Succeeded' }), undefined, 0);
    expect(out.events.map((e) => e.reason)).toEqual(['Pulling', 'Pulled', 'Created', 'Started']);
  });

  it('an admission rejection: one Warning with the reason and the message without "Pod was rejected: "', () => {
    const st = { phase: 'Failed', reason: 'OutOfcpu', message: 'Pod was rejected: Node didn\'t have enough resource: cpu, requested: 500, used: 3800, capacity: 4000' };
    const a = look(pod(), st, undefined, 0);
    expect(a.events).toEqual([{ type: 'Warning', reason: 'OutOfcpu', message: "Node didn't have enough resource: cpu, requested: 500, used: 3800, capacity: 4000" }]);
    expect(look(pod(), st, a.memory, 1).events).toEqual([]);
  });

  it('a NodePorts rejection: one Warning with reason NodePorts', () => {
    const st = { phase: 'Failed', reason: 'NodePorts', message: "Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports" };
    const a = look(pod(), st, undefined, 0);
    expect(a.events).toEqual([{ type: 'Warning', reason: 'NodePorts', message: "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports" }]);
  });

  it('an active deadline passed: one DeadlineExceeded Warning with the kubelet\'s message', () => {
    const a = look(pod(), status([running('nginx', 0)]), undefined, 0);
    const st = { ...status([]), phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' };
    const b = look(pod(), st, a.memory, 1);
    expect(b.events.filter((e) => e.type === 'Warning')).toEqual([{ type: 'Warning', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' }]);
    expect(look(pod(), st, b.memory, 2).events).toEqual([]);
  });

  it('a pod first seen with runs its API status already shows (an agent restart) posts nothing for them', () => {
    const p = pod({ status: status([running('nginx', 2)]) });
    const mem = initialPodEventMemory(p, 0);
    expect(look(p, status([running('nginx', 2)]), mem, 1).events).toEqual([]);
    expect(look(p, status([running('nginx', 2)]), undefined, 1).events).toEqual([]);
    expect(look(p, status([running('nginx', 3)]), mem, 2).events.map((e) => e.reason)).toEqual(['Pulling', 'Pulled', 'Created', 'Started']);
  });

  it('does not modify the memory it was given', () => {
    const a = look(pod(), status([creating('nginx')]), undefined, 0);
    const before = JSON.stringify(a.memory);
    look(pod({ deleting: true }), status([running('nginx')]), a.memory, 5);
    expect(JSON.stringify(a.memory)).toBe(before);
  });
});

describe('helpers', () => {
  it('formats durations as Go prints a millisecond-truncated time.Duration', () => {
    expect(goDurationMs(0)).toBe('0s');
    expect(goDurationMs(212.7)).toBe('212ms');
    expect(goDurationMs(1500)).toBe('1.5s');
    expect(goDurationMs(2000)).toBe('2s');
    expect(goDurationMs(1234)).toBe('1.234s');
    expect(goDurationMs(123_004)).toBe('2m3.004s');
    expect(goDurationMs(3_600_000)).toBe('1h0m0s');
  });

  it('defaults imagePullPolicy as the API server does', () => {
    expect(defaultPullPolicy('nginx')).toBe('Always');
    expect(defaultPullPolicy('nginx:latest')).toBe('Always');
    expect(defaultPullPolicy('nginx:1.27')).toBe('IfNotPresent');
    expect(defaultPullPolicy('localhost:5000/app')).toBe('Always');
    expect(defaultPullPolicy('nginx@sha256:abc')).toBe('IfNotPresent');
  });

  it('gives a stable image size in a plausible range', () => {
    expect(simulatedImageSize('nginx')).toBe(simulatedImageSize('nginx'));
    expect(simulatedImageSize('nginx')).toBeGreaterThanOrEqual(5_000_000);
    expect(simulatedImageSize('nginx')).toBeLessThan(205_000_000);
  });
});

describe('node events', () => {
  const conds = (ready: string) => [
    { type: 'MemoryPressure', status: 'False' },
    { type: 'DiskPressure', status: 'False' },
    { type: 'PIDPressure', status: 'False' },
    { type: 'Ready', status: ready },
  ];

  it('a first status reports every condition', () => {
    expect(nodeConditionEvents('n1', undefined, conds('True')).map((e) => e.message)).toEqual([
      'Node n1 status is now: NodeHasSufficientMemory',
      'Node n1 status is now: NodeHasNoDiskPressure',
      'Node n1 status is now: NodeHasSufficientPID',
      'Node n1 status is now: NodeReady',
    ]);
  });

  it('later statuses report only the conditions that changed', () => {
    expect(nodeConditionEvents('n1', conds('True'), conds('True'))).toEqual([]);
    expect(nodeConditionEvents('n1', conds('True'), conds('False'))).toEqual([{ type: 'Normal', reason: 'NodeNotReady', message: 'Node n1 status is now: NodeNotReady' }]);
    expect(nodeConditionEvents('n1', conds('False'), conds('True')).map((e) => e.reason)).toEqual(['NodeReady']);
    const pressure = [{ type: 'MemoryPressure', status: 'True' }, ...conds('True').slice(1)];
    expect(nodeConditionEvents('n1', conds('True'), pressure).map((e) => e.reason)).toEqual(['NodeHasInsufficientMemory']);
  });

  it('a kubelet start announces itself and the allocatable enforcement', () => {
    expect(kubeletStartEvents()).toEqual([
      { type: 'Normal', reason: 'Starting', message: 'Starting kubelet.' },
      { type: 'Normal', reason: 'NodeAllocatableEnforced', message: 'Updated Node Allocatable limit across pods' },
    ]);
  });
});
