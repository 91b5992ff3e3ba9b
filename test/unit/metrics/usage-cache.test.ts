import { describe, expect, test } from 'vitest';
import { FakeClock } from '../../../src/client/clock.js';
import { UsageCache } from '../../../src/control/api/metrics/usage-cache.js';
import { agentEndpoint, parseUsageResponse } from '../../../src/control/api/metrics/scrape.js';
import type { NodeUsage } from '../../../src/dataplane/kubelet/types.js';
import type { KubeObject } from '../../../src/client/types.js';

const node = (name: string, address: string | undefined, port: number | undefined, type = 'InternalIP'): KubeObject => ({
  metadata: { name },
  status: {
    addresses: address ? [{ type: 'Hostname', address: name }, { type, address }] : [],
    ...(port !== undefined ? { daemonEndpoints: { kubeletEndpoint: { Port: port } } } : {}),
  },
});

const usage = (nodeName: string, cpu = 1): NodeUsage => ({ nodeName, timestamp: 0, windowSeconds: 15, cpuNanoCores: cpu, memoryBytes: 1, pods: [] });

describe('agentEndpoint', () => {
  test('InternalIP (then ExternalIP) and the kubelet port; IPv6 bracketed; nothing without both', () => {
    expect(agentEndpoint(node('a', '127.0.0.1', 10250))).toBe('http://127.0.0.1:10250');
    const everywhere = () => true;
    expect(agentEndpoint(node('a', '203.0.113.4', 10250, 'ExternalIP'), everywhere)).toBe('http://203.0.113.4:10250');
    // Only the default route would carry it (a made-up simulated address): never dialled.
    expect(agentEndpoint(node('a', '203.0.113.4', 10250))).toBeUndefined();
    expect(agentEndpoint(node('a', '::1', 8080))).toBe('http://[::1]:8080');
    expect(agentEndpoint(node('a', undefined, 10250))).toBeUndefined();
    expect(agentEndpoint(node('a', '127.0.0.1', undefined))).toBeUndefined();
    expect(agentEndpoint(node('a', '127.0.0.1', 0))).toBeUndefined();
  });
});

describe('parseUsageResponse', () => {
  test('accepts the contract shape and names the first bad field', () => {
    const good = { nodes: [{ ...usage('n1'), pods: [{ namespace: 'd', name: 'p', uid: 'u', containers: [{ name: 'c', cpuNanoCores: 1, memoryBytes: 2 }] }] }] };
    expect(parseUsageResponse(good)[0]!.pods[0]!.containers[0]!.memoryBytes).toBe(2);
    expect(() => parseUsageResponse({})).toThrow('usage response: nodes is missing or invalid');
    expect(() => parseUsageResponse({ nodes: [{ ...usage('n1'), cpuNanoCores: -1 }] })).toThrow('nodes[0].cpuNanoCores');
    const badContainer = { nodes: [{ ...usage('n1'), pods: [{ namespace: 'd', name: 'p', uid: 'u', containers: [{ name: 'c', cpuNanoCores: 'x', memoryBytes: 2 }] }] }] };
    expect(() => parseUsageResponse(badContainer)).toThrow('nodes[0].pods[0].containers[0].cpuNanoCores');
  });
});

describe('UsageCache', () => {
  function setup(answer: (endpoint: string) => NodeUsage[] | Error) {
    const clock = new FakeClock(1_000_000);
    const calls: string[] = [];
    const errors: string[] = [];
    const cache = new UsageCache({
      clock, resolutionMs: 15_000, retryAfterFailureMs: 1_000,
      fetch: async (endpoint) => {
        calls.push(endpoint);
        const a = answer(endpoint);
        if (a instanceof Error) throw a;
        return a;
      },
      onError: (err, endpoint) => errors.push(`${endpoint}: ${(err as Error).message}`),
    });
    return { clock, calls, errors, cache };
  }

  test('one scrape per endpoint for all its nodes, reused within the resolution, repeated after it', async () => {
    const { clock, calls, cache } = setup(() => [usage('a', 1), usage('b', 2)]);
    const nodes = [node('a', '127.0.0.1', 1), node('b', '127.0.0.1', 1)];
    const got = await cache.usageOf(nodes);
    expect([...got.keys()]).toEqual(['a', 'b']);
    expect(calls).toEqual(['http://127.0.0.1:1']);
    clock.step(14_999);
    await cache.usageOf(nodes);
    expect(calls).toHaveLength(1);
    clock.step(1);
    await cache.usageOf(nodes);
    expect(calls).toHaveLength(2);
  });

  test('concurrent reads share one scrape in flight', async () => {
    const { calls, cache } = setup(() => [usage('a')]);
    const nodes = [node('a', '127.0.0.1', 1)];
    await Promise.all([cache.usageOf(nodes), cache.usageOf(nodes), cache.usageOf(nodes)]);
    expect(calls).toHaveLength(1);
  });

  test('an endpoint speaks only for the nodes that name it; unreported nodes are absent', async () => {
    const { cache } = setup((e) => (e.endsWith(':1') ? [usage('a'), usage('b'), usage('c')] : [usage('b', 99)]));
    const got = await cache.usageOf([node('a', '127.0.0.1', 1), node('b', '127.0.0.1', 2), node('d', '127.0.0.1', 1)]);
    expect(got.get('a')?.cpuNanoCores).toBe(1);
    expect(got.get('b')?.cpuNanoCores).toBe(99);
    expect(got.has('c')).toBe(false);
    expect(got.has('d')).toBe(false);
  });

  test('a failing agent: its nodes absent, the error reported, retried after the back-off only', async () => {
    let fail = true;
    const { clock, calls, errors, cache } = setup(() => (fail ? new Error('connect ECONNREFUSED') : [usage('a')]));
    const nodes = [node('a', '127.0.0.1', 1)];
    expect((await cache.usageOf(nodes)).size).toBe(0);
    expect(errors).toEqual(['http://127.0.0.1:1: connect ECONNREFUSED']);
    fail = false;
    clock.step(999);
    expect((await cache.usageOf(nodes)).size).toBe(0);
    expect(calls).toHaveLength(1);
    clock.step(1);
    expect((await cache.usageOf(nodes)).size).toBe(1);
    expect(calls).toHaveLength(2);
  });

  test('nodes without an address or port are never scraped', async () => {
    const { calls, cache } = setup(() => []);
    await cache.usageOf([node('a', undefined, 1), node('b', '127.0.0.1', undefined)]);
    expect(calls).toEqual([]);
  });

  test('a scrape that hangs is cut at the timeout and reported; close() aborts scrapes in flight quietly', async () => {
    const errors: string[] = [];
    const hang = (_e: string, signal: AbortSignal) => new Promise<NodeUsage[]>((_r, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    const cache = new UsageCache({ timeoutMs: 20, fetch: hang, onError: (err) => errors.push((err as Error).message) });
    expect((await cache.usageOf([node('a', '127.0.0.1', 1)])).size).toBe(0);
    expect(errors).toEqual(['no answer within 20 ms']);
    const other = new UsageCache({ timeoutMs: 60_000, fetch: hang, onError: (err) => errors.push((err as Error).message) });
    const pending = other.usageOf([node('a', '127.0.0.1', 1)]);
    other.close();
    expect((await pending).size).toBe(0);
    expect(errors).toHaveLength(1);
  });
});
