/**
 * The ServiceAccount token authenticator (upstream's JWTTokenAuthenticator with the bound-token validator): a
 * bearer token signed by one of the server's keys, for one of its issuers, for one of the API's audiences, within
 * its times, whose ServiceAccount still exists with the same uid, and whose bound Pod, Secret or Node still exists
 * with the claimed uid and was not deleted, is the user system:serviceaccount:<ns>:<name>.
 */
import type { TokenAuthenticator, TokenResult } from '../auth/bearer.js';
import type { KubeObject } from '../resource.js';
import { checkClaimedObjects, checkTimes, serviceAccountUser, type ClaimedObjects } from './claims.js';
import { verifyToken, type VerificationKey } from './jwt.js';

export type BoundResource = 'serviceaccounts' | 'pods' | 'secrets' | 'nodes';

/** Reads the objects a token names (namespace undefined for Nodes); undefined when not found. */
export interface ServiceAccountObjects {
  get(resource: BoundResource, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
}

export interface ServiceAccountAuthenticatorOptions {
  /** Issuers whose tokens are read (upstream's --service-account-issuer, the first one signs). */
  issuers: string[];
  keys: VerificationKey[];
  /** The API's audiences (--api-audiences; the first issuer by default). */
  apiAudiences: string[];
  objects: ServiceAccountObjects;
  now?: () => Date;
}

/** Go's %q of a []string: `["a" "b"]`. */
const goQuoted = (xs: readonly string[]): string => `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;

export class ServiceAccountTokenAuthenticator implements TokenAuthenticator {
  private readonly now: () => Date;

  constructor(private readonly o: ServiceAccountAuthenticatorOptions) {
    this.now = o.now ?? (() => new Date());
  }

  async authenticateToken(token: string, requested?: string[]): Promise<TokenResult> {
    const verified = await verifyToken(token, this.o.issuers, this.o.keys);
    if (!verified || 'error' in verified) return verified;
    const c = verified.claims;
    // Tokens without audiences (legacy ones) are good for the API's own; a TokenReview may ask for others.
    const tokenAudiences = c.aud.length ? c.aud : this.o.apiAudiences;
    const target = requested?.length ? requested : this.o.apiAudiences;
    const audiences = tokenAudiences.filter((a) => target.includes(a));
    if (audiences.length === 0 && this.o.apiAudiences.length > 0) {
      return { error: `token audiences ${goQuoted(tokenAudiences)} is invalid for the target audiences ${goQuoted(target)}` };
    }
    const now = this.now();
    const timeError = checkTimes(c, now);
    if (timeError) return { error: timeError };
    const k = c['kubernetes.io'];
    const get = this.o.objects.get.bind(this.o.objects);
    const found: ClaimedObjects = { serviceAccount: await get('serviceaccounts', k.namespace, k.serviceaccount.name) };
    if (found.serviceAccount) {
      if (k.secret) found.secret = await get('secrets', k.namespace, k.secret.name);
      if (k.pod) found.pod = await get('pods', k.namespace, k.pod.name);
      else if (k.node && !k.secret) found.node = await get('nodes', undefined, k.node.name);
    }
    const info = checkClaimedObjects(c, found, now);
    if (typeof info === 'string') return { error: info };
    return { user: serviceAccountUser(info), audiences };
  }
}
