import { describe, expect, it } from 'vitest';
import { chooseContainer, logRun } from '../../../../src/dataplane/kubelet/streaming/containers.js';
import type { Pod } from '../../../../src/dataplane/kubelet/types.js';

const pod = (status: Record<string, unknown>, containers = ['app'], init: string[] = []): Pod => ({
  metadata: { name: 'p', namespace: 'default' },
  spec: { containers: containers.map((name) => ({ name })), initContainers: init.map((name) => ({ name })) },
  status: { containerStatuses: [{ name: 'app', ...status }] },
});

describe('which container a request means', () => {
  it('the only container, a named one, or a BadRequest listing them', () => {
    expect(chooseContainer(pod({}), undefined)).toBe('app');
    expect(chooseContainer(pod({}, ['a', 'b'], ['init']), 'init')).toBe('init');
    expect(() => chooseContainer(pod({}, ['a', 'b'], ['init']), undefined)).toThrow('a container name must be specified for pod p, choose one of: [a b] or one of the init containers: [init]');
    expect(() => chooseContainer(pod({}, ['a', 'b']), undefined)).toThrow(/choose one of: \[a b\]$/);
    expect(() => chooseContainer(pod({}), 'x')).toThrow('container x is not valid for pod p');
    expect(() => chooseContainer(pod({}, []), undefined)).toThrow('a container name must be specified for pod p');
  });
});

describe('which run of a container kubectl logs reads (validateContainerLogStatus)', () => {
  it('running → current; --previous needs a terminated last state', () => {
    expect(logRun(pod({ state: { running: {} } }), 'app', false)).toBe('current');
    expect(() => logRun(pod({ state: { running: {} } }), 'app', true)).toThrow('previous terminated container "app" in pod "p" not found');
    expect(logRun(pod({ state: { running: {} }, lastState: { terminated: { exitCode: 1, containerID: 'x://1' } } }), 'app', true)).toBe('previous');
  });

  it('waiting: the reason in upstream words; a crash-looping container shows its last run', () => {
    expect(() => logRun(pod({ state: { waiting: { reason: 'ContainerCreating' } } }), 'app', false)).toThrow('container "app" in pod "p" is waiting to start: ContainerCreating');
    expect(() => logRun(pod({ state: { waiting: { reason: 'ErrImagePull' } } }), 'app', false)).toThrow("is waiting to start: image can't be pulled");
    expect(() => logRun(pod({ state: { waiting: { reason: 'ImagePullBackOff' } } }), 'app', false)).toThrow('is waiting to start: trying and failing to pull image');
    expect(logRun(pod({ state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 3 } } }), 'app', false)).toBe('previous');
    expect(() => logRun(pod({ state: {} }), 'app', false)).toThrow('container "app" in pod "p" is waiting to start - no logs yet');
  });

  it('terminated → its own run; a container the status does not list is not available', () => {
    expect(logRun(pod({ state: { terminated: { exitCode: 0, containerID: 'x://2' } } }), 'app', false)).toBe('current');
    expect(() => logRun(pod({ state: { terminated: { exitCode: 0, containerID: '' } } }), 'app', false)).toThrow('container "app" in pod "p" is terminated');
    expect(() => logRun(pod({}), 'other', false)).toThrow('container "other" in pod "p" is not available');
  });
});
