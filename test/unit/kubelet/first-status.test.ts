import { describe, expect, it } from 'vitest';
import { decideFirstStatus, type FirstStatusInput } from '../../../src/dataplane/kubelet/first-status.js';

const pending = { phase: 'Pending', hostIP: '10.0.0.1', startTime: 't0' };
const running = { phase: 'Running', hostIP: '10.0.0.1', startTime: 't0' };
const base: FirstStatusInput = { first: true, held: undefined, status: pending, wakeAt: 1300, remove: false, now: 1000, holdMs: 1000 };

describe('decideFirstStatus', () => {
  it('holds a just-admitted pod’s Pending status while its next look falls inside the window', () => {
    expect(decideFirstStatus(base)).toEqual({ action: 'hold', held: { since: 1000, status: pending } });
  });

  it('the wake-up’s newer status replaces the held one and goes alone', () => {
    const held = { since: 1000, status: pending };
    expect(decideFirstStatus({ ...base, first: false, held, status: running, wakeAt: null, now: 1300 })).toEqual({ action: 'send', status: running });
  });

  it('sends the held status once the next look is past the window (slow start: Pending shows)', () => {
    const held = { since: 1000, status: pending };
    const later = { ...pending, podIP: '10.244.0.2' };
    expect(decideFirstStatus({ ...base, first: false, held, status: later, wakeAt: 2500, now: 1300 })).toEqual({ action: 'send', status: later });
    // Unchanged at the wake-up: the held one goes.
    expect(decideFirstStatus({ ...base, first: false, held, status: null, wakeAt: 2500, now: 1300 })).toEqual({ action: 'send', status: pending });
    // No wake-up at all: nothing would ever send it, so it goes now.
    expect(decideFirstStatus({ ...base, wakeAt: null })).toEqual({ action: 'send', status: pending });
  });

  it('keeps holding across a look inside the window, from the first look’s time', () => {
    const held = { since: 1000, status: pending };
    expect(decideFirstStatus({ ...base, first: false, held, status: null, wakeAt: 1900, now: 1100 })).toEqual({ action: 'hold', held });
    expect(decideFirstStatus({ ...base, first: false, held, status: null, wakeAt: 2001, now: 1100 })).toEqual({ action: 'send', status: pending });
  });

  it('never holds a later look’s status, a non-Pending one, a removal, or with the window off', () => {
    expect(decideFirstStatus({ ...base, first: false })).toEqual({ action: 'send', status: pending });
    expect(decideFirstStatus({ ...base, status: running })).toEqual({ action: 'send', status: running });
    expect(decideFirstStatus({ ...base, status: { phase: 'Failed', reason: 'OutOfcpu' } })).toEqual({ action: 'send', status: { phase: 'Failed', reason: 'OutOfcpu' } });
    expect(decideFirstStatus({ ...base, remove: true })).toEqual({ action: 'send', status: pending });
    expect(decideFirstStatus({ ...base, holdMs: 0 })).toEqual({ action: 'send', status: pending });
  });

  it('an unchanged status with nothing held is nothing to do', () => {
    expect(decideFirstStatus({ ...base, first: false, status: null })).toEqual({ action: 'none' });
    expect(decideFirstStatus({ ...base, status: null })).toEqual({ action: 'none' });
  });
});
