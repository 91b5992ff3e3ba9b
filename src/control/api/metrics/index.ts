/**
 * metrics.k8s.io inside the API server: the usage cache (scrapes of node agents) and the NodeMetrics/PodMetrics
 * read paths over the server's own watch caches of nodes and pods, handed to the routes as computed sources.
 */
import type { ComputedSource, KubeObject, ResourceType } from '../resource.js';
import type { ObjectEngine } from '../routes/objects.js';
import { ApiError } from '../status.js';
import { UsageCache, type UsageCacheOptions } from './usage-cache.js';
import { nodeMetricsSource, podMetricsSource, type MetricsObjects } from './sources.js';

export type MetricsOptions = UsageCacheOptions;
export { UsageCache } from './usage-cache.js';
export { nodeMetricsSource, podMetricsSource, type MetricsObjects } from './sources.js';

export interface MetricsApi {
  source(r: ResourceType): ComputedSource | undefined;
  close(): void;
}

/** Reads nodes and pods from the watch caches (resourceVersion "0"): a metrics request costs no storage read. */
export function engineObjects(engine: ObjectEngine): MetricsObjects {
  const kind = (plural: string): ResourceType => {
    const r = engine.registry.lookup('', 'v1', plural);
    if (!r) throw new Error(`metrics.k8s.io needs core/v1 ${plural} in the registry`);
    return r;
  };
  const getOrUndefined = async (r: ResourceType, ns: string | undefined, name: string): Promise<KubeObject | undefined> => {
    try {
      return await engine.get(r, ns, name, '0');
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  };
  const list = async (r: ResourceType, ns: string | undefined): Promise<KubeObject[]> =>
    (await engine.list(r, ns, { resourceVersion: '0' })).items.map((e) => e.object);
  return {
    nodes: () => list(kind('nodes'), undefined),
    node: (name) => getOrUndefined(kind('nodes'), undefined, name),
    pods: (ns) => list(kind('pods'), ns),
    pod: (ns, name) => getOrUndefined(kind('pods'), ns, name),
  };
}

export function startMetricsApi(engine: ObjectEngine, opts: MetricsOptions & { now?: () => Date } = {}): MetricsApi {
  const usage = new UsageCache(opts);
  const deps = { objects: engineObjects(engine), usage, now: opts.now ?? (() => new Date()) };
  const nodes = nodeMetricsSource(deps);
  const pods = podMetricsSource(deps);
  return {
    source(r) {
      if (r.group !== 'metrics.k8s.io' || r.version !== 'v1beta1') return undefined;
      return r.kind === 'NodeMetrics' ? nodes : r.kind === 'PodMetrics' ? pods : undefined;
    },
    close: () => usage.close(),
  };
}
