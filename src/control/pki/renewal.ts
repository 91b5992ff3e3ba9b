/**
 * When a stored certificate must be issued again: it is missing, not signed by the current cluster CA, within
 * the renewal window of its expiry (30 days, as kubeadm's `certs check-expiration` warns), or it no longer says
 * what is wanted (subject, SANs, usages: e.g. the server now listens on another address). A pure decision over
 * the certificate's facts, the wanted spec and the clock.
 */
import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import type { ClusterCA } from './ca.js';
import { canonicalIP, type CertSpec, type CertUsage } from './issue.js';

export const RENEW_BEFORE_DAYS = 30;

/** What a certificate says, read back from PEM. */
export interface CertFacts {
  commonName: string;
  organizations: string[];
  dnsNames: string[];
  ipAddresses: string[];
  usages: CertUsage[];
  notBefore: Date;
  notAfter: Date;
  /** Whether the current cluster CA issued and signed it. */
  signedByCA: boolean;
}

interface ForgeAltName {
  type: number;
  value?: string;
  ip?: string;
}

export function certFacts(certPem: string, ca: ClusterCA): CertFacts {
  const c = forge.pki.certificateFromPem(certPem);
  const attrs = (short: string) => c.subject.attributes.filter((a) => a.shortName === short).map((a) => String(a.value));
  const san = c.getExtension('subjectAltName') as { altNames?: ForgeAltName[] } | null;
  const eku = c.getExtension('extKeyUsage') as { serverAuth?: boolean; clientAuth?: boolean } | null;
  const x = new X509Certificate(certPem);
  return {
    commonName: attrs('CN')[0] ?? '',
    organizations: attrs('O'),
    dnsNames: (san?.altNames ?? []).filter((n) => n.type === 2).map((n) => n.value ?? ''),
    ipAddresses: (san?.altNames ?? []).filter((n) => n.type === 7 && n.ip).map((n) => canonicalIP(n.ip!)),
    usages: [...(eku?.serverAuth ? ['server' as const] : []), ...(eku?.clientAuth ? ['client' as const] : [])],
    notBefore: c.validity.notBefore,
    notAfter: c.validity.notAfter,
    signedByCA: x.checkIssued(ca.cert) && x.verify(ca.cert.publicKey),
  };
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((v) => sb.has(v));
};

/** Why `facts` must be replaced to satisfy `want` at `now`, or null when it may be kept. */
export function renewalReason(facts: CertFacts | null, want: CertSpec, now: Date, renewBeforeDays = RENEW_BEFORE_DAYS): string | null {
  if (!facts) return 'missing';
  if (!facts.signedByCA) return 'not signed by the cluster CA';
  if (now.getTime() < facts.notBefore.getTime()) return `not valid before ${facts.notBefore.toISOString()}`;
  if (now.getTime() >= facts.notAfter.getTime() - renewBeforeDays * 86_400_000) return `expires ${facts.notAfter.toISOString()}, within ${renewBeforeDays} days`;
  if (facts.commonName !== want.commonName || facts.organizations.join('\n') !== (want.organizations ?? []).join('\n')) return 'subject changed';
  if (!sameSet(facts.dnsNames, want.dnsNames ?? [])) return 'DNS names changed';
  if (!sameSet(facts.ipAddresses, (want.ipAddresses ?? []).map(canonicalIP))) return 'IP addresses changed';
  if (!sameSet(facts.usages, want.usages)) return 'usages changed';
  return null;
}
