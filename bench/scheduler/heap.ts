/**
 * What a thread keeps alive: its V8 heap in use right after a full collection, plus the off-heap memory its
 * objects hold (Buffers, ArrayBuffers). The collection is forced through V8's gc extension, enabled at run
 * time when the process was not started with --expose-gc.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

function fullGc(): void {
  if (!collect) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) collect = exposed;
    else {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    }
  }
  collect();
}

export function liveHeapBytes(): number {
  fullGc();
  const h = getHeapStatistics();
  return h.used_heap_size + h.external_memory;
}
