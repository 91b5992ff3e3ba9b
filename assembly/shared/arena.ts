// A bump arena over linear memory past everything the AssemblyScript runtime allocated at start-up. Each
// compile call resets it, so nothing is ever freed one by one and the hot paths allocate nothing from the
// runtime (the stub runtime would otherwise hand out the same pages).

let base: usize = 0;
let top: usize = 0;

function ensure(end: usize): void {
  const have = <usize>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) unreachable();
  }
}

/** Start of the arena (fixed after the first call). */
export function arenaBase(): usize {
  if (base == 0) {
    base = (heap.alloc(16) + 16 + 15) & ~<usize>15;
    top = base;
  }
  return base;
}

/** Forget every allocation made after `mark` (a value from arenaMark). */
export function arenaReset(mark: usize): void {
  top = mark;
}

export function arenaMark(): usize {
  return top;
}

/** `n` bytes, 16-aligned, memory grown as needed. */
export function arenaAlloc(n: usize): usize {
  arenaBase();
  const p = top;
  top = (p + n + 15) & ~<usize>15;
  ensure(top);
  return p;
}
