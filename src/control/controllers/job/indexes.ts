/**
 * Completion indexes as upstream keeps them: ordered, merged intervals, written as "0-2,5" (a pair as "3,4",
 * three or more consecutive numbers as "first-last") in status.completedIndexes and status.failedIndexes.
 */
import { COMPLETION_INDEX_ANNOTATION } from './types.js';

export interface Interval {
  first: number;
  last: number;
}

export const UNKNOWN_INDEX = -1;

/** Parses an indexes string, dropping what lies at or beyond `completions` and any corrupt piece. */
export function parseIndexes(s: string | undefined | null, completions: number): Interval[] {
  if (!s) return [];
  const out: Interval[] = [];
  for (const piece of s.split(',')) {
    const [a, b] = piece.split('-');
    if (!/^\d+$/.test(a ?? '')) continue;
    const first = Number(a);
    if (first >= completions) break;
    let last = first;
    if (b !== undefined) {
      if (!/^\d+$/.test(b)) continue;
      last = Math.min(Number(b), completions - 1);
    }
    const prev = out[out.length - 1];
    if (prev && prev.last === first - 1) prev.last = last;
    else out.push({ first, last });
  }
  return out;
}

export function formatIndexes(iv: readonly Interval[]): string {
  const parts: string[] = [];
  for (const { first, last } of iv) {
    if (last === first) parts.push(String(first));
    else if (last === first + 1) parts.push(`${first},${last}`);
    else parts.push(`${first}-${last}`);
  }
  return parts.join(',');
}

/** The union of two ordered interval lists, adjacent intervals joined. */
export function mergeIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  const push = (x: Interval): void => {
    const prev = out[out.length - 1];
    if (!prev || x.first > prev.last + 1) out.push({ ...x });
    else if (prev.last < x.last) prev.last = x.last;
  };
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) push(a[i]!.first < b[j]!.first ? a[i++]! : b[j++]!);
  while (i < a.length) push(a[i++]!);
  while (j < b.length) push(b[j++]!);
  return out;
}

/** Adds indexes (any order, duplicates allowed). */
export function withIndexes(iv: readonly Interval[], indexes: Iterable<number>): Interval[] {
  const sorted = [...new Set(indexes)].sort((x, y) => x - y);
  return mergeIntervals(iv, sorted.map((n) => ({ first: n, last: n })));
}

export function totalIndexes(iv: readonly Interval[]): number {
  let n = 0;
  for (const x of iv) n += x.last - x.first + 1;
  return n;
}

export function hasIndex(iv: readonly Interval[], ix: number): boolean {
  let lo = 0;
  let hi = iv.length;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    if (iv[mid]!.last >= ix) hi = mid;
    else lo = mid + 1;
  }
  return hi < iv.length && iv[hi]!.first <= ix;
}

/** The first `count` indexes below `completions` not covered by `taken`. */
export function firstPendingIndexes(taken: readonly Interval[], count: number, completions: number): number[] {
  const out: number[] = [];
  let candidate = 0;
  for (const x of taken) {
    for (; candidate < completions && out.length < count && candidate < x.first; candidate++) out.push(candidate);
    if (candidate < x.last + 1) candidate = x.last + 1;
  }
  for (; candidate < completions && out.length < count; candidate++) out.push(candidate);
  return out;
}

/** The pod's completion index from its annotation, or UNKNOWN_INDEX. */
export function completionIndexOf(annotations: Record<string, string> | undefined): number {
  const v = annotations?.[COMPLETION_INDEX_ANNOTATION];
  if (v === undefined || !/^\d+$/.test(v)) return UNKNOWN_INDEX;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : UNKNOWN_INDEX;
}
