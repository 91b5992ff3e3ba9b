import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKubeconfig, parseKubeconfig } from '../../../src/client/kubeconfig.js';
import { bootstrapKubeconfigYaml, kubeconfigYaml } from '../../../src/cli/kubeconfig-yaml.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-kc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kubeconfig TLS fields', () => {
  it('reads the CA, client certificate and key from files relative to the kubeconfig, and a token file', () => {
    mkdirSync(join(dir, 'pki'));
    writeFileSync(join(dir, 'pki/ca.crt'), 'CA PEM');
    writeFileSync(join(dir, 'pki/me.crt'), 'CERT PEM');
    writeFileSync(join(dir, 'me.key'), 'KEY PEM');
    writeFileSync(join(dir, 'token'), 'tok\n');
    const file = join(dir, 'config');
    writeFileSync(file, [
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443", certificate-authority: pki/ca.crt}}]',
      `users: [{name: u, user: {client-certificate: pki/me.crt, client-key: ${join(dir, 'me.key')}, tokenFile: token}}]`,
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
    ].join('\n'));
    expect(loadKubeconfig(file)).toMatchObject({ server: 'https://127.0.0.1:6443', caData: 'CA PEM', certData: 'CERT PEM', keyData: 'KEY PEM', token: 'tok', insecureSkipTLSVerify: false });
  });

  it('a missing referenced file names the field and the file', () => {
    const text = 'clusters: [{name: c, cluster: {server: "https://h", certificate-authority: /nonexistent/ca.crt}}]';
    expect(() => parseKubeconfig(text, 'k.yaml')).toThrow('kubeconfig k.yaml: certificate-authority /nonexistent/ca.crt: file not found');
  });

  it('the written kubeconfig round-trips: https with CA and client certificate, or plain http that skips verification', () => {
    const secure = parseKubeconfig(kubeconfigYaml('https://127.0.0.1:6443', { caPem: 'CA\n', certPem: 'CERT\n', keyPem: 'KEY\n' }));
    expect(secure).toMatchObject({ server: 'https://127.0.0.1:6443', caData: 'CA\n', certData: 'CERT\n', keyData: 'KEY\n', insecureSkipTLSVerify: false, namespace: 'default' });
    const plain = parseKubeconfig(kubeconfigYaml('http://127.0.0.1:6443'));
    expect(plain).toMatchObject({ server: 'http://127.0.0.1:6443', insecureSkipTLSVerify: true });
    expect(plain.certData).toBeUndefined();
  });

  it('the bootstrap kubeconfig carries the token and the CA, and names its user as kubeadm does', () => {
    const text = bootstrapKubeconfigYaml('https://127.0.0.1:6443', 'CA\n', 'abcdef.0123456789abcdef');
    expect(parseKubeconfig(text)).toMatchObject({ server: 'https://127.0.0.1:6443', caData: 'CA\n', token: 'abcdef.0123456789abcdef', insecureSkipTLSVerify: false });
    expect(text).toContain('current-context: tls-bootstrap-token-user@skiff');
    expect(parseKubeconfig(bootstrapKubeconfigYaml('http://127.0.0.1:6443', undefined, 'abcdef.0123456789abcdef')).insecureSkipTLSVerify).toBe(true);
  });
});
