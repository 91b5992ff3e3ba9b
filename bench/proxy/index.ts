/**
 * The proxy benchmark suite (`npm run bench -- proxy`): compile figures (compile.ts), then, when
 * bench/proxy/apply.ts exists and exports `runApplySuite(args): Promise<unknown>`, its apply timings (kernel
 * loads in a test netns, owned by the dataplane side). `--skip-compile` / `--skip-apply` leave either out.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { flag } from '../runner/index.js';
import { runCompileSuite } from './compile.js';

export { runCompileSuite, benchModel, BENCH_CONFIG, type CompileFigures } from './compile.js';

interface ApplyModule {
  runApplySuite(args: string[]): Promise<unknown>;
}

export async function run(args: string[]): Promise<unknown> {
  const skip = (name: string) => args.includes(`--skip-${name}`) || flag(args, `skip-${name}`) !== undefined;
  const compile = skip('compile') ? null : await runCompileSuite(args);
  let apply: unknown = null;
  if (!skip('apply') && existsSync(fileURLToPath(new URL('./apply.js', import.meta.url)))) {
    const mod = (await import(new URL('./apply.js', import.meta.url).href)) as Partial<ApplyModule>;
    if (typeof mod.runApplySuite === 'function') apply = await mod.runApplySuite(args);
  }
  return { compile, apply };
}
