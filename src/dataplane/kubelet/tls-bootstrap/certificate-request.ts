/**
 * A node's key and PKCS#10 certificate request, as the kubelet makes them for TLS bootstrapping
 * (client-go's certificate/csr): an ECDSA P-256 key, subject O=system:nodes CN=system:node:<name>. node-forge
 * writes only RSA requests, so the request is assembled with its ASN.1 writer and signed by node:crypto, which
 * takes any key type.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

/** node-forge's DER reader with BIT STRINGs kept as bytes (its typings omit the options argument). */
const rawFromDer = (bytes: string): forge.asn1.Asn1 => (forge.asn1.fromDer as unknown as (b: string, o: { decodeBitStrings: boolean }) => forge.asn1.Asn1)(bytes, { decodeBitStrings: false });

export interface RequestSubject {
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
}

/** A new ECDSA P-256 key as SEC 1 PEM ("EC PRIVATE KEY"), the kubelet's choice. */
export function newNodeKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
}

const { asn1 } = forge;
const seq = (v: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, v);
const set = (v: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, v);
const oid = (o: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(o).getBytes());
const utf8 = (s: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTF8, false, forge.util.encodeUtf8(s));

function ipBytes(ip: string): string {
  if (isIP(ip) === 4) return String.fromCharCode(...ip.split('.').map(Number));
  if (isIP(ip) === 6) {
    const full = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
    const [head, tail] = full.split('::') as [string, string | undefined];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    return groups.map((g) => { const n = parseInt(g, 16); return String.fromCharCode(n >> 8, n & 0xff); }).join('');
  }
  throw new Error(`"${ip}" is not an IP address`);
}

/** Signature algorithm (OID, digest) for a key. */
function algorithmOf(key: KeyObject): { oid: string; digest: string; nullParams: boolean } {
  if (key.asymmetricKeyType === 'ec') return { oid: '1.2.840.10045.4.3.2', digest: 'sha256', nullParams: false };
  if (key.asymmetricKeyType === 'rsa') return { oid: '1.2.840.113549.1.1.11', digest: 'sha256', nullParams: true };
  throw new Error(`certificate request: unsupported key type ${key.asymmetricKeyType}`);
}

/** The PEM of a certificate request for `subject`, signed with `keyPem`. */
export function createCertificateRequest(keyPem: string, subject: RequestSubject): string {
  const key = createPrivateKey(keyPem);
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const name = seq([
    ...(subject.organizations ?? []).map((o) => set([seq([oid('2.5.4.10'), utf8(o)])])),
    set([seq([oid('2.5.4.3'), utf8(subject.commonName)])]),
  ]);
  const sans = [
    ...(subject.dnsNames ?? []).map((d) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 2, false, d)),
    ...(subject.ipAddresses ?? []).map((ip) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 7, false, ipBytes(ip))),
  ];
  const attributes = asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, sans.length ? [
    seq([oid('1.2.840.113549.1.9.14'), set([seq([seq([oid('2.5.29.17'), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, asn1.toDer(seq(sans)).getBytes())])])])]),
  ] : []);
  const info = seq([
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, String.fromCharCode(0)),
    name,
    rawFromDer(spki.toString('binary')),
    attributes,
  ]);
  const infoDer = Buffer.from(asn1.toDer(info).getBytes(), 'binary');
  const alg = algorithmOf(key);
  const signature = sign(alg.digest, infoDer, key);
  const req = seq([
    info,
    seq([oid(alg.oid), ...(alg.nullParams ? [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')] : [])]),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, String.fromCharCode(0) + signature.toString('binary')),
  ]);
  const b64 = Buffer.from(asn1.toDer(req).getBytes(), 'binary').toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n-----END CERTIFICATE REQUEST-----\n`;
}
