/** Wire format of metadata's resourceVersion (metav1.Time's is src/client/time.ts). */
import { badRequest } from '../../status.js';

export function parseRV(rv: string): number {
  const n = Number(rv);
  if (!/^\d+$/.test(rv) || !Number.isSafeInteger(n)) throw badRequest(`invalid resource version: ${rv}`);
  return n;
}
