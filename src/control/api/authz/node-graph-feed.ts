/**
 * Keeps a NodeGraph current from the API server's own watch caches (upstream's graph_populator on informers):
 * pods, PersistentVolumes, VolumeAttachments and ResourceSlices, each listed once and then followed event by
 * event. The list and the subscription are taken in one synchronous step, so no event falls between them. When a
 * cache ends its subscribers (its storage watch broke and it re-lists), the kind is cleared and fed again.
 */
import type { KubeObject, ResourceType } from '../resource.js';
import { NodeAuthorizer } from './node-authorizer.js';
import { NodeGraph } from './node-graph.js';

/** What the feed needs of the object engine (ObjectEngine satisfies it). */
export interface GraphFeedEngine {
  readonly registry: { lookup(group: string, version: string, plural: string): ResourceType | undefined };
  cache(r: ResourceType): {
    start(): Promise<void>;
    readonly revision: number;
    list(): { object: KubeObject }[];
    subscribe(fromRevision: number, listener: (ev: { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject; prev?: KubeObject }) => void, onEnd?: (err?: unknown) => void): { cancel(): void };
  };
}

type Kind = 'pods' | 'persistentvolumes' | 'volumeattachments' | 'resourceslices';

const SOURCES: { kind: Kind; group: string; versions: string[] }[] = [
  { kind: 'pods', group: '', versions: ['v1'] },
  { kind: 'persistentvolumes', group: '', versions: ['v1'] },
  { kind: 'volumeattachments', group: 'storage.k8s.io', versions: ['v1'] },
  { kind: 'resourceslices', group: 'resource.k8s.io', versions: ['v1', 'v1beta2', 'v1beta1'] },
];

const nodeNameOf = (o: KubeObject): string => {
  const n = (o['spec'] as { nodeName?: unknown } | undefined)?.nodeName;
  return typeof n === 'string' ? n : '';
};

function apply(graph: NodeGraph, kind: Kind, type: 'ADDED' | 'MODIFIED' | 'DELETED', o: KubeObject, prev?: KubeObject): void {
  const name = o.metadata?.name ?? '';
  switch (kind) {
    case 'pods':
      if (type === 'DELETED') graph.deletePod(o.metadata?.namespace ?? '', name);
      else graph.setPod(o, prev);
      return;
    case 'persistentvolumes':
      if (type === 'DELETED') graph.deletePV(name);
      else graph.setPV(o);
      return;
    default:
      graph.setAttachment(kind, name, type === 'DELETED' ? '' : nodeNameOf(o));
  }
}

export interface GraphFeed {
  /** Resolves once every kind's initial list is in the graph. */
  readonly synced: Promise<void>;
  stop(): void;
}

export function feedNodeGraph(engine: GraphFeedEngine, graph: NodeGraph, onError: (err: unknown) => void = () => {}, retryMs = 1000): GraphFeed {
  let stopped = false;
  const subs = new Map<Kind, { cancel(): void }>();
  const timers = new Set<NodeJS.Timeout>();

  const follow = async (kind: Kind, r: ResourceType): Promise<void> => {
    const c = engine.cache(r);
    await c.start();
    if (stopped) return;
    graph.clear(kind);
    for (const e of c.list()) apply(graph, kind, 'ADDED', e.object);
    subs.set(kind, c.subscribe(c.revision, (ev) => apply(graph, kind, ev.type, ev.object, ev.prev), (err) => {
      subs.delete(kind);
      if (stopped) return;
      if (err) onError(err);
      const t = setTimeout(() => {
        timers.delete(t);
        follow(kind, r).catch(onError);
      }, retryMs);
      t.unref();
      timers.add(t);
    }));
  };

  const started: Promise<void>[] = [];
  for (const s of SOURCES) {
    let r: ResourceType | undefined;
    for (const v of s.versions) if ((r = engine.registry.lookup(s.group, v, s.kind))) break;
    if (r) started.push(follow(s.kind, r).catch((err: unknown) => onError(err)));
  }
  return {
    synced: Promise.all(started).then(() => undefined),
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      for (const s of subs.values()) s.cancel();
      subs.clear();
    },
  };
}

/**
 * The Node authoriser of a server: a graph fed from `engine`'s watch caches. Put it in the authoriser chain
 * before RBAC (kube-apiserver's --authorization-mode=Node,RBAC); `stop` ends the feed.
 */
export function engineNodeAuthorizer(engine: GraphFeedEngine, onError?: (err: unknown) => void): { authorizer: NodeAuthorizer; graph: NodeGraph; synced: Promise<void>; stop(): void } {
  const graph = new NodeGraph();
  const feed = feedNodeGraph(engine, graph, onError);
  return { authorizer: new NodeAuthorizer(graph), graph, synced: feed.synced, stop: () => feed.stop() };
}
