/**
 * A heap growing cap for one worker thread. V8's --heap-growing-percent is the process's, so setting it would cap
 * the API server's thread too, where GC costs request throughput; V8's own factor lets a component thread's heap
 * reach up to 4 times what survived its last full GC. Here the thread checks its own heap now and then and
 * collects it (a full, synchronous GC of this thread's heap only) once it holds more than (1 + percent/100) times
 * what the last collection left. The scheduler and the controller manager hold every pod in their informers, so
 * their heaps are large and mostly live, and a pause of theirs costs latency, not the API server's throughput.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Growth below this never triggers a collection: a small heap is not worth a full GC's pause. */
const FLOOR_BYTES = 16 * 2 ** 20;
const CHECK_EVERY_MS = 1000;

/**
 * Whether an old generation using `used` bytes, of which `live` survived the last full GC, has outgrown the cap.
 * The young generation is left out: scavenges keep it small, and its use swings by megabytes between two checks.
 */
export function heapCapDue(used: number, live: number, growingPercent: number, floorBytes = FLOOR_BYTES): boolean {
  return used - live > Math.max(floorBytes, (live * growingPercent) / 100);
}

export interface HeapCap {
  /** Full collections this cap has made. */
  collections(): number;
  stop(): void;
}

/** Starts the cap on the calling thread (0: none, V8's own factor). */
export function startHeapCap(growingPercent: number, everyMs = CHECK_EVERY_MS): HeapCap {
  let count = 0;
  if (growingPercent <= 0) return { collections: () => count, stop: () => {} };
  // expose-gc only adds `gc` to contexts made from now on: this one, and any vm context made later.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const used = () => {
    let n = 0;
    for (const s of getHeapSpaceStatistics()) if (!s.space_name.startsWith('new_')) n += s.space_used_size;
    return n;
  };
  let live = used();
  const timer = setInterval(() => {
    const now = used();
    // V8 collected on its own meanwhile: what it left is the better figure.
    if (now < live) live = now;
    if (!heapCapDue(now, live, growingPercent)) return;
    gc();
    count++;
    live = used();
  }, everyMs);
  timer.unref();
  return { collections: () => count, stop: () => clearInterval(timer) };
}
