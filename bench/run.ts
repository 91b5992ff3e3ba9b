/**
 * Benchmark entry point.
 *
 *   npm run bench -- <suite> [args]        (builds, then runs node dist/bench/run.js <suite> [args])
 *
 * A suite is bench/<suite>/index.ts exporting
 *
 *   export async function run(args: string[]): Promise<unknown>
 *
 * It measures, prints its own tables (runner's printTable) and returns its figures as a JSON-able value, which
 * this file writes to bench/results/<suite>.json together with the date, the arguments and the machine.
 * Suites are found by dynamic import of ./<suite>/index.js next to the compiled run.js.
 *
 * bench/runner/ (import from '../runner/index.js'):
 * - measureOps(op, { concurrency, ops | seconds, label }) → ops/s and latency percentiles; measureLatency(fn, runs)
 * - percentiles(samples), peakRss(), withRssSampling(fn) for memory
 * - compareCases([{ name, fn }]) → benchmark.js ops/s ± rme, for micro-benchmarks (WASM vs TypeScript)
 * - printTable(title, header, rows), fmtNum / fmtMs / fmtOps / fmtMiB / fmtRatio
 * - progress(label, total) on stderr (terminals only), flag(args, name) / numberFlag(args, name, default)
 */
import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeResults } from './runner/results.js';

interface SuiteModule {
  run(args: string[]): Promise<unknown>;
}

function suites(): string[] {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return readdirSync(here, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'runner' && existsSync(`${here}/${d.name}/index.js`))
    .map((d) => d.name)
    .sort();
}

async function main(argv: string[]): Promise<number> {
  const [suite, ...args] = argv;
  if (!suite || suite === '--help' || suite === '-h') {
    console.error(`usage: npm run bench -- <suite> [args]\nsuites: ${suites().join(', ') || '(none built)'}`);
    return suite ? 0 : 2;
  }
  if (!/^[a-z0-9][a-z0-9-]*$/.test(suite) || !suites().includes(suite)) {
    console.error(`unknown benchmark suite ${JSON.stringify(suite)}; suites: ${suites().join(', ') || '(none built)'}`);
    return 2;
  }
  const mod = (await import(`./${suite}/index.js`)) as Partial<SuiteModule>;
  if (typeof mod.run !== 'function') {
    console.error(`bench/${suite}/index.ts does not export run(args)`);
    return 2;
  }
  const results = await mod.run(args);
  const file = writeResults(suite, args, results ?? null);
  console.log(`\nresults written to ${file}`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
