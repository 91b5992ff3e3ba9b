/**
 * Secondary indexes the endpoint controllers add to the shared informers, so a sync reads a namespace's pods or
 * a service's slices without scanning every object (their own names prefixed so they never collide with other
 * controllers' indexes on the same informers; the namespace index is every controller's: shared/namespace-index.ts).
 */
import type { SharedInformer } from '../../../client/informer.js';
import type { KubeObject } from '../../../client/types.js';
import type { EndpointSlice, Pod, Service } from './types.js';
import { LABEL_SERVICE_NAME } from './types.js';
import { NAMESPACE_INDEX } from '../shared/namespace-index.js';

export const BY_SERVICE = 'endpoints/by-service-name';

/** Another endpoint controller on the same shared informer may have added it already. */
function ensureIndex<T extends KubeObject>(inf: SharedInformer<T>, name: string, fn: (o: T) => string[]): void {
  inf.indexer.ensureIndexer(name, fn);
}

/** Slices by `namespace/<kubernetes.io/service-name>`. */
export function indexSlicesByService(inf: SharedInformer<EndpointSlice>): void {
  ensureIndex(inf, BY_SERVICE, (s) => {
    const svc = s.metadata.labels?.[LABEL_SERVICE_NAME];
    return svc ? [`${s.metadata.namespace ?? ''}/${svc}`] : [];
  });
}

/** A Service's selector matches labels (a nil or empty selector matches nothing, as upstream's services do). */
export function selectorMatches(selector: Record<string, string> | null | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  const keys = Object.keys(selector);
  if (keys.length === 0) return false;
  return keys.every((k) => labels?.[k] === selector[k]);
}

export function hasSelector(svc: Service): boolean {
  const s = svc.spec?.selector;
  return !!s && Object.keys(s).length > 0;
}

/** The pods of the namespace that a service selects. */
export function podsForService(pods: SharedInformer<Pod>, svc: Service): Pod[] {
  return pods.indexer.byIndex(NAMESPACE_INDEX, svc.metadata.namespace ?? '').filter((p) => selectorMatches(svc.spec?.selector, p.metadata.labels));
}

/** Keys of the services in `namespace` whose selector matches `labels`. */
export function servicesSelecting(services: SharedInformer<Service>, namespace: string, labels: Record<string, string> | undefined): Set<string> {
  const out = new Set<string>();
  for (const svc of services.indexer.byIndex(NAMESPACE_INDEX, namespace)) {
    if (selectorMatches(svc.spec?.selector, labels)) out.add(`${namespace}/${svc.metadata.name}`);
  }
  return out;
}
