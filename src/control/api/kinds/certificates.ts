/**
 * certificates.k8s.io/v1 CertificateSigningRequests, as upstream's registry and validation: spec is fixed at
 * create (a signed PKCS#10 request, a signerName, known usages, expirationSeconds ≥ 600) and never changes;
 * Approved/Denied conditions are written only through /approval (`kubectl certificate approve|deny`), the
 * certificate only through /status, and neither condition is ever removed; Approved and Denied exclude each other.
 * Signing is a signer's job, not this file's.
 */
import type { FieldError, KubeObject, ResourceType, Strategy, TableColumn } from '../resource.js';
import { deepEqual, duplicate, forbidden, invalid, notSupported, required, tooLong } from '../validation/errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../validation/meta.js';
import { DNS1123_LABEL_MAX, DNS1123_SUBDOMAIN_MAX, isDNS1123Label, isDNS1123Subdomain } from '../validation/names.js';
import { certificateError, csrRequestError } from './certificates-request.js';
import { ageColumn, column, path } from './printers/columns.js';
import { humanDuration } from './printers/duration.js';
import { records, rec, str, type Json } from './strategies/json.js';
import { ALL_VERBS } from './verbs.js';
import { rfc3339 } from '../../../client/time.js';

/** Every key usage upstream knows, in its sorted order (the NotSupported list). */
export const KEY_USAGES = [
  'any', 'cert sign', 'client auth', 'code signing', 'content commitment', 'crl sign', 'data encipherment',
  'decipher only', 'digital signature', 'email protection', 'encipher only', 'ipsec end system', 'ipsec tunnel',
  'ipsec user', 'key agreement', 'key encipherment', 'microsoft sgc', 'netscape sgc', 'ocsp signing', 's/mime',
  'server auth', 'signing', 'timestamping',
];
const LEGACY_UNKNOWN_SIGNER = 'kubernetes.io/legacy-unknown';
/** Condition types that may only be True. */
const TRUE_ONLY = ['Approved', 'Denied', 'Failed'];
const STATUS_VALUES = ['False', 'True', 'Unknown'];

/** A []byte field (base64 in JSON) as its bytes; undefined when absent or not base64 text. */
const bytesOf = (v: unknown): Buffer => (typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.alloc(0));

/** A []byte value as Go's %#v prints it in a field error. */
const goBytes = (b: Buffer): string => `[]byte{${[...b].map((x) => `0x${x.toString(16)}`).join(', ')}}`;

