/**
 * Making bootstrap tokens as `kubeadm token create` does: a random `<6>.<16>` token of [a-z0-9] and its Secret
 * bootstrap-token-<id> in kube-system (type bootstrap.kubernetes.io/token) with the usages, extra groups, an
 * optional description and an expiration `ttl` from now (none for a zero TTL). Pure but for the randomness,
 * which is injected.
 */
import { randomInt } from 'node:crypto';
import { BOOTSTRAP_TOKEN_NAMESPACE, BOOTSTRAP_TOKEN_SECRET_PREFIX, BOOTSTRAP_TOKEN_SECRET_TYPE, KUBEADM_NODE_TOKEN_GROUP, bootstrapGroupError, parseBootstrapToken } from './bootstrap-token.js';
import { rfc3339 } from '../../../client/time.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const BOOTSTRAP_TOKEN_USAGES = ['signing', 'authentication'] as const;
/** kubeadm's defaults: 24 h, both usages, the default node token group. */
export const DEFAULT_TOKEN_TTL_MS = 24 * 3600_000;
export const DEFAULT_TOKEN_GROUPS = [KUBEADM_NODE_TOKEN_GROUP];

/** A new token; `pick(n)` returns an integer in [0, n). */
export function generateBootstrapToken(pick: (n: number) => number = randomInt): string {
  const part = (len: number): string => Array.from({ length: len }, () => ALPHABET[pick(ALPHABET.length)]).join('');
  return `${part(6)}.${part(16)}`;
}

export interface TokenSecretOptions {
  ttlMs?: number;
  now: Date;
  usages?: string[];
  groups?: string[];
  description?: string;
}

export interface TokenSecret {
  [field: string]: unknown;
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: { name: string; namespace: string };
  type: string;
  stringData: Record<string, string>;
}

/** The Secret for `token`; throws naming the bad option (a malformed token, an unknown usage, a bad group). */
export function bootstrapTokenSecret(token: string, opts: TokenSecretOptions): TokenSecret {
  const parsed = parseBootstrapToken(token);
  if (!parsed) throw new Error(`token: ${JSON.stringify(token)} does not match the bootstrap token format [a-z0-9]{6}.[a-z0-9]{16}`);
  const usages = opts.usages ?? [...BOOTSTRAP_TOKEN_USAGES];
  for (const u of usages) if (!(BOOTSTRAP_TOKEN_USAGES as readonly string[]).includes(u)) throw new Error(`usages: invalid bootstrap token usage string: ${u}, valid usage options: ${BOOTSTRAP_TOKEN_USAGES.join(',')}`);
  const groups = opts.groups ?? DEFAULT_TOKEN_GROUPS;
  for (const g of groups) {
    const why = bootstrapGroupError(g);
    if (why) throw new Error(`groups: ${why}`);
  }
  const ttl = opts.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
  if (ttl < 0) throw new Error('ttl: must not be negative');
  const stringData: Record<string, string> = { 'token-id': parsed.id, 'token-secret': parsed.secret };
  if (opts.description) stringData.description = opts.description;
  if (ttl > 0) stringData.expiration = rfc3339(opts.now.getTime() + ttl);
  for (const u of usages) stringData[`usage-bootstrap-${u}`] = 'true';
  if (groups.length) stringData['auth-extra-groups'] = groups.join(',');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: BOOTSTRAP_TOKEN_SECRET_PREFIX + parsed.id, namespace: BOOTSTRAP_TOKEN_NAMESPACE },
    type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    stringData,
  };
}
