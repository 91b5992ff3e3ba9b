/**
 * Field errors as upstream's apimachinery field package builds them: the same cause types and the same
 * message bodies ("Required value", `Invalid value: "x": detail`, …), so Status causes read like upstream's.
 */
import type { FieldError } from '../resource.js';

export type CauseType =
  | 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueDuplicate'
  | 'FieldValueForbidden' | 'FieldValueTooLong' | 'FieldValueTooMany' | 'FieldValueNotFound' | 'InternalError';

/** A value as Go's fmt would show it in an error: %q for strings, %v for numbers, %#v-like for the rest. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
    return `[]string{${v.map((x) => JSON.stringify(x)).join(', ')}}`;
  }
  if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0 && Object.values(v).every((x) => typeof x === 'string')) {
    const keys = Object.keys(v).sort();
    const rec = v as Record<string, string>;
    return `map[string]string{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(rec[k])}`).join(', ')}}`;
  }
  return JSON.stringify(v);
}

const withDetail = (body: string, detail: string): string => (detail ? `${body}: ${detail}` : body);

export const required = (field: string, detail = ''): FieldError =>
  ({ type: 'FieldValueRequired', field, message: withDetail('Required value', detail) });

export const invalid = (field: string, value: unknown, detail: string): FieldError =>
  ({ type: 'FieldValueInvalid', field, message: withDetail(`Invalid value: ${formatValue(value)}`, detail) });

export const notSupported = (field: string, value: unknown, supported: readonly string[]): FieldError => ({
  type: 'FieldValueNotSupported',
  field,
  message: withDetail(`Unsupported value: ${formatValue(value)}`,
    supported.length ? `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` : ''),
});

export const duplicate = (field: string, value: unknown): FieldError =>
  ({ type: 'FieldValueDuplicate', field, message: `Duplicate value: ${formatValue(value)}` });

export const forbidden = (field: string, detail: string): FieldError =>
  ({ type: 'FieldValueForbidden', field, message: withDetail('Forbidden', detail) });

export const tooLong = (field: string, maxBytes: number): FieldError =>
  ({ type: 'FieldValueTooLong', field, message: `Too long: must have at most ${maxBytes} bytes` });

export const tooMany = (field: string, actual: number, max: number): FieldError =>
  ({ type: 'FieldValueTooMany', field, message: `Too many: ${actual}: must have at most ${max} items` });

/** Upstream's `field is immutable` check (deep equality on the JSON values). */
export function immutable(field: string, next: unknown, prev: unknown): FieldError[] {
  return deepEqual(next, prev) ? [] : [invalid(field, next ?? '', 'field is immutable')];
}

/** Structural equality of JSON values; absent and undefined are the same. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual(ra[k], rb[k]));
}
