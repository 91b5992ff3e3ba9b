/**
 * Authentication, the first step of a request's way to the engine (then authorisation, then admission).
 *
 * An Authenticator looks at one part of a request (the client certificate, the bearer token, …) and answers
 * with a user, with an error (it recognised a credential and refused it), or with no opinion (the request
 * carries nothing it reads). The chain asks each in turn, as upstream's union authenticator: the first user
 * wins; otherwise any error fails the request (401; a bad token is never treated as anonymous); otherwise the
 * fallback user applies (system:anonymous when anonymous requests are enabled), or the request fails.
 * Authenticated users gain the group system:authenticated.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { anonymousUser, withAuthenticatedGroup, type UserInfo } from './user.js';

export interface AuthRequest {
  headers: IncomingHttpHeaders;
  /** The client's TLS certificate (DER), when the connection is TLS and the client sent one. */
  clientCertificate?: Buffer;
  /**
   * The audiences the caller asked for (a TokenReview's spec.audiences); absent: the API server's own. Audience-aware
   * token authenticators (ServiceAccount tokens) check a token against these, as upstream's request audiences.
   */
  audiences?: string[];
}

/** A user, an error (a credential was presented and refused), or null (no opinion). */
export type AuthResult = { user: UserInfo; audiences?: string[] } | { error: string } | null;

export interface Authenticator {
  authenticate(req: AuthRequest): AuthResult | Promise<AuthResult>;
}

export type ChainResult = { user: UserInfo; audiences?: string[] } | { error: string };

export interface ChainOptions {
  /**
   * Who a request without any credential is: upstream's anonymous user by default; another user for a
   * server without authentication (the old insecure port's system:unsecured); null to refuse such requests.
   */
  fallback?: UserInfo | null;
}

export class AuthenticationChain {
  private readonly fallback: UserInfo | null;

  constructor(
    readonly authenticators: readonly Authenticator[],
    opts: ChainOptions = {},
  ) {
    this.fallback = opts.fallback === undefined ? anonymousUser() : opts.fallback;
  }

  /** This chain with more authenticators after its own and the same fallback (ServiceAccount tokens need the engine). */
  extendedWith(more: readonly Authenticator[]): AuthenticationChain {
    return new AuthenticationChain([...this.authenticators, ...more], { fallback: this.fallback });
  }

  /** `useFallback: false` answers only from the authenticators (a TokenReview asks whether a token is valid). */
  async authenticate(req: AuthRequest, useFallback = true): Promise<ChainResult> {
    let errors: string[] | undefined;
    for (const a of this.authenticators) {
      const r = await a.authenticate(req);
      if (!r) continue;
      if ('user' in r) return { ...r, user: withAuthenticatedGroup(r.user) };
      (errors ??= []).push(r.error);
    }
    if (errors) return { error: errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]` };
    if (this.fallback && useFallback) return { user: this.fallback };
    return { error: 'no credentials' };
  }
}
