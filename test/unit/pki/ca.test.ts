import { mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createClusterCA, loadOrCreateClusterCA, parseClusterCA } from '../../../src/control/pki/ca.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'skiff-ca-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('cluster CA', () => {
  it('is a self-signed RSA 2048 CA for CN kubernetes, valid ten years', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const ca = createClusterCA({ now });
    expect(ca.cert.subject).toBe('CN=kubernetes');
    expect(ca.cert.issuer).toBe('CN=kubernetes');
    expect(ca.cert.ca).toBe(true);
    expect(ca.cert.verify(ca.cert.publicKey)).toBe(true);
    expect(ca.cert.publicKey.asymmetricKeyType).toBe('rsa');
    expect(ca.cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const years = (new Date(ca.cert.validTo).getTime() - now.getTime()) / (365 * 86_400_000);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
    expect(ca.cert.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(true);
    expect(ca.keyPem).toContain('BEGIN RSA PRIVATE KEY');
  });

  it('is created once in the data dir and loaded after', () => {
    const dir = tmp();
    const first = loadOrCreateClusterCA(dir);
    expect(statSync(join(dir, 'ca.key')).mode & 0o777).toBe(0o600);
    const second = loadOrCreateClusterCA(dir);
    expect(second.certPem).toBe(first.certPem);
    expect(second.cert.fingerprint256).toBe(first.cert.fingerprint256);
  });

  it('refuses a lone ca.crt instead of replacing the CA', () => {
    const dir = tmp();
    loadOrCreateClusterCA(dir);
    unlinkSync(join(dir, 'ca.key'));
    expect(() => loadOrCreateClusterCA(dir)).toThrow(/ca\.crt without ca\.key/);
  });

  it('refuses a key that does not belong to the certificate', () => {
    const a = createClusterCA();
    const b = createClusterCA();
    expect(() => parseClusterCA(a.certPem, b.keyPem)).toThrow(/does not match/);
    const dir = tmp();
    writeFileSync(join(dir, 'ca.crt'), 'junk');
    writeFileSync(join(dir, 'ca.key'), a.keyPem);
    expect(() => loadOrCreateClusterCA(dir)).toThrow(/ca\.crt is not a PEM certificate/);
    expect(readFileSync(join(dir, 'ca.crt'), 'utf8')).toBe('junk');
  });
});
