import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestCluster, eventually, type TestCluster } from '../../support/cluster.js';
import { LeaderElector, canAcquire } from '../../../src/client/leader-election.js';
import { Leases } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(async () => c.close());

describe('canAcquire', () => {
  test('free, own, or unrenewed for the lease duration on the candidate clock', () => {
    expect(canAcquire(undefined, 'a', 0, 0, 15_000)).toBe(true);
    expect(canAcquire({ holderIdentity: 'a' }, 'a', 0, 1, 15_000)).toBe(true);
    expect(canAcquire({ holderIdentity: 'b' }, 'a', 1000, 15_999, 15_000)).toBe(false);
    expect(canAcquire({ holderIdentity: 'b' }, 'a', 1000, 16_000, 15_000)).toBe(true);
  });
});

describe('LeaderElector against a real server', () => {
  test('one of two candidates leads; when it stops, the other takes over and the transition is counted', async () => {
    const timing = { leaseDurationMs: 600, renewDeadlineMs: 400, retryPeriodMs: 100 };
    const a = new LeaderElector(c.client, { namespace: 'kube-system', name: 'le-test', identity: 'a', ...timing });
    const b = new LeaderElector(c.client, { namespace: 'kube-system', name: 'le-test', identity: 'b', ...timing });
    const acA = new AbortController();
    const acB = new AbortController();
    const leading: string[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const lead = (who: string) => async (s: AbortSignal) => {
      leading.push(who);
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await new Promise<void>((r) => s.addEventListener('abort', () => r(), { once: true }));
      concurrent--;
    };
    const runA = a.run(acA.signal, lead('a'));
    await eventually('a leads', () => a.isLeader());
    const runB = b.run(acB.signal, lead('b'));
    await new Promise((r) => setTimeout(r, 700));
    expect(b.isLeader()).toBe(false);
    const held = await c.client.get<KubeObject & { spec: { holderIdentity: string; leaseDurationSeconds: number } }>(Leases, 'le-test', 'kube-system');
    expect(held.spec.holderIdentity).toBe('a');
    acA.abort();
    await runA;
    await eventually('b leads', () => b.isLeader(), 5000);
    const after = await c.client.get<KubeObject & { spec: { holderIdentity: string; leaseTransitions: number } }>(Leases, 'le-test', 'kube-system');
    expect(after.spec.holderIdentity).toBe('b');
    expect(after.spec.leaseTransitions).toBe(1);
    expect(leading).toEqual(['a', 'b']);
    expect(maxConcurrent).toBe(1);
    acB.abort();
    await runB;
  });
});
