/**
 * serviceaccounts/token (authentication.k8s.io/v1 TokenRequest), as upstream's TokenREST: a token for an existing
 * ServiceAccount, for the audiences asked (the API's by default), for expirationSeconds (3600 by default, at least
 * 600, capped by the server's maximum), optionally bound to a Pod, Secret or Node of the namespace whose uid must
 * match. A pod binding needs the pod to run as this ServiceAccount and also names the pod's node. Never stored.
 *
 * The kubelet's projected tokens (3607 s, the API's audiences, bound to a pod) are extended to a year with a
 * `warnafter` at the requested time, as upstream's --service-account-extend-token-expiration (on by default); the
 * answer's expirationTimestamp still says the requested time, so the kubelet refreshes on schedule.
 */
import { ApiError, badRequest, conflict, invalid, notFound } from '../status.js';
import { invalid as invalidField } from '../validation/errors.js';
import { isPlainObject } from '../content.js';
import type { KubeObject } from '../resource.js';
import type { FieldError } from '../resource.js';
import { EXPIRATION_EXTENSION_SECONDS, tokenClaims, WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS, type ClaimRef } from './claims.js';
import { newTokenId, signToken } from './jwt.js';
import type { SigningKey } from './key.js';
import type { ServiceAccountObjects } from './authenticator.js';
import { rfc3339 } from '../../../client/time.js';

export const TOKEN_REQUEST_GROUP = 'authentication.k8s.io';
export const TOKEN_REQUEST_API_VERSION = `${TOKEN_REQUEST_GROUP}/v1`;
export const DEFAULT_EXPIRATION_SECONDS = 3600;
/** upstream's MinTokenAgeSec and MaxTokenAgeSec. */
export const MIN_TOKEN_AGE_SECONDS = 10 * 60;
export const MAX_TOKEN_AGE_SECONDS = 2 ** 32;

