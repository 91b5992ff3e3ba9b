/**
 * Upstream's StaleInformerCache: a sync that finds the informer cache behind this controller's own writes does
 * nothing and runs again shortly. That is expected for a moment after every write, so it is retried quietly
 * instead of going through the error path (which logs and backs off exponentially).
 */
import type { WorkQueue } from '../../../client/workqueue.js';

export class StaleCacheError extends Error {}

/** How soon such a sync looks again (the watch usually delivers our write within milliseconds). */
export const STALE_RETRY_MS = 20;

export function retryWhenStale(queue: WorkQueue<string>, sync: (key: string) => Promise<void>): (key: string) => Promise<void> {
  return async (key) => {
    try {
      await sync(key);
    } catch (err) {
      if (!(err instanceof StaleCacheError)) throw err;
      queue.addAfter(key, STALE_RETRY_MS);
    }
  };
}
