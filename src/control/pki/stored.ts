/**
 * A certificate and key kept as `<name>.crt` and `<name>.key` (PEM) in the data dir, reused across restarts and
 * issued again when renewalReason says so. A key that does not match its certificate, or a file that does not
 * parse, counts as missing: the pair is replaced rather than the server refusing to start.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterCA } from './ca.js';
import { issueCertificate, newKeyPem, type CertSpec, type IssuedCert, type IssueOptions } from './issue.js';
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

/** What is stored under `name`, and why it must be issued again (null: keep it). */
function inspect(dir: string, name: string, ca: ClusterCA, spec: CertSpec, now: Date) {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  const stored = readFacts(certPath, keyPath, ca);
  return { certPath, keyPath, stored, reason: renewalReason(stored?.facts ?? null, spec, now) };
}

export function loadOrIssueCertificate(dir: string, name: string, ca: ClusterCA, spec: CertSpec, opts: IssueOptions = {}): StoredCert {
  const now = opts.now ?? new Date();
  const { certPath, keyPath, stored, reason } = inspect(dir, name, ca, spec, now);
  if (stored && reason === null) {
    return { certPem: stored.certPem, keyPem: stored.keyPem, cert: new X509Certificate(stored.certPem), certPath, keyPath, issued: null };
  }
  return write(dir, certPath, keyPath, issueCertificate(ca, spec, { ...opts, now }), reason);
}

/**
 * Several certificates at once: the keys of those to issue are made in parallel off the main thread (RSA key
 * generation is most of the cost), then each is signed and written.
 */
export async function loadOrIssueCertificates(dir: string, ca: ClusterCA, wanted: ReadonlyArray<{ name: string; spec: CertSpec }>, opts: IssueOptions = {}): Promise<StoredCert[]> {
  const now = opts.now ?? new Date();
  const found = wanted.map((w) => inspect(dir, w.name, ca, w.spec, now));
  const keys = await Promise.all(found.map((f) => (f.stored && f.reason === null ? null : newKeyPem())));
  return found.map((f, i) => {
    if (f.stored && f.reason === null) return { certPem: f.stored.certPem, keyPem: f.stored.keyPem, cert: new X509Certificate(f.stored.certPem), certPath: f.certPath, keyPath: f.keyPath, issued: null };
    return write(dir, f.certPath, f.keyPath, issueCertificate(ca, wanted[i]!.spec, { ...opts, now, keyPem: keys[i]! }), f.reason);
  });
}

function write(dir: string, certPath: string, keyPath: string, fresh: IssuedCert, reason: string | null): StoredCert {
  mkdirSync(dir, { recursive: true });
  // Beside the final names, then renamed: a crash never leaves half a key or a key without its certificate's match for long.
  writeFileSync(`${keyPath}.tmp`, fresh.keyPem, { mode: 0o600 });
  writeFileSync(`${certPath}.tmp`, fresh.certPem, { mode: 0o644 });
  renameSync(`${keyPath}.tmp`, keyPath);
  renameSync(`${certPath}.tmp`, certPath);
  return { ...fresh, certPath, keyPath, issued: reason ?? 'missing' };
}
