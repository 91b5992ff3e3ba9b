/**
 * Bootstrap tokens (upstream's plugin/pkg/auth/authenticator/token/bootstrap, enabled by kubeadm): a bearer token
 * `<id>.<secret>` (6 and 16 characters of [a-z0-9]) matches the Secret `bootstrap-token-<id>` in kube-system of
 * type bootstrap.kubernetes.io/token whose data holds the same token-id and token-secret, has not expired and is
 * marked usage-bootstrap-authentication=true. The user is system:bootstrap:<id> in system:bootstrappers plus the
 * Secret's auth-extra-groups. As upstream, every mismatch is "no opinion", never an error of its own: a token
 * nothing knows ends as the bearer authenticator's "invalid bearer token".
 */
import { timingSafeEqual } from 'node:crypto';
import type { TokenAuthenticator, TokenResult } from './bearer.js';
import type { UserInfo } from './user.js';
import type { ObjectEngine } from '../routes/objects.js';
import { cachedObjects } from '../watch/cached-objects.js';

export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_TOKEN_SECRET_PREFIX = 'bootstrap-token-';
export const BOOTSTRAP_TOKEN_NAMESPACE = 'kube-system';
export const BOOTSTRAP_USER_PREFIX = 'system:bootstrap:';
export const BOOTSTRAP_DEFAULT_GROUP = 'system:bootstrappers';
/** The group kubeadm gives the tokens it makes (`kubeadm token create`). */
export const KUBEADM_NODE_TOKEN_GROUP = 'system:bootstrappers:kubeadm:default-node-token';

const TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const EXTRA_GROUP = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

/** The id and secret of a bootstrap token, or null when the text is not one. */
export function parseBootstrapToken(token: string): { id: string; secret: string } | null {
  const m = TOKEN.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

/** The shape of the Secret this reads (core/v1 Secret, data base64 as served). */
export interface BootstrapTokenSecret {
  metadata?: { name?: string; namespace?: string; deletionTimestamp?: string | null };
  type?: string;
  data?: Record<string, string>;
}

/** A data value decoded, '' when absent (upstream's GetData). */
const dataOf = (s: BootstrapTokenSecret, key: string): string => {
  const v = s.data?.[key];
  return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '';
};

/** Why an auth-extra-groups entry is refused, or null (upstream's ValidateBootstrapGroupName). */
export function bootstrapGroupError(group: string): string | null {
  return EXTRA_GROUP.test(group) ? null : `bootstrap group "${group}" is invalid (must match ${EXTRA_GROUP.source.slice(1, -1)})`;
}

/**
 * The user a token authenticates as against its Secret, or why it does not (for the log; callers answer "no
 * opinion" either way). Expired: an `expiration` (RFC 3339) at or before `now`, or one that does not parse.
 */
export function bootstrapTokenUser(secret: BootstrapTokenSecret, token: { id: string; secret: string }, now: Date): { user: UserInfo } | { reason: string } {
  const where = `bootstrap secret ${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''} matching bearer token`;
  if (secret.metadata?.deletionTimestamp) return { reason: `${where} is deleted and awaiting removal` };
  if (secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE || !secret.data) return { reason: `${where} has invalid type, expected ${BOOTSTRAP_TOKEN_SECRET_TYPE}` };
  const stored = Buffer.from(dataOf(secret, 'token-secret'));
  const given = Buffer.from(token.secret);
  // Constant time, as upstream's subtle.ConstantTimeCompare (lengths are public: both are 16 when they can match).
  if (stored.length !== given.length || !timingSafeEqual(stored, given)) return { reason: `${where} has invalid value for key token-secret` };
  if (dataOf(secret, 'token-id') !== token.id) return { reason: `${where} has invalid value for key token-id` };
  const expiration = dataOf(secret, 'expiration');
  if (expiration) {
    const at = Date.parse(expiration);
    if (Number.isNaN(at)) return { reason: `${where} has an unparseable expiration ${JSON.stringify(expiration)}` };
    if (at <= now.getTime()) return { reason: `${where} has expired (${expiration})` };
  }
  if (dataOf(secret, 'usage-bootstrap-authentication') !== 'true') return { reason: `${where} not marked usage-bootstrap-authentication=true` };
  const groups = new Set([BOOTSTRAP_DEFAULT_GROUP]);
  const extra = dataOf(secret, 'auth-extra-groups');
  if (extra) {
    for (const g of extra.split(',')) {
      const why = bootstrapGroupError(g);
      if (why) return { reason: `${where} has invalid value for key auth-extra-groups: ${why}` };
      groups.add(g);
    }
  }
  // Sorted, as upstream's sets.List.
  return { user: { name: BOOTSTRAP_USER_PREFIX + token.id, groups: [...groups].sort() } };
}

/** Reads a kube-system Secret by name (the API server's watch cache), undefined when absent. */
export type BootstrapSecretLookup = (name: string) => Promise<BootstrapTokenSecret | undefined>;

export class BootstrapTokenAuthenticator implements TokenAuthenticator {
  private lookup: BootstrapSecretLookup | undefined;

  /**
   * `lookup` may come later (attach): the server builds its authentication chain before the object engine that
   * reads Secrets exists. Until then no token is recognised.
   */
  constructor(
    lookup?: BootstrapSecretLookup,
    private readonly now: () => Date = () => new Date(),
    private readonly onReject?: (reason: string) => void,
  ) {
    this.lookup = lookup;
  }

  attach(lookup: BootstrapSecretLookup): void {
    this.lookup = lookup;
  }

  async authenticateToken(token: string): Promise<TokenResult> {
    const parsed = parseBootstrapToken(token);
    if (!parsed || !this.lookup) return null;
    const secret = await this.lookup(BOOTSTRAP_TOKEN_SECRET_PREFIX + parsed.id);
    if (!secret) return null;
    const r = bootstrapTokenUser(secret, parsed, this.now());
    if ('reason' in r) {
      this.onReject?.(r.reason);
      return null;
    }
    return { user: r.user };
  }
}

/** A lookup over the engine's Secret watch cache (upstream reads a Secret lister too). */
export function engineBootstrapSecretLookup(engine: Pick<ObjectEngine, 'registry' | 'cache'>): BootstrapSecretLookup {
  const secrets = cachedObjects(engine, '', 'v1', 'secrets');
  return async (name) => (await secrets.get(BOOTSTRAP_TOKEN_NAMESPACE, name)) as BootstrapTokenSecret | undefined;
}
