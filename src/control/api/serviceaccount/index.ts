/**
 * ServiceAccount tokens in the API server: the TokenRequest route (serviceaccounts/token), the issuer discovery
 * documents, the token authenticator, and the objects they read (the engine's watch caches, as upstream's
 * authenticator reads informers). server.ts wires these when it is given a ServiceAccountTokenConfig.
 */
import type { FastifyInstance } from 'fastify';
import { decodeBody, sendText } from '../content.js';
import type { KubeObject, ResourceType } from '../resource.js';
import type { EngineLike } from '../admission/webhooks.js';
import type { Admission } from '../admission/types.js';
import { userOf } from '../auth/request.js';
import { isPlainObject } from '../content.js';
import { createTokenRequest, type TokenIssuerOptions } from './token-request.js';
import { ServiceAccountTokenAuthenticator, type BoundResource, type ServiceAccountObjects } from './authenticator.js';
import { DISCOVERY_CACHE_CONTROL, JWKS_CONTENT_TYPE, JWKS_PATH, jwks, OPENID_CONFIGURATION_PATH, openIDConfiguration } from './oidc.js';
import type { SigningKey } from './key.js';
import type { VerificationKey } from './jwt.js';
import { cachedObjects } from '../watch/cached-objects.js';

export { loadOrCreateSigningKey, newSigningKey, signingKeyFrom, keyIdOf, type SigningKey } from './key.js';
export { ServiceAccountTokenAuthenticator, type ServiceAccountObjects } from './authenticator.js';
export { createTokenRequest } from './token-request.js';

/** upstream's default --service-account-issuer for kubeadm clusters. */
export const DEFAULT_SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface ServiceAccountTokenConfig {
  /** Signs new tokens (--service-account-signing-key-file). */
  key: SigningKey;
  /** Further keys tokens are verified with (--service-account-key-file; the signing key always is). */
  extraKeys?: VerificationKey[];
  /** --service-account-issuer: the first signs; every one is accepted. Default DEFAULT_SERVICE_ACCOUNT_ISSUER. */
  issuers?: string[];
  /** --api-audiences; default the first issuer. */
  apiAudiences?: string[];
  /** --service-account-jwks-uri. */
  jwksURI?: string;
  maxExpirationSeconds?: number;
  extendExpiration?: boolean;
  /** Run the ServiceAccount admission plugin (default set, name by name, missing SA refused, token volume). */
  admission?: boolean;
}

/** Resolved issuers, audiences and keys. */
export function resolveConfig(c: ServiceAccountTokenConfig): { issuers: string[]; apiAudiences: string[]; keys: VerificationKey[] } {
  const issuers = c.issuers?.length ? c.issuers : [DEFAULT_SERVICE_ACCOUNT_ISSUER];
  const apiAudiences = c.apiAudiences?.length ? c.apiAudiences : [issuers[0]!];
  const own: VerificationKey = { publicKey: c.key.publicKey, keyId: c.key.keyId, alg: c.key.alg };
  const keys = [own, ...(c.extraKeys ?? []).filter((k) => k.keyId !== own.keyId)];
  return { issuers, apiAudiences, keys };
}

/** Objects from the engine's watch caches, once they have seen this server's own writes. */
export function engineServiceAccountObjects(engine: EngineLike): ServiceAccountObjects {
  return {
    async get(resource: BoundResource, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
      return name === '' ? undefined : cachedObjects(engine, '', 'v1', resource).get(namespace, name);
    },
  };
}

export function serviceAccountAuthenticator(c: ServiceAccountTokenConfig, objects: ServiceAccountObjects, now?: () => Date): ServiceAccountTokenAuthenticator {
  const { issuers, apiAudiences, keys } = resolveConfig(c);
  return new ServiceAccountTokenAuthenticator({ issuers, keys, apiAudiences, objects, ...(now ? { now } : {}) });
}

/** Where a TokenRequest's admission runs: the engine's chain (NodeRestriction limits what nodes may ask for). */
export interface TokenAdmissionHost {
  admission?: Admission;
  registry: { lookup(group: string, version: string, plural: string): ResourceType | undefined };
}

/** The TokenRequest subresource and the discovery documents. */
export function registerServiceAccountApi(
  app: FastifyInstance, c: ServiceAccountTokenConfig, objects: ServiceAccountObjects, now?: () => Date, host?: TokenAdmissionHost,
): void {
  const { issuers, apiAudiences, keys } = resolveConfig(c);
  const issuer: TokenIssuerOptions = {
    issuer: issuers[0]!, key: c.key, apiAudiences, objects,
    ...(c.maxExpirationSeconds ? { maxExpirationSeconds: c.maxExpirationSeconds } : {}),
    ...(c.extendExpiration !== undefined ? { extendExpiration: c.extendExpiration } : {}),
    ...(now ? { now } : {}),
  };
  // A route of its own beside the registry's /api/* (its path is the registry's serviceaccounts/token subresource):
  // the answer is computed, never stored, as the authentication reviews are.
  app.post<{ Params: { namespace: string; name: string } }>('/api/v1/namespaces/:namespace/serviceaccounts/:name/token', async (req, reply) => {
    const raw = req.body as Buffer | undefined;
    const body = raw && raw.length > 0 ? decodeBody(req.headers['content-type'], raw) : undefined;
    const { namespace, name } = req.params;
    const resource = host?.registry.lookup('', 'v1', 'serviceaccounts');
    const admission = host?.admission;
    if (admission && resource && (body === undefined || isPlainObject(body))) {
      // As a create of serviceaccounts/token: mutating, then validating admission, before the token is made.
      const attrs = {
        operation: 'CREATE' as const, resource, subresource: 'token', namespace, name, oldObject: null, dryRun: false, user: userOf(req),
      };
      const object = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', ...((body ?? {}) as KubeObject) } as KubeObject;
      const admitted = (await admission.admit({ ...attrs, object })) ?? object;
      await admission.validate({ ...attrs, object: admitted });
      const out = await createTokenRequest(issuer, namespace, name, admitted);
      sendText(reply, 201, 'application/json', JSON.stringify(out));
      return reply;
    }
    const out = await createTokenRequest(issuer, namespace, name, body);
    sendText(reply, 201, 'application/json', JSON.stringify(out));
    return reply;
  });
  const config = JSON.stringify(openIDConfiguration(issuers[0]!, keys, c.jwksURI));
  let keySet: string | undefined;
  app.get(OPENID_CONFIGURATION_PATH, async (_req, reply) => {
    reply.header('cache-control', DISCOVERY_CACHE_CONTROL);
    sendText(reply, 200, 'application/json', config);
    return reply;
  });
  app.get(JWKS_PATH, async (_req, reply) => {
    keySet ??= JSON.stringify(await jwks(keys));
    reply.header('cache-control', DISCOVERY_CACHE_CONTROL);
    sendText(reply, 200, JWKS_CONTENT_TYPE, keySet);
    return reply;
  });
}
