/** Key ranges and argument checks shared by the backends. */

/**
 * The smallest key greater than every key starting with `prefix` (etcd's prefix range end), or null when no
 * such key exists (empty prefix, or a prefix of only U+10FFFF). Computed on code points, whose order is UTF-8
 * byte order, so SQLite's BINARY collation and etcd agree with it.
 */
export function prefixEnd(prefix: string): string | null {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    let next = last + 1;
    if (next === 0xd800) next = 0xe000; // skip the surrogate block, never a code point of its own
    if (next <= 0x10ffff) return points.join('') + String.fromCodePoint(next);
  }
  return null;
}

/** Code-point (= UTF-8 byte) order, which differs from `<` on strings only past U+FFFF. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length < b.length ? -1 : 1;
}

export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError(`storage key must be a non-empty string, got ${describe(key)}`);
}

export function checkValue(value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`storage value must be a Uint8Array, got ${describe(value)}`);
}

/** Expected modRevisions name an existing write, so they are positive integers. */
export function checkModRevision(rev: unknown): asserts rev is number {
  if (typeof rev !== 'number' || !Number.isSafeInteger(rev) || rev < 1) {
    throw new RangeError(`expected modRevision must be a positive integer, got ${describe(rev)}`);
  }
}

/** Read revisions: 0 or absent means "current". */
export function checkReadRevision(rev: unknown): asserts rev is number | undefined {
  if (rev === undefined) return;
  if (typeof rev !== 'number' || !Number.isSafeInteger(rev) || rev < 0) {
    throw new RangeError(`revision must be a non-negative integer, got ${describe(rev)}`);
  }
}

export function checkLimit(limit: unknown): asserts limit is number | undefined {
  if (limit === undefined) return;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) {
    throw new RangeError(`limit must be a non-negative integer, got ${describe(limit)}`);
  }
}

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : v === null ? 'null' : typeof v === 'object' ? (v.constructor?.name ?? 'object') : String(v);
}
