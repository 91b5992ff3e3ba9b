/**
 * ServiceAccount token claims, as upstream's pkg/serviceaccount/claims.go: what a token says (the registered JWT
 * claims and the private `kubernetes.io` claim naming the namespace, the ServiceAccount and the object the token is
 * bound to), the time checks (go-jose's, with its one-minute leeway), the checks against the objects the token
 * names (still there, same uid, not deleted longer than the leeway ago), and the user a valid token stands for.
 * Pure over the objects and the clock; jwt.ts signs and verifies, authenticator.ts fetches.
 */
import type { UserInfo } from '../auth/user.js';

/** A name and uid in the `kubernetes.io` claim. */
export interface ClaimRef {
  name: string;
  uid: string;
}

/** The private claim: `kubernetes.io`. */
export interface KubernetesClaim {
  namespace: string;
  node?: ClaimRef;
  pod?: ClaimRef;
  secret?: ClaimRef;
  serviceaccount: ClaimRef;
  /** Seconds since the epoch after which an extended token counts as stale (upstream audits it; it still works). */
  warnafter?: number;
}

/** A token's payload, keys in the order go-jose writes them (sorted). */
export interface TokenClaims {
  aud: string[];
  exp: number;
  iat: number;
  iss: string;
  jti: string;
  'kubernetes.io': KubernetesClaim;
  nbf: number;
  sub: string;
}

/** kubelet's projected tokens ask for this lifetime; the server may extend it (upstream's WarnOnlyBoundTokenExpirationSeconds). */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 60 * 60 + 7;
/** The extended lifetime of such tokens: a year (upstream's ExpirationExtensionSeconds). */
export const EXPIRATION_EXTENSION_SECONDS = 24 * 365 * 60 * 60;
/** go-jose's jwt.DefaultLeeway. */
export const LEEWAY_SECONDS = 60;

export const SERVICE_ACCOUNT_USERNAME_PREFIX = 'system:serviceaccount:';
export const ALL_SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';
export const EXTRA_POD_NAME = 'authentication.kubernetes.io/pod-name';
export const EXTRA_POD_UID = 'authentication.kubernetes.io/pod-uid';
export const EXTRA_NODE_NAME = 'authentication.kubernetes.io/node-name';
export const EXTRA_NODE_UID = 'authentication.kubernetes.io/node-uid';
export const EXTRA_CREDENTIAL_ID = 'authentication.kubernetes.io/credential-id';

export const serviceAccountUsername = (namespace: string, name: string): string => `${SERVICE_ACCOUNT_USERNAME_PREFIX}${namespace}:${name}`;
export const serviceAccountGroups = (namespace: string): string[] => [ALL_SERVICE_ACCOUNTS_GROUP, `${ALL_SERVICE_ACCOUNTS_GROUP}:${namespace}`];

export interface ClaimsInput {
  issuer: string;
  serviceAccount: { namespace: string; name: string; uid: string };
  pod?: ClaimRef;
  secret?: ClaimRef;
  node?: ClaimRef;
  audiences: string[];
  expirationSeconds: number;
  /** Seconds from now after which the token counts as stale (extended tokens); 0 or absent: none. */
  warnAfterSeconds?: number;
  now: Date;
  /** The token's id (a random UUID). */
  jti: string;
}

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);

