import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { forgePublicKey, signCertificate } from '../../../src/control/pki/native-sign.js';

const keyPem = (): string => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

/** One certificate's fields, built the same way each time. */
function build(subjectKeyPem: string, issuer: forge.pki.CertificateField[]): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forgePublicKey(subjectKeyPem);
  cert.serialNumber = '4d2f00aa11';
  cert.validity.notBefore = new Date('2026-01-01T00:00:00Z');
  cert.validity.notAfter = new Date('2027-01-01T00:00:00Z');
  cert.setSubject([{ name: 'organizationName', value: 'system:masters' }, { name: 'commonName', value: 'kubernetes-admin' }]);
  cert.setIssuer(issuer);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
  ]);
  return cert;
}

describe('signCertificate (Node\'s RSA on a forge-built certificate)', () => {
  const caKey = keyPem();
  const leafKey = keyPem();
  const issuer = [{ name: 'commonName', value: 'kubernetes' }];

  it('makes the same bytes as forge\'s own cert.sign with SHA-256', () => {
    const byForge = build(leafKey, issuer);
    byForge.sign(forge.pki.privateKeyFromPem(caKey), forge.md.sha256.create());
    const native = build(leafKey, issuer);
    signCertificate(native, caKey);
    expect(forge.pki.certificateToPem(native)).toBe(forge.pki.certificateToPem(byForge));
  });

  it('verifies against the signer\'s public key, not another, and carries the subject\'s key and name', () => {
    const cert = build(leafKey, issuer);
    signCertificate(cert, caKey);
    const x = new X509Certificate(forge.pki.certificateToPem(cert));
    expect(x.verify(createPublicKey(caKey))).toBe(true);
    expect(x.verify(createPublicKey(leafKey))).toBe(false);
    expect(x.checkPrivateKey(createPrivateKey(leafKey))).toBe(true);
    expect(x.subject).toBe('O=system:masters\nCN=kubernetes-admin');
  });
});
