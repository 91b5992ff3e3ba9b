/**
 * --event-ttl through the API: an Event created by a client is gone one TTL after its last write, and a watcher
 * sees it DELETED, as it would when upstream's etcd lease runs out; other kinds are untouched.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ConfigMaps, Events } from '../../../src/client/resources.js';
import { ApiError } from '../../../src/client/rest.js';
import type { KubeObject } from '../../../src/client/types.js';
import { startTestCluster, type TestCluster } from '../../support/cluster.js';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster({ eventTtlMs: 1500 });
});
afterAll(async () => {
  await cluster?.close();
});

test('an Event is deleted one TTL after it was written; a watcher sees DELETED', async () => {
  const c = cluster.client;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const ev = {
    metadata: { name: 'short-lived', namespace: 'default' }, involvedObject: { kind: 'ConfigMap', name: 'x', namespace: 'default' },
    reason: 'Tested', message: 'gone soon', type: 'Normal', firstTimestamp: now, lastTimestamp: now, count: 1, source: { component: 'test' },
  } as unknown as KubeObject;
  await c.create(ConfigMaps, { metadata: { name: 'x', namespace: 'default' } } as KubeObject);
  const created = await c.create(Events, ev);
  const started = Date.now();
  let deletedAfter = -1;
  for await (const e of c.watch(Events, { namespace: 'default', resourceVersion: created.metadata!.resourceVersion! })) {
    if (e.type === 'DELETED' && e.object.metadata?.name === 'short-lived') {
      deletedAfter = Date.now() - started;
      break;
    }
  }
  expect(deletedAfter).toBeGreaterThanOrEqual(1000);
  const gone = await c.get(Events, 'short-lived', 'default').catch((e: unknown) => e);
  expect((gone as ApiError).code).toBe(404);
  expect((await c.get(ConfigMaps, 'x', 'default')).metadata?.name).toBe('x');
});
