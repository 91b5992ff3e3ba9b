import { describe, expect, it } from 'vitest';
import { bootstrapTokenSecret, generateBootstrapToken } from '../../../../src/control/api/auth/bootstrap-token-secret.js';
import { bootstrapTokenUser, parseBootstrapToken } from '../../../../src/control/api/auth/bootstrap-token.js';

const now = new Date('2030-01-01T00:00:00.250Z');

describe('generateBootstrapToken', () => {
  it('makes tokens of the bootstrap format from the randomness given', () => {
    expect(generateBootstrapToken(() => 0)).toBe('aaaaaa.aaaaaaaaaaaaaaaa');
    expect(generateBootstrapToken(() => 35)).toBe('999999.9999999999999999');
    for (let i = 0; i < 20; i++) expect(parseBootstrapToken(generateBootstrapToken())).not.toBeNull();
  });
});

describe('bootstrapTokenSecret', () => {
  it("is kubeadm's Secret: kube-system/bootstrap-token-<id>, both usages, the default node group, 24 h", () => {
    expect(bootstrapTokenSecret('abcdef.0123456789abcdef', { now })).toEqual({
      apiVersion: 'v1', kind: 'Secret',
      metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' },
      type: 'bootstrap.kubernetes.io/token',
      stringData: {
        'token-id': 'abcdef', 'token-secret': '0123456789abcdef', expiration: '2030-01-02T00:00:00Z',
        'usage-bootstrap-signing': 'true', 'usage-bootstrap-authentication': 'true',
        'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
      },
    });
  });

  it('a zero TTL never expires; the options are checked, naming the option', () => {
    expect(bootstrapTokenSecret('abcdef.0123456789abcdef', { now, ttlMs: 0, usages: ['authentication'], groups: [], description: 'for n1' }).stringData).toEqual({
      'token-id': 'abcdef', 'token-secret': '0123456789abcdef', description: 'for n1', 'usage-bootstrap-authentication': 'true',
    });
    expect(() => bootstrapTokenSecret('abc.def', { now })).toThrow(/^token: /);
    expect(() => bootstrapTokenSecret('abcdef.0123456789abcdef', { now, usages: ['login'] })).toThrow('usages: invalid bootstrap token usage string: login');
    expect(() => bootstrapTokenSecret('abcdef.0123456789abcdef', { now, groups: ['system:masters'] })).toThrow(/^groups: bootstrap group "system:masters" is invalid/);
  });

  it('what it makes, stored, authenticates the token until it expires', () => {
    const s = bootstrapTokenSecret('abcdef.0123456789abcdef', { now, ttlMs: 3600_000 });
    const stored = { ...s, data: Object.fromEntries(Object.entries(s.stringData).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) };
    const token = { id: 'abcdef', secret: '0123456789abcdef' };
    expect(bootstrapTokenUser(stored, token, now)).toMatchObject({ user: { name: 'system:bootstrap:abcdef' } });
    expect(bootstrapTokenUser(stored, token, new Date(now.getTime() + 3601_000))).toMatchObject({ reason: expect.stringContaining('expired') });
  });
});
