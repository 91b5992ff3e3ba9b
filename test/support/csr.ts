/** PKCS#10 requests for CertificateSigningRequest tests: RSA through node-forge, ECDSA through openssl. */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';

/** A PEM CSR for `cn` signed by a fresh RSA key (made by node:crypto, so it is fast). */
export function rsaCsrPem(cn: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  csr.setSubject([{ name: 'commonName', value: cn }, { name: 'organizationName', value: 'skiff' }]);
  csr.sign(key, forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

/** A PEM CSR for `cn` signed by a fresh P-256 key (as the kubelet's), or undefined without openssl. */
export function ecCsrPem(cn: string): string | undefined {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const dir = mkdtempSync(join(tmpdir(), 'skiff-csr-'));
  try {
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'sec1', format: 'pem' }));
    return execFileSync('openssl', ['req', '-new', '-key', keyFile, '-subj', `/CN=${cn}`], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The request as spec.request carries it: the PEM bytes, base64 in JSON. */
export const requestField = (pem: string): string => Buffer.from(pem).toString('base64');
