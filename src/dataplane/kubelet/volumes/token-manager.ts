/**
 * The kubelet's token manager (pkg/kubelet/token): projected serviceAccountToken sources get their tokens from
 * TokenRequest (serviceaccounts/<name>/token, bound to the pod), cached per ServiceAccount, audiences, lifetime
 * and pod, and requested again once 80% of a token's lifetime has passed or it is a day old, as upstream does, so
 * the volume's periodic rewrite hands containers a fresh token well before the old one expires.
 */
import type { TokenProvider, TokenRequest } from './payload.js';

/** A TokenRequest's answer as the cache keeps it. */
export interface IssuedToken {
  token: string;
  /** status.expirationTimestamp. */
  expiresAt: Date;
  /** spec.expirationSeconds of the answer (the lifetime the server granted). */
  expirationSeconds: number;
}

/** POSTs a TokenRequest; a RestClient's request() fits. */
export type TokenRequestPoster = <T>(method: string, path: string, body: unknown) => Promise<T>;

const MAX_TTL_MS = 24 * 3600_000;

/** upstream's requiresRefresh: expired, past 80% of its lifetime, or older than a day. */
export function requiresRefresh(t: IssuedToken, now: Date): boolean {
  const exp = t.expiresAt.getTime();
  if (now.getTime() >= exp) return true;
  const iat = exp - t.expirationSeconds * 1000;
  return now.getTime() > iat + t.expirationSeconds * 800 || now.getTime() > iat + MAX_TTL_MS;
}

const keyOf = (r: TokenRequest): string =>
  JSON.stringify([r.namespace, r.serviceAccountName, r.audiences, r.expirationSeconds ?? null, r.boundPod.name, r.boundPod.uid]);

interface TokenRequestAnswer {
  spec?: { expirationSeconds?: number };
  status?: { token?: string; expirationTimestamp?: string };
}

export class TokenManager {
  private readonly cache = new Map<string, IssuedToken>();

  constructor(private readonly post: TokenRequestPoster, private readonly now: () => Date = () => new Date()) {}

  /** The pod's token for `r`: the cached one while it is fresh, otherwise a new TokenRequest. */
  async token(r: TokenRequest): Promise<string> {
    const key = keyOf(r);
    const cached = this.cache.get(key);
    if (cached && !requiresRefresh(cached, this.now())) return cached.token;
    const path = `/api/v1/namespaces/${encodeURIComponent(r.namespace)}/serviceaccounts/${encodeURIComponent(r.serviceAccountName)}/token`;
    const body = {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
      spec: {
        audiences: r.audiences,
        ...(r.expirationSeconds !== undefined ? { expirationSeconds: r.expirationSeconds } : {}),
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: r.boundPod.name, uid: r.boundPod.uid },
      },
    };
    let answer: TokenRequestAnswer;
    try {
      answer = await this.post<TokenRequestAnswer>('POST', path, body);
    } catch (err) {
      // A failed refresh keeps a token that has not expired yet, as the kubelet does.
      if (cached && this.now().getTime() < cached.expiresAt.getTime()) return cached.token;
      throw new Error(`failed to fetch token: ${(err as Error).message}`);
    }
    const token = answer.status?.token;
    const expiresAt = answer.status?.expirationTimestamp ? new Date(answer.status.expirationTimestamp) : undefined;
    if (!token || !expiresAt || Number.isNaN(expiresAt.getTime())) throw new Error('failed to fetch token: the TokenRequest answer has no token or expirationTimestamp');
    this.cache.set(key, { token, expiresAt, expirationSeconds: answer.spec?.expirationSeconds ?? r.expirationSeconds ?? 3600 });
    return token;
  }

  /** Forgets the tokens of a pod that is gone (upstream's DeleteServiceAccountToken). */
  forgetPod(podUID: string): void {
    for (const k of [...this.cache.keys()]) if ((JSON.parse(k) as unknown[])[5] === podUID) this.cache.delete(k);
  }

  /** This manager as volumes/' TokenProvider. */
  get provider(): TokenProvider {
    return (r) => this.token(r);
  }
}
