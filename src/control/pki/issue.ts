/**
 * Leaf certificates signed by the cluster CA, as kubeadm issues them: RSA 2048, SHA-256, valid one year,
 * basicConstraints CA:FALSE, keyUsage digitalSignature + keyEncipherment, an extended key usage for what the
 * certificate is for (serving, client, or both), SANs for serving certificates. The subject carries the
 * identity Kubernetes reads: CN is the user name, each O a group.
 */
import { generateKeyPair, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';
import type { ClusterCA } from './ca.js';
import { forgePublicKey, signCertificate } from './native-sign.js';

export type CertUsage = 'server' | 'client';

/** What a certificate says: its subject, its SANs and its usages. Renewal compares a stored one against this. */
export interface CertSpec {
  commonName: string;
  /** Groups (O=), in order. */
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  usages: CertUsage[];
}

export interface IssuedCert {
  certPem: string;
  /** PKCS#1 PEM, as kubeadm writes keys. */
  keyPem: string;
  cert: X509Certificate;
}

export interface IssueOptions {
  now?: Date;
  /** Default 365 (kubeadm's lifetime for leaf certificates). */
  validityDays?: number;
  /** A key made beforehand (PKCS#1 PEM, e.g. by newKeyPem off the main thread); default: a new one, made now. */
  keyPem?: string;
}

/** A new RSA 2048 key as PKCS#1 PEM, made on libuv's thread pool: several can be made at once. */
export function newKeyPem(): Promise<string> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048 }, (err, _pub, privateKey) => {
      if (err) reject(err);
      else resolve(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
    });
  });
}

export const LEAF_VALIDITY_DAYS = 365;

/** Canonical text of an IP (IPv6 compressed, lower case), so SANs compare as addresses, not as spellings. */
export function canonicalIP(ip: string): string {
  const v = isIP(ip);
  if (v === 4) return ip;
  if (v === 6) return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  throw new Error(`"${ip}" is not an IP address`);
}

function positiveSerial(): string {
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  return serial.toString('hex');
}

/** A new key and a certificate for it, signed by `ca`. */
export function issueCertificate(ca: ClusterCA, spec: CertSpec, opts: IssueOptions = {}): IssuedCert {
  if (!spec.commonName) throw new Error('certificate: commonName is required');
  if (spec.usages.length === 0) throw new Error(`certificate ${spec.commonName}: at least one usage (server, client) is required`);
  const now = opts.now ?? new Date();
  const keyPem = opts.keyPem ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const caCert = forge.pki.certificateFromPem(ca.certPem);

  const cert = forge.pki.createCertificate();
  cert.publicKey = forgePublicKey(keyPem);
  cert.serialNumber = positiveSerial();
  // A minute back, so a client whose clock is slightly behind still accepts a certificate made just now.
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + (opts.validityDays ?? LEAF_VALIDITY_DAYS) * 86_400_000);
  cert.setSubject([
    ...(spec.organizations ?? []).map((o) => ({ name: 'organizationName', value: o })),
    { name: 'commonName', value: spec.commonName },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [
    ...(spec.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(spec.ipAddresses ?? []).map((ip) => ({ type: 7, ip: canonicalIP(ip) })),
  ];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: spec.usages.includes('server'), clientAuth: spec.usages.includes('client') },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
    ...(altNames.length ? [{ name: 'subjectAltName', altNames }] : []),
  ]);
  signCertificate(cert, ca.keyPem);
  const certPem = forge.pki.certificateToPem(cert);
  return { certPem, keyPem, cert: new X509Certificate(certPem) };
}