export interface TokenIssuerOptions {
  /** The issuer written into tokens (the first --service-account-issuer). */
  issuer: string;
  key: SigningKey;
  /** Audiences of requests that name none (--api-audiences; the issuer by default). */
  apiAudiences: string[];
  objects: ServiceAccountObjects;
  /** --service-account-max-token-expiration in seconds; 0 or absent: no cap. */
  maxExpirationSeconds?: number;
  /** --service-account-extend-token-expiration (default true). */
  extendExpiration?: boolean;
  now?: () => Date;
  newId?: () => string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

interface BoundObjectRef {
  kind?: string;
  apiVersion?: string;
  name?: string;
  uid?: string;
}

/** Decoded and defaulted TokenRequest spec, or the field errors of a bad one. */
function readSpec(spec: Record<string, unknown>): { audiences: string[]; expirationSeconds: number; boundObjectRef?: BoundObjectRef } | FieldError[] {
  const errs: FieldError[] = [];
  const audiences = Array.isArray(spec['audiences']) ? spec['audiences'].filter((a): a is string => typeof a === 'string') : [];
  const exp = spec['expirationSeconds'] === undefined || spec['expirationSeconds'] === null ? DEFAULT_EXPIRATION_SECONDS : spec['expirationSeconds'];
  if (typeof exp !== 'number' || !Number.isInteger(exp)) {
    errs.push(invalidField('spec.expirationSeconds', exp, 'must be an integer'));
    return errs;
  }
  if (exp < MIN_TOKEN_AGE_SECONDS) errs.push(invalidField('spec.expirationSeconds', exp, 'may not specify a duration less than 10 minutes'));
  if (exp > MAX_TOKEN_AGE_SECONDS) errs.push(invalidField('spec.expirationSeconds', exp, 'may not specify a duration larger than 2^32 seconds'));
  if (errs.length) return errs;
  const ref = isPlainObject(spec['boundObjectRef']) ? (spec['boundObjectRef'] as BoundObjectRef) : undefined;
  return { audiences, expirationSeconds: exp, ...(ref ? { boundObjectRef: ref } : {}) };
}

/** Group and kind of an apiVersion and kind, as schema.FromAPIVersionAndKind; and its GroupVersionKind.String(). */
function gvkOf(ref: BoundObjectRef): { group: string; kind: string; text: string } {
  const av = str(ref.apiVersion);
  const slash = av.indexOf('/');
  const group = slash >= 0 ? av.slice(0, slash) : '';
  const version = slash >= 0 ? av.slice(slash + 1) : av;
  const kind = str(ref.kind);
  return { group, kind, text: `${group}/${version}, Kind=${kind}` };
}

const refOf = (o: KubeObject): ClaimRef => ({ name: o.metadata?.name ?? '', uid: o.metadata?.uid ?? '' });

/** Answers a TokenRequest create for serviceaccounts/<name> in <namespace>; throws ApiErrors as upstream answers. */
export async function createTokenRequest(o: TokenIssuerOptions, namespace: string, name: string, body: unknown): Promise<KubeObject> {
  const gk = { group: TOKEN_REQUEST_GROUP, kind: 'TokenRequest' };
  if (body !== undefined && !isPlainObject(body)) throw badRequest('the body of the request must be a TokenRequest object');
  const req = (body ?? {}) as Record<string, unknown>;
  if (req['kind'] !== undefined && req['kind'] !== 'TokenRequest') {
    throw badRequest(`the kind in the data (${String(req['kind'])}) does not match the expected kind (TokenRequest)`);
  }
  const meta = isPlainObject(req['metadata']) ? (req['metadata'] as Record<string, unknown>) : {};
  const fieldErrs: FieldError[] = [];
  if (str(meta['name']) && meta['name'] !== name) fieldErrs.push(invalidField('metadata.name', meta['name'], 'must match the service account name if specified'));
  if (str(meta['namespace']) && meta['namespace'] !== namespace) fieldErrs.push(invalidField('metadata.namespace', meta['namespace'], 'must match the service account namespace if specified'));
  if (fieldErrs.length) throw invalid(gk.group, gk.kind, name, fieldErrs);
  const spec = readSpec(isPlainObject(req['spec']) ? (req['spec'] as Record<string, unknown>) : {});
  if (Array.isArray(spec)) throw invalid(gk.group, gk.kind, name, spec);

  const sa = await o.objects.get('serviceaccounts', namespace, name);
  if (!sa) throw notFound({ group: '', resource: 'serviceaccounts' }, name);

  let pod: ClaimRef | undefined;
  let secret: ClaimRef | undefined;
  let node: ClaimRef | undefined;
  const ref = spec.boundObjectRef;
  if (ref) {
    const gvk = gvkOf(ref);
    const refName = str(ref.name);
    let uid = '';
    if (gvk.group === '' && gvk.kind === 'Pod') {
      const p = await o.objects.get('pods', namespace, refName);
      if (!p) throw notFound({ group: '', resource: 'pods' }, refName);
      const podSA = str((p['spec'] as Record<string, unknown> | undefined)?.['serviceAccountName']);
      if (podSA !== name) throw badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
      pod = refOf(p);
      uid = pod.uid;
      // The pod's node goes into the token too (upstream's ServiceAccountTokenPodNodeInfo), when it is known.
      const nodeName = str((p['spec'] as Record<string, unknown> | undefined)?.['nodeName']);
      if (nodeName) {
        const n = await o.objects.get('nodes', undefined, nodeName);
        if (n) node = refOf(n);
      }
    } else if (gvk.group === '' && gvk.kind === 'Secret') {
      const s = await o.objects.get('secrets', namespace, refName);
      if (!s) throw notFound({ group: '', resource: 'secrets' }, refName);
      secret = refOf(s);
      uid = secret.uid;
    } else if (gvk.group === '' && gvk.kind === 'Node') {
      const n = await o.objects.get('nodes', undefined, refName);
      if (!n) throw notFound({ group: '', resource: 'nodes' }, refName);
      node = refOf(n);
      uid = node.uid;
    } else {
      throw badRequest(`cannot bind token to object of type ${gvk.text}`);
    }
    if (ref.uid && ref.uid !== uid) {
      throw conflict({ group: gvk.group, resource: gvk.kind }, refName,
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
  }

  const audiences = spec.audiences.length ? spec.audiences : [...o.apiAudiences];
  let expirationSeconds = spec.expirationSeconds;
  if (o.maxExpirationSeconds && expirationSeconds > o.maxExpirationSeconds) expirationSeconds = o.maxExpirationSeconds;
  let lifetime = expirationSeconds;
  let warnAfterSeconds = 0;
  const forTheAPI = audiences.every((a) => o.apiAudiences.includes(a));
  if ((o.extendExpiration ?? true) && pod && expirationSeconds === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS && forTheAPI) {
    warnAfterSeconds = expirationSeconds;
    lifetime = EXPIRATION_EXTENSION_SECONDS;
  }
  // The time is taken before the token is made, so status.expirationTimestamp is never after the token's exp.
  const now = (o.now ?? (() => new Date()))();
  const claims = tokenClaims({
    issuer: o.issuer,
    serviceAccount: { namespace, name, uid: sa.metadata?.uid ?? '' },
    ...(pod ? { pod } : {}), ...(secret ? { secret } : {}), ...(node ? { node } : {}),
    audiences, expirationSeconds: lifetime, warnAfterSeconds, now, jti: (o.newId ?? newTokenId)(),
  });
  let token: string;
  try {
    token = await signToken(o.key, claims);
  } catch (err) {
    throw new ApiError(500, 'InternalError', `Internal error occurred: failed to generate token: ${(err as Error).message}`);
  }
  const outSpec: Record<string, unknown> = { audiences, expirationSeconds };
  outSpec['boundObjectRef'] = ref ? { ...ref } : null;
  return {
    kind: 'TokenRequest',
    apiVersion: TOKEN_REQUEST_API_VERSION,
    metadata: { ...meta, name, namespace, creationTimestamp: rfc3339(now) },
    spec: outSpec,
    status: { token, expirationTimestamp: rfc3339(new Date(Math.floor(now.getTime() / 1000) * 1000 + expirationSeconds * 1000)) },
  };
}
