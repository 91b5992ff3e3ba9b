/** Wire formats of metadata values: metav1.Time and resourceVersion. */
import { badRequest } from '../../status.js';

/** metav1.Time: RFC 3339 in UTC, whole seconds (the managedFields one: it keeps the last second's text, and every create asks). */
export { rfc3339 } from '../../../../client/time.js';

export function parseRV(rv: string): number {
  const n = Number(rv);
  if (!/^\d+$/.test(rv) || !Number.isSafeInteger(n)) throw badRequest(`invalid resource version: ${rv}`);
  return n;
}
