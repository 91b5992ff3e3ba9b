import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createClusterCA } from '../../../src/control/pki/ca.js';
import { parseCertificateRequest } from '../../../src/control/pki/certificate-request.js';
import { signCertificateRequest, signedValidity } from '../../../src/control/pki/sign-request.js';
import { csrRequestError } from '../../../src/control/api/kinds/certificates-request.js';
import { createCertificateRequest, newNodeKeyPem } from '../../../src/dataplane/kubelet/tls-bootstrap/certificate-request.js';

const ca = createClusterCA();

describe('certificate requests', () => {
  it('an ECDSA request made for a node verifies and reads back its subject and SANs', () => {
    const csr = createCertificateRequest(newNodeKeyPem(), { commonName: 'system:node:n1', organizations: ['system:nodes'], dnsNames: ['n1.example'], ipAddresses: ['10.0.0.5', 'fd00::1'] });
    expect(csrRequestError(Buffer.from(csr))).toBeNull();
    const info = parseCertificateRequest(csr);
    expect(info.commonName).toBe('system:node:n1');
    expect(info.organizations).toEqual(['system:nodes']);
    expect(info.dnsNames).toEqual(['n1.example']);
    expect(info.ipAddresses).toEqual(['10.0.0.5', 'fd00::1']);
    expect(info.emailAddresses).toEqual([]);
  });

  it('refuses what is not a certificate request', () => {
    expect(() => parseCertificateRequest('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toThrow('PEM block type must be CERTIFICATE REQUEST');
  });
});

describe('signing a request', () => {
  it('carries the subject, key and SANs over, sets the usages, and chains to the CA', () => {
    const key = newNodeKeyPem();
    const info = parseCertificateRequest(createCertificateRequest(key, { commonName: 'system:node:n1', organizations: ['system:nodes'], ipAddresses: ['10.0.0.5'] }));
    const now = new Date();
    const pem = signCertificateRequest(ca, info, { usages: ['digital signature', 'client auth'], ttlMs: 3600_000, now });
    const cert = new X509Certificate(pem);
    expect(cert.subject).toBe('O=system:nodes\nCN=system:node:n1');
    expect(cert.subjectAltName).toBe('IP Address:10.0.0.5');
    expect(cert.checkIssued(ca.cert)).toBe(true);
    expect(cert.verify(ca.cert.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.publicKey.export({ type: 'spki', format: 'der' })).toEqual(Buffer.from(info.publicKeyDer));
    // Short-lived: backdated five minutes, the end not backdated.
    expect(Date.parse(cert.validFrom)).toBe(Math.floor((now.getTime() - 300_000) / 1000) * 1000);
    expect(Date.parse(cert.validTo)).toBe(Math.floor((now.getTime() + 3600_000) / 1000) * 1000);
  });

  it('refuses unknown usages', () => {
    const info = parseCertificateRequest(createCertificateRequest(newNodeKeyPem(), { commonName: 'x' }));
    expect(() => signCertificateRequest(ca, info, { usages: ['client auth', 'bogus'], ttlMs: 3600_000 })).toThrow('unrecognized usage values: ["bogus"]');
  });

  it('validity: long TTLs end backdated, never past the CA, and an expired CA signs nothing', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const caEnd = new Date('2031-01-01T00:00:00Z');
    expect(signedValidity(now, 24 * 3600_000, caEnd).notAfter.toISOString()).toBe('2030-01-01T23:55:00.000Z');
    expect(signedValidity(now, 800 * 24 * 3600_000, caEnd).notAfter).toEqual(caEnd);
    expect(() => signedValidity(new Date('2032-01-01T00:00:00Z'), 3600_000, caEnd)).toThrow('the signer has expired');
  });
});
