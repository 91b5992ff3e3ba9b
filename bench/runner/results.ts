/** Writes a suite's figures to bench/results/<suite>.json with the machine they were measured on. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/** bench/results/ in the source tree (this file runs from dist/bench/runner/). */
export const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));

export interface ResultsFile {
  suite: string;
  args: string[];
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  results: unknown;
}

export function machine(): ResultsFile['machine'] {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Returns the path written. */
export function writeResults(suite: string, args: string[], results: unknown, dir = RESULTS_DIR): string {
  mkdirSync(dir, { recursive: true });
  const file = `${dir.replace(/\/$/, '')}/${suite}.json`;
  const body: ResultsFile = { suite, args, date: new Date().toISOString(), machine: machine(), results };
  writeFileSync(file, JSON.stringify(body, null, 2) + '\n');
  return file;
}
