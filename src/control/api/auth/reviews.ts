/**
 * authentication.k8s.io/v1: SelfSubjectReview (`kubectl auth whoami`: who the server takes the caller for) and
 * TokenReview (whether a bearer token is valid, and whose it is). Both are create-only and never stored.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest } from '../status.js';
import { decodeBody, isPlainObject, sendText } from '../content.js';
import type { AuthenticationChain } from './authenticator.js';
import { userOf } from './request.js';
import { negotiateCreateOnly } from '../authz/reviews.js';
import type { UserInfo } from './user.js';
import { rfc3339 } from '../../../client/time.js';

export const AUTHENTICATION_GROUP_VERSION = 'authentication.k8s.io/v1';

/** authentication/v1 UserInfo: empty fields left out, as upstream's omitempty. */
export function userInfoJson(u: UserInfo): Record<string, unknown> {
  return {
    username: u.name,
    ...(u.uid ? { uid: u.uid } : {}),
    ...(u.groups.length ? { groups: u.groups } : {}),
    ...(u.extra && Object.keys(u.extra).length ? { extra: u.extra } : {}),
  };
}

function created(reply: FastifyReply, obj: unknown): FastifyReply {
  sendText(reply, 201, 'application/json', JSON.stringify(obj));
  return reply;
}

/** The object a create sent, or {} when the body is empty (a review's request carries nothing the server needs). */
function bodyOf(req: FastifyRequest): Record<string, unknown> {
  const raw = req.body as Buffer | undefined;
  if (!raw || raw.length === 0) return {};
  const obj = decodeBody(req.headers['content-type'], raw);
  return isPlainObject(obj) ? obj : {};
}

export interface ReviewOptions {
  now?: () => Date;
  /** Audiences of tokens that name none (upstream's --api-audiences; the ServiceAccount issuer by default). */
  apiAudiences?: string[];
}

export function registerAuthenticationApi(app: FastifyInstance, chain: AuthenticationChain, opts: ReviewOptions = {}): void {
  const now = opts.now ?? (() => new Date());
  const base = `/apis/${AUTHENTICATION_GROUP_VERSION}`;

  app.post(`${base}/selfsubjectreviews`, async (req, reply) => {
    negotiateCreateOnly(req);
    const user = userOf(req);
    if (!user) throw badRequest('no user in the request');
    return created(reply, {
      kind: 'SelfSubjectReview',
      apiVersion: AUTHENTICATION_GROUP_VERSION,
      metadata: { creationTimestamp: rfc3339(now()) },
      status: { userInfo: userInfoJson(user) },
    });
  });

  app.post(`${base}/tokenreviews`, async (req, reply) => {
    negotiateCreateOnly(req);
    const body = bodyOf(req);
    const spec = isPlainObject(body['spec']) ? body['spec'] : {};
    const token = typeof spec['token'] === 'string' ? spec['token'] : '';
    if (token === '') throw badRequest('token is required for TokenReview in authentication');
    const wanted = Array.isArray(spec['audiences']) ? spec['audiences'].filter((a): a is string => typeof a === 'string') : [];
    const r = await chain.authenticate({ headers: { authorization: `Bearer ${token}` }, ...(wanted.length ? { audiences: wanted } : {}) }, false);
    // Field order and omissions as upstream's JSON: authenticated (left out when false), user (always), audiences, error.
    const status: Record<string, unknown> = {};
    if ('user' in r) {
      // A token that names no audiences is good for the API's own (upstream's audience-agnostic wrapping).
      const audiences = r.audiences ?? (wanted.length ? wanted : opts.apiAudiences ?? []);
      const matches = wanted.length === 0 || audiences.some((a) => wanted.includes(a));
      if (matches) {
        status['authenticated'] = true;
        status['user'] = userInfoJson(r.user);
        if (audiences.length) status['audiences'] = audiences;
      } else {
        status['user'] = {};
        status['error'] = 'token audiences is invalid for the target audiences';
      }
    } else {
      status['user'] = {};
      status['error'] = r.error;
    }
    const metadata = isPlainObject(body['metadata']) ? { ...body['metadata'], creationTimestamp: null } : { creationTimestamp: null };
    return created(reply, { kind: 'TokenReview', apiVersion: AUTHENTICATION_GROUP_VERSION, metadata, spec, status });
  });
}
