/**
 * The bridge's view of the WASM module's linear memory: a bump allocator over the space after the module's
 * static data, growing memory ahead of need (doubling) and re-creating the typed-array views after each grow,
 * since a grow detaches the old ArrayBuffer.
 */
import type { WasmMemory } from './loader.js';

export class LinearMemory {
  f64!: Float64Array;
  i32!: Int32Array;
  u8!: Uint8Array;
  private top: number;

  constructor(private readonly memory: WasmMemory, base: number) {
    this.top = (base + 15) & ~15;
    this.refresh();
  }

  /** A fresh zeroed region of `bytes`, 16-byte aligned (so f64 columns and v128 loads stay aligned). */
  alloc(bytes: number): number {
    const p = (this.top + 15) & ~15;
    this.top = p + Math.max(16, bytes);
    this.ensure(this.top);
    this.u8.fill(0, p, p + bytes);
    return p;
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const needPages = Math.ceil((end - have) / 65536);
    const pages = Math.max(needPages, Math.ceil(have / 65536 / 2));
    this.memory.grow(pages);
    this.refresh();
  }

  refresh(): void {
    const b = this.memory.buffer;
    this.f64 = new Float64Array(b);
    this.i32 = new Int32Array(b);
    this.u8 = new Uint8Array(b);
  }

  bytes(): number { return this.memory.buffer.byteLength; }
}
