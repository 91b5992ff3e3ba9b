/** resource.Quantity strings ("500m", "1Gi", "1e3"): parsing, and container resource requirements. */
import type { FieldError } from '../resource.js';
import { invalid } from './errors.js';
import { isQualifiedName } from './labels.js';

const QUANTITY_RE = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const SUFFIX: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** The quantity's value in base units (cores, bytes), or null when it is not a valid quantity. */
export function parseQuantity(q: unknown): number | null {
  if (typeof q === 'number') return Number.isFinite(q) ? q : null;
  if (typeof q !== 'string') return null;
  const m = QUANTITY_RE.exec(q.trim());
  if (!m) return null;
  const num = m[1]!;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(num)) return null;
  const suffix = m[2]!;
  let mult: number | undefined = SUFFIX[suffix];
  if (mult === undefined) {
    const e = /^[eE]([-+]?\d+)$/.exec(suffix);
    if (!e) return null;
    mult = 10 ** parseInt(e[1]!, 10);
  }
  return parseFloat(num) * mult;
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

function quantityMap(m: unknown): Map<string, number> {
  const out = new Map<string, number>();
  if (m === undefined || m === null || typeof m !== 'object' || Array.isArray(m)) return out;
  for (const [k, v] of Object.entries(m)) {
    const n = parseQuantity(v);
    if (n !== null) out.set(k, n);
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
      const n = parseQuantity(v);
      if (n === null) errs.push(invalid(p, v, QUANTITY_FORMAT_ERROR));
      else if (n < 0) errs.push(invalid(p, v, 'must be greater than or equal to 0'));
    }
  }
  const limits = quantityMap(r.limits);
  const requests = quantityMap(r.requests);
  for (const [k, req] of requests) {
    const lim = limits.get(k);
    if (lim === undefined) continue;
    const reqText = String((r.requests as Record<string, unknown>)[k]);
    const limText = String((r.limits as Record<string, unknown>)[k]);
    if (!OVERCOMMITTABLE.has(k) && req !== lim) {
      errs.push(invalid(`${field}.requests`, reqText, `must be equal to ${k} limit of ${limText}`));
    } else if (req > lim) {
      errs.push(invalid(`${field}.requests`, reqText, `must be less than or equal to ${k} limit of ${limText}`));
    }
  }
  return errs;
}
