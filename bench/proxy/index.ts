/**
 * The proxy benchmark suite (`npm run bench -- proxy`): compile figures (compile.ts: WASM vs the TypeScript
 * reference), then apply timings in the kernel inside a scratch netns (apply.ts). `--skip-compile` /
 * `--skip-apply` leave either out; apply.ts documents its own flags.
 */
import { flag } from '../runner/index.js';
import { runCompileSuite } from './compile.js';
import { runApplySuite } from './apply.js';

export { runCompileSuite, benchModel, BENCH_CONFIG, type CompileFigures } from './compile.js';
export { runApplySuite } from './apply.js';

export async function run(args: string[]): Promise<unknown> {
  const skip = (name: string) => args.includes(`--skip-${name}`) || flag(args, `skip-${name}`) !== undefined;
  const compile = skip('compile') ? null : await runCompileSuite(args);
  const apply = skip('apply') ? null : await runApplySuite(args);
  return { compile, apply };
}
