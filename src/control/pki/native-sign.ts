/**
 * Signs a certificate that node-forge has built with Node's native RSA instead of forge's own: forge keeps building
 * the X.509 structure (Node's crypto cannot create certificates), but its RSA signature in JavaScript cost
 * ~60-90 ms of CPU per certificate, eight of them at a server's first start. The result is what forge's
 * cert.sign(key, sha256) makes: the same TBSCertificate and sha256WithRSAEncryption, and PKCS#1 v1.5 signatures
 * are deterministic, so the same bytes.
 */
import { createPublicKey, sign } from 'node:crypto';
import forge from 'node-forge';

const SHA256_WITH_RSA = forge.pki.oids['sha256WithRSAEncryption']!;

/** forge's TBSCertificate builder (its typings omit it). */
const getTBSCertificate = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate;

/** Signs `cert` with the RSA key in `keyPem` (sha256WithRSAEncryption), as forge's cert.sign would. */
export function signCertificate(cert: forge.pki.Certificate, keyPem: string): void {
  cert.signatureOid = cert.siginfo.algorithmOid = SHA256_WITH_RSA;
  const tbs = getTBSCertificate(cert);
  (cert as unknown as { tbsCertificate: forge.asn1.Asn1 }).tbsCertificate = tbs;
  cert.signature = sign('sha256', Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary'), keyPem).toString('binary');
}

/** The public key of an RSA private key (PEM) as forge's type, without forge parsing the private key. */
export function forgePublicKey(keyPem: string): forge.pki.rsa.PublicKey {
  return forge.pki.publicKeyFromPem(createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }).toString()) as forge.pki.rsa.PublicKey;
}
