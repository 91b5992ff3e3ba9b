import { describe, expect, test, vi } from 'vitest';
import type { KubeObject, ResourceType } from '../../../../src/control/api/resource.js';
import { NodeGraph } from '../../../../src/control/api/authz/node-graph.js';
import { feedNodeGraph, type GraphFeedEngine } from '../../../../src/control/api/authz/node-graph-feed.js';

type Ev = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject; prev?: KubeObject };

/** A watch cache as the feed sees it: objects, a revision, subscribers that can be ended. */
class FakeCache {
  objects = new Map<string, KubeObject>();
  revision = 1;
  listeners = new Map<(ev: Ev) => void, (err?: unknown) => void>();
  async start() {}
  list() { return [...this.objects.values()].map((object) => ({ object })); }
  subscribe(_from: number, l: (ev: Ev) => void, onEnd: (err?: unknown) => void = () => {}) {
    this.listeners.set(l, onEnd);
    return { cancel: () => void this.listeners.delete(l) };
  }
  put(key: string, o: KubeObject) {
    const prev = this.objects.get(key);
    this.objects.set(key, o);
    this.revision++;
    for (const l of this.listeners.keys()) l({ type: prev ? 'MODIFIED' : 'ADDED', object: o, ...(prev ? { prev } : {}) });
  }
  del(key: string) {
    const prev = this.objects.get(key)!;
    this.objects.delete(key);
    this.revision++;
    for (const l of this.listeners.keys()) l({ type: 'DELETED', object: prev, prev });
  }
  /** The cache re-lists (its storage watch broke): every subscriber is ended. */
  breakWatch() {
    const enders = [...this.listeners.values()];
    this.listeners.clear();
    for (const e of enders) e();
  }
}

function fakeEngine() {
  const caches = new Map<string, FakeCache>();
  const rt = (plural: string) => ({ plural } as unknown as ResourceType);
  const engine: GraphFeedEngine = {
    registry: { lookup: (_g, _v, plural) => (['pods', 'persistentvolumes', 'volumeattachments'].includes(plural) ? rt(plural) : undefined) },
    cache: (r) => {
      let c = caches.get(r.plural);
      if (!c) caches.set(r.plural, (c = new FakeCache()));
      return c;
    },
  };
  return { engine, cache: (plural: string) => engine.cache(rt(plural)) as unknown as FakeCache };
}

const pod = (name: string, node: string, secret: string): KubeObject =>
  ({ metadata: { name, namespace: 'ns', uid: name }, spec: { nodeName: node, volumes: [{ name: 'v', secret: { secretName: secret } }] } });

describe('node graph feed', () => {
  test('lists, follows events, and re-lists when the cache ends its subscribers', async () => {
    vi.useFakeTimers();
    try {
      const { engine, cache } = fakeEngine();
      cache('pods').put('ns/a', pod('a', 'n1', 's-a'));
      const g = new NodeGraph();
      const feed = feedNodeGraph(engine, g, () => {}, 50);
      await feed.synced;
      expect(g.relates('n1', 'secrets', 'ns', 's-a')).toBe(true);
      // Binding a pod (nodeName '' → n2) relates its objects; deleting it forgets them.
      cache('pods').put('ns/b', pod('b', '', 's-b'));
      expect(g.relates('n2', 'secrets', 'ns', 's-b')).toBe(false);
      cache('pods').put('ns/b', pod('b', 'n2', 's-b'));
      expect(g.relates('n2', 'secrets', 'ns', 's-b')).toBe(true);
      cache('pods').del('ns/a');
      expect(g.relates('n1', 'secrets', 'ns', 's-a')).toBe(false);
      // PVs and attachments come through their own caches.
      cache('persistentvolumes').put('pv', { metadata: { name: 'pv' }, spec: { claimRef: { namespace: 'ns', name: 'c' } } });
      cache('volumeattachments').put('va', { metadata: { name: 'va' }, spec: { nodeName: 'n2' } });
      expect(g.relates('n2', 'volumeattachments', '', 'va')).toBe(true);
      // While the cache re-lists, what changed meanwhile is picked up by the new list.
      cache('pods').breakWatch();
      cache('pods').objects.delete('ns/b');
      cache('pods').objects.set('ns/c', pod('c', 'n3', 's-c'));
      await vi.advanceTimersByTimeAsync(60);
      expect(g.relates('n2', 'secrets', 'ns', 's-b')).toBe(false);
      expect(g.relates('n3', 'secrets', 'ns', 's-c')).toBe(true);
      cache('pods').put('ns/d', pod('d', 'n3', 's-d'));
      expect(g.relates('n3', 'secrets', 'ns', 's-d')).toBe(true);
      feed.stop();
      cache('pods').put('ns/e', pod('e', 'n3', 's-e'));
      expect(g.relates('n3', 'secrets', 'ns', 's-e')).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
