/**
 * benchmark.js for micro-benchmarks (statistically sound ops/s with a margin of error), e.g. a WASM core
 * against its TypeScript twin on the same input. Async cases are run as deferred benchmarks.
 */
import Benchmark from 'benchmark';

export interface Case {
  name: string;
  fn: () => unknown | Promise<unknown>;
  async?: boolean;
}

export interface CaseResult {
  name: string;
  opsPerSec: number;
  /** Relative margin of error, percent. */
  rme: number;
  samples: number;
  meanMs: number;
}

export function compareCases(cases: Case[], options: { minSamples?: number; maxTime?: number } = {}): Promise<CaseResult[]> {
  return new Promise((resolve, reject) => {
    const suite = new Benchmark.Suite();
    for (const c of cases) {
      const common = { minSamples: options.minSamples ?? 5, maxTime: options.maxTime ?? 2 };
      if (c.async) {
        suite.add(c.name, {
          ...common,
          defer: true,
          fn: (deferred: { resolve(): void }) => void Promise.resolve(c.fn()).then(() => deferred.resolve(), reject),
        });
      } else {
        suite.add(c.name, c.fn, common);
      }
    }
    suite.on('error', (e: { target: { error?: unknown } }) => reject(e.target.error));
    suite.on('complete', function (this: Benchmark.Suite) {
      const out: CaseResult[] = [];
      this.forEach((b: Benchmark) => {
        out.push({ name: String(b.name), opsPerSec: b.hz, rme: b.stats.rme, samples: b.stats.sample.length, meanMs: b.stats.mean * 1000 });
      });
      resolve(out);
    });
    suite.run({ async: true });
  });
}
