import { describe, expect, it } from 'vitest';
import type { ContainerStatusJSON } from '../../../../../src/dataplane/kubelet/pod/container-status.js';
import { SimulatedPodDriver } from '../../../../../src/dataplane/kubelet/runtime/simulated/driver.js';
import { immediateExitCode } from '../../../../../src/dataplane/kubelet/runtime/simulated/exit-command.js';
import type { NodeContext, Pod, PodStatus } from '../../../../../src/dataplane/kubelet/types.js';

const T0 = Date.parse('2026-12-03T21:50:00Z');
const CTX: NodeContext = { nodeName: 'n1', hostIP: '10.200.0.7', podCIDR: '10.244.1.0/24', allocatable: { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi' } };

type C = { name: string; image?: string; command?: string[]; args?: string[] };
let seq = 0;
function mkPod(restartPolicy: string, containers: C[], initContainers: C[] = [], annotations?: Record<string, string>): Pod {
  seq++;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${seq}`, namespace: 'default', uid: `uid-x${seq}`, ...(annotations ? { annotations } : {}) },
    spec: { nodeName: 'n1', restartPolicy, containers: containers.map((c) => ({ image: 'busybox', ...c })), ...(initContainers.length ? { initContainers: initContainers.map((c) => ({ image: 'busybox', ...c })) } : {}) },
  };
}

/** The status at `at` ms after admission (first sync at T0). */
function statusAt(pod: Pod, at: number): PodStatus {
  const d = new SimulatedPodDriver(CTX);
  let last: PodStatus | null = d.sync(pod, T0).status;
  for (let t = 500; t <= at; t += 500) last = d.sync(pod, T0 + t).status ?? last;
  return last!;
}

const statuses = (s: PodStatus, key = 'containerStatuses') => s[key] as ContainerStatusJSON[];

describe('commands that only exit', () => {
  it('are read off the spec: true, false, a shell exit; anything else says nothing', () => {
    expect(immediateExitCode({ name: 'a', command: ['/bin/true'] })).toBe(0);
    expect(immediateExitCode({ name: 'a', command: ['false'] })).toBe(1);
    expect(immediateExitCode({ name: 'a', command: ['sh', '-c', 'exit 3'] })).toBe(3);
    expect(immediateExitCode({ name: 'a', command: ['/bin/sh'], args: ['-c', 'exit 300'] })).toBe(44);
    expect(immediateExitCode({ name: 'a', command: ['sh', '-c', ' false '] })).toBe(1);
    expect(immediateExitCode({ name: 'a', command: ['sh', '-c', 'exit'] })).toBe(0);
    expect(immediateExitCode({ name: 'a', command: ['exit', '3'] })).toBeUndefined(); // no such program
    expect(immediateExitCode({ name: 'a', command: ['/bin/true', '--help'] })).toBeUndefined();
    expect(immediateExitCode({ name: 'a', command: ['sh', '-c', 'false; true'] })).toBeUndefined();
    expect(immediateExitCode({ name: 'a' })).toBeUndefined();
    expect(immediateExitCode({ name: 'a', args: ['true'] })).toBeUndefined();
  });

  it('a RestartNever pod of /bin/true init and regular containers ends Succeeded, init containers ready and exited 0', () => {
    const s = statusAt(mkPod('Never', [{ name: 'run1', command: ['/bin/true'] }], [{ name: 'init1', command: ['/bin/true'] }, { name: 'init2', command: ['/bin/true'] }]), 5_000);
    expect(s.phase).toBe('Succeeded');
    for (const st of statuses(s, 'initContainerStatuses')) {
      expect(st.ready).toBe(true);
      expect(st.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    }
    expect(statuses(s)[0]!.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect((s.conditions as { type: string; status: string }[]).find((c) => c.type === 'Initialized')!.status).toBe('True');
  });

  it('/bin/false under Never: terminated with exit 1 and reason Error, the pod Failed', () => {
    const s = statusAt(mkPod('Never', [{ name: 'bin-false', command: ['/bin/false'] }]), 5_000);
    expect(s.phase).toBe('Failed');
    expect(statuses(s)[0]!.state.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
  });

  it('/bin/false under Always: restarts in a crash loop, the pod Running', () => {
    const s = statusAt(mkPod('Always', [{ name: 'c', command: ['/bin/false'] }]), 15_000);
    expect(s.phase).toBe('Running');
    expect(statuses(s)[0]!.restartCount).toBeGreaterThanOrEqual(1);
    expect(statuses(s)[0]!.lastState.terminated).toMatchObject({ exitCode: 1 });
  });

  it('a failing init container under Never fails the pod; the app container never starts', () => {
    const s = statusAt(mkPod('Never', [{ name: 'run1', command: ['/bin/true'] }], [{ name: 'init1', command: ['/bin/false'] }, { name: 'init2', command: ['/bin/true'] }]), 5_000);
    expect(s.phase).toBe('Failed');
    expect(statuses(s, 'initContainerStatuses')[0]!.state.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(statuses(s, 'initContainerStatuses')[1]!.state.running).toBeUndefined();
    expect(statuses(s, 'initContainerStatuses')[1]!.state.terminated).toBeUndefined();
    expect(statuses(s)[0]!.state.running).toBeUndefined();
    expect(statuses(s)[0]!.state.terminated).toBeUndefined();
  });

  it('a failing init container under Always restarts (CrashLoopBackOff between runs); the pod stays Pending', () => {
    const s = statusAt(mkPod('Always', [{ name: 'run1', command: ['/bin/true'] }], [{ name: 'init1', command: ['/bin/false'] }]), 40_000);
    expect(s.phase).toBe('Pending');
    const init = statuses(s, 'initContainerStatuses')[0]!;
    expect(init.restartCount).toBeGreaterThanOrEqual(2);
    expect(init.lastState.terminated).toMatchObject({ exitCode: 1 });
    expect(statuses(s)[0]!.state.waiting?.reason).toBe('PodInitializing');
    // Not ready at any moment, running or not: Initialized names both init containers as incomplete.
    const pod = mkPod('Always', [{ name: 'run1', command: ['/bin/true'] }], [{ name: 'init1', command: ['/bin/false'] }, { name: 'init2', command: ['/bin/true'] }]);
    const d = new SimulatedPodDriver(CTX);
    let sawRunning = false;
    for (let t = 0; t <= 40_000; t += 50) {
      const st = d.sync(pod, T0 + t).status;
      if (!st) continue;
      const init1 = statuses(st, 'initContainerStatuses')[0]!;
      if (init1.state.running) sawRunning = true;
      expect(init1.ready).toBe(false);
      if (init1.state.running || init1.state.terminated || init1.lastState.terminated) {
        expect((st.conditions as { type: string; message?: string }[]).find((c) => c.type === 'Initialized')!.message).toBe('containers with incomplete status: [init1 init2]');
      }
    }
    expect(sawRunning).toBe(true);
  });

  it('the steering annotations win over the command', () => {
    const s = statusAt(mkPod('Never', [{ name: 'c', command: ['/bin/false'] }], [], { 'sim.skiff.dev/exit-code': '0', 'sim.skiff.dev/run-seconds': '1' }), 5_000);
    expect(s.phase).toBe('Succeeded');
  });
});
