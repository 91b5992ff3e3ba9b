/** The server's compaction loop: storage history older than one interval goes, and old watches get 410. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHarness, sleep, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ compactIntervalMs: 150, engine: { watchCacheSize: 4 } });
});
afterAll(async () => h.close());

test('history older than one interval is compacted; an Exact list there is 410 Expired', async () => {
  const first = (await h.json<{ metadata: { resourceVersion: string } }>('GET', '/api/v1/namespaces/default/configmaps')).body.metadata.resourceVersion;
  for (let i = 0; i < 6; i++) await h.json('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: `c${i}` } });
  // Two intervals: the first records the revision, the second compacts to it.
  await sleep(500);
  const res = await h.json('GET', `/api/v1/namespaces/default/configmaps?resourceVersion=${first}&resourceVersionMatch=Exact`);
  expect(res.status).toBe(410);
  expect(res.body).toMatchObject({ reason: 'Expired', code: 410 });
  // Current reads are unaffected.
  const now = (await h.json<{ items: unknown[] }>('GET', '/api/v1/namespaces/default/configmaps')).body;
  expect(now.items).toHaveLength(6);
});
