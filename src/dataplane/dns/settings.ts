/**
 * The DNS server's two settings and their checks, apart from the server so `skiff dns` can check its flags and show
 * its defaults without loading the server.
 */
import { normalizeName } from './names.js';

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
export const DEFAULT_DNS_TTL = 30;

/** A cluster domain as kubelet's --cluster-domain takes it: DNS labels, lower-cased, no trailing dot. */
export function checkClusterDomain(v: string): string {
  const d = normalizeName(v.trim());
  if (d === '' || !d.split('.').every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l))) {
    throw new Error(`cluster domain ${JSON.stringify(v)}: must be DNS labels separated by dots, e.g. cluster.local`);
  }
  return d;
}

export function checkTTL(v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 3600) throw new Error(`ttl ${v}: must be a whole number of seconds from 0 to 3600`);
  return v;
}
