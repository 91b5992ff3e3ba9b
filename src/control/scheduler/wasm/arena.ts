/**
 * Variable-length per-node lists (labels, taints, images, host ports) in linear memory: each node row owns
 * a slice (offset and length columns in the node table). A row rewritten with no more elements reuses its
 * slice; a longer one is appended at the tail; when the tail runs out the arena is re-laid out compactly into
 * a region twice the size. Lanes let one list carry parallel i32 and f64 values (image id and size).
 */
import type { LinearMemory } from './memory.js';

export class Arena {
  /** Base pointers, one per lane; published in the header after every relayout. */
  ptrs: number[];
  private capacity: number;
  private tail = 0;
  private rowCap: number[] = [];

  constructor(
    private readonly mem: LinearMemory,
    private readonly laneBytes: (4 | 8)[],
    initial: number,
    /** Pointers of the i32 off and len columns (re-read on every call: the node table may move them). */
    private readonly cols: () => { off: number; len: number },
  ) {
    this.capacity = initial;
    this.ptrs = laneBytes.map((b) => mem.alloc(initial * b));
  }

  /** Writes `lanes[k][j]` as element j of row `row`. */
  set(row: number, lanes: ArrayLike<number>[], n: number): void {
    let off: number;
    if (n <= (this.rowCap[row] ?? 0)) {
      off = this.mem.i32[(this.cols().off >> 2) + row]!;
    } else {
      if (this.tail + n > this.capacity) this.relayout(n);
      off = this.tail;
      this.tail += n;
      this.rowCap[row] = n;
      this.mem.i32[(this.cols().off >> 2) + row] = off;
    }
    this.mem.i32[(this.cols().len >> 2) + row] = n;
    this.laneBytes.forEach((b, k) => {
      const src = lanes[k]!;
      if (b === 4) { const base = (this.ptrs[k]! >> 2) + off; for (let j = 0; j < n; j++) this.mem.i32[base + j] = src[j]!; }
      else { const base = (this.ptrs[k]! >> 3) + off; for (let j = 0; j < n; j++) this.mem.f64[base + j] = src[j]!; }
    });
  }

  /** Row `from` (the last row) now lives at row `to`; its off/len columns were moved by the node table. */
  moveRow(from: number, to: number): void {
    this.rowCap[to] = this.rowCap[from] ?? 0;
    this.rowCap[from] = 0;
  }

  clearRow(row: number): void {
    this.rowCap[row] = 0;
  }

  private relayout(extra: number): void {
    const rows = this.rowCap.length;
    const { off: offPtr, len: lenPtr } = this.cols();
    let live = 0;
    for (let r = 0; r < rows; r++) live += this.mem.i32[(lenPtr >> 2) + r]!;
    const capacity = Math.max(1024, 2 * (live + extra), this.capacity);
    const ptrs = this.laneBytes.map((b) => this.mem.alloc(capacity * b));
    const offs: number[] = [];
    let tail = 0;
    for (let r = 0; r < rows; r++) {
      if (!(this.rowCap[r]! > 0)) { offs.push(0); continue; }
      const len = this.mem.i32[(lenPtr >> 2) + r]!;
      const old = this.mem.i32[(offPtr >> 2) + r]!;
      this.laneBytes.forEach((b, k) => {
        if (b === 4) this.mem.i32.copyWithin((ptrs[k]! >> 2) + tail, (this.ptrs[k]! >> 2) + old, (this.ptrs[k]! >> 2) + old + len);
        else this.mem.f64.copyWithin((ptrs[k]! >> 3) + tail, (this.ptrs[k]! >> 3) + old, (this.ptrs[k]! >> 3) + old + len);
      });
      offs.push(tail);
      this.rowCap[r] = len;
      tail += len;
    }
    for (let r = 0; r < rows; r++) if (this.rowCap[r]! > 0) this.mem.i32[(offPtr >> 2) + r] = offs[r]!;
    this.ptrs = ptrs;
    this.capacity = capacity;
    this.tail = tail;
  }
}
