/** Worker entry for thread.ts: runs the scheduler until the parent says 'stop'. */
import { workerData } from 'node:worker_threads';
import { serveComponentThread } from '../component-thread.js';
import { startScheduler } from './start.js';

const { kubeconfig, percentageOfNodesToScore } = workerData as { kubeconfig: string; percentageOfNodesToScore?: number };

await serveComponentThread((onError) =>
  startScheduler({ kubeconfig, ...(percentageOfNodesToScore !== undefined ? { percentageOfNodesToScore } : {}), onError }),
);
