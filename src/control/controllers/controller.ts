/**
 * The shape every controller has (kwok's and kube-controller-manager's): a constructor that registers informer
 * handlers which only enqueue keys, and `run(signal)` that waits for its caches, then runs workers over a
 * rate-limited queue calling an idempotent `sync(key)` that reads the latest state from listers.
 */
import { isConflict } from '../../client/rest.js';
import { objectKey, type KubeObject } from '../../client/types.js';
import type { WorkQueue } from '../../client/workqueue.js';
import type { ControllerContext } from './context.js';

export interface Controller {
  readonly name: string;
  /** Runs until the signal aborts. */
  run(signal: AbortSignal): Promise<void>;
}

export interface ControllerDescriptor {
  /** Upstream's name for --controllers (e.g. `replicaset`, `deployment`, `garbage-collector`). */
  name: string;
  /** In `*` (upstream disables a few by default, e.g. bootstrap signer). */
  enabledByDefault: boolean;
  create(ctx: ControllerContext): Controller;
}

/** After this many failed syncs of one key, upstream controllers drop it until the next event (maxRetries = 15). */
export const MAX_RETRIES = 15;

/**
 * Waits for `informers` to sync, then runs `workers` loops over `queue` until the signal aborts: a failed sync
 * is retried with the queue's rate limiter (up to MAX_RETRIES), a successful one resets the key's backoff.
 */
export async function runWorkers(
  ctx: ControllerContext,
  name: string,
  queue: WorkQueue<string>,
  informers: readonly { waitForSync(signal?: AbortSignal): Promise<boolean> }[],
  sync: (key: string) => Promise<void>,
  signal: AbortSignal,
  workers = ctx.options.workers,
): Promise<void> {
  signal.addEventListener('abort', () => queue.shutDown(), { once: true });
  if (signal.aborted) return;
  const synced = await Promise.all(informers.map((i) => i.waitForSync(signal)));
  if (!synced.every(Boolean)) return;
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await sync(key);
        queue.forget(key);
      } catch (err) {
        if (signal.aborted) return;
        if (queue.numRequeues(key) < MAX_RETRIES) {
          queue.addRateLimited(key);
        } else {
          ctx.onError(err, `${name}: dropping ${key} out of the queue`);
          queue.forget(key);
        }
        // A conflict means the cache was behind a write: the retry reads the newer object. Not worth a log line.
        if (!isConflict(err)) ctx.onError(err, `${name}: syncing ${key}`);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, workers) }, worker));
}

/** Enqueues `namespace/name` keys of objects an informer reports (the usual handler of a controller's own kind). */
export function enqueueOnChange<T extends KubeObject>(queue: WorkQueue<string>): { onAdd(o: T): void; onUpdate(old: T, o: T): void; onDelete(o: T): void } {
  return {
    onAdd: (o: T) => queue.add(objectKey(o)),
    onUpdate: (_old: T, o: T) => queue.add(objectKey(o)),
    onDelete: (o: T) => queue.add(objectKey(o)),
  };
}
