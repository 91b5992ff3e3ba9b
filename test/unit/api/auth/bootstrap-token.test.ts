import { describe, expect, it } from 'vitest';
import { BootstrapTokenAuthenticator, bootstrapTokenUser, parseBootstrapToken, type BootstrapTokenSecret } from '../../../../src/control/api/auth/bootstrap-token.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const now = new Date('2030-01-01T00:00:00Z');

function secret(data: Record<string, string>, over: Partial<BootstrapTokenSecret> = {}): BootstrapTokenSecret {
  const base: Record<string, string> = { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true', ...data };
  for (const k of Object.keys(base)) if (base[k] === '') delete base[k];
  return { metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' }, type: 'bootstrap.kubernetes.io/token', data: Object.fromEntries(Object.entries(base).map(([k, v]) => [k, b64(v)])), ...over };
}

const token = { id: 'abcdef', secret: '0123456789abcdef' };

describe('parseBootstrapToken', () => {
  it('reads <6>.<16> of [a-z0-9] and nothing else', () => {
    expect(parseBootstrapToken('abcdef.0123456789abcdef')).toEqual(token);
    for (const bad of ['ABCDEF.0123456789abcdef', 'abcde.0123456789abcdef', 'abcdef.0123456789abcde', 'abcdef0123456789abcdef', 'abcdef.0123456789abcdef ', 'abc_ef.0123456789abcdef']) {
      expect(parseBootstrapToken(bad), bad).toBeNull();
    }
  });
});

describe('bootstrapTokenUser', () => {
  it('authenticates as system:bootstrap:<id> in system:bootstrappers plus the extra groups, sorted', () => {
    const r = bootstrapTokenUser(secret({ 'auth-extra-groups': 'system:bootstrappers:worker,system:bootstrappers:kubeadm:default-node-token', expiration: '2030-01-02T00:00:00Z' }), token, now);
    expect(r).toEqual({ user: { name: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:bootstrappers:worker'] } });
  });

  it('refuses an expired token, and one whose expiration does not parse', () => {
    expect(bootstrapTokenUser(secret({ expiration: '2029-12-31T23:59:59Z' }), token, now)).toEqual({ reason: expect.stringContaining('has expired') });
    expect(bootstrapTokenUser(secret({ expiration: '2030-01-01T00:00:00Z' }), token, now)).toEqual({ reason: expect.stringContaining('has expired') });
    expect(bootstrapTokenUser(secret({ expiration: 'tomorrow' }), token, now)).toEqual({ reason: expect.stringContaining('unparseable expiration') });
  });

  it('refuses a wrong secret, a mismatched token-id, the usage off, a wrong type, a deleted secret, a bad extra group', () => {
    expect(bootstrapTokenUser(secret({ 'token-secret': 'ffffffffffffffff' }), token, now)).toEqual({ reason: expect.stringContaining('invalid value for key token-secret') });
    expect(bootstrapTokenUser(secret({ 'token-id': 'zzzzzz' }), token, now)).toEqual({ reason: expect.stringContaining('invalid value for key token-id') });
    expect(bootstrapTokenUser(secret({ 'usage-bootstrap-authentication': 'false' }), token, now)).toEqual({ reason: expect.stringContaining('not marked usage-bootstrap-authentication=true') });
    expect(bootstrapTokenUser(secret({ 'usage-bootstrap-authentication': '' }), token, now)).toEqual({ reason: expect.stringContaining('not marked') });
    expect(bootstrapTokenUser(secret({}, { type: 'Opaque' }), token, now)).toEqual({ reason: expect.stringContaining('has invalid type') });
    expect(bootstrapTokenUser(secret({}, { metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system', deletionTimestamp: '2029-12-31T00:00:00Z' } }), token, now)).toEqual({ reason: expect.stringContaining('deleted') });
    expect(bootstrapTokenUser(secret({ 'auth-extra-groups': 'system:masters' }), token, now)).toEqual({ reason: expect.stringContaining('auth-extra-groups') });
  });
});

describe('BootstrapTokenAuthenticator', () => {
  it('looks up bootstrap-token-<id> and has no opinion on anything it does not accept', async () => {
    const asked: string[] = [];
    const rejected: string[] = [];
    const a = new BootstrapTokenAuthenticator(async (name) => (asked.push(name), name === 'bootstrap-token-abcdef' ? secret({}) : undefined), () => now, (r) => rejected.push(r));
    expect(await a.authenticateToken('abcdef.0123456789abcdef')).toEqual({ user: { name: 'system:bootstrap:abcdef', groups: ['system:bootstrappers'] } });
    expect(await a.authenticateToken('abcdef.ffffffffffffffff')).toBeNull();
    expect(await a.authenticateToken('zzzzzz.0123456789abcdef')).toBeNull();
    expect(await a.authenticateToken('not-a-bootstrap-token')).toBeNull();
    expect(asked).toEqual(['bootstrap-token-abcdef', 'bootstrap-token-abcdef', 'bootstrap-token-zzzzzz']);
    expect(rejected).toHaveLength(1);
  });

  it('recognises nothing until a lookup is attached', async () => {
    const a = new BootstrapTokenAuthenticator(undefined, () => now);
    expect(await a.authenticateToken('abcdef.0123456789abcdef')).toBeNull();
    a.attach(async () => secret({}));
    expect(await a.authenticateToken('abcdef.0123456789abcdef')).not.toBeNull();
  });
});
