/**
 * Bearer tokens (`Authorization: Bearer <token>`), handed to the token authenticators in turn (the static token
 * file now; ServiceAccount and bootstrap tokens later), as upstream's bearertoken authenticator: no header, another
 * scheme or an empty token is no opinion; a token no authenticator knows is an error, never anonymous.
 */
import type { AuthRequest, AuthResult, Authenticator } from './authenticator.js';
import type { UserInfo } from './user.js';

/** A user and the audiences the token is for, an error, or null (not a token this authenticator knows). */
export type TokenResult = { user: UserInfo; audiences?: string[] } | { error: string } | null;

export interface TokenAuthenticator {
  /** `audiences`: those the caller asked for (TokenReview); absent: the API server's. */
  authenticateToken(token: string, audiences?: string[]): TokenResult | Promise<TokenResult>;
}

export const INVALID_BEARER_TOKEN = 'invalid bearer token';

/** The token of an Authorization header, or undefined when the header carries none. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  const parts = value.split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return undefined;
  // As upstream's SplitN(auth, " ", 3): the token is the second field, whatever follows a further space.
  return parts[1] || undefined;
}

export class BearerTokenAuthenticator implements Authenticator {
  constructor(private readonly tokens: readonly TokenAuthenticator[]) {}

  /** No opinion, synchronously, on a request without a bearer token (the chain then needs no promise). */
  authenticate(req: AuthRequest): AuthResult | Promise<AuthResult> {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) return null;
    return this.authenticateToken(token, req.audiences);
  }

  /** The token alone (TokenReview asks this way). */
  async authenticateToken(token: string, audiences?: string[]): Promise<TokenResult> {
    const errors: string[] = [];
    for (const t of this.tokens) {
      const r = await t.authenticateToken(token, audiences);
      if (!r) continue;
      if ('user' in r) return r;
      errors.push(r.error);
    }
    return { error: errors.length ? errors.join(', ') : INVALID_BEARER_TOKEN };
  }
}
