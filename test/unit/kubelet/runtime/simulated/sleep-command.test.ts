import { describe, expect, it } from 'vitest';
import { plainSleepMs, podSleepMs } from '../../../../../src/dataplane/kubelet/runtime/simulated/sleep-command.js';

describe('plainSleepMs: the run time a plain sleep command asks for', () => {
  it('reads sleep as a program, with GNU suffixes and decimals', () => {
    expect(plainSleepMs({ name: 'c', command: ['sleep', '1000000'] })).toBe(1_000_000_000);
    expect(plainSleepMs({ name: 'c', command: ['/bin/sleep'], args: ['1.5'] })).toBe(1500);
    expect(plainSleepMs({ name: 'c', command: ['sleep', '2m'] })).toBe(120_000);
    expect(plainSleepMs({ name: 'c', command: ['sleep', 'infinity'] })).toBeNull();
  });

  it('reads a shell whose whole script is a sleep', () => {
    expect(plainSleepMs({ name: 'c', command: ['/bin/sh', '-c', ' sleep 30 '] })).toBe(30_000);
    expect(plainSleepMs({ name: 'c', command: ['sh', '-c'], args: ['sleep 3'] })).toBe(3000);
  });

  it('says nothing about anything else', () => {
    expect(plainSleepMs({ name: 'c' })).toBeUndefined(); // the image's entrypoint
    expect(plainSleepMs({ name: 'c', args: ['sleep', '5'] })).toBeUndefined(); // args to an unknown entrypoint
    expect(plainSleepMs({ name: 'c', command: ['/bin/sh', '-c', 'sleep 5; exit 1'] })).toBeUndefined();
    expect(plainSleepMs({ name: 'c', command: ['sleep', 'soon'] })).toBeUndefined();
    expect(plainSleepMs({ name: 'c', command: ['sleep', '1', '2'] })).toBeUndefined();
    expect(plainSleepMs({ name: 'c', command: ['sleep', 5] })).toBeUndefined();
  });

  it('a pod: the longest sleep, forever when one sleeps forever, nothing when one does something else', () => {
    expect(podSleepMs([{ name: 'a', command: ['sleep', '5'] }, { name: 'b', command: ['sleep', '7'] }])).toBe(7000);
    expect(podSleepMs([{ name: 'a', command: ['sleep', '5'] }, { name: 'b', command: ['sleep', 'infinity'] }])).toBeNull();
    expect(podSleepMs([{ name: 'a', command: ['sleep', '5'] }, { name: 'b', image: 'nginx' }])).toBeUndefined();
    expect(podSleepMs([])).toBeUndefined();
  });
});
