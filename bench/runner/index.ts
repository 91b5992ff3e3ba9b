/** What a benchmark suite imports: `import { measureOps, printTable, … } from '../runner/index.js'`. */
export { printTable, formatTable, fmtNum, fmtMs, fmtOps, fmtMiB, fmtRatio, type Cell } from './table.js';
export { writeResults, machine, RESULTS_DIR, type ResultsFile } from './results.js';
export { progress, type Progress } from './progress.js';
export { measureOps, measureLatency, median, percentiles, peakRss, withRssSampling, nowMs, type Latency, type Throughput, type OpsOptions } from './measure.js';
export { compareCases, type Case, type CaseResult } from './benchjs.js';
export { flag, numberFlag } from './args.js';
export { pool } from './pool.js';
