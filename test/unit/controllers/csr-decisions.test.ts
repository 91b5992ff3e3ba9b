import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createClusterCA } from '../../../src/control/pki/ca.js';
import { signingDecision } from '../../../src/control/controllers/csr-signing.js';
import { approvalDecision, defaultPolicyAllows, type ApprovalPermission } from '../../../src/control/controllers/csr-approving.js';
import type { CertificateSigningRequest } from '../../../src/control/controllers/csr-conditions.js';
import { createCertificateRequest, newNodeKeyPem } from '../../../src/dataplane/kubelet/tls-bootstrap/certificate-request.js';

const ca = createClusterCA();
const nodeRequest = Buffer.from(createCertificateRequest(newNodeKeyPem(), { commonName: 'system:node:n1', organizations: ['system:nodes'] })).toString('base64');
const approved = { conditions: [{ type: 'Approved', status: 'True', reason: 'AutoApproved' }] };

const csr = (over: Partial<CertificateSigningRequest['spec']> = {}, status?: CertificateSigningRequest['status']): CertificateSigningRequest => ({
  metadata: { name: 'c1' },
  spec: { request: nodeRequest, signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'], username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:authenticated'], ...over },
  ...(status ? { status } : {}),
});

describe('signingDecision', () => {
  const now = new Date();
  it('signs an approved request for one of its signers, for expirationSeconds', () => {
    const d = signingDecision(csr({ expirationSeconds: 3600 }, approved), ca, 365 * 86400_000, now);
    expect(d.op).toBe('sign');
    const cert = new X509Certificate(d.op === 'sign' ? d.certificate : '');
    expect(cert.subject).toBe('O=system:nodes\nCN=system:node:n1');
    expect(cert.checkIssued(ca.cert)).toBe(true);
    expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(3600_000 + 300_000);
  });
  it('fails a request that breaks the signer rules', () => {
    expect(signingDecision(csr({ usages: ['client auth'] }, approved), ca, 86400_000, now)).toEqual({ op: 'fail', message: 'usages did not match [client auth digital signature key encipherment]' });
  });
  it('leaves alone what is not approved, denied, failed, issued, or for another signer', () => {
    expect(signingDecision(csr(), ca, 86400_000, now)).toEqual({ op: 'none' });
    expect(signingDecision(csr({}, { conditions: [...approved.conditions, { type: 'Denied', status: 'True' }] }), ca, 86400_000, now)).toEqual({ op: 'none' });
    expect(signingDecision(csr({}, { conditions: [...approved.conditions, { type: 'Failed', status: 'True' }] }), ca, 86400_000, now)).toEqual({ op: 'none' });
    expect(signingDecision(csr({}, { ...approved, certificate: 'eA==' }), ca, 86400_000, now)).toEqual({ op: 'none' });
    expect(signingDecision(csr({ signerName: 'example.com/other' }, approved), ca, 86400_000, now)).toEqual({ op: 'none' });
  });
});

describe('approvalDecision', () => {
  const allowAll = async () => true;
  it('approves a bootstrapper\'s node client request after the nodeclient check', async () => {
    const asked: ApprovalPermission[] = [];
    const d = await approvalDecision(csr(), async (c, p) => (asked.push(p), defaultPolicyAllows(c, p)));
    expect(d).toEqual({ op: 'approve', message: 'Auto approving kubelet client certificate after SubjectAccessReview.' });
    expect(asked).toEqual(['nodeclient']);
  });
  it("a node renewing its own certificate is checked for selfnodeclient first", async () => {
    const d = await approvalDecision(csr({ username: 'system:node:n1', groups: ['system:nodes'] }), async (c, p) => defaultPolicyAllows(c, p));
    expect(d).toEqual({ op: 'approve', message: 'Auto approving self kubelet client certificate after SubjectAccessReview.' });
  });
  it('a requester without the permission is not approved; other requests are not looked at', async () => {
    expect(await approvalDecision(csr({ username: 'jane', groups: ['devs'] }), async (c, p) => defaultPolicyAllows(c, p))).toEqual({ op: 'unauthorized', tried: ['nodeclient'] });
    expect(await approvalDecision(csr({ signerName: 'kubernetes.io/kube-apiserver-client' }), allowAll)).toEqual({ op: 'none' });
    expect(await approvalDecision(csr({ usages: ['client auth', 'server auth'] }), allowAll)).toEqual({ op: 'none' });
    expect(await approvalDecision(csr({}, approved), allowAll)).toEqual({ op: 'none' });
    expect(await approvalDecision(csr({}, { conditions: [{ type: 'Denied', status: 'True' }] }), allowAll)).toEqual({ op: 'none' });
  });
});
