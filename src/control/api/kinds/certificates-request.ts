/**
 * The checks upstream's CertificateSigningRequest validation makes on PEM data: spec.request is one PKCS#10
 * request whose signature verifies (certificates.ParseCSR + CheckSignature), status.certificate is only
 * CERTIFICATE blocks. The DER is walked here and the signature verified with node:crypto, which (unlike
 * node-forge) takes ECDSA and Ed25519 keys as well as RSA: the kubelet's own requests are ECDSA P-256.
 */
import { X509Certificate, createPublicKey, verify } from 'node:crypto';

interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  contentStart: number;
  end: number;
}

function readTlv(der: Buffer, at: number): Tlv {
  if (at + 2 > der.length) throw new Error('x509: malformed certificate request');
  const tag = der[at]!;
  let len = der[at + 1]!;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > der.length) throw new Error('x509: malformed certificate request');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[p + i]!;
    p += n;
  }
  if (p + len > der.length) throw new Error('x509: malformed certificate request');
  return { tag, start: at, contentStart: p, end: p + len };
}

function expect(der: Buffer, at: number, tag: number): Tlv {
  const t = readTlv(der, at);
  if (t.tag !== tag) throw new Error('x509: malformed certificate request');
  return t;
}

function oidText(bytes: Buffer): string {
  const parts: number[] = [];
  let v = 0;
  for (const b of bytes) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** Signature algorithms Go's x509 verifies, by OID: the digest node:crypto needs (null for Ed25519). */
const SIGNATURE_DIGESTS: Record<string, string | null> = {
  '1.2.840.113549.1.1.5': 'sha1', '1.2.840.113549.1.1.11': 'sha256', '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512', '1.2.840.10045.4.1': 'sha1', '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384', '1.2.840.10045.4.3.4': 'sha512', '1.3.101.112': null,
};

interface PemBlock { type: string; headers: boolean; body: Buffer }

/** The PEM blocks in `text`, in order (Go's pem.Decode loop); text outside blocks is skipped as Go skips it. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----BEGIN ([^\n-]*)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    // Headers ("Proc-Type: …") come first and end at a blank line.
    const lines = m[2]!.split(/\r?\n/);
    const headers = lines[0]?.includes(':') ?? false;
    const first = headers ? lines.indexOf('') + 1 : 0;
    out.push({ type: m[1]!, headers, body: Buffer.from(lines.slice(first).join(''), 'base64') });
  }
  return out;
}

/**
 * Why a CSR's `spec.request` (the PEM bytes) is unacceptable, or null: the first PEM block must be a
 * CERTIFICATE REQUEST whose self-signature verifies.
 */
export function csrRequestError(pem: Buffer): string | null {
  const block = pemBlocks(pem.toString('latin1'))[0];
  if (!block || block.type !== 'CERTIFICATE REQUEST') return 'PEM block type must be CERTIFICATE REQUEST';
  try {
    const der = block.body;
    const outer = expect(der, 0, 0x30);
    const info = expect(der, outer.contentStart, 0x30);
    const version = expect(der, info.contentStart, 0x02);
    const subject = expect(der, version.end, 0x30);
    const spki = expect(der, subject.end, 0x30);
    const alg = expect(der, info.end, 0x30);
    const oid = expect(der, alg.contentStart, 0x06);
    const sig = expect(der, alg.end, 0x03);
    const algorithm = oidText(der.subarray(oid.contentStart, oid.end));
    if (!(algorithm in SIGNATURE_DIGESTS)) return 'x509: cannot verify signature: algorithm unimplemented';
    let key;
    try {
      key = createPublicKey({ key: der.subarray(spki.start, spki.end), format: 'der', type: 'spki' });
    } catch {
      return 'x509: unsupported public key algorithm';
    }
    const signature = der.subarray(sig.contentStart + 1, sig.end);
    const ok = verify(SIGNATURE_DIGESTS[algorithm] ?? null, der.subarray(info.start, info.end), key, signature);
    if (!ok) return key.asymmetricKeyType === 'rsa' ? 'crypto/rsa: verification error' : 'x509: ECDSA verification failure';
    return null;
  } catch (err) {
    return err instanceof Error && err.message.startsWith('x509:') ? err.message : 'x509: malformed certificate request';
  }
}

/** Why `status.certificate` is unacceptable, or null (empty is fine), as upstream's validateCertificate. */
export function certificateError(pem: Buffer): string | null {
  if (pem.length === 0) return null;
  const blocks = pemBlocks(pem.toString('latin1'));
  if (blocks.length === 0) return 'must contain at least one CERTIFICATE PEM block';
  for (const b of blocks) {
    if (b.type !== 'CERTIFICATE') return `only CERTIFICATE PEM blocks are allowed, found ${JSON.stringify(b.type)}`;
    if (b.headers) return 'no PEM block headers are permitted';
    try {
      new X509Certificate(b.body);
    } catch {
      return 'x509: malformed certificate';
    }
  }
  return null;
}
