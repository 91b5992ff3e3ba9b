/**
 * Client certificates, as upstream's x509 authenticator: a certificate must chain to the cluster CA, be within its
 * validity and allow client authentication (an extended key usage of clientAuth, or none at all); then its CN is
 * the user name and its O values the groups. A certificate without a CN is no opinion; a refused one is an error
 * (`verifying certificate SN=…, SKID=…, AKID=… failed: x509: …`), so the request is 401, never anonymous.
 *
 * Verification is cached per certificate buffer: the API server hands the same buffer for every request on a
 * connection, so the signature is checked once per connection and only the clock per request.
 */
import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import type { AuthRequest, AuthResult, Authenticator } from './authenticator.js';
import type { UserInfo } from './user.js';
import { rfc3339 } from '../../../client/time.js';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

interface Verified {
  notBefore: number;
  notAfter: number;
  /** The user, an error from the chain check, or null for a certificate without a CN. */
  outcome: { user: UserInfo } | { error: string } | null;
}

const colonHex = (bytes: string | undefined): string =>
  bytes ? Buffer.from(bytes, 'binary').toString('hex').toUpperCase().match(/../g)!.join(':') : '';

/** Upstream's `SN=<decimal>, SKID=<hex>, AKID=<hex>` naming of a certificate in errors. */
export function certificateIdentifier(der: Buffer): string {
  try {
    const c = forge.pki.certificateFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary'))));
    const skid = c.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | null;
    const akid = c.getExtension('authorityKeyIdentifier') as { value?: string } | null;
    // forge keeps the AKID extension's raw DER: SEQUENCE { [0] keyIdentifier }; the key id is its payload.
    let akidHex = '';
    if (akid?.value) {
      const seq = forge.asn1.fromDer(akid.value);
      const id = (seq.value as forge.asn1.Asn1[]).find((e) => e.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && e.type === 0);
      if (id && typeof id.value === 'string') akidHex = colonHex(id.value);
    }
    const sn = BigInt(`0x${c.serialNumber || '0'}`).toString();
    return `SN=${sn}, SKID=${skid?.subjectKeyIdentifier ? colonHex(forge.util.hexToBytes(skid.subjectKeyIdentifier)) : ''}, AKID=${akidHex}`;
  } catch {
    return 'SN=?, SKID=, AKID=';
  }
}

/**
 * CN and O values of a certificate's subject, read from the DER with forge's generic ASN.1 reader: forge's
 * certificate reader refuses any key but RSA, and kubelets' client certificates are ECDSA.
 */
function subjectOf(der: Buffer): { cn: string; orgs: string[] } {
  const kids = (n: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] => (n && Array.isArray(n.value) ? (n.value as forge.asn1.Asn1[]) : []);
  const tbs = kids(forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary'))))[0];
  const fields = kids(tbs);
  // version [0] is optional (v1 certificates): then the subject is the fifth field, not the sixth.
  const subject = fields[fields[0]?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 5 : 4];
  let cn = '';
  const orgs: string[] = [];
  for (const rdn of kids(subject)) {
    for (const atv of kids(rdn)) {
      const [oid, value] = kids(atv);
      if (!oid || !value || typeof oid.value !== 'string' || typeof value.value !== 'string') continue;
      const id = forge.asn1.derToOid(oid.value);
      const text = forge.util.decodeUtf8(value.value);
      // As Go's pkix.Name: the last CN wins; every O is kept in order.
      if (id === '2.5.4.3') cn = text;
      else if (id === '2.5.4.10') orgs.push(text);
    }
  }
  return { cn, orgs };
}

export class ClientCertAuthenticator implements Authenticator {
  private readonly ca: X509Certificate;
  private readonly verified = new WeakMap<Buffer, Verified>();
  /** The clock in ms: Date.now unless a clock is given (no Date made per request). */
  private readonly nowMs: () => number;

  constructor(caPem: string, now?: () => Date) {
    this.ca = new X509Certificate(caPem);
    this.nowMs = now ? () => now().getTime() : Date.now;
  }

  authenticate(req: AuthRequest): AuthResult {
    const der = req.clientCertificate;
    if (!der || der.length === 0) return null;
    let v = this.verified.get(der);
    if (!v) {
      v = this.verify(der);
      this.verified.set(der, v);
    }
    if (v.outcome && 'error' in v.outcome) return v.outcome;
    const t = this.nowMs();
    if (t < v.notBefore || t > v.notAfter) {
      const why = t < v.notBefore ? `before ${rfc3339(v.notBefore)}` : `after ${rfc3339(v.notAfter)}`;
      return { error: `verifying certificate ${certificateIdentifier(der)} failed: x509: certificate has expired or is not yet valid: current time ${rfc3339(t)} is ${why}` };
    }
    return v.outcome;
  }

  private verify(der: Buffer): Verified {
    const fail = (why: string): Verified => ({ notBefore: 0, notAfter: 0, outcome: { error: `verifying certificate ${certificateIdentifier(der)} failed: x509: ${why}` } });
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(der);
    } catch (err) {
      return fail(`malformed certificate: ${(err as Error).message}`);
    }
    if (!cert.checkIssued(this.ca) || !cert.verify(this.ca.publicKey)) return fail('certificate signed by unknown authority');
    const eku = cert.keyUsage;
    if (eku && eku.length && !eku.includes(CLIENT_AUTH) && !eku.includes(ANY_EXTENDED_KEY_USAGE)) return fail('certificate specifies an incompatible key usage');
    const { cn, orgs } = subjectOf(der);
    return {
      notBefore: Date.parse(cert.validFrom),
      notAfter: Date.parse(cert.validTo),
      outcome: cn ? { user: { name: cn, groups: orgs } } : null,
    };
  }
}
