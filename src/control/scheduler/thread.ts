/** The scheduler on its own thread inside `skiff server` (see component-thread.ts); thread-main.ts is the worker. */
import { startComponentThread, type ComponentThread } from '../component-thread.js';

export interface SchedulerThreadOptions {
  kubeconfig: string;
  percentageOfNodesToScore?: number;
  onError?: (err: Error, context: string) => void;
  /** The thread's heap cap (see heap-cap.ts; 0 or absent: V8's own factor). */
  heapGrowingPercent?: number;
}

export type SchedulerThread = ComponentThread;

export function startSchedulerThread(opts: SchedulerThreadOptions): SchedulerThread {
  const data = { kubeconfig: opts.kubeconfig, percentageOfNodesToScore: opts.percentageOfNodesToScore };
  return startComponentThread(new URL('./thread-main.js', import.meta.url), data, 'scheduler thread', opts.onError, opts.heapGrowingPercent);
}
