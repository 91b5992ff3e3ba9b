/**
 * Signing and verifying ServiceAccount JWTs (JWS compact serialisation) with `jose`: the header names the
 * algorithm and the key id, as kube-apiserver's; the payload is the claims as claims.ts orders them. jose is used
 * for the JWS itself (base64url, signature formats of RS256 and ES256, algorithm allow-lists); the claim checks are
 * claims.ts's own, so they follow upstream's words and the injected clock.
 *
 * As upstream's jwtTokenAuthenticator: a token that is not a compact JWS, or whose (unverified) issuer is not one
 * this server accepts, is not ours (no opinion, so other authenticators may know it); one that is ours but whose
 * signature fails is an error.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, exportJWK, type JWK } from 'jose';
import type { SigningAlgorithm, SigningKey } from './key.js';
import { parseClaims, type TokenClaims } from './claims.js';

/** A key tokens may be verified with (--service-account-key-file may name several, for rotation). */
export interface VerificationKey {
  publicKey: KeyObject;
  keyId: string;
  alg: SigningAlgorithm;
}

export const newTokenId = (): string => randomUUID();

/** A signed token of these claims. */
export async function signToken(key: SigningKey, claims: TokenClaims): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: key.alg, kid: key.keyId })
    .sign(key.privateKey);
}

/** The issuer a compact JWS claims, read without verifying anything (upstream's hasCorrectIssuer). */
export function unverifiedIssuer(token: string): string | undefined {
  if (token.trimStart().startsWith('{')) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    const iss = (payload as { iss?: unknown } | null)?.iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

function keyIdOfHeader(token: string): string | undefined {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
    const kid = (header as { kid?: unknown } | null)?.kid;
    return typeof kid === 'string' && kid !== '' ? kid : undefined;
  } catch {
    return undefined;
  }
}

/** go-jose's words for a signature no key verifies (upstream passes them through). */
export const SIGNATURE_ERROR = 'go-jose/go-jose: error in cryptographic primitive';

/**
 * Verifies a token's signature with the key its header names (every key when it names none) and checks its
 * issuer. null: not a token for these issuers; `error`: refused; `claims`: signature and issuer good (times and
 * objects are checked by the caller).
 */
export async function verifyToken(token: string, issuers: readonly string[], keys: readonly VerificationKey[]): Promise<{ claims: TokenClaims } | { error: string } | null> {
  const iss = unverifiedIssuer(token);
  if (iss === undefined || !issuers.includes(iss)) return null;
  const kid = keyIdOfHeader(token);
  const candidates = kid ? keys.filter((k) => k.keyId === kid) : keys;
  if (candidates.length === 0) return { error: 'invalid signature, no keys found' };
  let payload: Uint8Array | undefined;
  for (const k of candidates) {
    try {
      payload = (await compactVerify(token, k.publicKey, { algorithms: [k.alg] })).payload;
      break;
    } catch {
      // the next key, if any
    }
  }
  if (!payload) return { error: SIGNATURE_ERROR };
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return { error: 'service account token claims could not be validated due to unexpected private claim' };
  }
  const claims = parseClaims(parsed);
  if (typeof claims === 'string') return { error: claims };
  // Checked again on the verified payload: the unverified peek only chose whether the token is ours.
  if (!issuers.includes(claims.iss)) return { error: `token issuer "${claims.iss}" is invalid` };
  return { claims };
}

/** A public key as a JWK for /openid/v1/jwks: use sig, the key id and the algorithm. */
export async function publicJwk(k: VerificationKey): Promise<JWK> {
  const jwk = await exportJWK(k.publicKey);
  return { use: 'sig', kty: jwk.kty, kid: k.keyId, alg: k.alg, ...jwk };
}
