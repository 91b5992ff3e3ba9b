import { describe, expect, it } from 'vitest';
import { EventSpamFilter, objectSpamKey, spamKey, SPAM_BURST } from '../../../src/client/event-spam-filter.js';
import { objectEvent } from '../../../src/client/events.js';

const rs = (name: string, uid = `uid-${name}`) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace: 'ns', uid } });
const ev = (obj: ReturnType<typeof rs>, reason = 'SuccessfulCreate', component = 'replicaset-controller') =>
  objectEvent(obj, 'Normal', reason, `Created pod: ${Math.random()}`, { component }, new Date(0));

describe('EventSpamFilter (client-go EventSourceObjectSpamFilter)', () => {
  it('lets 25 events about one object from one source through, then drops until a token refills (1 per 5 min)', () => {
    let now = 0;
    const f = new EventSpamFilter(() => now);
    const a = rs('a');
    const passed = Array.from({ length: 100 }, () => f.allow(ev(a))).filter(Boolean).length;
    expect(passed).toBe(SPAM_BURST);
    now += 299_000;
    expect(f.allow(ev(a))).toBe(false);
    now += 1_000;
    expect(f.allow(ev(a))).toBe(true);
    expect(f.allow(ev(a))).toBe(false);
  });

  it('keys on source and object: other objects, other UIDs and other components have their own buckets; reasons share one', () => {
    const f = new EventSpamFilter(() => 0);
    for (let i = 0; i < SPAM_BURST; i++) expect(f.allow(ev(rs('a'), i % 2 ? 'SuccessfulCreate' : 'SuccessfulDelete'))).toBe(true);
    expect(f.allow(ev(rs('a'), 'FailedCreate'))).toBe(false);
    expect(f.allow(ev(rs('b')))).toBe(true);
    expect(f.allow(ev(rs('a', 'other-uid')))).toBe(true);
    expect(f.allow(ev(rs('a'), 'SuccessfulCreate', 'deployment-controller'))).toBe(true);
  });

  it('forgets the least recently used keys beyond its size (a forgotten key starts with a full bucket)', () => {
    const f = new EventSpamFilter(() => 0, 1, 0, 2);
    expect(f.allow(ev(rs('a')))).toBe(true);
    expect(f.allow(ev(rs('a')))).toBe(false);
    expect(f.allow(ev(rs('b')))).toBe(true);
    expect(f.allow(ev(rs('c')))).toBe(true); // evicts a
    expect(f.allow(ev(rs('a')))).toBe(true);
    expect(f.allow(ev(rs('c')))).toBe(false);
  });

  it('keys an object and component as the event objectEvent makes about them, without making it', () => {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u1' } };
    const bare = { metadata: { name: 'x' } };
    for (const obj of [rs('a'), node, bare]) {
      const e = objectEvent(obj, 'Warning', 'Any', 'message', { component: 'c', instance: 'host' }, new Date(0));
      expect(objectSpamKey(obj, 'c')).toBe(spamKey(e));
    }
    expect(objectSpamKey(rs('a'), 'c')).not.toBe(objectSpamKey(rs('a'), 'd'));
    const f = new EventSpamFilter(() => 0, 1);
    expect(f.allowKey(objectSpamKey(rs('a'), 'c'))).toBe(true);
    expect(f.allow(ev(rs('a'), 'Other', 'c'))).toBe(false);
  });
});
