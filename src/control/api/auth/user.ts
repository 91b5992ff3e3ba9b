/**
 * Who made a request, as upstream's user.Info: a name, a uid, groups and extra attributes. Authentication
 * produces it; authorisation and admission read it; the object engine never sees it.
 */
export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export const ANONYMOUS_USER = 'system:anonymous';
export const ALL_AUTHENTICATED = 'system:authenticated';
export const ALL_UNAUTHENTICATED = 'system:unauthenticated';
/** Upstream's superuser group: authorisers allow its members everything. */
export const SYSTEM_MASTERS = 'system:masters';

export const anonymousUser = (): UserInfo => ({ name: ANONYMOUS_USER, groups: [ALL_UNAUTHENTICATED] });

/**
 * Adds system:authenticated to an authenticated user, as upstream's AuthenticatedGroupAdder: not to the
 * anonymous user, and not when the groups already say either way.
 */
export function withAuthenticatedGroup(u: UserInfo): UserInfo {
  if (u.name === ANONYMOUS_USER) return u;
  if (u.groups.includes(ALL_AUTHENTICATED) || u.groups.includes(ALL_UNAUTHENTICATED)) return u;
  return { ...u, groups: [...u.groups, ALL_AUTHENTICATED] };
}
