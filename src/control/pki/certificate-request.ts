/**
 * A PKCS#10 certificate request read as Go's x509.ParseCertificateRequest reads it for a signer: the subject
 * (raw DER kept, so a signed certificate carries it byte for byte; CN and O read out), the public key's DER
 * (any algorithm: the kubelet's own keys are ECDSA P-256, which node-forge's RSA-only CSR reader refuses), and the
 * subjectAltNames of the extensionRequest attribute by kind. The DER is walked with node-forge's generic ASN.1
 * reader; the signature is checked by certificates-request.ts (node:crypto) where the API validates requests.
 */
import forge from 'node-forge';
import { pemBlocks } from '../api/kinds/certificates-request.js';

/** node-forge's DER reader with BIT STRINGs kept as bytes (its typings omit the options argument). */
const rawFromDer = (bytes: string): forge.asn1.Asn1 => (forge.asn1.fromDer as unknown as (b: string, o: { decodeBitStrings: boolean }) => forge.asn1.Asn1)(bytes, { decodeBitStrings: false });

export interface CertificateRequestInfo {
  /** DER of the subject Name. */
  subjectDer: Buffer;
  /** DER of the SubjectPublicKeyInfo. */
  publicKeyDer: Buffer;
  commonName: string;
  organizations: string[];
  dnsNames: string[];
  ipAddresses: string[];
  emailAddresses: string[];
  uris: string[];
  /** DER of the subjectAltName extension's value (the GeneralNames), when the request has one. */
  subjectAltNameDer?: Buffer;
}

const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const OID_SAN = '2.5.29.17';

type Node = forge.asn1.Asn1;

const der = (n: Node): Buffer => Buffer.from(forge.asn1.toDer(n).getBytes(), 'binary');
const children = (n: Node | undefined): Node[] => (n && Array.isArray(n.value) ? (n.value as Node[]) : []);
const bytes = (n: Node): string => (typeof n.value === 'string' ? n.value : '');

function ipText(raw: string): string {
  const b = Buffer.from(raw, 'binary');
  if (b.length === 4) return [...b].join('.');
  if (b.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
    return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
  }
  throw new Error('x509: invalid IP address length in subjectAltName');
}

/** Reads the subjectAltName GeneralNames into the request's lists (Go's parseSANExtension). */
function readSANs(value: string, out: CertificateRequestInfo): void {
  const seq = rawFromDer(value);
  for (const gn of children(seq)) {
    if (gn.tagClass !== forge.asn1.Class.CONTEXT_SPECIFIC) continue;
    const v = bytes(gn);
    if (gn.type === 1) out.emailAddresses.push(v);
    else if (gn.type === 2) out.dnsNames.push(v);
    else if (gn.type === 6) out.uris.push(v);
    else if (gn.type === 7) out.ipAddresses.push(ipText(v));
  }
}

/** Parses the first PEM block of `pem` as a CERTIFICATE REQUEST; throws with upstream's words when it is not one. */
export function parseCertificateRequest(pem: string | Buffer): CertificateRequestInfo {
  const block = pemBlocks(typeof pem === 'string' ? pem : pem.toString('latin1'))[0];
  if (!block || block.type !== 'CERTIFICATE REQUEST') throw new Error('PEM block type must be CERTIFICATE REQUEST');
  let root: Node;
  try {
    root = rawFromDer(block.body.toString('binary'));
  } catch {
    throw new Error('x509: malformed certificate request');
  }
  const info = children(root)[0];
  const [, subject, spki, attrs] = children(info);
  if (!subject || !spki) throw new Error('x509: malformed certificate request');
  const out: CertificateRequestInfo = {
    subjectDer: der(subject),
    publicKeyDer: der(spki),
    commonName: '',
    organizations: [],
    dnsNames: [],
    ipAddresses: [],
    emailAddresses: [],
    uris: [],
  };
  for (const rdn of children(subject)) {
    for (const atv of children(rdn)) {
      const [oid, value] = children(atv);
      if (!oid || !value) continue;
      const id = forge.asn1.derToOid(bytes(oid));
      // As Go's pkix.Name: the last CN wins; every O is kept in order.
      if (id === OID_CN) out.commonName = Buffer.from(bytes(value), 'binary').toString('utf8');
      else if (id === OID_O) out.organizations.push(Buffer.from(bytes(value), 'binary').toString('utf8'));
    }
  }
  for (const attr of children(attrs)) {
    const [oid, values] = children(attr);
    if (!oid || forge.asn1.derToOid(bytes(oid)) !== OID_EXTENSION_REQUEST) continue;
    for (const exts of children(values)) {
      for (const ext of children(exts)) {
        const parts = children(ext);
        const id = parts[0] ? forge.asn1.derToOid(bytes(parts[0])) : '';
        const value = parts[parts.length - 1];
        if (id !== OID_SAN || !value) continue;
        out.subjectAltNameDer = Buffer.from(bytes(value), 'binary');
        readSANs(bytes(value), out);
      }
    }
  }
  return out;
}
