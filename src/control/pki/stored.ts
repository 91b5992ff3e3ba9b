/**
 * A certificate and key kept as `<name>.crt` and `<name>.key` (PEM) in the data dir, reused across restarts and
 * issued again when renewalReason says so. A key that does not match its certificate, or a file that does not
 * parse, counts as missing: the pair is replaced rather than the server refusing to start.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterCA } from './ca.js';
import { issueCertificate, type CertSpec, type IssuedCert, type IssueOptions } from './issue.js';
import { certFacts, renewalReason, type CertFacts } from './renewal.js';

export interface StoredCert extends IssuedCert {
  certPath: string;
  keyPath: string;
  /** Why it was issued on this call (`missing`, `expires … within 30 days`, `IP addresses changed`, …); null when reused. */
  issued: string | null;
}

function readFacts(certPath: string, keyPath: string, ca: ClusterCA): { facts: CertFacts; certPem: string; keyPem: string } | null {
  if (!existsSync(certPath) || !existsSync(keyPath)) return null;
  try {
    const certPem = readFileSync(certPath, 'utf8');
    const keyPem = readFileSync(keyPath, 'utf8');
    if (!new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))) return null;
    return { facts: certFacts(certPem, ca), certPem, keyPem };
  } catch {
    return null;
  }
}

export function loadOrIssueCertificate(dir: string, name: string, ca: ClusterCA, spec: CertSpec, opts: IssueOptions = {}): StoredCert {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  const now = opts.now ?? new Date();
  const stored = readFacts(certPath, keyPath, ca);
  const reason = renewalReason(stored?.facts ?? null, spec, now);
  if (stored && reason === null) {
    return { certPem: stored.certPem, keyPem: stored.keyPem, cert: new X509Certificate(stored.certPem), certPath, keyPath, issued: null };
  }
  const fresh = issueCertificate(ca, spec, { ...opts, now });
  mkdirSync(dir, { recursive: true });
  // Beside the final names, then renamed: a crash never leaves half a key or a key without its certificate's match for long.
  writeFileSync(`${keyPath}.tmp`, fresh.keyPem, { mode: 0o600 });
  writeFileSync(`${certPath}.tmp`, fresh.certPem, { mode: 0o644 });
  renameSync(`${keyPath}.tmp`, keyPath);
  renameSync(`${certPath}.tmp`, certPath);
  return { ...fresh, certPath, keyPath, issued: reason };
}
