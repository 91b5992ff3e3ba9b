import { describe, expect, it } from 'vitest';
import { createClusterCA } from '../../../src/control/pki/ca.js';
import { issueCertificate } from '../../../src/control/pki/issue.js';
import { nodeCredentialsProblem, nodeKubeconfigPath, renewalDue } from '../../../src/dataplane/kubelet/tls-bootstrap/bootstrap.js';

const ca = createClusterCA();
const now = new Date('2030-06-01T00:00:00Z');
const nodeCert = issueCertificate(ca, { commonName: 'system:node:n1', organizations: ['system:nodes'], usages: ['client'] }, { now, validityDays: 10 });
const config = { server: 'https://127.0.0.1:6443', certData: nodeCert.certPem, keyData: nodeCert.keyPem };

describe('node credentials', () => {
  it('a matching, valid certificate for this node is usable', () => {
    expect(nodeCredentialsProblem(config, 'n1', now)).toBeNull();
  });
  it('no certificate, another node, an expired one or a foreign key is not', () => {
    expect(nodeCredentialsProblem({ server: 'x' }, 'n1', now)).toBe('no client certificate');
    expect(nodeCredentialsProblem(config, 'n2', now)).toBe("the client certificate is not system:node:n2's");
    expect(nodeCredentialsProblem(config, 'n1', new Date('2030-06-12T00:00:00Z'))).toMatch(/^the client certificate expired at /);
    const other = issueCertificate(ca, { commonName: 'system:node:n1', organizations: ['system:nodes'], usages: ['client'] }, { now });
    expect(nodeCredentialsProblem({ ...config, keyData: other.keyPem }, 'n1', now)).toBe('the client key does not match the certificate');
  });
  it('renewal is due past 80% of the lifetime', () => {
    expect(renewalDue(config, new Date('2030-06-08T00:00:00Z'))).toBe(false);
    expect(renewalDue(config, new Date('2030-06-09T00:00:00Z'))).toBe(true);
    expect(renewalDue({ server: 'x', token: 't' }, now)).toBe(false);
  });
  it('the node kubeconfig is <cert-dir>/kubelet.conf unless given', () => {
    expect(nodeKubeconfigPath(undefined, '/var/lib/skiff/pki')).toBe('/var/lib/skiff/pki/kubelet.conf');
    expect(nodeKubeconfigPath('/etc/kubelet.conf', '/var/lib/skiff/pki')).toBe('/etc/kubelet.conf');
  });
});
