/** The agent's timing rules on a fake clock and a fake backend (no root, no kernel). */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/client/clock.js';
import { ProxyAgent, StaticSource } from '../../src/dataplane/proxy/agent.js';
import type { ProxyBackend, SyncOutcome } from '../../src/dataplane/proxy/backends.js';
import type { ServicePortInfo } from '../../src/dataplane/proxy/model.js';
import { service, slice } from './fixtures.js';

class FakeBackend implements ProxyBackend {
  readonly mode = 'nftables/fake';
  calls: Array<{ at: number; ports: number; resync: boolean }> = [];
  failNext = 0;
  constructor(private clock: FakeClock) {}
  async sync(model: ServicePortInfo[], resync: boolean): Promise<SyncOutcome> {
    this.calls.push({ at: this.clock.now(), ports: model.length, resync });
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('nft: simulated failure');
    }
    return { full: resync, bytes: 1 };
  }
  async cleanup(): Promise<void> {}
}

const flush = () => new Promise((r) => setImmediate(r));

async function setup() {
  const clock = new FakeClock(1_000_000);
  const backend = new FakeBackend(clock);
  const source = new StaticSource([service('a', '10.96.0.1')], [slice('a', [])]);
  const agent = new ProxyAgent({ backend, source, nodeName: 'n1', clock, minSyncPeriodMs: 1000, syncPeriodMs: 30_000, retryBaseMs: 1000, healthzBindAddress: null, metricsBindAddress: null });
  const abort = new AbortController();
  await agent.start(abort.signal);
  const step = async (ms: number) => {
    for (let i = 0; i < ms; i += 100) {
      clock.step(100);
      await flush();
    }
  };
  await step(0);
  clock.step(0);
  await flush();
  return { clock, backend, source, agent, abort, step };
}

describe('proxy agent loop', () => {
  it('first sync compares with the kernel; changes within minSyncPeriod are batched into one partial sync', async () => {
    const { backend, source, step, abort, clock } = await setup();
    expect(backend.calls).toEqual([{ at: 1_000_000, ports: 1, resync: true }]);
    await step(100);
    source.upsertService(service('b', '10.96.0.2'));
    await step(100);
    source.upsertService(service('c', '10.96.0.3'));
    await step(2000);
    expect(backend.calls.slice(1)).toEqual([{ at: 1_001_000, ports: 3, resync: false }]);
    expect(clock.now()).toBe(1_002_200);
    abort.abort();
  });

  it('resyncs against the kernel every syncPeriod without changes', async () => {
    const { backend, step, abort } = await setup();
    await step(61_000);
    expect(backend.calls.map((c) => [c.at - 1_000_000, c.resync])).toEqual([[0, true], [30_000, true], [60_000, true]]);
    abort.abort();
  });

  it('retries a failed sync with exponential backoff, as a resync, and counts the failures', async () => {
    const { backend, source, step, agent, abort } = await setup();
    backend.failNext = 3;
    source.upsertService(service('b', '10.96.0.2'));
    await step(10_000);
    const after = backend.calls.slice(1).map((c) => [c.at - 1_000_000, c.resync]);
    // change at 0 → first try at 1 s (minSyncPeriod), fails; retries after 1 s, 2 s, 4 s; the 4th try succeeds.
    expect(after).toEqual([[1000, false], [2000, true], [4000, true], [8000, true]]);
    expect(agent.metrics.syncFailures.get()).toBe(3);
    expect(agent.history.at(-1)!.error).toBeUndefined();
    expect(agent.healthy()).toBe(true);
    abort.abort();
  });

  it('is unhealthy before the first sync and while changes wait longer than two sync periods', async () => {
    const clock = new FakeClock(0);
    const backend = new FakeBackend(clock);
    const agent = new ProxyAgent({ backend, source: new StaticSource(), nodeName: 'n1', clock, healthzBindAddress: null, metricsBindAddress: null, syncPeriodMs: 1000 });
    expect(agent.healthy()).toBe(false);
    const abort = new AbortController();
    backend.failNext = 100;
    await agent.start(abort.signal);
    clock.step(0);
    await flush();
    expect(agent.healthy()).toBe(false);
    backend.failNext = 0;
    for (let i = 0; i < 30; i++) {
      clock.step(100);
      await flush();
    }
    expect(agent.healthy()).toBe(true);
    abort.abort();
  });
});
