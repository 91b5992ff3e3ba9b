/** Worker entry for thread.ts: runs the controller manager until the parent says 'stop'. */
import { parentPort, workerData } from 'node:worker_threads';
import type { ControllerOptions } from './context.js';
import { startControllerManager } from './start.js';
import type { ControllerThreadMessage } from './thread.js';

const data = workerData as { kubeconfig: string; controllers?: string[]; options?: Partial<ControllerOptions> };
const port = parentPort!;
const post = (m: ControllerThreadMessage): void => port.postMessage(m);

try {
  const running = await startControllerManager({
    kubeconfig: data.kubeconfig,
    controllers: data.controllers,
    options: data.options,
    // One manager per server process: the server's own copy needs no election against itself, but a second
    // `skiff controller-manager` pointed at the same server must not act beside it, so it still elects.
    onError: (err, context) => {
      const e = err instanceof Error ? err : new Error(String(err));
      post({ type: 'error', message: e.message, ...(e.stack ? { stack: e.stack } : {}), context });
    },
  });
  port.on('message', (m: unknown) => {
    if (m !== 'stop') return;
    void running.stop().finally(() => {
      post({ type: 'stopped' });
      port.close();
    });
  });
  post({ type: 'ready', ok: await running.ready });
} catch (err) {
  const e = err as Error;
  post({ type: 'error', message: e.message, ...(e.stack ? { stack: e.stack } : {}), context: 'start' });
  post({ type: 'ready', ok: false });
  port.close();
}
