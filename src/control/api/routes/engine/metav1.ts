/** Wire formats of metadata values: metav1.Time and resourceVersion. */
import { badRequest } from '../../status.js';

/** metav1.Time: RFC 3339 in UTC, whole seconds. */
export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function parseRV(rv: string): number {
  const n = Number(rv);
  if (!/^\d+$/.test(rv) || !Number.isSafeInteger(n)) throw badRequest(`invalid resource version: ${rv}`);
  return n;
}
