/**
 * Signs a certificate request with the cluster CA as upstream's local signer does (authority.Sign with the
 * PermissiveSigningPolicy): the request's subject, public key and subjectAltNames carried over, key usages and
 * extended key usages from the CSR's spec.usages, CA:FALSE, no other extension of the request; valid from five
 * minutes back for the TTL (the end not backdated for TTLs under eight hours), never past the CA's own end.
 *
 * node-forge builds the TBSCertificate (its serialiser only knows RSA keys, so it is given the CA's own key as a
 * stand-in and the request's SubjectPublicKeyInfo and subject DER are put in its place); node:crypto signs it.
 */
import { randomBytes, sign } from 'node:crypto';
import forge from 'node-forge';
import type { ClusterCA } from './ca.js';
import type { CertificateRequestInfo } from './certificate-request.js';

/** node-forge's DER reader with BIT STRINGs kept as bytes (its typings omit the options argument). */
const rawFromDer = (bytes: string): forge.asn1.Asn1 => (forge.asn1.fromDer as unknown as (b: string, o: { decodeBitStrings: boolean }) => forge.asn1.Asn1)(bytes, { decodeBitStrings: false });

/** Key usages (x509 keyUsage bits, by node-forge's flag names) per certificates.k8s.io usage. */
const KEY_USAGES: Record<string, string> = {
  signing: 'digitalSignature',
  'digital signature': 'digitalSignature',
  'content commitment': 'nonRepudiation',
  'key encipherment': 'keyEncipherment',
  'key agreement': 'keyAgreement',
  'data encipherment': 'dataEncipherment',
  'cert sign': 'keyCertSign',
  'crl sign': 'cRLSign',
  'encipher only': 'encipherOnly',
  'decipher only': 'decipherOnly',
};

/** Extended key usages by OID, in Go's ExtKeyUsage order (the order they are written in). */
const EXT_KEY_USAGES: Array<[string[], string]> = [
  [['any'], '2.5.29.37.0'],
  [['server auth'], '1.3.6.1.5.5.7.3.1'],
  [['client auth'], '1.3.6.1.5.5.7.3.2'],
  [['code signing'], '1.3.6.1.5.5.7.3.3'],
  [['email protection', 's/mime'], '1.3.6.1.5.5.7.3.4'],
  [['ipsec end system'], '1.3.6.1.5.5.7.3.5'],
  [['ipsec tunnel'], '1.3.6.1.5.5.7.3.6'],
  [['ipsec user'], '1.3.6.1.5.5.7.3.7'],
  [['timestamping'], '1.3.6.1.5.5.7.3.8'],
  [['ocsp signing'], '1.3.6.1.5.5.7.3.9'],
  [['microsoft sgc'], '1.3.6.1.4.1.311.10.3.3'],
  [['netscape sgc'], '2.16.840.1.113730.4.1'],
];

export const BACKDATE_MS = 5 * 60_000;
/** Certificates shorter-lived than this keep their full TTL ahead of now (5 min is about 1% of 8 h). */
export const SHORT_TTL_MS = 8 * 3600_000;

/** The validity upstream's policy gives; throws when the CA cannot sign any more. */
export function signedValidity(now: Date, ttlMs: number, caNotAfter: Date): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  let notAfter = new Date(now.getTime() + (ttlMs < SHORT_TTL_MS ? ttlMs : ttlMs - BACKDATE_MS));
  if (notAfter >= caNotAfter) notAfter = caNotAfter;
  if (notBefore >= caNotAfter) throw new Error(`the signer has expired: NotAfter=${caNotAfter.toISOString()}`);
  if (now >= caNotAfter) throw new Error(`refusing to sign a certificate that expired in the past: NotAfter=${caNotAfter.toISOString()}`);
  return { notBefore, notAfter };
}

export interface SignRequestOptions {
  usages: readonly string[];
  ttlMs: number;
  now?: Date;
}

/** The PEM of a certificate for `req`, signed by `ca`. Throws on an unknown usage, as upstream's keyUsagesFromStrings. */
export function signCertificateRequest(ca: ClusterCA, req: CertificateRequestInfo, opts: SignRequestOptions): string {
  const unknown = opts.usages.filter((u) => !(u in KEY_USAGES) && !EXT_KEY_USAGES.some(([names]) => names.includes(u)));
  if (unknown.length) throw new Error(`unrecognized usage values: [${unknown.map((u) => JSON.stringify(u)).join(' ')}]`);
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const { notBefore, notAfter } = signedValidity(opts.now ?? new Date(), opts.ttlMs, new Date(ca.cert.validTo));

  const cert = forge.pki.createCertificate();
  cert.publicKey = caCert.publicKey; // a stand-in, replaced below
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  cert.setIssuer(caCert.subject.attributes);
  // forge signs with sha256WithRSAEncryption: the CA key is RSA (ca.ts); the algorithm id goes into the TBS.
  cert.siginfo.algorithmOid = forge.pki.oids['sha256WithRSAEncryption']!;
  const keyUsage: Record<string, boolean | string> = { name: 'keyUsage', critical: true };
  for (const u of opts.usages) if (KEY_USAGES[u]) keyUsage[KEY_USAGES[u]] = true;
  const ekus = EXT_KEY_USAGES.filter(([names]) => names.some((n) => opts.usages.includes(n)));
  const { asn1 } = forge;
  const oidNode = (oid: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes());
  // The value written out here: forge's own extKeyUsage maps OIDs back to names it then fails to encode.
  const extKeyUsage = { id: '2.5.29.37', value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, ekus.map(([, oid]) => oidNode(oid))) };
  cert.setExtensions([
    ...(Object.keys(keyUsage).length > 2 ? [keyUsage] : []),
    ...(ekus.length ? [extKeyUsage] : []),
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
    ...(req.subjectAltNameDer ? [{ id: '2.5.29.17', value: req.subjectAltNameDer.toString('binary') }] : []),
  ]);
  const tbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  const fields = tbs.value as forge.asn1.Asn1[];
  // version, serial, signature, issuer, validity, subject (5), subjectPublicKeyInfo (6), extensions.
  fields[5] = forge.asn1.fromDer(req.subjectDer.toString('binary'));
  fields[6] = rawFromDer(req.publicKeyDer.toString('binary'));
  const tbsDer = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  const signature = sign('sha256', tbsDer, ca.keyPem);
  const full = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      oidNode(forge.pki.oids['sha256WithRSAEncryption']!),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
    ]),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, String.fromCharCode(0) + signature.toString('binary')),
  ]);
  const certDer = Buffer.from(asn1.toDer(full).getBytes(), 'binary');
  const b64 = certDer.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}
