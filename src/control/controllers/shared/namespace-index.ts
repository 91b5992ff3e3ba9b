/**
 * One index of objects by namespace per shared informer, for every controller that reads a namespace's objects
 * (the endpoint controllers, resource quota). Two names for the same index held each pod twice more in the
 * controller manager's heap (a Map entry a pod per index, ~50 B at 10,000 pods).
 */
import type { SharedInformer } from '../../../client/informer.js';
import type { KubeObject } from '../../../client/types.js';

export const NAMESPACE_INDEX = 'namespace';

/** Adds the index unless a controller on the same shared informer did already. */
export function indexByNamespace<T extends KubeObject>(inf: SharedInformer<T>): void {
  inf.indexer.ensureIndexer(NAMESPACE_INDEX, (o) => [o.metadata?.namespace ?? '']);
}
