import { describe, expect, it } from 'vitest';
import { stateFromFiles, type RuncStateFile } from '../../../../src/dataplane/kubelet/runtime/runc/runc.js';

const file: RuncStateFile = {
  id: 'c1',
  init_process_pid: 4242,
  init_process_start: 2346478,
  created: '2026-12-03T15:58:14.563371353Z',
  config: { labels: ['io.kubernetes.cri.container-name=c', 'bundle=/b/c/0', 'x=a=b'] },
};

describe('stateFromFiles (runc state from runc’s state.json)', () => {
  it('running: the init process alive with the recorded start time and no exec.fifo', () => {
    expect(stateFromFiles('c1', file, 2346478, false)).toEqual({
      id: 'c1', pid: 4242, status: 'running', created: file.created, annotations: { 'io.kubernetes.cri.container-name': 'c', x: 'a=b' },
    });
  });

  it('created while exec.fifo exists', () => {
    expect(stateFromFiles('c1', file, 2346478, true).status).toBe('created');
  });

  it('stopped (pid 0, as runc reports) when the process is gone or the pid was reused', () => {
    expect(stateFromFiles('c1', file, undefined, false)).toMatchObject({ status: 'stopped', pid: 0 });
    expect(stateFromFiles('c1', file, 999, false)).toMatchObject({ status: 'stopped', pid: 0 });
    expect(stateFromFiles('c1', { ...file, init_process_start: '2346478' }, 2346478, false).status).toBe('running');
  });

  it('refuses a file without the fields it reads (the caller asks runc instead)', () => {
    expect(() => stateFromFiles('c1', { id: 'c1' }, 1, false)).toThrow(/init_process_pid/);
  });
});
