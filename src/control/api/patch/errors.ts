/**
 * A patch that cannot be applied. `code` is the HTTP status kube-apiserver answers with: 400 for a malformed
 * patch, 422 when a well-formed JSON patch does not apply to the object (a failed `test`, a missing path),
 * 415 for a patch content type the server does not accept.
 */
export class PatchError extends Error {
  readonly code: 400 | 415 | 422;

  constructor(message: string, code: 400 | 415 | 422 = 400) {
    super(message);
    this.name = 'PatchError';
    this.code = code;
  }
}

/** Renders a value the way Go's `%v` does in upstream's messages (`map[a:1 b:[x y]]`). */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (typeof v === 'object') {
    const entries = Object.keys(v as object).sort().map((k) => `${k}:${goValue((v as Record<string, unknown>)[k])}`);
    return `map[${entries.join(' ')}]`;
  }
  return String(v);
}

export type JsonObject = Record<string, unknown>;

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep copy of plain JSON data, so no patch ever shares structure with its input. */
export { cloneJson } from '../clone.js';

/** Structural equality of JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}
