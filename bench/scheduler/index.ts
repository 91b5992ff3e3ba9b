/**
 * The scheduler benchmark suite (`npm run bench -- scheduler`): the plugin core (core.ts: WASM core vs the
 * TypeScript reference on the same data) and end to end through the API server on sqlite (e2e.ts: pods/s from
 * creation to bound). `--skip-core` / `--skip-e2e` leave a part out; e2e.ts documents its `--e2e-*` flags.
 * `--server-memory` also measures the real `skiff server` process's RSS at scale (server-memory.ts).
 */
import { runCoreSuite } from './core.js';
import { runE2ESuite } from './e2e.js';
import { runServerMemory } from './server-memory.js';

export { runCoreSuite, WORKLOADS, benchNode, type CoreFigures, type Workload } from './core.js';
export { runE2ESuite } from './e2e.js';

export async function run(args: string[]): Promise<unknown> {
  const core = args.includes('--skip-core') ? null : await runCoreSuite(args);
  const e2e = args.includes('--skip-e2e') ? null : await runE2ESuite(args);
  const serverMemory = args.includes('--server-memory') ? await runServerMemory(args) : null;
  return { core, e2e, serverMemory };
}
