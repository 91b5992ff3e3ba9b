import { describe, expect, it, vi } from 'vitest';
import { startEnginePolicy, type PolicyEngine } from '../../../../src/control/api/authz/policy-source.js';
import { RbacAuthorizer, RbacPolicy } from '../../../../src/control/api/authz/rbac.js';
import { requestInfo } from '../../../../src/control/api/authz/request-info.js';
import type { KubeObject, ResourceType } from '../../../../src/control/api/resource.js';

type Listener = (ev: { type: string; object: KubeObject }) => void;

/** A watch cache stand-in: a list, subscribers, and the power to end them (as a rebuilding cache does). */
class FakeCache {
  items: KubeObject[] = [];
  listeners: { l: Listener; end: (err?: unknown) => void }[] = [];
  revision = 1;
  prefix = '/registry/x/';
  stale = false;
  async start() {}
  async waitFresh() { this.stale = false; return true; }
  isFresh() { return !this.stale; }
  list() { return this.items.map((object) => ({ object })); }
  subscribe(_from: number, l: Listener, end: (err?: unknown) => void = () => {}) {
    const s = { l, end };
    this.listeners.push(s);
    return { cancel: () => void (this.listeners = this.listeners.filter((x) => x !== s)) };
  }
  emit(type: string, object: KubeObject) {
    if (type === 'DELETED') this.items = this.items.filter((o) => o.metadata?.name !== object.metadata?.name);
    else this.items = [...this.items.filter((o) => o.metadata?.name !== object.metadata?.name), object];
    for (const s of this.listeners) s.l({ type, object });
  }
}

function fakeEngine() {
  const caches = new Map<string, FakeCache>();
  const engine: PolicyEngine = {
    registry: { lookup: (_g, _v, plural) => ({ plural } as ResourceType) },
    cache: (r) => {
      let c = caches.get(r.plural);
      if (!c) caches.set(r.plural, (c = new FakeCache()));
      return c;
    },
  };
  return { engine, cache: (plural: string) => engine.cache({ plural } as ResourceType) as unknown as FakeCache };
}

const user = { name: 'alice', groups: ['system:authenticated'] };
const canList = (z: RbacAuthorizer) => z.authorize({ user, ...requestInfo('GET', '/api/v1/namespaces/default/pods') }).decision;

describe('startEnginePolicy', () => {
  it('takes the current lists, follows events, and re-reads a kind whose cache ended its subscribers', async () => {
    const { engine, cache } = fakeEngine();
    cache('clusterroles').items = [{ metadata: { name: 'reader' }, rules: [{ verbs: ['list'], apiGroups: [''], resources: ['pods'] }] }];
    const policy = new RbacPolicy();
    const z = new RbacAuthorizer(policy);
    const src = startEnginePolicy(engine, policy);
    await src.ready;
    expect(canList(z)).toBe('NoOpinion');
    const b: KubeObject = { metadata: { name: 'b' }, roleRef: { kind: 'ClusterRole', name: 'reader' }, subjects: [{ kind: 'User', name: 'alice' }] };
    cache('clusterrolebindings').emit('ADDED', b);
    expect(canList(z)).toBe('Allow');
    cache('clusterrolebindings').emit('DELETED', b);
    expect(canList(z)).toBe('NoOpinion');

    // The cache rebuilds: it ends subscribers; the binding created meanwhile is read from the fresh list.
    const crb = cache('clusterrolebindings');
    const enders = crb.listeners.map((s) => s.end);
    crb.listeners = [];
    crb.items = [b];
    for (const end of enders) end();
    await vi.waitFor(() => expect(canList(z)).toBe('Allow'), { timeout: 2000, interval: 20 });
    expect(crb.listeners).toHaveLength(1);

    crb.stale = true;
    expect(src.fresh()).toBe(false);
    await src.waitFresh();
    expect(src.fresh()).toBe(true);
    src.stop();
    expect(crb.listeners).toHaveLength(0);
  });
});
