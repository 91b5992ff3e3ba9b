/** Worker entry for thread.ts: runs the scheduler until the parent says 'stop'. */
import { parentPort, workerData } from 'node:worker_threads';
import { startScheduler } from './start.js';
import type { SchedulerThreadMessage } from './thread.js';

const { kubeconfig, percentageOfNodesToScore } = workerData as { kubeconfig: string; percentageOfNodesToScore?: number };
const port = parentPort!;
const post = (m: SchedulerThreadMessage): void => port.postMessage(m);

try {
  const running = await startScheduler({
    kubeconfig,
    ...(percentageOfNodesToScore !== undefined ? { percentageOfNodesToScore } : {}),
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
