import { describe, expect, it } from 'vitest';
import { DESCRIPTION, DESCRIPTION_ANNOTATION, publishAction, ROOT_CA_CONFIGMAP } from '../../../src/control/controllers/root-ca-publisher.js';

const CA = '-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n';
const cm = (data: Record<string, string>, annotations?: Record<string, string>) => ({
  metadata: { name: ROOT_CA_CONFIGMAP, namespace: 'a', resourceVersion: '7', annotations, labels: { keep: 'me' } },
  data,
});

describe('publishAction (root-ca-cert-publisher)', () => {
  it('creates the ConfigMap with ca.crt and the description when absent', () => {
    const a = publishAction('a', undefined, CA);
    expect(a.op).toBe('create');
    if (a.op !== 'create') return;
    expect(a.configMap.metadata).toEqual({ name: 'kube-root-ca.crt', namespace: 'a', annotations: { 'kubernetes.io/description': DESCRIPTION } });
    expect(a.configMap.data).toEqual({ 'ca.crt': CA });
    expect(DESCRIPTION).toMatch(/^Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes\.default\.svc\. No other usage is guaranteed across distributions of Kubernetes clusters\.$/);
  });
  it('leaves a correct one alone', () => {
    expect(publishAction('a', cm({ 'ca.crt': CA }, { [DESCRIPTION_ANNOTATION]: 'x' }), CA)).toEqual({ op: 'none' });
  });
  it('restores edited data (extra keys too) and an empty description, keeping the rest', () => {
    const edited = cm({ 'ca.crt': 'evil', extra: '1' }, { other: 'o' });
    const a = publishAction('a', edited, CA);
    expect(a.op).toBe('update');
    if (a.op !== 'update') return;
    expect(a.configMap.data).toEqual({ 'ca.crt': CA });
    expect(a.configMap.metadata?.annotations).toEqual({ other: 'o', [DESCRIPTION_ANNOTATION]: DESCRIPTION });
    expect(a.configMap.metadata?.resourceVersion).toBe('7');
    expect(a.configMap.metadata?.labels).toEqual({ keep: 'me' });
    expect(edited.data).toEqual({ 'ca.crt': 'evil', extra: '1' });
    expect(publishAction('a', cm({ 'ca.crt': CA }), CA).op).toBe('update');
  });
});
