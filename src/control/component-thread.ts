/**
 * A control-plane component on its own worker thread: `skiff server` runs the scheduler and the controller manager
 * beside the API server this way, so each gets an event loop (and a core), as the separate processes of a stock
 * cluster would. The component still talks HTTP to the server through src/client. One protocol for all of them:
 * the worker says `ready` (true once its caches synced), reports errors, and stops when told `stop`.
 */
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { startHeapCap } from './heap-cap.js';

export type ComponentThreadMessage =
  | { type: 'ready'; ok: boolean }
  | { type: 'error'; message: string; stack?: string; context: string }
  | { type: 'stopped' };

export interface ComponentThread {
  /** Resolves once the component's caches synced and it runs; false if it stopped or failed first. */
  ready: Promise<boolean>;
  stop(): Promise<void>;
  /** Now: 'starting' until ready, 'running' once its caches synced, 'stopped' once it failed or its thread ended. */
  state(): 'starting' | 'running' | 'stopped';
}

/** What the worker is given: its component's data and the thread's heap cap (heap-cap.ts; 0: V8's own factor). */
interface ThreadData {
  component: unknown;
  heapGrowingPercent: number;
}

/**
 * Parent side: starts `entry` (a module calling serveComponentThread, reading `data` with componentData), its heap
 * capped at (1 + heapGrowingPercent/100) times what survived its last full GC (0: V8's own factor).
 */
export function startComponentThread(entry: URL, data: unknown, name: string, onError?: (err: Error, context: string) => void, heapGrowingPercent = 0): ComponentThread {
  const worker = new Worker(entry, { workerData: { component: data, heapGrowingPercent } satisfies ThreadData });
  let settleReady!: (ok: boolean) => void;
  const ready = new Promise<boolean>((r) => (settleReady = r));
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  worker.on('message', (m: ComponentThreadMessage) => {
    if (m.type === 'ready') settleReady(m.ok);
    else if (m.type === 'error') onError?.(Object.assign(new Error(m.message), { stack: m.stack }), m.context);
  });
  worker.on('error', (err) => {
    onError?.(err, name);
    settleReady(false);
  });
  void exited.then(() => settleReady(false));
  let state: 'starting' | 'running' | 'stopped' = 'starting';
  void ready.then((ok) => (state = ok ? 'running' : 'stopped'));
  void exited.then(() => (state = 'stopped'));
  return {
    ready,
    state: () => state,
    async stop() {
      worker.postMessage('stop');
      // A stuck loop must not hold shutdown: the thread ends either way.
      const timeout = new Promise<void>((r) => setTimeout(r, 5000).unref());
      await Promise.race([exited, timeout]);
      await worker.terminate();
    },
  };
}

export interface RunningComponent {
  ready: Promise<boolean>;
  stop(): Promise<void>;
}

/** Worker side: the `data` startComponentThread was given. */
export const componentData = <T>(): T => (workerData as ThreadData).component as T;

/** Worker side: starts the component (handing it an error reporter), answers `ready`, stops on `stop`. */
export async function serveComponentThread(start: (onError: (err: unknown, context: string) => void) => Promise<RunningComponent>): Promise<void> {
  const port = parentPort!;
  const heapCap = startHeapCap((workerData as ThreadData).heapGrowingPercent);
  const post = (m: ComponentThreadMessage): void => port.postMessage(m);
  const report = (err: unknown, context: string): void => {
    const e = err instanceof Error ? err : new Error(String(err));
    post({ type: 'error', message: e.message, ...(e.stack ? { stack: e.stack } : {}), context });
  };
  try {
    const running = await start(report);
    port.on('message', (m: unknown) => {
      if (m !== 'stop') return;
      heapCap.stop();
      void running.stop().finally(() => {
        post({ type: 'stopped' });
        port.close();
      });
    });
    post({ type: 'ready', ok: await running.ready });
  } catch (err) {
    report(err, 'start');
    post({ type: 'ready', ok: false });
    port.close();
  }
}
