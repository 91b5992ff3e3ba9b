import { describe, expect, test } from 'vitest';
import { KubeconfigError, parseKubeconfig } from '../../../src/client/kubeconfig.js';
import { Nodes, Pods, resourcePath, Deployments } from '../../../src/client/resources.js';

const text = `
apiVersion: v1
kind: Config
current-context: skiff
clusters:
- name: skiff
  cluster:
    server: http://127.0.0.1:6443/
    certificate-authority-data: ${Buffer.from('CA PEM').toString('base64')}
- name: other
  cluster: { server: http://10.0.0.1:1 }
users:
- name: admin
  user: { token: abc123 }
contexts:
- name: skiff
  context: { cluster: skiff, user: admin, namespace: team }
- name: other
  context: { cluster: other }
`;

describe('kubeconfig', () => {
  test('reads the current context: server, namespace, token, decoded CA', () => {
    const c = parseKubeconfig(text);
    expect(c).toMatchObject({ server: 'http://127.0.0.1:6443', namespace: 'team', token: 'abc123', caData: 'CA PEM' });
  });

  test('a named context overrides current-context', () => {
    expect(parseKubeconfig(text, 'x', 'other').server).toBe('http://10.0.0.1:1');
  });

  test('bad input says what is wrong', () => {
    expect(() => parseKubeconfig('clusters: [', 'k.yaml')).toThrow(KubeconfigError);
    expect(() => parseKubeconfig(text, 'k.yaml', 'nope')).toThrow('kubeconfig k.yaml: context "nope" not found');
    expect(() => parseKubeconfig('clusters: [{name: a, cluster: {server: "not a url"}}]', 'k.yaml')).toThrow('is not a URL');
  });
});

describe('resource paths', () => {
  test('core and grouped, namespaced and cluster-scoped, subresources', () => {
    expect(resourcePath(Pods)).toBe('/api/v1/pods');
    expect(resourcePath(Pods, 'ns1')).toBe('/api/v1/namespaces/ns1/pods');
    expect(resourcePath(Pods, 'ns1', 'p', 'binding')).toBe('/api/v1/namespaces/ns1/pods/p/binding');
    expect(resourcePath(Nodes, undefined, 'n1', 'status')).toBe('/api/v1/nodes/n1/status');
    expect(resourcePath(Deployments, 'd', 'web', 'scale')).toBe('/apis/apps/v1/namespaces/d/deployments/web/scale');
    expect(() => resourcePath(Pods, undefined, 'p')).toThrow('namespace is required');
  });
});
