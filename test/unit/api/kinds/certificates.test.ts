import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { certificatesigningrequests as csrs, validateSignerName } from '../../../../src/control/api/kinds/certificates.js';
import { csrRequestError } from '../../../../src/control/api/kinds/certificates-request.js';
import { toTable } from '../../../../src/control/api/table.js';
import { ecCsrPem, requestField, rsaCsrPem } from '../../../support/csr.js';

const s = csrs.strategy;
const now = new Date('2026-01-10T12:00:00Z');
const messages = (errs: Array<{ field: string; message: string }>) => errs.map((e) => `${e.field}: ${e.message}`);

let pem = '';
beforeAll(() => {
  pem = rsaCsrPem('alice');
});

const csr = (spec: Record<string, unknown> = {}, status?: Record<string, unknown>): KubeObject => ({
  apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: 'alice' },
  spec: { request: requestField(pem), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], ...spec },
  ...(status ? { status } : {}),
});

describe('spec.request', () => {
  test('an RSA and an ECDSA request verify; a tampered one does not', () => {
    expect(csrRequestError(Buffer.from(pem))).toBeNull();
    const ec = ecCsrPem('system:node:n1');
    if (existsSync('/usr/bin/openssl')) expect(ec).toContain('BEGIN CERTIFICATE REQUEST');
    if (ec) expect(csrRequestError(Buffer.from(ec))).toBeNull();
    // Flip one byte inside the signed part (the subject): the self-signature no longer matches.
    const body = pem.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    const der = Buffer.from(body, 'base64');
    der[40] = der[40]! ^ 0x01;
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(csrRequestError(Buffer.from(tampered))).toBe('crypto/rsa: verification error');
  });

  test('a non-CSR PEM block is refused with upstream\'s words, its bytes shown as Go shows []byte', () => {
    const errs = messages(s.validate!(csr({ request: requestField('hello') })));
    expect(errs).toEqual(['spec.request: Invalid value: "[]byte{0x68, 0x65, 0x6c, 0x6c, 0x6f}": PEM block type must be CERTIFICATE REQUEST']);
  });
});

describe('create validation', () => {
  test('a good request is valid; the requester fields are the server\'s to set', () => {
    const o = csr({ username: 'mallory', groups: ['system:masters'] });
    s.admit!(o);
    expect(o.spec).not.toHaveProperty('username');
    expect(o.spec).not.toHaveProperty('groups');
    expect(s.validate!(o)).toEqual([]);
    const mine = csr({ username: 'mallory' });
    s.admit!(mine, { name: 'alice', uid: 'u-1', groups: ['devs'], extra: { scopes: ['a'] } });
    expect(mine.spec).toMatchObject({ username: 'alice', uid: 'u-1', groups: ['devs'], extra: { scopes: ['a'] } });
  });

  test('usages, signerName and expirationSeconds', () => {
    expect(messages(s.validate!(csr({ usages: [], signerName: '', expirationSeconds: 599 })))).toEqual([
      'spec.usages: Required value',
      'spec.signerName: Required value',
      'spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)',
    ]);
    const errs = messages(s.validate!(csr({ usages: ['client auth', 'flying', 'client auth'], signerName: 'kubernetes.io/legacy-unknown' })));
    expect(errs[0]).toMatch(/^spec\.usages\[1\]: Unsupported value: "flying": supported values: "any", "cert sign", /);
    expect(errs.slice(1)).toEqual([
      'spec.usages[2]: Duplicate value: "client auth"',
      'spec.signerName: Invalid value: "kubernetes.io/legacy-unknown": the legacy signerName is not allowed via this API version',
    ]);
    expect(s.validate!(csr({ expirationSeconds: 600 }))).toEqual([]);
  });

  test('signer names: a domain of two labels or more, then a path', () => {
    expect(validateSignerName('f', 'example.com/my-signer')).toEqual([]);
    expect(messages(validateSignerName('f', 'nodomain'))).toEqual(["f: Invalid value: \"nodomain\": must be a fully qualified domain and path of the form 'example.com/signer-name'"]);
    expect(messages(validateSignerName('f', 'local/x'))).toEqual(['f: Invalid value: "local": should be a domain with at least two segments separated by dots']);
    expect(messages(validateSignerName('f', 'Ex.com/x'))[0]).toMatch(/^f: Invalid value: "Ex.com": validating label "Ex": a lowercase RFC 1123 label/);
  });
});

