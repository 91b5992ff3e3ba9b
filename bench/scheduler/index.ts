/**
 * The scheduler benchmark suite (`npm run bench -- scheduler`). Today: the plugin core (core.ts: WASM core vs
 * TypeScript reference). The end-to-end part (through the API server) plugs in beside it: add a runner here and
 * return its figures next to `core`. `--skip-core` leaves the core part out.
 */
import { runCoreSuite } from './core.js';

export { runCoreSuite, WORKLOADS, benchNode, type CoreFigures, type Workload } from './core.js';

export async function run(args: string[]): Promise<unknown> {
  const core = args.includes('--skip-core') ? null : await runCoreSuite(args);
  return { core };
}
