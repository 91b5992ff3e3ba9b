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
import { aggregateErrors } from '../../aggregate-errors.js';

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
  private readonly withGroup = new WeakMap<UserInfo, UserInfo>();

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
    return this.authenticateNow(req, useFallback);
  }

  /**
   * As `authenticate`, without a promise while every authenticator asked answers synchronously (a client
   * certificate, a request without credentials): the per-request hook then costs no microtask turn.
   */
  authenticateNow(req: AuthRequest, useFallback = true): ChainResult | Promise<ChainResult> {
    let errors: string[] | undefined;
    for (let i = 0; i < this.authenticators.length; i++) {
      const r = this.authenticators[i]!.authenticate(req);
      if (r instanceof Promise) return r.then((res) => this.rest(req, useFallback, i + 1, res, errors ?? []));
      if (!r) continue;
      if ('error' in r) (errors ??= []).push(r.error);
      else return this.accepted(r);
    }
    return this.finish(errors, useFallback);
  }

  private async rest(req: AuthRequest, useFallback: boolean, from: number, first: AuthResult, errors: string[]): Promise<ChainResult> {
    const done = this.step(first, errors);
    if (done) return done;
    for (let i = from; i < this.authenticators.length; i++) {
      const d = this.step(await this.authenticators[i]!.authenticate(req), errors);
      if (d) return d;
    }
    return this.finish(errors, useFallback);
  }

  /** A user ends the walk; an error is noted; no opinion passes on. */
  private step(r: AuthResult, errors: string[]): ChainResult | undefined {
    if (!r) return undefined;
    if ('user' in r) return this.accepted(r);
    errors.push(r.error);
    return undefined;
  }

  private accepted(r: { user: UserInfo; audiences?: string[] }): ChainResult {
    const user = this.authenticated(r.user);
    return r.audiences ? { user, audiences: r.audiences } : { user };
  }

  private finish(errors: string[] | undefined, useFallback: boolean): ChainResult {
    if (errors && errors.length) return { error: aggregateErrors(errors) };
    if (this.fallback && useFallback) return { user: this.fallback };
    return { error: 'no credentials' };
  }

  /**
   * The user with system:authenticated, made once per authenticator's user object: a client certificate's user is
   * one object for every request on its connections (x509.ts caches it), so its request hook allocates nothing.
   */
  private authenticated(u: UserInfo): UserInfo {
    let out = this.withGroup.get(u);
    if (!out) this.withGroup.set(u, (out = withAuthenticatedGroup(u)));
    return out;
  }
}
