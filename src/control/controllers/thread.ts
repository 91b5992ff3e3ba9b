/** The controller manager on its own thread inside `skiff server` (see component-thread.ts); thread-main.ts is the worker. */
import { startComponentThread, type ComponentThread } from '../component-thread.js';
import type { ControllerOptions } from './context.js';

export interface ControllerThreadOptions {
  kubeconfig: string;
  controllers?: string[];
  options?: Partial<ControllerOptions>;
  onError?: (err: Error, context: string) => void;
  /** The thread's heap cap (see heap-cap.ts; 0 or absent: V8's own factor). */
  heapGrowingPercent?: number;
}

export type ControllerThread = ComponentThread;

export function startControllerThread(opts: ControllerThreadOptions): ControllerThread {
  const data = { kubeconfig: opts.kubeconfig, controllers: opts.controllers, options: opts.options };
  return startComponentThread(new URL('./thread-main.js', import.meta.url), data, 'controller manager thread', opts.onError, opts.heapGrowingPercent);
}
