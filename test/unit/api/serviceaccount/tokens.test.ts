/**
 * ServiceAccount tokens without a server: claims as upstream writes them, TokenRequest defaults and refusals, and
 * the authenticator's checks (signature, issuer, audience, times, the ServiceAccount and the bound objects).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../src/control/api/status.js';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { checkTimes, tokenClaims } from '../../../../src/control/api/serviceaccount/claims.js';
import { signToken, SIGNATURE_ERROR, verifyToken } from '../../../../src/control/api/serviceaccount/jwt.js';
import { keyIdOf, loadOrCreateSigningKey, newSigningKey, SA_KEY_FILE } from '../../../../src/control/api/serviceaccount/key.js';
import { createTokenRequest, type TokenIssuerOptions } from '../../../../src/control/api/serviceaccount/token-request.js';
import { ServiceAccountTokenAuthenticator, type BoundResource } from '../../../../src/control/api/serviceaccount/authenticator.js';
import { jwks, openIDConfiguration } from '../../../../src/control/api/serviceaccount/oidc.js';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const key = newSigningKey('ec');
const t0 = new Date('2026-01-01T00:00:00Z');

/** Objects by `resource/ns/name` (nodes: `nodes//name`), mutable between checks. */
const objects = new Map<string, KubeObject>();
const put = (resource: BoundResource, ns: string, name: string, uid: string, extra: Record<string, unknown> = {}) =>
  objects.set(`${resource}/${ns}/${name}`, { metadata: { name, namespace: ns || undefined, uid }, ...extra });
const source = { get: async (r: BoundResource, ns: string | undefined, name: string) => objects.get(`${r}/${ns ?? ''}/${name}`) };

let clock = t0;
const issuer = (o: Partial<TokenIssuerOptions> = {}): TokenIssuerOptions => ({
  issuer: ISSUER, key, apiAudiences: [ISSUER], objects: source, now: () => clock, newId: () => 'jti-1', ...o,
});
const authn = (o: { keys?: typeof key[]; audiences?: string[] } = {}) => new ServiceAccountTokenAuthenticator({
  issuers: [ISSUER], keys: (o.keys ?? [key]).map((k) => ({ publicKey: k.publicKey, keyId: k.keyId, alg: k.alg })),
  apiAudiences: o.audiences ?? [ISSUER], objects: source, now: () => clock,
});
const payloadOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
const request = async (ns: string, name: string, body: unknown, o: Partial<TokenIssuerOptions> = {}) =>
  (await createTokenRequest(issuer(o), ns, name, body)) as KubeObject & { status: { token: string; expirationTimestamp: string }; spec: Record<string, unknown> };
const apiError = async (p: Promise<unknown>): Promise<ApiError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
};

put('serviceaccounts', 'default', 'default', 'sa-uid');
put('serviceaccounts', 'default', 'other', 'other-uid');
put('pods', 'default', 'web', 'pod-uid', { spec: { serviceAccountName: 'default', nodeName: 'node-a' } });
put('pods', 'default', 'db', 'db-uid', { spec: { serviceAccountName: 'other' } });
put('secrets', 'default', 's1', 'secret-uid');
put('nodes', '', 'node-a', 'node-uid');

describe('claims', () => {
  it('are upstream\'s: registered claims, then kubernetes.io naming the pod and its node, keys sorted', () => {
    const c = tokenClaims({
      issuer: ISSUER, serviceAccount: { namespace: 'ns', name: 'sa', uid: 'u1' }, pod: { name: 'p', uid: 'pu' },
      node: { name: 'n', uid: 'nu' }, audiences: ['api'], expirationSeconds: 600, now: t0, jti: 'j',
    });
    const iat = t0.getTime() / 1000;
    expect(Object.keys(c)).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'kubernetes.io', 'nbf', 'sub']);
    expect(c).toMatchObject({ aud: ['api'], exp: iat + 600, iat, nbf: iat, iss: ISSUER, jti: 'j', sub: 'system:serviceaccount:ns:sa' });
    expect(c['kubernetes.io']).toEqual({ namespace: 'ns', node: { name: 'n', uid: 'nu' }, pod: { name: 'p', uid: 'pu' }, serviceaccount: { name: 'sa', uid: 'u1' } });
  });

  it('times: one minute of leeway either side, in upstream\'s words', () => {
    const c = tokenClaims({ issuer: ISSUER, serviceAccount: { namespace: 'ns', name: 'sa', uid: 'u' }, audiences: [], expirationSeconds: 600, now: t0, jti: 'j' });
    expect(checkTimes(c, new Date(t0.getTime() + 660_000))).toBeUndefined();
    expect(checkTimes(c, new Date(t0.getTime() + 661_000))).toBe('service account token has expired');
    expect(checkTimes(c, new Date(t0.getTime() - 61_000))).toBe('service account token is not valid yet');
  });
});

