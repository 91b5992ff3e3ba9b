/**
 * The scheduler on its own thread: `skiff server` runs it beside the API server as a worker, so the two get a
 * core each, as the separate processes of a stock cluster would, instead of sharing one event loop. The worker
 * (thread-main.ts) runs startScheduler against the server's kubeconfig, over HTTP as before.
 */
import { Worker } from 'node:worker_threads';

export interface SchedulerThreadOptions {
  kubeconfig: string;
  percentageOfNodesToScore?: number;
  onError?: (err: Error, context: string) => void;
}

/** Messages from thread-main.ts. */
export type SchedulerThreadMessage =
  | { type: 'ready'; ok: boolean }
  | { type: 'error'; message: string; stack?: string; context: string }
  | { type: 'stopped' };

export interface SchedulerThread {
  /** Resolves once the scheduler's caches synced and its loop runs; false if it stopped or failed first. */
  ready: Promise<boolean>;
  stop(): Promise<void>;
}

export function startSchedulerThread(opts: SchedulerThreadOptions): SchedulerThread {
  const worker = new Worker(new URL('./thread-main.js', import.meta.url), {
    workerData: { kubeconfig: opts.kubeconfig, percentageOfNodesToScore: opts.percentageOfNodesToScore },
  });
  let settleReady!: (ok: boolean) => void;
  const ready = new Promise<boolean>((r) => (settleReady = r));
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  worker.on('message', (m: SchedulerThreadMessage) => {
    if (m.type === 'ready') settleReady(m.ok);
    else if (m.type === 'error') opts.onError?.(Object.assign(new Error(m.message), { stack: m.stack }), m.context);
  });
  worker.on('error', (err) => {
    opts.onError?.(err, 'scheduler thread');
    settleReady(false);
  });
  void exited.then(() => settleReady(false));
  return {
    ready,
    async stop() {
      worker.postMessage('stop');
      // A stuck loop must not hold shutdown: the thread ends either way.
      const timeout = new Promise<void>((r) => setTimeout(r, 5000).unref());
      await Promise.race([exited, timeout]);
      await worker.terminate();
    },
  };
}
