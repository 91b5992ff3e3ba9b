/**
 * Worker thread for the end-to-end scheduler benchmark: the API server on a fresh sqlite store, listening on
 * 127.0.0.1 (a free port). It runs in its own thread so the server and the scheduler each get a core, as two
 * processes would; RSS is still measured for the whole process. Posts `{ port }` when listening and closes on
 * the message 'close'; answers 'cpu' with its own thread's CPU time (`{ cpuNs }`) and 'heap' with its V8 heap
 * in use after a full GC plus its off-heap buffers (`{ heapBytes }`).
 */
import { readFileSync } from 'node:fs';
import { liveHeapBytes } from './heap.js';
import { parentPort, workerData } from 'node:worker_threads';
import type { AddressInfo } from 'node:net';
import { buildServer } from '../../src/control/api/server.js';
import { join } from 'node:path';
import { SQLITE_FILE } from '../../src/control/storage/index.js';
import { SqliteStore } from '../../src/control/storage/sqlite.js';

const { dataDir, synchronous } = workerData as { dataDir: string; synchronous: 'full' | 'normal' };
const store = SqliteStore.open(join(dataDir, SQLITE_FILE), { synchronous });
const server = await buildServer({ store, compactIntervalMs: 0 });
await server.app.listen({ host: '127.0.0.1', port: 0 });
parentPort!.postMessage({ port: (server.app.server.address() as AddressInfo).port });
/** This thread's on-CPU time (ns) from /proc/thread-self/schedstat (Linux); -1 where unavailable. */
const threadCpuNs = (): number => {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  } catch {
    return -1;
  }
};
parentPort!.on('message', async (m: unknown) => {
  if (m === 'cpu') return parentPort!.postMessage({ cpuNs: threadCpuNs() });
  if (m === 'heap') return parentPort!.postMessage({ heapBytes: liveHeapBytes() });
  if (m !== 'close') return;
  await server.close();
  await store.close();
  parentPort!.postMessage({ closed: true });
});
