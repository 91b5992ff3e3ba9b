/**
 * The controller manager on its own thread: `skiff server` runs it beside the API server and the scheduler as a
 * worker, so each gets an event loop, as separate processes of a stock cluster would. The worker
 * (thread-main.ts) runs startControllerManager against the server's kubeconfig, over HTTP.
 */
import { Worker } from 'node:worker_threads';
import type { ControllerOptions } from './context.js';

export interface ControllerThreadOptions {
  kubeconfig: string;
  controllers?: string[];
  options?: Partial<ControllerOptions>;
  onError?: (err: Error, context: string) => void;
}

export type ControllerThreadMessage =
  | { type: 'ready'; ok: boolean }
  | { type: 'error'; message: string; stack?: string; context: string }
  | { type: 'stopped' };

export interface ControllerThread {
  ready: Promise<boolean>;
  stop(): Promise<void>;
}

export function startControllerThread(opts: ControllerThreadOptions): ControllerThread {
  const worker = new Worker(new URL('./thread-main.js', import.meta.url), {
    workerData: { kubeconfig: opts.kubeconfig, controllers: opts.controllers, options: opts.options },
  });
  let settleReady!: (ok: boolean) => void;
  const ready = new Promise<boolean>((r) => (settleReady = r));
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  worker.on('message', (m: ControllerThreadMessage) => {
    if (m.type === 'ready') settleReady(m.ok);
    else if (m.type === 'error') opts.onError?.(Object.assign(new Error(m.message), { stack: m.stack }), m.context);
  });
  worker.on('error', (err) => {
    opts.onError?.(err, 'controller manager thread');
    settleReady(false);
  });
  void exited.then(() => settleReady(false));
  return {
    ready,
    async stop() {
      worker.postMessage('stop');
      const timeout = new Promise<void>((r) => setTimeout(r, 5000).unref());
      await Promise.race([exited, timeout]);
      await worker.terminate();
    },
  };
}
