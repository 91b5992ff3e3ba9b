import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FakeClock } from '../../../src/client/clock.js';
import { usageResponse, usageRoutes, type UsageSource } from '../../../src/dataplane/kubelet/usage-endpoint.js';
import { fetchUsage } from '../../../src/control/api/metrics/scrape.js';

const seen: number[] = [];
const source: UsageSource = {
  nodeNames: () => ['a', 'b', 'gone'],
  nodeUsage: (name, now) => {
    seen.push(now);
    if (name === 'gone') return undefined;
    if (name === 'boom') throw new Error('driver broke');
    return { nodeName: name, timestamp: now, windowSeconds: 10, cpuNanoCores: 1, memoryBytes: 2, pods: [] };
  },
};

describe('usageResponse', () => {
  test('every node the source has figures for, or one node, or 404', () => {
    expect(usageResponse(source, null, 5)).toEqual({ code: 200, body: { nodes: [expect.objectContaining({ nodeName: 'a' }), expect.objectContaining({ nodeName: 'b' })] } });
    expect(usageResponse(source, 'b', 5).body).toEqual({ nodes: [expect.objectContaining({ nodeName: 'b', timestamp: 5 })] });
    expect(usageResponse(source, 'gone', 5)).toEqual({ code: 404, body: { message: 'node "gone" is not run by this agent' } });
    expect(usageResponse(source, '', 5).code).toBe(404);
  });
});

describe('usageRoutes on node:http', () => {
  let server: Server;
  let base = '';
  const clock = new FakeClock(42_000);
  beforeAll(async () => {
    const handle = usageRoutes(source, clock);
    server = createServer((req, res) => {
      if (!handle(req, res)) res.writeHead(404, { 'content-type': 'text/plain' }).end('not mine');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test('the scraper reads what the handler serves, stamped with the injected clock', async () => {
    const nodes = await fetchUsage(base, AbortSignal.timeout(2000));
    expect(nodes.map((n) => [n.nodeName, n.timestamp])).toEqual([['a', 42_000], ['b', 42_000]]);
  });

  test('?node=, other paths untouched, other methods 405, a throwing driver 500', async () => {
    const one = await fetch(`${base}/skiff/v1/usage?node=a`);
    expect(one.headers.get('content-type')).toBe('application/json');
    expect(((await one.json()) as { nodes: unknown[] }).nodes).toHaveLength(1);
    expect(await (await fetch(`${base}/healthz`)).text()).toBe('not mine');
    const post = await fetch(`${base}/skiff/v1/usage`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const broken = await fetch(`${base}/skiff/v1/usage?node=boom`);
    expect(broken.status).toBe(500);
    expect(((await broken.json()) as { message: string }).message).toBe('usage: driver broke');
  });
});
