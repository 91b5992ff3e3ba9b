/**
 * Hardening through the API server: the in-flight budgets with fair queues (429; --enable-priority-and-fairness=false,
 * priority-and-fairness.test.ts covers the default), request timeouts (504), header size (431).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import type { WriteResult } from '../../../src/control/storage/store.js';
import { authenticationChain, TokenFileAuthenticator } from '../../../src/control/api/auth/index.js';

/** A store whose creates of `slow-*` keys wait until released. */
class SlowStore extends MemoryStore {
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => {};
  private entered: () => void = () => {};
  /** Resolves when a held create reaches the store (so its request holds a seat). */
  reached: Promise<void> = Promise.resolve();
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
    this.reached = new Promise((r) => (this.entered = r));
  }
  release(): void {
    this.open();
  }
  override async create(key: string, value: Uint8Array): Promise<WriteResult> {
    if (key.includes('/slow-')) {
      this.entered();
      await this.gate;
    }
    return super.create(key, value);
  }
}

const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
const as = (token: string) => ({ authorization: `Bearer ${token}` });
const url = '/api/v1/namespaces/default/configmaps';

describe('request limits', () => {
  let h: Harness;
  const store = new SlowStore();
  beforeAll(async () => {
    const tokens = new TokenFileAuthenticator(new Map([
      ['t-alice', { name: 'alice', groups: [] }],
      ['t-bob', { name: 'bob', groups: [] }],
      ['t-admin', { name: 'admin', groups: ['system:masters'] }],
    ]));
    h = await startHarness({
      store,
      authentication: authenticationChain({ tokens: [tokens] }),
      limits: { maxMutatingRequestsInflight: 1, maxRequestsInflight: 5, queueLength: 1, queueTimeoutMs: 300, enablePriorityAndFairness: false },
    });
  });
  afterAll(() => h.close());

  it('a spent mutating budget queues, then answers 429 with Retry-After; reads and system:masters are unaffected', async () => {
    store.hold();
    const held = h.req('POST', url, cm('slow-1'), as('t-alice'));
    await store.reached;
    const queued = h.req('POST', url, cm('c2'), as('t-alice'));
    await new Promise((r) => setTimeout(r, 20));
    const refused = await h.req('POST', url, cm('c3'), as('t-alice'));
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused.body)).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Too many requests, please try again later.',
      reason: 'TooManyRequests', details: { retryAfterSeconds: 1 }, code: 429,
    });
    expect((await h.req('GET', url, undefined, as('t-bob'))).statusCode).toBe(200);
    expect((await h.req('POST', url, cm('by-admin'), as('t-admin'))).statusCode).toBe(201);
    store.release();
    expect((await held).statusCode).toBe(201);
    expect((await queued).statusCode).toBe(201);
  });

  it('a request that waits longer than the queue timeout is refused with 429', async () => {
    store.hold();
    const held = h.req('POST', url, cm('slow-2'), as('t-alice'));
    await store.reached;
    const started = Date.now();
    const waited = await h.req('POST', url, cm('c4'), as('t-bob'));
    expect(waited.statusCode).toBe(429);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    store.release();
    expect((await held).statusCode).toBe(201);
  });

  it('?timeout= ends a request that takes longer with 504 Timeout', async () => {
    store.hold();
    const res = await h.req('POST', `${url}?timeout=200ms`, cm('slow-3'), as('t-admin'));
    store.release();
    expect(res.statusCode).toBe(504);
    expect(JSON.parse(res.body)).toMatchObject({ reason: 'Timeout', code: 504, message: 'Timeout: request did not complete within requested timeout - context deadline exceeded' });
    expect((await h.req('GET', `${url}?timeout=never`, undefined, as('t-admin'))).statusCode).toBe(400);
  });
});

describe('header size limit', () => {
  it('refuses a request head larger than maxHeaderBytes with 431', async () => {
    const h = await startHarness({ maxHeaderBytes: 4096 });
    try {
      await h.server.app.listen({ host: '127.0.0.1', port: 0 });
      const addr = h.server.app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      const status = (headers: Record<string, string>) => new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/v1/namespaces', headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(await status({ 'x-small': 'a'.repeat(1000) })).toBe(200);
      expect(await status({ 'x-big': 'a'.repeat(8000) })).toBe(431);
    } finally {
      await h.close();
    }
  });
});
