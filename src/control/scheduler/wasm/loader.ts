/**
 * Finds and instantiates build/scheduler.wasm. The module sits at <repo>/build/scheduler.wasm; this file runs
 * either from src/control/scheduler/wasm (vitest) or dist/src/control/scheduler/wasm (after tsc), so we walk up
 * from this module's directory until a build/scheduler.wasm appears.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The part of WebAssembly.Memory the bridge uses (lib ES2022 has no WebAssembly types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<{ exports: object }>;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface SchedulerExports {
  memory: WasmMemory;
  heapBase(): number;
  setRng(state: number): void;
  getRng(): number;
  schedule(header: number): number;
}

let compiled: Promise<object> | null = null;

export function locateSchedulerWasm(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'build', 'scheduler.wasm');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error('build/scheduler.wasm not found: run `npm run build:wasm:scheduler`');
}

export async function instantiateScheduler(): Promise<SchedulerExports> {
  compiled ??= WA.compile(readFileSync(locateSchedulerWasm()));
  const instance = await WA.instantiate(await compiled, {
    env: {
      log: Math.log,
      abort: (_msg: number, _file: number, line: number, col: number) => {
        throw new Error(`scheduler.wasm aborted at ${line}:${col}`);
      },
    },
  });
  return instance.exports as unknown as SchedulerExports;
}