describe('updates', () => {
  const approved = (extra: Record<string, unknown> = {}) => ({ type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'ok', ...extra });

  test('the main resource never changes spec or status', () => {
    const old = csr();
    const next = csr({ usages: ['server auth'] }, { conditions: [approved()] });
    s.prepareForUpdate!(next, old, '', now);
    expect(next.spec).toEqual(old.spec);
  });

  test('/approval takes only the conditions and stamps their times', () => {
    const old = csr({}, { certificate: '' });
    const next = csr({ usages: ['server auth'] }, { conditions: [approved()], certificate: 'Zm9v' });
    s.prepareForUpdate!(next, old, 'approval', now);
    expect(next.spec).toEqual(old.spec);
    expect(next['status']).toEqual({ certificate: '', conditions: [approved({ lastUpdateTime: '2026-01-10T12:00:00Z', lastTransitionTime: '2026-01-10T12:00:00Z' })] });
    expect(s.validate!(next)).toEqual([]);
    expect(s.validateUpdate!(next, old, 'approval')).toEqual([]);
  });

  test('Approved and Denied exclude each other; neither may be removed, nor added outside /approval', () => {
    const both = csr({}, { conditions: [approved(), { type: 'Denied', status: 'True' }] });
    expect(messages(s.validate!(both))).toEqual(['status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive']);
    expect(messages(s.validate!(csr({}, { conditions: [approved({ status: 'False' })] }))))
      .toEqual(['status.conditions[0].status: Unsupported value: "False": supported values: "True"']);
    const old = csr({}, { conditions: [approved()] });
    expect(messages(s.validateUpdate!(csr({}, { conditions: [] }), old, 'approval')))
      .toEqual(['status.conditions: Forbidden: updates may not remove a condition of type "Approved"']);
    expect(messages(s.validateUpdate!(csr({}, { conditions: [approved()] }), csr(), 'status')))
      .toEqual(['status.conditions: Forbidden: updates may not add a condition of type "Approved"']);
  });

  test('/status keeps stored Approved conditions as they were and may set the certificate once', () => {
    const old = csr({}, { conditions: [approved({ lastUpdateTime: '2026-01-01T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:00Z' })] });
    const next = csr({}, { conditions: [approved({ message: 'edited' }), { type: 'Failed', status: 'True', reason: 'SignerError' }] });
    s.prepareForUpdate!(next, old, 'status', now);
    const conds = (next['status'] as { conditions: Array<Record<string, unknown>> }).conditions;
    expect(conds[0]).toEqual((old['status'] as { conditions: unknown[] }).conditions[0]);
    expect(conds[1]).toMatchObject({ type: 'Failed', lastUpdateTime: '2026-01-10T12:00:00Z' });
    expect(s.validateUpdate!(next, old, 'status')).toEqual([]);
    const withCert = csr({}, { certificate: 'Zm9v' });
    expect(messages(s.validate!(withCert))).toEqual(['status.certificate: Invalid value: "<certificate data>": must contain at least one CERTIFICATE PEM block']);
    expect(messages(s.validateUpdate!(withCert, csr(), 'approval'))).toEqual(['status.certificate: Forbidden: updates may not set certificate content']);
  });
});

describe('columns', () => {
  test('Age, SignerName, Requestor, RequestedDuration, Condition', () => {
    const o = { ...csr({ expirationSeconds: 3600, username: 'kubernetes-admin' }, { conditions: [{ type: 'Approved', status: 'True' }] }), metadata: { name: 'alice', creationTimestamp: '2026-01-10T11:59:30Z' } };
    const t = toTable(csrs, [o, { ...o, spec: {}, status: {} }], { includeObject: 'None', now });
    expect((t.columnDefinitions as Array<{ name: string }>).map((c) => c.name)).toEqual(['Name', 'Age', 'SignerName', 'Requestor', 'RequestedDuration', 'Condition']);
    const rows = (t.rows as Array<{ cells: unknown[] }>).map((r) => r.cells);
    expect(rows[0]).toEqual(['alice', '30s', 'kubernetes.io/kube-apiserver-client', 'kubernetes-admin', '60m', 'Approved']);
    expect(rows[1]).toEqual(['alice', '30s', '<none>', '', '<none>', 'Pending']);
  });
});
