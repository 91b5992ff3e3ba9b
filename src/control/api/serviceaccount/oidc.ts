/**
 * ServiceAccount issuer discovery (upstream's openidmetadata.go): /.well-known/openid-configuration names the
 * issuer and where its keys are; /openid/v1/jwks lists the public keys tokens are verified with. Relying parties
 * outside the cluster verify ServiceAccount tokens with these two documents alone. Who may read them is RBAC's
 * business (system:service-account-issuer-discovery); this only builds them.
 */
import { publicJwk, type VerificationKey } from './jwt.js';

export const OPENID_CONFIGURATION_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/openid/v1/jwks';
/** As upstream: both documents may be cached for an hour. */
export const DISCOVERY_CACHE_CONTROL = 'public, max-age=3600';
export const JWKS_CONTENT_TYPE = 'application/jwk-set+json';

export interface OpenIDConfiguration {
  issuer: string;
  jwks_uri: string;
  response_types_supported: string[];
  subject_types_supported: string[];
  id_token_signing_alg_values_supported: string[];
}

/**
 * The discovery document. `jwksURI` is --service-account-jwks-uri; by default the issuer's host with the JWKS
 * path (upstream uses the server's external address: the issuer is what relying parties reach).
 */
export function openIDConfiguration(issuer: string, keys: readonly VerificationKey[], jwksURI?: string): OpenIDConfiguration {
  let uri = jwksURI;
  if (!uri) {
    try {
      uri = new URL(JWKS_PATH, issuer).toString();
    } catch {
      uri = JWKS_PATH;
    }
  }
  const algs = [...new Set(keys.map((k) => k.alg))].sort();
  return {
    issuer,
    jwks_uri: uri,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: algs,
  };
}

/** The key set: one JWK per public key. */
export async function jwks(keys: readonly VerificationKey[]): Promise<{ keys: unknown[] }> {
  return { keys: await Promise.all(keys.map(publicJwk)) };
}
