/**
 * Impersonation, as upstream's WithImpersonation: `Impersonate-User`, `Impersonate-Group` (repeatable),
 * `Impersonate-Uid` and `Impersonate-Extra-<key>` make a request act as another user, when the requester may
 * `impersonate` each of them (users, groups, serviceaccounts, uids, userextras). `kubectl --as` sends these.
 */
import { ALL_AUTHENTICATED, ALL_UNAUTHENTICATED, ANONYMOUS_USER, type UserInfo } from '../auth/user.js';
import { ApiError, badRequest } from '../status.js';
import { forbiddenError } from './forbidden.js';
import type { AuthorizationAttributes, Authorizer } from './types.js';

const EXTRA_PREFIX = 'impersonate-extra-';

const values = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Request headers by lower-case name, repeated ones as arrays (Node's `headersDistinct` keeps them apart). */
export type Headers = Record<string, string | string[] | undefined>;

/**
 * True when a request asks to impersonate anyone (the cheap check every request pays), from Node's `rawHeaders`
 * (names and values alternating, names as sent): a name shorter than the shortest impersonation header, or not
 * starting with an i, is passed over without lower-casing it, where walking the headers object cost a keyed
 * lookup per header on every request.
 */
export function wantsImpersonation(rawHeaders: readonly string[]): boolean {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length < SHORTEST_IMPERSONATE_HEADER || (name.charCodeAt(0) | 0x20) !== 0x69) continue;
    const lower = name.toLowerCase();
    if (lower === 'impersonate-user' || lower === 'impersonate-group' || lower === 'impersonate-uid' || lower.startsWith(EXTRA_PREFIX)) return true;
  }
  return false;
}

/** 'impersonate-uid'. */
const SHORTEST_IMPERSONATE_HEADER = 15;

const SA_PREFIX = 'system:serviceaccount:';

/** `system:serviceaccount:<ns>:<name>` split, or undefined for any other user name. */
function serviceAccountOf(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SA_PREFIX)) return undefined;
  const parts = username.slice(SA_PREFIX.length).split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { namespace: parts[0], name: parts[1] };
}

const attrs = (user: UserInfo, resource: string, name: string, over: Partial<AuthorizationAttributes> = {}): AuthorizationAttributes => ({
  user, verb: 'impersonate', resourceRequest: true, path: '', apiGroup: '', apiVersion: '', resource, subresource: '', namespace: '', name, ...over,
});

/**
 * The user a request acts as: the requester when it impersonates no one, the impersonated user when every
 * impersonation is allowed; otherwise the ApiError to answer (403 naming what was refused, 400 for headers
 * that make no sense).
 */
export function impersonate(requester: UserInfo, h: Headers, authorizer: Authorizer): UserInfo | ApiError {
  const username = values(h['impersonate-user'])[0];
  // One group per header line, as upstream reads them (a name may hold a comma).
  const groups = values(h['impersonate-group']).filter((g) => g !== '');
  const uid = values(h['impersonate-uid'])[0];
  const extra: Record<string, string[]> = {};
  for (const k in h) {
    if (!k.startsWith(EXTRA_PREFIX)) continue;
    let key = k.slice(EXTRA_PREFIX.length);
    try {
      key = decodeURIComponent(key);
    } catch {
      return badRequest(`malformed extra key for impersonation request: ${key}`);
    }
    extra[key.toLowerCase()] = values(h[k]);
  }
  if (username === undefined || username === '') {
    if (groups.length || uid !== undefined || Object.keys(extra).length) return badRequest('requested impersonation of groups, a uid or extra without impersonating a user');
    return requester;
  }
  const checks: AuthorizationAttributes[] = [];
  let actingGroups = groups;
  const sa = serviceAccountOf(username);
  if (sa) {
    checks.push(attrs(requester, 'serviceaccounts', sa.name, { namespace: sa.namespace }));
    if (groups.length === 0) actingGroups = ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`];
  } else checks.push(attrs(requester, 'users', username));
  for (const g of groups) checks.push(attrs(requester, 'groups', g));
  for (const [k, vs] of Object.entries(extra)) for (const v of vs) checks.push(attrs(requester, 'userextras', v, { apiGroup: 'authentication.k8s.io', subresource: k }));
  if (uid !== undefined) checks.push(attrs(requester, 'uids', uid, { apiGroup: 'authentication.k8s.io' }));
  for (const a of checks) {
    const r = authorizer.authorize(a);
    if (r.decision !== 'Allow') return forbiddenError(a, r.reason);
  }
  const out = [...actingGroups];
  // An impersonated user is authenticated (or, as anonymous, unauthenticated) unless the groups say otherwise.
  if (!out.includes(ALL_AUTHENTICATED) && !out.includes(ALL_UNAUTHENTICATED)) out.push(username === ANONYMOUS_USER ? ALL_UNAUTHENTICATED : ALL_AUTHENTICATED);
  return { name: username, groups: out, ...(uid !== undefined ? { uid } : {}), ...(Object.keys(extra).length ? { extra } : {}) };
}
