/**
 * The cluster CA, as kubeadm makes it: a self-signed RSA 2048 certificate, CN `kubernetes`, valid ten years,
 * kept as `ca.crt` and `ca.key` (PEM) in the server's data dir and made once, on the first start. Controllers
 * publish the certificate (kube-root-ca.crt); serving and client certificates will be signed with the key.
 *
 * Keys come from Node's native generator (fast); node-forge builds the X.509 structure, which Node's crypto can
 * parse but not create, and Node's crypto signs it (native-sign.ts).
 */
import { generateKeyPairSync, randomBytes, X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { forgePublicKey, signCertificate } from './native-sign.js';

export interface ClusterCA {
  /** PEM of the CA certificate (what kube-root-ca.crt publishes). */
  certPem: string;
  /** PEM of the CA's private key (PKCS#1, as kubeadm writes it). */
  keyPem: string;
  /** The parsed certificate. */
  cert: X509Certificate;
}

export interface CreateCAOptions {
  commonName?: string;
  /** Validity from `now`; default ten years (kubeadm's CA lifetime). */
  validityDays?: number;
  now?: Date;
}

export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';
const TEN_YEARS_DAYS = 3650;

/** A new self-signed CA (RSA 2048, SHA-256, basicConstraints CA critical, keyCertSign + cRLSign + digitalSignature). */
export function createClusterCA(opts: CreateCAOptions = {}): ClusterCA {
  const now = opts.now ?? new Date();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forgePublicKey(keyPem);
  // A positive 127-bit serial: the top bit clear keeps the DER integer positive.
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + (opts.validityDays ?? TEN_YEARS_DAYS) * 86_400_000);
  const name = [{ name: 'commonName', value: opts.commonName ?? 'kubernetes' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signCertificate(cert, keyPem);
  const certPem = forge.pki.certificateToPem(cert);
  return { certPem, keyPem, cert: new X509Certificate(certPem) };
}

/** Parses a CA from PEM and checks that the key belongs to the certificate and that it is a CA. */
export function parseClusterCA(certPem: string, keyPem: string, where = 'cluster CA'): ClusterCA {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    throw new Error(`${where}: ${CA_CERT_FILE} is not a PEM certificate: ${(err as Error).message}`);
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new Error(`${where}: ${CA_KEY_FILE} is not a PEM private key: ${(err as Error).message}`);
  }
  if (!cert.checkPrivateKey(key)) throw new Error(`${where}: ${CA_KEY_FILE} does not match the public key of ${CA_CERT_FILE}`);
  if (!cert.ca) throw new Error(`${where}: ${CA_CERT_FILE} is not a CA certificate (basicConstraints CA:FALSE)`);
  return { certPem, keyPem, cert };
}

/**
 * The CA in `dataDir` (ca.crt + ca.key), created on first use. Both files or neither: a lone one is an error
 * rather than a silent new CA, which would break every certificate the old one signed.
 */
export function loadOrCreateClusterCA(dataDir: string, opts: CreateCAOptions = {}): ClusterCA {
  const certPath = join(dataDir, CA_CERT_FILE);
  const keyPath = join(dataDir, CA_KEY_FILE);
  const haveCert = existsSync(certPath);
  const haveKey = existsSync(keyPath);
  if (haveCert && haveKey) return parseClusterCA(readFileSync(certPath, 'utf8'), readFileSync(keyPath, 'utf8'), dataDir);
  if (haveCert !== haveKey) {
    throw new Error(`${dataDir}: found ${haveCert ? CA_CERT_FILE : CA_KEY_FILE} without ${haveCert ? CA_KEY_FILE : CA_CERT_FILE}; restore it or remove both to create a new cluster CA`);
  }
  mkdirSync(dataDir, { recursive: true });
  const ca = createClusterCA(opts);
  // Write each file beside its final name and rename, so a crash never leaves half a key.
  writeFileSync(`${keyPath}.tmp`, ca.keyPem, { mode: 0o600 });
  writeFileSync(`${certPath}.tmp`, ca.certPem, { mode: 0o644 });
  renameSync(`${keyPath}.tmp`, keyPath);
  renameSync(`${certPath}.tmp`, certPath);
  return ca;
}
