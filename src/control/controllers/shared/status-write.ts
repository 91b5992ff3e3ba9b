/**
 * An owner's status written as upstream's workload controllers write it: through the status subresource; on a
 * conflict the object is read again once and the write retried (statusUpdateRetries = 1), any other failure goes
 * to the caller (the key is requeued with backoff). A 404 means the object was deleted since the informer's copy
 * was read (or between the conflict and the re-read): there is no status left to record, and the sync ends there
 * (undefined).
 */
import { isConflict, isNotFound, type RestClient } from '../../../client/rest.js';
import type { ResourceRef } from '../../../client/resources.js';
import type { KubeObject } from '../../../client/types.js';

export async function writeStatus<T extends KubeObject>(client: RestClient, ref: ResourceRef, obj: T, withStatus: (target: T) => T): Promise<T | undefined> {
  let target = obj;
  for (let attempt = 0; ; attempt++) {
    try {
      if (attempt > 0) target = await client.get<T>(ref, obj.metadata?.name ?? '', obj.metadata?.namespace);
      return await client.update<T>(ref, withStatus(target), { subresource: 'status' });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      if (attempt >= 1 || !isConflict(err)) throw err;
    }
  }
}