/** upstream's Claims(): the token's payload. A pod binding also names the pod's node when it has one. */
export function tokenClaims(i: ClaimsInput): TokenClaims {
  const now = seconds(i.now);
  const k: KubernetesClaim = { namespace: i.serviceAccount.namespace, serviceaccount: { name: i.serviceAccount.name, uid: i.serviceAccount.uid } };
  if (i.node) k.node = { ...i.node };
  if (i.pod) k.pod = { ...i.pod };
  else if (i.secret) k.secret = { ...i.secret };
  // Key order as the JSON go-jose writes (sorted), so tokens read the same as kube-apiserver's.
  const ordered: KubernetesClaim = { namespace: k.namespace, ...(k.node ? { node: k.node } : {}), ...(k.pod ? { pod: k.pod } : {}), ...(k.secret ? { secret: k.secret } : {}), serviceaccount: k.serviceaccount };
  if (i.warnAfterSeconds) ordered.warnafter = now + i.warnAfterSeconds;
  return {
    aud: [...i.audiences],
    exp: now + i.expirationSeconds,
    iat: now,
    iss: i.issuer,
    jti: i.jti,
    'kubernetes.io': ordered,
    nbf: now,
    sub: serviceAccountUsername(i.serviceAccount.namespace, i.serviceAccount.name),
  };
}

/** The claims of a payload whose signature was verified, or why they are not a ServiceAccount token's. */
export function parseClaims(payload: unknown): TokenClaims | string {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return 'service account token claims could not be validated due to unexpected private claim';
  const p = payload as Record<string, unknown>;
  const k = p['kubernetes.io'];
  const ref = (v: unknown): ClaimRef | undefined => {
    if (typeof v !== 'object' || v === null) return undefined;
    const r = v as Record<string, unknown>;
    return { name: typeof r['name'] === 'string' ? r['name'] : '', uid: typeof r['uid'] === 'string' ? r['uid'] : '' };
  };
  if (typeof k !== 'object' || k === null) return 'service account token claims could not be validated due to unexpected private claim';
  const kr = k as Record<string, unknown>;
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const aud = typeof p['aud'] === 'string' ? [p['aud']] : Array.isArray(p['aud']) ? p['aud'].filter((a): a is string => typeof a === 'string') : [];
  const claims: TokenClaims = {
    aud,
    exp: num(p['exp']) ?? 0,
    iat: num(p['iat']) ?? 0,
    iss: typeof p['iss'] === 'string' ? p['iss'] : '',
    jti: typeof p['jti'] === 'string' ? p['jti'] : '',
    'kubernetes.io': {
      namespace: typeof kr['namespace'] === 'string' ? kr['namespace'] : '',
      serviceaccount: ref(kr['serviceaccount']) ?? { name: '', uid: '' },
    },
    nbf: num(p['nbf']) ?? 0,
    sub: typeof p['sub'] === 'string' ? p['sub'] : '',
  };
  const c = claims['kubernetes.io'];
  const node = ref(kr['node']);
  const pod = ref(kr['pod']);
  const secret = ref(kr['secret']);
  if (node) c.node = node;
  if (pod) c.pod = pod;
  if (secret) c.secret = secret;
  const warnafter = num(kr['warnafter']);
  if (warnafter) c.warnafter = warnafter;
  // exp/iat/nbf of 0 mean "absent", as go-jose's NumericDate: checks below skip them.
  return claims;
}

/** go-jose's Claims.Validate with the default leeway, in upstream's words; undefined when the times are good. */
export function checkTimes(c: TokenClaims, now: Date): string | undefined {
  const t = now.getTime() / 1000;
  if (c.nbf && t + LEEWAY_SECONDS < c.nbf) return 'service account token is not valid yet';
  if (c.exp && t - LEEWAY_SECONDS > c.exp) return 'service account token has expired';
  // A token issued in the future is go-jose's ErrIssuedInTheFuture, which upstream answers opaquely.
  if (c.iat && t + LEEWAY_SECONDS < c.iat) return 'service account token claims could not be validated due to unexpected validation error';
  return undefined;
}

/** Just enough of an object to check a binding: its uid and whether (and since when) it is being deleted. */
export interface BoundObject {
  metadata?: { uid?: string; deletionTimestamp?: string | null };
}

/** The objects a token names, as found now (undefined: not found). */
export interface ClaimedObjects {
  serviceAccount: BoundObject | undefined;
  pod?: BoundObject | undefined;
  secret?: BoundObject | undefined;
  node?: BoundObject | undefined;
}

