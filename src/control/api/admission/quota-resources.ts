/**
 * Resource lists as quota counts them (upstream's k8s.io/apiserver/pkg/quota/v1 resources.go): name → exact
 * quantity, added, subtracted, masked and compared without floating point, printed as Quantity.String() does.
 */
import {
  compareQuantities, formatExactQuantity, printQuantity, toExactQuantity, type ExactQuantity,
} from '../validation/quantity-canonical.js';

export type ResourceList = Map<string, ExactQuantity>;

export const ZERO: ExactQuantity = { digits: 0n, exp10: 0, format: 'DecimalSI' };
export const ONE: ExactQuantity = { digits: 1n, exp10: 0, format: 'DecimalSI' };

/** A JSON resource list ({"cpu": "100m"}); entries that are not quantities are left out. */
export function parseResourceList(v: unknown): ResourceList {
  const out: ResourceList = new Map();
  if (typeof v !== 'object' || v === null) return out;
  for (const [k, q] of Object.entries(v as Record<string, unknown>)) {
    const parsed = toExactQuantity(q);
    if (parsed) out.set(k, parsed);
  }
  return out;
}

/** As JSON, in canonical form (what status.used holds). */
export function resourceListJson(l: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...l.keys()].sort()) out[k] = formatExactQuantity(l.get(k)!);
  return out;
}

/** a + b exactly, in a's format (as Quantity.Add keeps the receiver's). */
export function addQuantity(a: ExactQuantity, b: ExactQuantity): ExactQuantity {
  const exp = Math.min(a.exp10, b.exp10);
  const digits = a.digits * 10n ** BigInt(a.exp10 - exp) + b.digits * 10n ** BigInt(b.exp10 - exp);
  return { digits, exp10: exp, format: a.digits === 0n ? b.format : a.format };
}

export function negate(q: ExactQuantity): ExactQuantity {
  return { digits: -q.digits, exp10: q.exp10, format: q.format };
}

export const maxQuantity = (a: ExactQuantity, b: ExactQuantity): ExactQuantity => (compareQuantities(a, b) >= 0 ? a : b);
export const isZero = (q: ExactQuantity): boolean => q.digits === 0n;

/** quota.Add: every key of both, summed. */
export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [k, q] of b) {
    const cur = out.get(k);
    out.set(k, cur ? addQuantity(cur, q) : q);
  }
  return out;
}

/** quota.Subtract: a − b over a's keys and b's. */
export function subtractLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [k, q] of b) {
    const cur = out.get(k);
    out.set(k, cur ? addQuantity(cur, negate(q)) : negate(q));
  }
  return out;
}

/** quota.SubtractWithNonNegativeResult. */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, q] of subtractLists(a, b)) out.set(k, q.digits < 0n ? { ...ZERO, format: q.format } : q);
  return out;
}

/** quota.Max per key. */
export function maxLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [k, q] of b) {
    const cur = out.get(k);
    out.set(k, cur ? maxQuantity(cur, q) : q);
  }
  return out;
}

/** quota.Mask: only the named keys. */
export function mask(l: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = new Map();
  for (const n of names) {
    const q = l.get(n);
    if (q) out.set(n, q);
  }
  return out;
}

export function removeZeros(l: ResourceList): ResourceList {
  return new Map([...l].filter(([, q]) => !isZero(q)));
}

/** quota.LessThanOrEqual: which keys of `a` exceed `b` (keys missing from `b` are unlimited). */
export function exceeding(a: ResourceList, b: ResourceList): string[] {
  const out: string[] = [];
  for (const [k, q] of a) {
    const limit = b.get(k);
    if (limit && compareQuantities(q, limit) > 0) out.push(k);
  }
  return out.sort();
}

export function listsEqual(a: ResourceList, b: ResourceList): boolean {
  if (a.size !== b.size) return false;
  for (const [k, q] of a) {
    const o = b.get(k);
    if (!o || compareQuantities(q, o) !== 0) return false;
  }
  return true;
}

/** upstream's prettyPrint: "a=1,b=2", sorted by name. */
export function prettyPrint(l: ResourceList): string {
  return [...l.keys()].sort().map((k) => `${k}=${printQuantity(l.get(k)!)}`).join(',');
}
