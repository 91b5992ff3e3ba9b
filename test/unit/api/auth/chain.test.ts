import { describe, expect, it } from 'vitest';
import { createClusterCA } from '../../../../src/control/pki/ca.js';
import { issueCertificate } from '../../../../src/control/pki/issue.js';
import { ADMIN_SPEC, servingSpec } from '../../../../src/control/pki/cluster-certs.js';
import { AuthenticationChain, type Authenticator } from '../../../../src/control/api/auth/authenticator.js';
import { bearerToken, BearerTokenAuthenticator } from '../../../../src/control/api/auth/bearer.js';
import { ClientCertAuthenticator } from '../../../../src/control/api/auth/x509.js';
import { TokenFileAuthenticator, parseTokenFile } from '../../../../src/control/api/auth/token-file.js';
import { authenticationChain, UNSECURED_USER, unsecuredChain } from '../../../../src/control/api/auth/index.js';
import { withAuthenticatedGroup } from '../../../../src/control/api/auth/user.js';

const now = new Date('2030-06-01T00:00:00Z');
const ca = createClusterCA({ now: new Date('2030-01-01T00:00:00Z') });
const stranger = createClusterCA({ now: new Date('2030-01-01T00:00:00Z') });
const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
const admin = der(issueCertificate(ca, ADMIN_SPEC, { now }).certPem);
const tokens = new TokenFileAuthenticator(parseTokenFile('tok-alice,alice,u-1,"dev,ops"', 't.csv').tokens);

describe('bearerToken', () => {
  it('reads `Bearer <token>` in any case; other schemes and empty tokens are no token', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc extra')).toBe('abc');
    expect(bearerToken('  Bearer abc  ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Bearer  abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('ClientCertAuthenticator', () => {
  const x509 = new ClientCertAuthenticator(ca.certPem, () => now);

  it('CN is the user and O the groups of a certificate the CA signed', () => {
    expect(x509.authenticate({ headers: {}, clientCertificate: admin })).toEqual({ user: { name: 'kubernetes-admin', groups: ['system:masters'] } });
  });

  it('no certificate or no CN is no opinion', () => {
    expect(x509.authenticate({ headers: {} })).toBeNull();
    // A certificate whose subject has no CN cannot be issued by issueCertificate; an empty buffer stands for "none sent".
    expect(x509.authenticate({ headers: {}, clientCertificate: Buffer.alloc(0) })).toBeNull();
  });

  it('refuses a certificate from another CA, naming it as upstream does', () => {
    const foreign = der(issueCertificate(stranger, ADMIN_SPEC, { now }).certPem);
    const r = x509.authenticate({ headers: {}, clientCertificate: foreign });
    expect(r).toMatchObject({ error: expect.stringMatching(/^verifying certificate SN=\d+, SKID=, AKID=([0-9A-F]{2}:)*[0-9A-F]{2} failed: x509: certificate signed by unknown authority$/) });
  });

  it('refuses a serving-only certificate (no clientAuth usage)', () => {
    const serving = der(issueCertificate(ca, servingSpec({ listenHosts: [], serviceIP: '10.96.0.1' }), { now }).certPem);
    expect(x509.authenticate({ headers: {}, clientCertificate: serving })).toMatchObject({ error: expect.stringContaining('x509: certificate specifies an incompatible key usage') });
  });

  it('refuses an expired certificate on the clock it is given, per request', () => {
    let t = now;
    const clocked = new ClientCertAuthenticator(ca.certPem, () => t);
    const short = der(issueCertificate(ca, ADMIN_SPEC, { now, validityDays: 1 }).certPem);
    expect(clocked.authenticate({ headers: {}, clientCertificate: short })).toHaveProperty('user');
    t = new Date(now.getTime() + 2 * 86_400_000);
    expect(clocked.authenticate({ headers: {}, clientCertificate: short })).toMatchObject({ error: expect.stringMatching(/x509: certificate has expired or is not yet valid: current time 2030-06-03T00:00:00Z is after 2030-06-02T00:00:00Z$/) });
  });
});

describe('AuthenticationChain', () => {
  const chain = authenticationChain({ clientCA: ca.certPem, tokens: [tokens], now: () => now });

  it('a client certificate wins, and the user gains system:authenticated', async () => {
    expect(await chain.authenticate({ headers: {}, clientCertificate: admin })).toEqual({ user: { name: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] } });
  });

  it('a known token is its user', async () => {
    expect(await chain.authenticate({ headers: { authorization: 'Bearer tok-alice' } })).toEqual({ user: { name: 'alice', uid: 'u-1', groups: ['dev', 'ops', 'system:authenticated'] } });
  });

  it('an unknown token is refused, never anonymous', async () => {
    expect(await chain.authenticate({ headers: { authorization: 'Bearer nope' } })).toEqual({ error: 'invalid bearer token' });
  });

  it('a bad certificate with a good token is the token\'s user (the union goes on after an error)', async () => {
    const foreign = der(issueCertificate(stranger, ADMIN_SPEC, { now }).certPem);
    const r = await chain.authenticate({ headers: { authorization: 'Bearer tok-alice' }, clientCertificate: foreign });
    expect(r).toMatchObject({ user: { name: 'alice' } });
    expect(await chain.authenticate({ headers: {}, clientCertificate: foreign })).toHaveProperty('error');
  });

  it('no credentials: anonymous, in system:unauthenticated only', async () => {
    expect(await chain.authenticate({ headers: {} })).toEqual({ user: { name: 'system:anonymous', groups: ['system:unauthenticated'] } });
    expect(await chain.authenticate({ headers: {} }, false)).toEqual({ error: 'no credentials' });
    expect(await authenticationChain({ anonymous: false }).authenticate({ headers: {} })).toEqual({ error: 'no credentials' });
  });

  it('without authentication every request is system:unsecured, a superuser', async () => {
    expect(await unsecuredChain().authenticate({ headers: { authorization: 'Bearer whatever' } })).toEqual({ user: UNSECURED_USER });
  });

  it('waits for asynchronous authenticators and joins several errors', async () => {
    const slow: Authenticator = { authenticate: async () => ({ error: 'first' }) };
    const other: Authenticator = { authenticate: () => ({ error: 'second' }) };
    expect(await new AuthenticationChain([slow, other]).authenticate({ headers: {} })).toEqual({ error: '[first, second]' });
    const bearer = new BearerTokenAuthenticator([]);
    expect(await bearer.authenticate({ headers: { authorization: 'Bearer x' } })).toEqual({ error: 'invalid bearer token' });
  });

  it('system:authenticated is added once, not to anonymous, not over explicit groups', () => {
    expect(withAuthenticatedGroup({ name: 'a', groups: ['system:authenticated'] }).groups).toEqual(['system:authenticated']);
    expect(withAuthenticatedGroup({ name: 'system:anonymous', groups: [] }).groups).toEqual([]);
    expect(withAuthenticatedGroup({ name: 'b', groups: ['system:unauthenticated'] }).groups).toEqual(['system:unauthenticated']);
  });
});