/** The user a valid token stands for, and its binding (upstream's ServiceAccountInfo). */
export interface ServiceAccountInfo {
  namespace: string;
  name: string;
  uid: string;
  podName?: string;
  podUID?: string;
  nodeName?: string;
  nodeUID?: string;
  credentialId?: string;
}

const deletedBefore = (o: BoundObject, cutoff: number): boolean => {
  const ts = o.metadata?.deletionTimestamp;
  return typeof ts === 'string' && Date.parse(ts) < cutoff;
};

export const TOKEN_INVALIDATED = 'service account token has been invalidated';

/**
 * upstream's validator.Validate after the time checks: the ServiceAccount must exist with the claimed uid; a bound
 * Secret, Pod or Node must still exist with the claimed uid. Objects deleted (deletionTimestamp) more than the
 * leeway ago count as gone. A Node is checked only for a token bound to it, not one that names its pod's node.
 */
export function checkClaimedObjects(c: TokenClaims, found: ClaimedObjects, now: Date): ServiceAccountInfo | string {
  const k = c['kubernetes.io'];
  const ns = k.namespace;
  const sa = k.serviceaccount;
  const cutoff = now.getTime() - LEEWAY_SECONDS * 1000;
  if (!found.serviceAccount) return `serviceaccounts "${sa.name}" not found`;
  if (deletedBefore(found.serviceAccount, cutoff)) return `service account ${ns}/${sa.name} has been deleted`;
  const saUID = found.serviceAccount.metadata?.uid ?? '';
  if (saUID !== sa.uid) return `service account UID (${saUID}) does not match claim (${sa.uid})`;
  if (k.secret) {
    const s = found.secret;
    if (!s || deletedBefore(s, cutoff)) return TOKEN_INVALIDATED;
    const uid = s.metadata?.uid ?? '';
    if (uid !== k.secret.uid) return `secret UID (${uid}) does not match service account secret ref claim (${k.secret.uid})`;
  }
  const info: ServiceAccountInfo = { namespace: ns, name: sa.name, uid: sa.uid };
  if (k.pod) {
    const p = found.pod;
    if (!p || deletedBefore(p, cutoff)) return TOKEN_INVALIDATED;
    const uid = p.metadata?.uid ?? '';
    if (uid !== k.pod.uid) return `pod UID (${uid}) does not match service account pod ref claim (${k.pod.uid})`;
    info.podName = k.pod.name;
    info.podUID = k.pod.uid;
  }
  if (k.node) {
    // A pod-bound token names its pod's node for information only; a Node-bound token needs the node as claimed.
    if (!k.pod && !k.secret) {
      const n = found.node;
      if (!n || deletedBefore(n, cutoff)) return TOKEN_INVALIDATED;
      const uid = n.metadata?.uid ?? '';
      if (uid !== k.node.uid) return `node UID (${uid}) does not match service account node ref claim (${k.node.uid})`;
    }
    info.nodeName = k.node.name;
    if (k.node.uid) info.nodeUID = k.node.uid;
  }
  if (c.jti) info.credentialId = `JTI=${c.jti}`;
  return info;
}

/** upstream's ServiceAccountInfo.UserInfo(). */
export function serviceAccountUser(i: ServiceAccountInfo): UserInfo {
  const extra: Record<string, string[]> = {};
  if (i.podName && i.podUID) {
    extra[EXTRA_POD_NAME] = [i.podName];
    extra[EXTRA_POD_UID] = [i.podUID];
  }
  if (i.credentialId) extra[EXTRA_CREDENTIAL_ID] = [i.credentialId];
  if (i.nodeName) {
    extra[EXTRA_NODE_NAME] = [i.nodeName];
    if (i.nodeUID) extra[EXTRA_NODE_UID] = [i.nodeUID];
  }
  return {
    name: serviceAccountUsername(i.namespace, i.name),
    uid: i.uid,
    groups: serviceAccountGroups(i.namespace),
    ...(Object.keys(extra).length ? { extra } : {}),
  };
}
