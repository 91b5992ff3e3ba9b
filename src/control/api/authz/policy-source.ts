/**
 * Feeds an RbacPolicy from the API server's own watch caches of the four RBAC kinds (what upstream's RBAC
 * authoriser reads through informers): the current list, then every event, each applied as it arrives. A cache
 * that rebuilds (its storage watch broke) ends its subscribers; the kind is then re-read from scratch.
 */
import type { KubeObject, ResourceType } from '../resource.js';
import { RBAC_GROUP, type RbacKind, type RbacPolicy } from './rbac.js';

/** What this needs of the object engine (its registry and watch caches). */
export interface PolicyEngine {
  readonly registry: { lookup(group: string, version: string, plural: string): ResourceType | undefined };
  cache(r: ResourceType): {
    start(): Promise<void>;
    waitFresh(timeoutMs?: number): Promise<boolean>;
    isFresh(): boolean;
    list(): { object: KubeObject }[];
    subscribe(fromRevision: number, listener: (ev: { type: string; object: KubeObject }) => void, onEnd?: (err?: unknown) => void): { cancel(): void };
    readonly revision: number;
    readonly prefix: string;
  };
}

const KINDS: [RbacKind, string][] = [['Role', 'roles'], ['ClusterRole', 'clusterroles'], ['RoleBinding', 'rolebindings'], ['ClusterRoleBinding', 'clusterrolebindings']];

export interface PolicySource {
  /** Resolves once every kind's current list is in the policy. */
  readonly ready: Promise<void>;
  /**
   * True when the policy reflects every RBAC write this server made (read-your-writes: a binding just created
   * applies to the next request); otherwise `waitFresh` waits (bounded) until it does.
   */
  fresh(): boolean;
  waitFresh(): Promise<void>;
  stop(): void;
}

export function startEnginePolicy(engine: PolicyEngine, policy: RbacPolicy, onError: (err: unknown) => void = () => {}): PolicySource {
  let stopped = false;
  const subs = new Map<RbacKind, { cancel(): void }>();
  const caches: ReturnType<PolicyEngine['cache']>[] = [];

  const follow = async (kind: RbacKind, r: ResourceType): Promise<void> => {
    const c = engine.cache(r);
    await c.start();
    if (stopped) return;
    // No await between the list and the subscription: nothing is missed or applied twice.
    policy.clear(kind);
    for (const e of c.list()) policy.put(kind, e.object);
    subs.set(kind, c.subscribe(c.revision, (ev) => {
      if (ev.type === 'DELETED') policy.remove(kind, ev.object);
      else policy.put(kind, ev.object);
    }, (err) => {
      subs.delete(kind);
      if (stopped) return;
      if (err) onError(err);
      // The cache is rebuilding; read the kind again once it is back.
      setTimeout(() => void follow(kind, r).catch(onError), 100).unref();
    }));
  };

  const starts: Promise<void>[] = [];
  for (const [kind, plural] of KINDS) {
    const r = engine.registry.lookup(RBAC_GROUP, 'v1', plural);
    if (!r) continue;
    caches.push(engine.cache(r));
    starts.push(follow(kind, r));
  }
  const ready = Promise.all(starts).then(() => undefined);
  return {
    ready,
    // Asked on every request: a loop, no callback made per call.
    fresh: () => {
      for (let i = 0; i < caches.length; i++) if (!caches[i]!.isFresh()) return false;
      return true;
    },
    async waitFresh() {
      await ready;
      await Promise.all(caches.map((c) => c.waitFresh()));
    },
    stop() {
      stopped = true;
      for (const s of subs.values()) s.cancel();
      subs.clear();
    },
  };
}
