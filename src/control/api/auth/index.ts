/**
 * The authentication chain a server runs, in upstream's order: client certificates, then bearer tokens (the
 * static token file), then the fallback user (anonymous). A server built without one treats every request as
 * the old insecure port did: system:unsecured in system:masters.
 */
import { AuthenticationChain } from './authenticator.js';
import type { Authenticator } from './authenticator.js';
import { BearerTokenAuthenticator, type TokenAuthenticator } from './bearer.js';
import { ClientCertAuthenticator } from './x509.js';
import { ALL_AUTHENTICATED, anonymousUser, SYSTEM_MASTERS, type UserInfo } from './user.js';

export { AuthenticationChain } from './authenticator.js';
export type { AuthRequest, AuthResult, Authenticator, ChainResult } from './authenticator.js';
export { BearerTokenAuthenticator, bearerToken, type TokenAuthenticator, type TokenResult } from './bearer.js';
export { ClientCertAuthenticator } from './x509.js';
export { TokenFileAuthenticator, parseTokenFile } from './token-file.js';
export { installAuthentication, userOf, unauthorized } from './request.js';
export { registerAuthenticationApi } from './reviews.js';
export * from './user.js';

/** Who a request is on a server without authentication (upstream's insecure port). */
export const UNSECURED_USER: UserInfo = { name: 'system:unsecured', groups: [SYSTEM_MASTERS, ALL_AUTHENTICATED] };

export interface AuthenticationConfig {
  /** PEM of the CA client certificates must chain to; absent: client certificates are not read. */
  clientCA?: string;
  /**
   * Bearer token authenticators (the token file, …). Given (even empty), a bearer token none of them knows is 401,
   * as upstream (whose ServiceAccount token authenticator is always there); absent, bearer tokens are not read.
   */
  tokens?: TokenAuthenticator[];
  /** Requests without credentials are system:anonymous (default true, as kube-apiserver's --anonymous-auth). */
  anonymous?: boolean;
  /** Instead of anonymous: the user of requests without credentials (a server without TLS: UNSECURED_USER). */
  fallback?: UserInfo;
  now?: () => Date;
}

export function authenticationChain(cfg: AuthenticationConfig): AuthenticationChain {
  const authenticators: Authenticator[] = [];
  if (cfg.clientCA) authenticators.push(new ClientCertAuthenticator(cfg.clientCA, cfg.now));
  if (cfg.tokens) authenticators.push(new BearerTokenAuthenticator(cfg.tokens));
  const fallback = cfg.fallback ?? (cfg.anonymous === false ? null : anonymousUser());
  return new AuthenticationChain(authenticators, { fallback });
}

/** No authentication: every request is system:unsecured. */
export const unsecuredChain = (): AuthenticationChain => new AuthenticationChain([], { fallback: UNSECURED_USER });
