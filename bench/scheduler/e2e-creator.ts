/**
 * Worker thread for the end-to-end scheduler benchmark: creates the measured pods through the API, `concurrency`
 * in flight, the way controllers or users in other processes would; the scheduler's thread then only schedules.
 * Each pod's creation time (performance.timeOrigin-based ms) goes into the shared `created` array; posts
 * `{ done: true }` when every create was answered, or `{ error }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RestClient } from '../../src/client/rest.js';
import { Pods } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import { pool } from '../runner/index.js';
import { WORKLOADS } from './core.js';

export interface CreatorData {
  url: string;
  workload: string;
  pods: number;
  concurrency: number;
  /** Float64Array over this buffer: creation time of measured pod i, absolute ms. */
  created: SharedArrayBuffer;
  /** Progress bar label; none when omitted. */
  label?: string;
}

const d = workerData as CreatorData;
const w = WORKLOADS.find((x) => x.name === d.workload);
const created = new Float64Array(d.created);
const client = new RestClient({ server: d.url }, { maxSockets: d.concurrency, userAgent: 'skiff-bench-creator' });
try {
  if (!w) throw new Error(`unknown workload ${d.workload}`);
  await pool(d.pods, d.concurrency, (i) => {
    created[i] = performance.timeOrigin + performance.now();
    return client.create(Pods, w.pod(i, 'measure') as KubeObject);
  }, d.label);
  parentPort!.postMessage({ done: true });
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message });
} finally {
  client.close();
}
