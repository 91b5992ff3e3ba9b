import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createClusterCA } from '../../../src/control/pki/ca.js';
import { canonicalIP, issueCertificate } from '../../../src/control/pki/issue.js';
import { certFacts, renewalReason } from '../../../src/control/pki/renewal.js';
import { loadOrIssueCertificate } from '../../../src/control/pki/stored.js';
import { ADMIN_SPEC, loadOrIssueClusterCertificates, loadOrIssueServerCertificates, nodeSpec, servingSpec } from '../../../src/control/pki/cluster-certs.js';

const now = new Date('2030-06-01T00:00:00Z');
const DAY = 86_400_000;
const ca = createClusterCA({ now: new Date('2030-01-01T00:00:00Z') });
const otherCA = createClusterCA({ now: new Date('2030-01-01T00:00:00Z') });
const dir = mkdtempSync(join(tmpdir(), 'skiff-certs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const serving = servingSpec({ listenHosts: ['127.0.0.1'], serviceIP: '10.96.0.1' });

describe('serving certificate spec', () => {
  it('names the kubernetes Service, localhost, 127.0.0.1, the ClusterIP and each listen address', () => {
    const s = servingSpec({ listenHosts: ['192.168.5.4', 'api.example', '::1'], serviceIP: '10.96.0.1' });
    expect(s.dnsNames).toEqual(expect.arrayContaining(['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost', 'api.example']));
    expect(s.ipAddresses).toEqual(expect.arrayContaining(['127.0.0.1', '10.96.0.1', '192.168.5.4', '::1']));
    expect(s.usages).toEqual(['server']);
  });

  it('a wildcard listener stands for every interface address and the host name', () => {
    const s = servingSpec({ listenHosts: ['0.0.0.0'], serviceIP: '10.96.0.1', interfaceAddresses: ['10.0.0.7', 'fe80::1'], hostname: 'box' });
    expect(s.ipAddresses).toEqual(expect.arrayContaining(['10.0.0.7', 'fe80::1']));
    expect(s.ipAddresses).not.toContain('0.0.0.0');
    expect(s.dnsNames).toContain('box');
  });
});

describe('issueCertificate', () => {
  const c = issueCertificate(ca, servingSpec({ listenHosts: ['127.0.0.1', '::1'], serviceIP: '10.96.0.1' }), { now });

  it('is signed by the cluster CA, not a CA itself, valid one year from now', () => {
    expect(c.cert.checkIssued(ca.cert)).toBe(true);
    expect(c.cert.verify(ca.cert.publicKey)).toBe(true);
    expect(c.cert.verify(otherCA.cert.publicKey)).toBe(false);
    expect(c.cert.ca).toBe(false);
    expect(new Date(c.cert.validTo).getTime()).toBe(now.getTime() + 365 * DAY);
    expect(new Date(c.cert.validFrom).getTime()).toBeLessThanOrEqual(now.getTime());
    expect(c.cert.checkPrivateKey(createPrivateKey(c.keyPem))).toBe(true);
  });

  it('carries the SANs, so TLS host checks pass for each name and address', () => {
    for (const host of ['kubernetes.default.svc', 'localhost', 'kubernetes']) expect(c.cert.checkHost(host)).toBe(host);
    for (const ip of ['127.0.0.1', '10.96.0.1', '::1']) expect(c.cert.checkIP(ip)).toBe(ip);
    expect(c.cert.checkIP('10.96.0.2')).toBeUndefined();
    expect(c.cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  });

  it('a client certificate says CN = user and O = groups, with the clientAuth usage', () => {
    const admin = issueCertificate(ca, ADMIN_SPEC, { now });
    expect(admin.cert.subject.split('\n')).toEqual(['O=system:masters', 'CN=kubernetes-admin']);
    expect(admin.cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    const facts = certFacts(issueCertificate(ca, nodeSpec('n1'), { now }).certPem, ca);
    expect(facts).toMatchObject({ commonName: 'system:node:n1', organizations: ['system:nodes'], usages: ['client'], signedByCA: true });
  });

  it('refuses a spec without a CN or usages', () => {
    expect(() => issueCertificate(ca, { commonName: '', usages: ['client'] })).toThrow(/commonName is required/);
    expect(() => issueCertificate(ca, { commonName: 'x', usages: [] })).toThrow(/at least one usage/);
  });
});

describe('renewalReason', () => {
  const c = issueCertificate(ca, serving, { now });
  const facts = certFacts(c.certPem, ca);

  it('keeps a certificate that still says what is wanted and is far from expiry', () => {
    expect(renewalReason(facts, serving, now)).toBeNull();
    expect(renewalReason(facts, serving, new Date(now.getTime() + 334 * DAY))).toBeNull();
  });

  it('renews within 30 days of expiry, and after it', () => {
    expect(renewalReason(facts, serving, new Date(now.getTime() + 336 * DAY))).toMatch(/within 30 days/);
    expect(renewalReason(facts, serving, new Date(now.getTime() + 400 * DAY))).toMatch(/within 30 days/);
  });

  it('renews when the SANs, the subject or the CA change', () => {
    expect(renewalReason(facts, { ...serving, ipAddresses: [...serving.ipAddresses!, '192.168.1.9'] }, now)).toBe('IP addresses changed');
    expect(renewalReason(facts, { ...serving, dnsNames: ['kubernetes'] }, now)).toBe('DNS names changed');
    expect(renewalReason(facts, { ...serving, commonName: 'other' }, now)).toBe('subject changed');
    expect(renewalReason(certFacts(c.certPem, otherCA), serving, now)).toBe('not signed by the cluster CA');
    expect(renewalReason(null, serving, now)).toBe('missing');
  });

  it('compares IP addresses, not their spelling', () => {
    expect(canonicalIP('0:0:0:0:0:0:0:1')).toBe('::1');
    const v6 = issueCertificate(ca, { ...serving, ipAddresses: ['::1'] }, { now });
    expect(renewalReason(certFacts(v6.certPem, ca), { ...serving, ipAddresses: ['0:0::1'] }, now)).toBeNull();
  });
});

describe('loadOrIssueCertificate', () => {
  it('issues once, reuses across restarts, reissues on SAN change or near expiry', () => {
    const first = loadOrIssueCertificate(dir, 'apiserver', ca, serving, { now });
    expect(first.issued).toBe('missing');
    expect(readFileSync(join(dir, 'apiserver.crt'), 'utf8')).toBe(first.certPem);
    const again = loadOrIssueCertificate(dir, 'apiserver', ca, serving, { now: new Date(now.getTime() + 100 * DAY) });
    expect(again.issued).toBeNull();
    expect(again.certPem).toBe(first.certPem);
    const moved = loadOrIssueCertificate(dir, 'apiserver', ca, { ...serving, ipAddresses: ['127.0.0.1', '10.96.0.1', '10.1.2.3'] }, { now });
    expect(moved.issued).toBe('IP addresses changed');
    expect(moved.cert.checkIP('10.1.2.3')).toBe('10.1.2.3');
    const later = new Date(now.getTime() + 340 * DAY);
    const renewed = loadOrIssueCertificate(dir, 'apiserver', ca, { ...serving, ipAddresses: ['127.0.0.1', '10.96.0.1', '10.1.2.3'] }, { now: later });
    expect(renewed.issued).toMatch(/within 30 days/);
    expect(new Date(renewed.cert.validTo).getTime()).toBe(later.getTime() + 365 * DAY);
  });

  it('replaces a pair whose key does not match or whose certificate does not parse', () => {
    const a = loadOrIssueCertificate(dir, 'admin', ca, ADMIN_SPEC, { now });
    writeFileSync(join(dir, 'admin.key'), issueCertificate(ca, ADMIN_SPEC, { now }).keyPem);
    const b = loadOrIssueCertificate(dir, 'admin', ca, ADMIN_SPEC, { now });
    expect(b.issued).toBe('missing');
    expect(b.certPem).not.toBe(a.certPem);
    writeFileSync(join(dir, 'admin.crt'), 'garbage');
    expect(loadOrIssueCertificate(dir, 'admin', ca, ADMIN_SPEC, { now }).issued).toBe('missing');
  });

  it('loadOrIssueClusterCertificates writes apiserver and admin beside the CA', () => {
    const d = mkdtempSync(join(dir, 'cluster-'));
    const certs = loadOrIssueClusterCertificates(d, ca, { listenHosts: ['127.0.0.1'], serviceIP: '10.96.0.1' }, { now });
    expect(new X509Certificate(readFileSync(join(d, 'apiserver.crt'))).checkIP('10.96.0.1')).toBe('10.96.0.1');
    expect(certs.admin.cert.subject).toContain('CN=kubernetes-admin');
  });

  it('loadOrIssueServerCertificates makes the components\' certificates too, in parallel, and reuses them all', async () => {
    const d = mkdtempSync(join(dir, 'server-'));
    const names = { listenHosts: ['127.0.0.1'], serviceIP: '10.96.0.1' };
    const first = await loadOrIssueServerCertificates(d, ca, names, ['scheduler', 'controller-manager'], { now });
    expect([first.serving, first.admin, first.components.scheduler!, first.components['controller-manager']!].map((c) => c.issued)).toEqual(['missing', 'missing', 'missing', 'missing']);
    expect(certFacts(first.components.scheduler!.certPem, ca)).toMatchObject({ commonName: 'system:kube-scheduler', organizations: [], usages: ['client'], signedByCA: true });
    expect(certFacts(first.components['controller-manager']!.certPem, ca).commonName).toBe('system:kube-controller-manager');
    expect(first.components.proxy).toBeUndefined();
    const again = await loadOrIssueServerCertificates(d, ca, names, ['scheduler', 'controller-manager', 'proxy'], { now });
    expect([again.serving, again.admin, again.components.scheduler!].map((c) => c.issued)).toEqual([null, null, null]);
    expect(again.components.scheduler!.certPem).toBe(first.components.scheduler!.certPem);
    expect(again.components.proxy!.issued).toBe('missing');
    expect(again.components.proxy!.cert.subject).toBe('CN=system:kube-proxy');
  });

  it('the local node\'s certificate is system:node:<name> in system:nodes, reissued when the name changes', async () => {
    const d = mkdtempSync(join(dir, 'node-'));
    const names = { listenHosts: ['127.0.0.1'], serviceIP: '10.96.0.1' };
    await expect(loadOrIssueServerCertificates(d, ca, names, ['node'], { now })).rejects.toThrow('a node certificate needs the node name');
    const a = await loadOrIssueServerCertificates(d, ca, names, ['node'], { now, nodeName: 'vm' });
    expect(certFacts(a.components.node!.certPem, ca)).toMatchObject({ commonName: 'system:node:vm', organizations: ['system:nodes'] });
    const b = await loadOrIssueServerCertificates(d, ca, names, ['node'], { now, nodeName: 'box' });
    expect(b.components.node!.issued).toBe('subject changed');
    expect(b.components.node!.cert.subject).toBe('O=system:nodes\nCN=system:node:box');
  });
});
