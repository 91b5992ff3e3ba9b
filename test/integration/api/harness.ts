/**
 * An API server on the memory store, bootstrapped like `skiff server`, driven through fastify's inject().
 * Watch tests also listen on 127.0.0.1:0 so they can read a real chunked stream.
 */
import type { LightMyRequestResponse } from 'fastify';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { buildServer, type ApiServer, type ServerOptions } from '../../../src/control/api/server.js';
import { bootstrap } from '../../../src/control/bootstrap.js';
import type { KubeObject } from '../../../src/control/api/resource.js';

export interface Harness {
  server: ApiServer;
  store: MemoryStore;
  req(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  json<T = KubeObject>(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

export async function startHarness(opts: Partial<ServerOptions> = {}): Promise<Harness> {
  const store = new MemoryStore();
  const server = await buildServer({ store, compactIntervalMs: 0, namespaceSweepMs: 200, ...opts });
  await bootstrap(server.engine, { host: '127.0.0.1', port: 6443 });
  const req: Harness['req'] = (method, url, body, headers = {}) => {
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const h: Record<string, string> = { ...headers };
    if (payload !== undefined && !h['content-type']) h['content-type'] = 'application/json';
    return server.app.inject({ method: method as 'GET', url, ...(payload !== undefined ? { payload } : {}), headers: h });
  };
  return {
    server,
    store,
    req,
    async json(method, url, body, headers) {
      const res = await req(method, url, body, headers);
      return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
    },
    async close() {
      await server.close();
      await store.close();
    },
  };
}

export const pod = (name: string, extra: Partial<KubeObject> = {}, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
  ...extra,
});

export const deployment = (name: string, replicas = 1): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
  },
});

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
