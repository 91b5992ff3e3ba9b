/**
 * Query parameter values as apimachinery converts url.Values into option structs (runtime/conversion.go and
 * meta/v1's string conversions): the first value of a key wins; a bool is false only for "0" or any casing of
 * "false" (so `watch=True`, `watch=yes` and a bare `watch` are all true); integers are strconv.ParseInt(s, 10,
 * 64), whose failures become 400 BadRequest with Go's own message. Absent keys stay undefined (a nil pointer).
 */
import { badRequest } from '../status.js';

/** A request's query as fastify parses it: one value, several (a repeated key), or none. */
export type QueryValues = Record<string, string | string[] | undefined>;

/** Every value given for `key`, in order. */
export function queryValues(query: QueryValues, key: string): string[] {
  const v = query[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** The first value of `key` (Convert_Slice_string_To_string). */
export function queryString(query: QueryValues, key: string): string | undefined {
  return queryValues(query, key)[0];
}

/** Convert_Slice_string_To_Pointer_bool: "0" and "false" in any case are false, every other value true. */
export function parseQueryBool(value: string): boolean {
  return !(value === '0' || value.toLowerCase() === 'false');
}

export function queryBool(query: QueryValues, key: string): boolean | undefined {
  const v = queryString(query, key);
  return v === undefined ? undefined : parseQueryBool(v);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** strconv.ParseInt(value, 10, 64): an optional sign and decimal digits; throws Go's error text. */
export function parseInt64(value: string): number {
  if (!/^[+-]?\d+$/.test(value)) throw new Error(`strconv.ParseInt: parsing ${goQuote(value)}: invalid syntax`);
  const n = BigInt(value);
  if (n < INT64_MIN || n > INT64_MAX) throw new Error(`strconv.ParseInt: parsing ${goQuote(value)}: value out of range`);
  return Number(n);
}

/** Convert_Slice_string_To_Pointer_int64, failing as the parameter codec does: 400 with the parse error. */
export function queryInt64(query: QueryValues, key: string): number | undefined {
  const v = queryString(query, key);
  if (v === undefined) return undefined;
  try {
    return parseInt64(v);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

/** Go's strconv.Quote, for values echoed in error messages (escapes as Go writes them, not as JSON does). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x80) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (/[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch)) out += ch;
    else if (c <= 0xffff) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\U${c.toString(16).padStart(8, '0')}`;
  }
  return out + '"';
}
