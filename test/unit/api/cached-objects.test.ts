import { describe, expect, it } from 'vitest';
import { cachedObjects, type CachingEngine } from '../../../src/control/api/watch/cached-objects.js';
import type { KubeObject, ResourceType } from '../../../src/control/api/resource.js';
import { serviceaccounts } from '../../../src/control/api/kinds/core.js';

/** A cache over a map whose freshness the test sets; waitFresh makes it fresh. */
function engine(objects: Map<string, KubeObject>, state: { fresh: boolean; waits: number }, known = true): CachingEngine {
  const cache = {
    prefix: '/registry/serviceaccounts/',
    async waitFresh() { state.waits++; state.fresh = true; return true; },
    getFresh: (key: string) => (state.fresh ? { entry: objects.has(key) ? { object: objects.get(key)! } : undefined } : undefined),
    get: (key: string) => (objects.has(key) ? { object: objects.get(key)! } : undefined),
    list: () => [...objects.values()].map((object) => ({ object })),
  };
  return { registry: { lookup: (): ResourceType | undefined => (known ? serviceaccounts : undefined) }, cache: () => cache };
}

describe('cachedObjects.getNow', () => {
  const sa: KubeObject = { metadata: { name: 'default', namespace: 'ns' } };
  const objects = new Map([['/registry/serviceaccounts/ns/default', sa]]);

  it('answers from a fresh cache, found or not, as get does', async () => {
    const state = { fresh: true, waits: 0 };
    const c = cachedObjects(engine(objects, state), '', 'v1', 'serviceaccounts');
    expect(c.getNow('ns', 'default')).toEqual({ object: sa });
    expect(c.getNow('ns', 'other')).toEqual({ object: undefined });
    expect(await c.get('ns', 'default')).toBe(sa);
    expect(state.waits).toBe(0);
  });

  it('has no answer while the cache is not fresh (get waits then), and none to wait for without the kind', async () => {
    const state = { fresh: false, waits: 0 };
    const c = cachedObjects(engine(objects, state), '', 'v1', 'serviceaccounts');
    expect(c.getNow('ns', 'default')).toBeUndefined();
    expect(await c.get('ns', 'default')).toBe(sa);
    expect(state.waits).toBe(1);
    expect(c.getNow('ns', 'default')).toEqual({ object: sa });
    const none = cachedObjects(engine(objects, { fresh: true, waits: 0 }, false), '', 'v1', 'serviceaccounts');
    expect(none.getNow('ns', 'default')).toEqual({ object: undefined });
    expect(await none.get('ns', 'default')).toBeUndefined();
  });
});

describe('cachedObjects.allNow', () => {
  const sa: KubeObject = { metadata: { name: 'default', namespace: 'ns' } };
  const objects = new Map([['/registry/serviceaccounts/ns/default', sa]]);

  it('lists a fresh cache without a promise, has no answer while it is not fresh, and none to list without the kind', async () => {
    const state = { fresh: false, waits: 0 };
    const c = cachedObjects(engine(objects, state), '', 'v1', 'serviceaccounts');
    expect(c.allNow()).toBeUndefined();
    expect(await c.all()).toEqual([sa]);
    expect(state.waits).toBe(1);
    expect(c.allNow()).toEqual([sa]);
    expect(cachedObjects(engine(objects, { fresh: true, waits: 0 }, false), '', 'v1', 'serviceaccounts').allNow()).toEqual([]);
  });
});
