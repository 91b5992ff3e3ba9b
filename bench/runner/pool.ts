import { progress } from './progress.js';

/** Runs `op(i)` for i in [0, n) with `concurrency` in flight. */
export async function pool(n: number, concurrency: number, op: (i: number) => Promise<unknown>, label?: string): Promise<void> {
  let next = 0;
  const bar = label ? progress(label, n) : null;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      await op(i);
      bar?.tick();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  bar?.done();
}
