/**
 * --event-ttl: Events leave storage one TTL after their last write (upstream: an etcd lease per write). A memory
 * store and an injected clock; sweeps are called by the test.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { EventExpiry, lastActivityMs } from '../../../src/control/api/event-ttl.js';
import { MemoryStore } from '../../../src/control/storage/memory.js';

const TTL = 60_000;
const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const event = (name: string, lastTimestamp: string) => ({ apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'default', creationTimestamp: '2026-12-04T10:00:00Z' }, lastTimestamp });
const key = (name: string) => `/registry/events/default/${name}`;

let expiry: EventExpiry | undefined;
afterEach(async () => {
  await expiry?.stop();
  expiry = undefined;
});

/** Resolves once the expiry has queued `n` Events (the watch delivers asynchronously). */
async function queued(e: EventExpiry, n: number): Promise<void> {
  for (let i = 0; i < 200 && e.pending < n; i++) await new Promise((r) => setTimeout(r, 5));
  expect(e.pending).toBe(n);
}

describe('event TTL', () => {
  test('Events stored before start expire by their own latest time; others stay', async () => {
    const store = new MemoryStore();
    await store.create(key('old'), enc(event('old', '2026-12-04T10:00:00Z')));
    await store.create(key('recent'), enc(event('recent', '2026-12-04T10:59:30Z')));
    await store.create('/registry/configmaps/default/kept', enc({ metadata: { name: 'kept' } }));
    let now = Date.parse('2026-12-04T11:00:00Z');
    expiry = new EventExpiry(store, { ttlMs: 3_600_000, sweepMs: 3_600_000, now: () => now });
    await expiry.start();
    expect(expiry.pending).toBe(2);
    expect(await expiry.sweep()).toBe(1);
    expect((await store.get(key('old'))).kv).toBeNull();
    expect((await store.get(key('recent'))).kv).not.toBeNull();
    now = Date.parse('2026-12-04T11:59:29Z');
    expect(await expiry.sweep()).toBe(0);
    now += 2_000;
    expect(await expiry.sweep()).toBe(1);
    expect((await store.get(key('recent'))).kv).toBeNull();
    expect((await store.get('/registry/configmaps/default/kept')).kv).not.toBeNull();
  });

  test('a write seen on the watch lives one TTL from then; writing it again restarts its TTL', async () => {
    const store = new MemoryStore();
    let now = 1_000_000;
    expiry = new EventExpiry(store, { ttlMs: TTL, sweepMs: 3_600_000, now: () => now });
    await expiry.start();
    const a = await store.create(key('a'), enc(event('a', '2026-12-04T10:00:00Z')));
    await store.create(key('b'), enc(event('b', '2026-12-04T10:00:00Z')));
    await queued(expiry, 2);
    now += TTL / 2;
    // a is written again (count + 1) half-way: its first entry no longer matches its modRevision.
    if (!a.ok) throw new Error('create failed');
    await store.update(key('a'), enc({ ...event('a', '2026-12-04T10:00:30Z'), count: 2 }), a.kv.modRevision);
    await queued(expiry, 3);
    now += TTL / 2;
    expect(await expiry.sweep()).toBe(1);
    expect((await store.get(key('b'))).kv).toBeNull();
    expect((await store.get(key('a'))).kv).not.toBeNull();
    now += TTL / 2;
    expect(await expiry.sweep()).toBe(1);
    expect((await store.get(key('a'))).kv).toBeNull();
    expect(expiry.pending).toBe(0);
  });

  test('lastActivityMs reads core/v1 and events.k8s.io/v1 times, the latest winning', () => {
    expect(lastActivityMs({ eventTime: '2026-12-04T10:00:00.000000Z', series: { count: 3, lastObservedTime: '2026-12-04T10:05:00.000000Z' } })).toBe(Date.parse('2026-12-04T10:05:00Z'));
    expect(lastActivityMs({ firstTimestamp: '2026-12-04T09:00:00Z', lastTimestamp: '2026-12-04T09:30:00Z', eventTime: null })).toBe(Date.parse('2026-12-04T09:30:00Z'));
    expect(lastActivityMs({ metadata: {} })).toBeUndefined();
  });
});
