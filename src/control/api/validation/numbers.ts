/** Integer field checks shared by many kinds (replicas, limits, seconds). */
import type { FieldError } from '../resource.js';
import { invalid } from './errors.js';

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export function validateNonnegative(v: unknown, field: string): FieldError[] {
  if (v === undefined || v === null) return [];
  if (!isInt(v)) return [invalid(field, v, 'must be an integer')];
  return v < 0 ? [invalid(field, v, 'must be greater than or equal to 0')] : [];
}

export function validatePositive(v: unknown, field: string): FieldError[] {
  if (v === undefined || v === null) return [];
  if (!isInt(v)) return [invalid(field, v, 'must be an integer')];
  return v <= 0 ? [invalid(field, v, 'must be greater than zero')] : [];
}

/** A percent string ("25%") or a non-negative integer (rolling-update maxSurge/maxUnavailable). */
export function validateIntOrPercent(v: unknown, field: string): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') {
    if (!/^[0-9]+%$/.test(v)) {
      return [invalid(field, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
    }
    return parseInt(v, 10) > 100 ? [invalid(field, v, 'must not be greater than 100%')] : [];
  }
  return validateNonnegative(v, field);
}

/** Resolves an IntOrPercent against a total, rounding as the rolling-update code does. */
export function intOrPercentValue(v: unknown, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.endsWith('%')) {
    const x = (parseInt(v, 10) * total) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  }
  return 0;
}