/** Upstream's ValidateSignerName: `<domain>/<path>` with DNS labels in the domain, subdomains in the path. */
export function validateSignerName(field: string, signerName: string): FieldError[] {
  if (!signerName) return [required(field, '')];
  const segments = signerName.split('/');
  if (segments.length !== 2) return [invalid(field, signerName, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  const [domain, rest] = segments as [string, string];
  const errs: FieldError[] = [];
  if (domain.length > DNS1123_SUBDOMAIN_MAX) errs.push(tooLong(field, DNS1123_SUBDOMAIN_MAX));
  const labels = domain.split('.');
  for (const l of labels) {
    const msgs = isDNS1123Label(l);
    if (msgs.length) {
      for (const m of msgs) errs.push(invalid(field, domain, `validating label ${JSON.stringify(l)}: ${m}`));
      break;
    }
  }
  if (labels.length < 2) errs.push(invalid(field, domain, 'should be a domain with at least two segments separated by dots'));
  for (const l of rest.split('.')) {
    const msgs = isDNS1123Subdomain(l);
    if (msgs.length) {
      for (const m of msgs) errs.push(invalid(field, rest, `validating label ${JSON.stringify(l)}: ${m}`));
      break;
    }
  }
  const max = DNS1123_SUBDOMAIN_MAX + (DNS1123_SUBDOMAIN_MAX + DNS1123_LABEL_MAX + 1) + 1;
  if (signerName.length > max) errs.push(tooLong(field, max));
  return errs;
}

const conditionsOf = (obj: KubeObject): Json[] => records(rec(obj['status'])?.conditions);
const ofType = (obj: KubeObject, type: string): Json[] => conditionsOf(obj).filter((c) => c.type === type);

function validateConditions(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let approved = false;
  let denied = false;
  conditionsOf(obj).forEach((c, i) => {
    const field = `status.conditions[${i}]`;
    const type = str(c.type);
    if (!type) errs.push(required(`${field}.type`, ''));
    const allowed = TRUE_ONLY.includes(type) ? ['True'] : STATUS_VALUES;
    if (!c.status) errs.push(required(`${field}.status`, ''));
    else if (!allowed.includes(str(c.status))) errs.push(notSupported(`${field}.status`, c.status, allowed));
    if (type === 'Approved') {
      approved = true;
      if (denied) errs.push(invalid(`${field}.type`, type, 'Approved and Denied conditions are mutually exclusive'));
    } else if (type === 'Denied') {
      denied = true;
      if (approved) errs.push(invalid(`${field}.type`, type, 'Approved and Denied conditions are mutually exclusive'));
    }
    if (seen.has(type)) errs.push(duplicate(`${field}.type`, type));
    seen.add(type);
  });
  return errs;
}

/** Upstream's validateCertificateSigningRequest with the create options (nothing tolerated). */
function validateCSR(obj: KubeObject): FieldError[] {
  const errs = validateObjectMeta(obj, { namespaced: false, name: () => [] });
  const spec = rec(obj['spec']) ?? {};
  const request = bytesOf(spec.request);
  const reqErr = csrRequestError(request);
  if (reqErr) errs.push(invalid('spec.request', goBytes(request), reqErr));
  const usages = Array.isArray(spec.usages) ? spec.usages.map((u) => String(u)) : [];
  if (usages.length === 0) errs.push(required('spec.usages', ''));
  usages.forEach((u, i) => {
    if (!KEY_USAGES.includes(u)) errs.push(notSupported(`spec.usages[${i}]`, u, KEY_USAGES));
  });
  const seen = new Set<string>();
  usages.forEach((u, i) => {
    if (seen.has(u)) errs.push(duplicate(`spec.usages[${i}]`, u));
    seen.add(u);
  });
  const signer = str(spec.signerName);
  if (signer === LEGACY_UNKNOWN_SIGNER) errs.push(invalid('spec.signerName', signer, 'the legacy signerName is not allowed via this API version'));
  else errs.push(...validateSignerName('spec.signerName', signer));
  const exp = spec.expirationSeconds;
  if (typeof exp === 'number' && exp < 600) errs.push(invalid('spec.expirationSeconds', exp, 'may not specify a duration less than 600 seconds (10 minutes)'));
  errs.push(...validateConditions(obj));
  const certErr = certificateError(bytesOf(rec(obj['status'])?.certificate));
  if (certErr) errs.push(invalid('status.certificate', '<certificate data>', certErr));
  return errs;
}

/** What an update through `sub` may not do to the conditions and the certificate (validateCertificateSigningRequestUpdate). */
function validateCSRUpdate(obj: KubeObject, old: KubeObject, sub: string): FieldError[] {
  const errs = validateObjectMetaUpdate(obj, old);
  for (const t of ['Approved', 'Denied', 'Failed']) {
    if (ofType(obj, t).length < ofType(old, t).length) errs.push(forbidden('status.conditions', `updates may not remove a condition of type ${JSON.stringify(t)}`));
  }
  if (sub !== 'approval') {
    for (const t of ['Approved', 'Denied']) {
      const before = ofType(old, t);
      const after = ofType(obj, t);
      if (after.length > before.length) errs.push(forbidden('status.conditions', `updates may not add a condition of type ${JSON.stringify(t)}`));
      else if (after.length === before.length && !deepEqual(after, before)) {
        errs.push(forbidden('status.conditions', `updates may not modify a condition of type ${JSON.stringify(t)}`));
      }
    }
  }
  const cert = rec(obj['status'])?.certificate ?? '';
  const oldCert = rec(old['status'])?.certificate ?? '';
  if (cert !== oldCert) {
    if (sub !== 'status') errs.push(forbidden('status.certificate', 'updates may not set certificate content'));
    else if (oldCert) errs.push(forbidden('status.certificate', 'updates may not modify existing certificate content'));
  }
  return errs;
}

/** Sets lastUpdateTime and lastTransitionTime where missing (the latter kept from an old condition of the same type and status). */
function populateConditionTimestamps(obj: KubeObject, old: KubeObject, now: string): void {
  for (const c of conditionsOf(obj)) {
    if (!c.lastUpdateTime) c.lastUpdateTime = now;
    if (!c.lastTransitionTime) {
      const prev = conditionsOf(old).find((o) => o.type === c.type && o.status === c.status && o.lastTransitionTime);
      c.lastTransitionTime = prev?.lastTransitionTime ?? now;
    }
  }
}

export const csrStrategy: Strategy = {
  // PrepareForCreate: the requester's identity is the server's to fill, from the authenticated user.
  admit(obj, requester) {
    const spec = rec(obj['spec']);
    if (!spec) return;
    for (const k of ['username', 'uid', 'groups', 'extra']) delete spec[k];
    if (!requester) return;
    spec.username = requester.name;
    if (requester.uid) spec.uid = requester.uid;
    if (requester.groups.length) spec.groups = [...requester.groups];
    if (requester.extra && Object.keys(requester.extra).length) spec.extra = structuredClone(requester.extra);
  },
  validate: validateCSR,
  validateUpdate: (obj, old, sub) => validateCSRUpdate(obj, old, sub ?? ''),
  prepareForUpdate(obj, old, sub, now) {
    // The spec never changes after create; the main resource keeps the status too (the engine restores it).
    obj['spec'] = old['spec'];
    // The status may share parts with the stored object (a patch copies only what it changes): work on a copy.
    if (sub !== '' && obj['status'] !== undefined) obj['status'] = structuredClone(obj['status']);
    if (sub === 'status') {
      // Approved/Denied instances stay as they were unless added or removed (then validation refuses).
      const next = conditionsOf(obj);
      for (const t of ['Approved', 'Denied']) {
        const oldIdx = conditionsOf(old).filter((c) => c.type === t);
        const newIdx = next.map((c, i) => (c.type === t ? i : -1)).filter((i) => i >= 0);
        if (oldIdx.length === newIdx.length) newIdx.forEach((n, k) => { (rec(obj['status'])!.conditions as unknown[])[n] = structuredClone(oldIdx[k]); });
      }
      populateConditionTimestamps(obj, old, rfc3339(now));
    } else if (sub === 'approval') {
      populateConditionTimestamps(obj, old, rfc3339(now));
      const conditions = rec(obj['status'])?.conditions;
      const status: Json = { ...(rec(old['status']) ?? {}) };
      if (conditions === undefined) delete status.conditions;
      else status.conditions = conditions;
      obj['status'] = status;
    }
  },
  hasStatus: true,
};

/** Denied or Approved or Pending, then ",Failed" and ",Issued" (upstream's extractCSRStatus). */
export function csrCondition(o: KubeObject): string {
  const types = new Set(conditionsOf(o).map((c) => c.type));
  let s = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) s += ',Failed';
  if (str(rec(o['status'])?.certificate)) s += ',Issued';
  return s;
}

export const csrColumns: TableColumn[] = [
  ageColumn,
  column('SignerName', 'string', 'Requested signer for the request. It is a qualified name in the form: `scope-hostname.io/name`.', (o) =>
    str(path(o, 'spec', 'signerName')) || '<none>'),
  column('Requestor', 'string', 'Base64-encoded PKCS#10 CSR data', (o) => str(path(o, 'spec', 'username'))),
  column('RequestedDuration', 'string', 'expirationSeconds is the requested duration of validity of the issued certificate.', (o) => {
    const s = path(o, 'spec', 'expirationSeconds');
    return typeof s === 'number' ? humanDuration(s * 1000) : '<none>';
  }),
  column('Condition', 'string', 'Conditions applied to the request. Known conditions are "Approved", "Denied", and "Failed".', csrCondition),
];

export const certificatesigningrequests: ResourceType = {
  group: 'certificates.k8s.io', version: 'v1', kind: 'CertificateSigningRequest', listKind: 'CertificateSigningRequestList',
  plural: 'certificatesigningrequests', singular: 'certificatesigningrequest', shortNames: ['csr'], categories: [],
  namespaced: false, verbs: ALL_VERBS, subresources: ['status', 'approval'], strategy: csrStrategy, columns: csrColumns,
  definition: 'io.k8s.api.certificates.v1.CertificateSigningRequest', selectableFields: ['spec.signerName'],
};
