/** Worker entry for thread.ts: runs the scheduler until the parent says 'stop'. */
import { componentData, serveComponentThread } from '../component-thread.js';
import { startScheduler } from './start.js';

const { kubeconfig, percentageOfNodesToScore } = componentData<{ kubeconfig: string; percentageOfNodesToScore?: number }>();

await serveComponentThread((onError) =>
  startScheduler({ kubeconfig, ...(percentageOfNodesToScore !== undefined ? { percentageOfNodesToScore } : {}), onError }),
);
