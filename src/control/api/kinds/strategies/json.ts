/** Small readers for plain-JSON objects, so strategies can walk untyped request bodies without `any`. */
export type Json = Record<string, unknown>;

export const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The child object at `key`, created when absent (for defaulting). */
export function ensure(o: Json, key: string): Json {
  const v = o[key];
  if (isRecord(v)) return v;
  const fresh: Json = {};
  o[key] = fresh;
  return fresh;
}

/** The records in a list field; non-records and a missing list give nothing. */
export const records = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isRecord) : []);

export const rec = (v: unknown): Json | undefined => (isRecord(v) ? v : undefined);

export function setDefault(o: Json, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null || o[key] === '') o[key] = value;
}

export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
