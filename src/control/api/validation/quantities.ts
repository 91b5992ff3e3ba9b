/** resource.Quantity strings ("500m", "1Gi", "1e3") as numbers, and container resource requirements. */
import type { FieldError } from '../resource.js';
import { invalid } from './errors.js';
import { isQualifiedName } from './labels.js';
import { compareQuantities, printQuantity, toExactQuantity, type ExactQuantity } from './quantity-canonical.js';

export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** The quantity's value in base units (cores, bytes), or null when it is not a valid quantity. */
export function parseQuantity(q: unknown): number | null {
  const exact = toExactQuantity(q);
  // Via the decimal text, so "0.1" is the nearest double to 0.1 and not 1 × 0.1 computed in floating point.
  return exact === null ? null : Number(`${exact.digits}e${exact.exp10}`);
}

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
// Resources whose requests must equal their limits (extended and hugepages resources cannot overcommit).
const OVERCOMMITTABLE = new Set(['cpu', 'memory', 'ephemeral-storage']);

function validateResourceName(name: string, field: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(field, name, m));
  if (errs.length) return errs;
  if (!name.includes('/') && !STANDARD_CONTAINER_RESOURCES.has(name) && !name.startsWith('hugepages-')) {
    return [invalid(field, name, 'must be a standard resource for containers')];
  }
  return [];
}

function quantityMap(m: unknown): Map<string, ExactQuantity> {
  const out = new Map<string, ExactQuantity>();
  if (m === undefined || m === null || typeof m !== 'object' || Array.isArray(m)) return out;
  for (const [k, v] of Object.entries(m)) {
    const q = toExactQuantity(v);
    if (q !== null) out.set(k, q);
  }
  return out;
}

/** Container `resources`: names, non-negative quantities, and requests not above limits. */
export function validateResourceRequirements(res: unknown, field: string): FieldError[] {
  if (res === undefined || res === null) return [];
  if (typeof res !== 'object' || Array.isArray(res)) return [invalid(field, res, 'must be an object')];
  const r = res as { limits?: unknown; requests?: unknown };
  const errs: FieldError[] = [];
  for (const part of ['limits', 'requests'] as const) {
    const m = r[part];
    if (m === undefined || m === null) continue;
    if (typeof m !== 'object' || Array.isArray(m)) { errs.push(invalid(`${field}.${part}`, m, 'must be a map')); continue; }
    for (const [k, v] of Object.entries(m)) {
      const p = `${field}.${part}[${k}]`;
      errs.push(...validateResourceName(k, p));
      const q = toExactQuantity(v);
      if (q === null) errs.push(invalid(p, v, QUANTITY_FORMAT_ERROR));
      // Upstream prints the value as Quantity.String() does ("-2" for "-2000m"), always as a string.
      else if (q.digits < 0n) errs.push(invalid(p, printQuantity(q), 'must be greater than or equal to 0'));
    }
  }
  // Requests against limits: only when both are given (most pods set requests alone).
  if (r.limits === undefined || r.limits === null || r.requests === undefined || r.requests === null) return errs;
  const limits = quantityMap(r.limits);
  const requests = quantityMap(r.requests);
  for (const [k, req] of requests) {
    const lim = limits.get(k);
    if (lim === undefined) continue;
    // Exact comparison, as Quantity.Cmp; both sides printed as Quantity.String() prints them.
    const cmp = compareQuantities(req, lim);
    if (!OVERCOMMITTABLE.has(k) && cmp !== 0) {
      errs.push(invalid(`${field}.requests`, printQuantity(req), `must be equal to ${k} limit of ${printQuantity(lim)}`));
    } else if (cmp > 0) {
      errs.push(invalid(`${field}.requests`, printQuantity(req), `must be less than or equal to ${k} limit of ${printQuantity(lim)}`));
    }
  }
  return errs;
}
