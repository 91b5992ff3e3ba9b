/**
 * Authorisation as a step of every request, after authentication: impersonation (when asked) replaces who the
 * request acts as, then the authoriser decides on the request's attributes (request-info.ts); a request it does
 * not allow gets upstream's 403 Status before routing reaches a handler.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setUserOf, unauthorized, userOf } from '../auth/request.js';
import { ANONYMOUS_USER, type UserInfo } from '../auth/user.js';
import { sendText } from '../content.js';
import { ApiError } from '../status.js';
import { forbiddenError } from './forbidden.js';
import { impersonate, wantsImpersonation } from './impersonation.js';
import { requestInfo, type RequestInfo } from './request-info.js';
import type { Authorizer } from './types.js';
import { addAuditAnnotation } from '../audit/index.js';

export interface AuthorizationHookOptions {
  /**
   * The only paths anonymous requests may reach (upstream's structured authentication `anonymous.conditions`);
   * anywhere else a request without credentials is 401. Absent: anonymous requests go to the authoriser.
   */
  anonymousPaths?: readonly string[];
  /**
   * Resolves once the policy reflects this server's latest writes; asked only when `fresh()` says it does not
   * (a role or binding was just written), so a grant applies to the very next request.
   */
  fresh?: () => boolean;
  waitFresh?: () => Promise<void>;
  /** Told of each refusal (upstream logs it at verbosity 4). */
  onRefused?: (message: string, req: FastifyRequest) => void;
}

/** Request infos remembered, by method and URL; more empties the map. */
const INFOS = 1024;
/** Longer URLs (label selectors, continue tokens) are rarely repeated: parsed each time, not remembered. */
const INFO_URL_MAX = 256;

/**
 * requestInfo for a request, remembered by method and URL: a client repeats the same few (a create's collection
 * URL, a watch's), and parsing the path and query costs a few µs a request. The info is pure in its inputs.
 */
export function requestInfoCache(): (method: string, url: string, upgrade: boolean) => RequestInfo {
  const infos = new Map<string, RequestInfo>();
  return (method, url, upgrade) => {
    if (url.length > INFO_URL_MAX) return requestInfo(method, url, upgrade);
    const key = upgrade ? `${method}+ ${url}` : `${method} ${url}`;
    let info = infos.get(key);
    if (!info) {
      if (infos.size >= INFOS) infos.clear();
      infos.set(key, (info = Object.freeze(requestInfo(method, url, upgrade))));
    }
    return info;
  };
}

function refuse(reply: FastifyReply, err: ApiError): FastifyReply {
  sendText(reply, err.code, 'application/json', JSON.stringify(err.toStatus()));
  return reply;
}

export function installAuthorization(app: FastifyInstance, authorizer: Authorizer, opts: AuthorizationHookOptions = {}): void {
  const infoOf = requestInfoCache();
  /** The decision, once the policy is fresh; false when the request was answered (refused). */
  const decide = (req: FastifyRequest, reply: FastifyReply, user: UserInfo): boolean => {
    if (wantsImpersonation(req.headers)) {
      const acting = impersonate(user, req.raw.headersDistinct, authorizer);
      if (acting instanceof ApiError) {
        opts.onRefused?.(acting.message, req);
        refuse(reply, acting);
        return false;
      }
      user = acting;
      setUserOf(req, user);
    }
    const info = infoOf(req.method, req.url, req.headers.upgrade !== undefined);
    const attrs = { user, ...info };
    const r = authorizer.authorize(attrs);
    // The audit log's record of the decision, as upstream's WithAuthorization annotates it.
    addAuditAnnotation(req, 'authorization.k8s.io/decision', r.decision === 'Allow' ? 'allow' : 'forbid');
    addAuditAnnotation(req, 'authorization.k8s.io/reason', r.reason);
    if (r.decision === 'Allow') return true;
    const err = forbiddenError(attrs, r.reason);
    opts.onRefused?.(err.message, req);
    refuse(reply, err);
    return false;
  };
  // A callback hook: while the policy is fresh (nearly always) the decision is synchronous, with no promise and
  // no microtask turn per request.
  app.addHook('onRequest', (req, reply, done) => {
    const user = userOf(req);
    // Authentication answered already (401); nothing to authorise.
    if (!user) return done();
    if (opts.anonymousPaths && user.name === ANONYMOUS_USER) {
      const q = req.url.indexOf('?');
      if (!opts.anonymousPaths.includes(q < 0 ? req.url : req.url.slice(0, q))) return void refuse(reply, unauthorized());
    }
    if (opts.fresh && opts.waitFresh && !opts.fresh()) {
      opts.waitFresh().then(() => {
        if (decide(req, reply, user)) done();
      }).catch(done);
      return;
    }
    if (decide(req, reply, user)) done();
  });
}
