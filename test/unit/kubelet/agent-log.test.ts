import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/client/clock.js';
import { throttled } from '../../../src/dataplane/kubelet/agent.js';

describe('agent log throttle', () => {
  it('prints a warning once per message per window and counts the rest; info passes', () => {
    const clock = new FakeClock(0);
    const lines: [string, string, Record<string, unknown> | undefined][] = [];
    const log = throttled((level, msg, f) => lines.push([level, msg, f]), clock, 5000);
    for (let i = 0; i < 100; i++) log('warn', 'node registration failed, retrying', { node: `n${i}` });
    log('warn', 'lease renewal failed', { node: 'n1' });
    log('info', 'x');
    log('info', 'x');
    expect(lines.map((l) => l[1])).toEqual(['node registration failed, retrying', 'lease renewal failed', 'x', 'x']);
    clock.step(5000);
    log('warn', 'node registration failed, retrying', { node: 'n0' });
    expect(lines[4]![2]).toEqual({ node: 'n0', alsoSince: '99 more like this in the last 5 s' });
  });
});
