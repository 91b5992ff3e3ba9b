import { describe, expect, it } from 'vitest';
import type { CertificateRequestInfo } from '../../../src/control/pki/certificate-request.js';
import { apiServerClientError, kubeletClientError, kubeletServingError, signerRuleError, signingDurationMs } from '../../../src/control/controllers/csr-signer-rules.js';

const req = (over: Partial<CertificateRequestInfo> = {}): CertificateRequestInfo => ({
  subjectDer: Buffer.alloc(0), publicKeyDer: Buffer.alloc(0), commonName: 'system:node:n1', organizations: ['system:nodes'],
  dnsNames: [], ipAddresses: [], emailAddresses: [], uris: [], ...over,
});
const CLIENT = ['digital signature', 'key encipherment', 'client auth'];

describe('kubelet client signer', () => {
  it('accepts O=system:nodes, CN=system:node:*, no SANs, the client usages (with or without key encipherment)', () => {
    expect(kubeletClientError(req(), CLIENT)).toBeNull();
    expect(kubeletClientError(req(), ['client auth', 'digital signature'])).toBeNull();
  });
  it('refuses everything else with upstream words', () => {
    expect(kubeletClientError(req({ organizations: ['system:nodes', 'x'] }), CLIENT)).toBe('subject organization is not system:nodes');
    expect(kubeletClientError(req({ organizations: [] }), CLIENT)).toBe('subject organization is not system:nodes');
    expect(kubeletClientError(req({ dnsNames: ['a'] }), CLIENT)).toBe('DNS subjectAltNames are not allowed');
    expect(kubeletClientError(req({ emailAddresses: ['a@b'] }), CLIENT)).toBe('Email subjectAltNames are not allowed');
    expect(kubeletClientError(req({ ipAddresses: ['10.0.0.1'] }), CLIENT)).toBe('IP subjectAltNames are not allowed');
    expect(kubeletClientError(req({ uris: ['spiffe://x'] }), CLIENT)).toBe('URI subjectAltNames are not allowed');
    expect(kubeletClientError(req({ commonName: 'system:bootstrap:abcdef' }), CLIENT)).toBe('subject common name does not begin with system:node:');
    expect(kubeletClientError(req(), ['client auth'])).toBe('usages did not match [client auth digital signature key encipherment]');
    expect(kubeletClientError(req(), [...CLIENT, 'server auth'])).toBe('usages did not match [client auth digital signature key encipherment]');
  });
});

describe('kubelet serving signer', () => {
  it('needs a DNS or IP SAN and the serving usages', () => {
    expect(kubeletServingError(req({ ipAddresses: ['10.0.0.1'] }), ['digital signature', 'server auth'])).toBeNull();
    expect(kubeletServingError(req(), ['digital signature', 'server auth'])).toBe('DNS or IP subjectAltName is required');
    expect(kubeletServingError(req({ dnsNames: ['n1'] }), CLIENT)).toBe('usages did not match [digital signature key encipherment server auth]');
    expect(kubeletServingError(req({ dnsNames: ['n1'], commonName: 'n1' }), ['digital signature', 'server auth'])).toBe('subject common name does not begin with system:node:');
  });
});

describe('kube-apiserver client signer', () => {
  it('requires client auth and allows only signature and encipherment beside it', () => {
    expect(apiServerClientError(['client auth'])).toBeNull();
    expect(apiServerClientError(CLIENT)).toBeNull();
    expect(apiServerClientError(['digital signature'])).toBe('missing required usage for client certificate: client auth');
    expect(apiServerClientError(['client auth', 'server auth'])).toBe('invalid usage for client certificate: server auth');
  });
  it('any subject will do', () => {
    expect(signerRuleError('kubernetes.io/kube-apiserver-client', req({ commonName: 'jane', organizations: ['devs'] }), ['client auth'])).toBeNull();
  });
  it('other signers are none of ours', () => {
    expect(signerRuleError('example.com/mine', req(), CLIENT)).toBeUndefined();
    expect(signerRuleError('kubernetes.io/legacy-unknown', req(), CLIENT)).toBeUndefined();
  });
});

describe('signingDurationMs', () => {
  it('honours expirationSeconds between ten minutes and the maximum', () => {
    const max = 365 * 24 * 3600_000;
    expect(signingDurationMs(undefined, max)).toBe(max);
    expect(signingDurationMs(3600, max)).toBe(3600_000);
    expect(signingDurationMs(600, max)).toBe(600_000);
    expect(signingDurationMs(60, max)).toBe(600_000);
    expect(signingDurationMs(10 * 365 * 24 * 3600, max)).toBe(max);
  });
});