describe('signing key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-sakey-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is made once (RSA, sa.key + sa.pub) and read back with the same key id; a broken file is replaced', () => {
    const first = loadOrCreateSigningKey(dir);
    expect(first.created).toBe(true);
    expect(first.alg).toBe('RS256');
    expect(readFileSync(join(dir, 'sa.pub'), 'utf8')).toContain('BEGIN PUBLIC KEY');
    const again = loadOrCreateSigningKey(dir);
    expect(again.created).toBe(false);
    expect(again.keyId).toBe(first.keyId);
    expect(again.keyId).toBe(keyIdOf(first.publicKey));
    writeFileSync(join(dir, SA_KEY_FILE), 'garbage');
    const replaced = loadOrCreateSigningKey(dir);
    expect(replaced.created).toBe(true);
    expect(replaced.keyId).not.toBe(first.keyId);
  });
});

describe('TokenRequest', () => {
  it('defaults audiences to the API\'s and the lifetime to an hour; the header names the key', async () => {
    clock = t0;
    const out = await request('default', 'default', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
    expect(out).toMatchObject({
      kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', metadata: { name: 'default', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { audiences: [ISSUER], expirationSeconds: 3600, boundObjectRef: null },
      status: { expirationTimestamp: '2026-01-01T01:00:00Z' },
    });
    const header = JSON.parse(Buffer.from(out.status.token.split('.')[0]!, 'base64url').toString('utf8'));
    expect(header).toEqual({ alg: 'ES256', kid: key.keyId });
    expect(payloadOf(out.status.token)).toMatchObject({ aud: [ISSUER], sub: 'system:serviceaccount:default:default', exp: t0.getTime() / 1000 + 3600 });
  });

  it('binds to a pod (naming its node) and refuses a pod of another ServiceAccount or a stale uid', async () => {
    clock = t0;
    const out = await request('default', 'default', { spec: { expirationSeconds: 600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: 'pod-uid' } } });
    expect(payloadOf(out.status.token)['kubernetes.io']).toEqual({
      namespace: 'default', node: { name: 'node-a', uid: 'node-uid' }, pod: { name: 'web', uid: 'pod-uid' }, serviceaccount: { name: 'default', uid: 'sa-uid' },
    });
    const wrongSA = await apiError(request('default', 'default', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'db' } } }));
    expect(wrongSA.code).toBe(400);
    expect(wrongSA.message).toBe('cannot bind token for serviceaccount "default" to pod running with different serviceaccount name.');
    const stale = await apiError(request('default', 'default', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: 'old' } } }));
    expect(stale.code).toBe(409);
    expect(stale.message).toContain('the UID in the bound object reference (old) does not match the UID in record');
    const kind = await apiError(request('default', 'default', { spec: { boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'x' } } }));
    expect(kind.message).toBe('cannot bind token to object of type /v1, Kind=ConfigMap');
    const gone = await apiError(request('default', 'default', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'nope' } } }));
    expect(gone.code).toBe(404);
  });

  it('refuses a lifetime under ten minutes (422) and an unknown ServiceAccount (404)', async () => {
    const short = await apiError(request('default', 'default', { spec: { expirationSeconds: 100 } }));
    expect(short.code).toBe(422);
    expect(short.message).toBe('TokenRequest.authentication.k8s.io "default" is invalid: spec.expirationSeconds: Invalid value: 100: may not specify a duration less than 10 minutes');
    const missing = await apiError(request('default', 'ghost', {}));
    expect(missing.code).toBe(404);
    expect(missing.message).toBe('serviceaccounts "ghost" not found');
  });

  it('extends the kubelet\'s 3607 s pod-bound tokens to a year with warnafter, reporting the asked expiry', async () => {
    clock = t0;
    const out = await request('default', 'default', { spec: { expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web' } } });
    const p = payloadOf(out.status.token);
    const iat = t0.getTime() / 1000;
    expect(p['exp']).toBe(iat + 365 * 24 * 3600);
    expect((p['kubernetes.io'] as Record<string, unknown>)['warnafter']).toBe(iat + 3607);
    expect(out.status.expirationTimestamp).toBe('2026-01-01T01:00:07Z');
    const capped = await request('default', 'default', { spec: { expirationSeconds: 7200 } }, { maxExpirationSeconds: 3600 });
    expect(capped.spec['expirationSeconds']).toBe(3600);
  });
});

describe('authenticator', () => {
  const tokenFor = async (spec: Record<string, unknown> = {}) => {
    clock = t0;
    return (await request('default', 'default', { spec })).status.token;
  };

  it('a good token is the ServiceAccount, with its groups and the pod, node and credential in extra', async () => {
    const token = await tokenFor({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web' } });
    clock = new Date(t0.getTime() + 60_000);
    expect(await authn().authenticateToken(token)).toEqual({
      user: {
        name: 'system:serviceaccount:default:default', uid: 'sa-uid', groups: ['system:serviceaccounts', 'system:serviceaccounts:default'],
        extra: {
          'authentication.kubernetes.io/pod-name': ['web'], 'authentication.kubernetes.io/pod-uid': ['pod-uid'],
          'authentication.kubernetes.io/credential-id': ['JTI=jti-1'],
          'authentication.kubernetes.io/node-name': ['node-a'], 'authentication.kubernetes.io/node-uid': ['node-uid'],
        },
      },
      audiences: [ISSUER],
    });
  });

  it('refuses an expired token', async () => {
    const token = await tokenFor({ expirationSeconds: 600 });
    clock = new Date(t0.getTime() + 700_000);
    expect(await authn().authenticateToken(token)).toEqual({ error: 'service account token has expired' });
  });

  it('refuses a token for another audience', async () => {
    const token = await tokenFor({ audiences: ['vault'] });
    expect(await authn().authenticateToken(token)).toEqual({ error: `token audiences ["vault"] is invalid for the target audiences ["${ISSUER}"]` });
    // A TokenReview asking for vault's audience accepts it, and answers with the audiences both share.
    expect(await authn().authenticateToken(token, ['vault', 'other'])).toMatchObject({ user: { name: 'system:serviceaccount:default:default' }, audiences: ['vault'] });
  });

  it('refuses a bad signature and a key it does not know; ignores other issuers and non-JWTs', async () => {
    const token = await tokenFor();
    const [h, p, s] = token.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(await authn().authenticateToken(flipped)).toEqual({ error: SIGNATURE_ERROR });
    const other = newSigningKey('ec');
    const forged = await signToken({ ...other, keyId: key.keyId }, JSON.parse(Buffer.from(p, 'base64url').toString('utf8')));
    expect(await authn().authenticateToken(forged)).toEqual({ error: SIGNATURE_ERROR });
    expect(await authn({ keys: [other] }).authenticateToken(token)).toEqual({ error: 'invalid signature, no keys found' });
    const foreign = await signToken(key, { ...JSON.parse(Buffer.from(p, 'base64url').toString('utf8')), iss: 'https://elsewhere' });
    expect(await authn().authenticateToken(foreign)).toBeNull();
    expect(await authn().authenticateToken('not-a-jwt')).toBeNull();
    expect(await verifyToken(token, [ISSUER], [key])).toMatchObject({ claims: { sub: 'system:serviceaccount:default:default' } });
  });

  it('refuses once the bound pod is deleted or recreated, and once the ServiceAccount is recreated', async () => {
    const token = await tokenFor({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web' } });
    const pod = objects.get('pods/default/web')!;
    try {
      // Being deleted: good within the leeway, refused after it.
      objects.set('pods/default/web', { ...pod, metadata: { ...pod.metadata, deletionTimestamp: t0.toISOString() } });
      clock = new Date(t0.getTime() + 30_000);
      expect(await authn().authenticateToken(token)).toHaveProperty('user');
      clock = new Date(t0.getTime() + 120_000);
      expect(await authn().authenticateToken(token)).toEqual({ error: 'service account token has been invalidated' });
      objects.delete('pods/default/web');
      expect(await authn().authenticateToken(token)).toEqual({ error: 'service account token has been invalidated' });
      put('pods', 'default', 'web', 'pod-uid-2', { spec: { serviceAccountName: 'default' } });
      expect(await authn().authenticateToken(token)).toEqual({ error: 'pod UID (pod-uid-2) does not match service account pod ref claim (pod-uid)' });
    } finally {
      objects.set('pods/default/web', pod);
    }
    const secretToken = await tokenFor({ boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 's1' } });
    objects.delete('secrets/default/s1');
    expect(await authn().authenticateToken(secretToken)).toEqual({ error: 'service account token has been invalidated' });
    put('secrets', 'default', 's1', 'secret-uid');
    put('serviceaccounts', 'default', 'default', 'sa-uid-2');
    try {
      expect(await authn().authenticateToken(secretToken)).toEqual({ error: 'service account UID (sa-uid-2) does not match claim (sa-uid)' });
    } finally {
      put('serviceaccounts', 'default', 'default', 'sa-uid');
    }
  });
});

describe('issuer discovery', () => {
  it('names the issuer and the JWKS, whose key verifies tokens (kid and alg as the token header)', async () => {
    const k = { publicKey: key.publicKey, keyId: key.keyId, alg: key.alg };
    expect(openIDConfiguration(ISSUER, [k])).toEqual({
      issuer: ISSUER, jwks_uri: `${ISSUER}/openid/v1/jwks`, response_types_supported: ['id_token'],
      subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['ES256'],
    });
    const set = await jwks([k]);
    expect(set.keys).toEqual([expect.objectContaining({ use: 'sig', kty: 'EC', kid: key.keyId, alg: 'ES256', crv: 'P-256' })]);
  });
});
